"""What applying a file changed, as a person reads it after `apply`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    # deactivated (a setting: reset to its default); only with --prune (--prune-stations for a
    # station the file does not list)
    REMOVE = "remove"
    KEEP = "keep"  # in the database but not in the file, and kept


_MARK = {
    ChangeKind.CREATE: "+",
    ChangeKind.UPDATE: "~",
    ChangeKind.REMOVE: "-",
    ChangeKind.KEEP: "?",
}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    subject: str  # station, office, place, setting, peak
    label: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{_MARK[self.kind]} {self.subject} {self.label}"
        return f"{text}: {'; '.join(self.details)}" if self.details else text


@dataclass
class ApplyReport:
    dry_run: bool = False
    prune: bool = False
    prune_stations: bool = False
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    @property
    def changed(self) -> bool:
        return any(c.kind is not ChangeKind.KEEP for c in self.changes)

    def lines(self, source: str) -> list[str]:
        """What a person reads after `apply`: each change, then the counts."""
        lines = [str(c) for c in self.changes]
        if self.changed:
            lines.append(
                f"{self.count(ChangeKind.CREATE)} created, {self.count(ChangeKind.UPDATE)}"
                f" updated, {self.count(ChangeKind.REMOVE)} removed"
            )
        else:
            lines.append(f"no changes: the database already matches {source}")
        kept = [c for c in self.changes if c.kind is ChangeKind.KEEP]
        if inside := sum(1 for c in kept if c.subject != "station"):
            lines.append(
                f"{inside} in the database but not in the file: kept"
                " (apply with --prune to deactivate them)"
            )
        if stations := sum(1 for c in kept if c.subject == "station"):
            lines.append(
                f"{stations} stations in the database but not in the file: kept"
                " (apply with --prune-stations to deactivate them)"
            )
        if self.dry_run:
            lines.append("dry run: nothing was changed")
        return lines
