"""Services: the actions of the domain, each a transaction that checks the rules and audits."""

from __future__ import annotations

from dataclasses import dataclass

from models.clock import Clock
from models.config import Settings
from models.services.backup import BackupService
from models.services.board import BoardService
from models.services.fraud import FraudService
from models.services.groups import GroupService
from models.services.inbox import InboxService
from models.services.invitations import InvitationService
from models.services.org import OrgService
from models.services.outbox import Outbox
from models.services.patrol import PatrolService
from models.services.peaks import PeakService
from models.services.people import PeopleService
from models.services.reports import ReportService
from models.services.station_settings import StationSettingsService
from models.services.stats import StatsService
from models.services.timers import Timers
from models.store.db import Database
from models.store.misc_repo import ConversationRepository


@dataclass
class Services:
    """Everything a handler or job may ask the domain to do."""

    settings: Settings
    db: Database
    clock: Clock
    org: OrgService
    people: PeopleService
    invitations: InvitationService
    groups: GroupService
    station_settings: StationSettingsService
    conversations: ConversationRepository
    outbox: Outbox
    timers: Timers
    inbox: InboxService
    reports: ReportService
    backup: BackupService
    patrol: PatrolService
    peaks: PeakService
    fraud: FraudService
    stats: StatsService
    board: BoardService

    @classmethod
    def create(cls, settings: Settings, db: Database, clock: Clock) -> Services:
        station_settings = StationSettingsService(db, clock, settings)
        people = PeopleService(db, clock)
        timers = Timers(db, clock)
        peaks = PeakService(db, clock)
        outbox = Outbox(db, clock)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            org=OrgService(db, clock),
            people=people,
            invitations=InvitationService(db, clock, station_settings, people),
            groups=GroupService(db, clock),
            station_settings=station_settings,
            conversations=ConversationRepository(db),
            outbox=outbox,
            timers=timers,
            inbox=InboxService(db, clock),
            reports=ReportService(db, clock, timers, station_settings, settings.zone),
            backup=BackupService(db, clock, station_settings, settings.zone),
            patrol=PatrolService(db, clock, station_settings, settings.zone, peaks),
            peaks=peaks,
            fraud=FraudService(
                db, clock, station_settings, settings.zone, settings.default_locale, outbox
            ),
            stats=StatsService(db, clock, settings.zone),
            board=BoardService(db, clock, settings.zone),
        )
