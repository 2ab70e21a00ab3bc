"""`bot.py apply FILE` and `bot.py export-org FILE`: bring the database to an organisation file
and write the file back from the database.

Applying matches by stable keys (a station's code, an office's code within its station, a place's
name within its office, a peak period's name within its station; a station or office without a
code by its name), creates what is missing, updates what changed, reactivates what was removed,
and lists what the database has beyond the file: within the stations the file lists, that is
deactivated only with `prune`; a station the file does not list only with `prune_stations`.
A changed shift list keeps every place at its hours (places store their shifts as positions in
the list). Everything happens in one write transaction (a dry run rolls it back) and every
change is audited as `org:apply` with no actor.

The parts, each applying one kind of thing with the context they share (`context`):
`stations` (and the stations the file leaves out), `settings` (a station's settings and shift
templates), `offices`, `places` (and the shifts of a changed list), `peaks`; `report` is what a
person reads afterwards, `common` the matching and diffing they all use, `service` the entry
points (apply and export).
"""

from models.services.orgfile.common import ACTION, default_templates, templates_of
from models.services.orgfile.report import ApplyReport, Change, ChangeKind
from models.services.orgfile.service import OrgFileService

__all__ = [
    "ACTION",
    "ApplyReport",
    "Change",
    "ChangeKind",
    "OrgFileService",
    "default_templates",
    "templates_of",
]
