"""Schema migrations; version N is `MIGRATIONS[N-1]`, recorded in `PRAGMA user_version`.

Never edit a released migration: append a new one.
"""

from __future__ import annotations

V1_ORGANISATION = """
CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    code TEXT UNIQUE,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE offices (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    name TEXT NOT NULL,
    code TEXT,
    latitude REAL,
    longitude REAL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (station_id, code)
);
CREATE INDEX offices_station ON offices(station_id);
CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    name TEXT NOT NULL,
    is_village INTEGER NOT NULL DEFAULT 0,
    is_patrol_area INTEGER NOT NULL DEFAULT 0,
    is_hot_spot INTEGER NOT NULL DEFAULT 0,
    latitude REAL,
    longitude REAL,
    patrol_need INTEGER NOT NULL DEFAULT 1 CHECK (patrol_need >= 0),
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX places_office ON places(office_id);
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    tg_user_id INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL
        CHECK (role IN ('operator', 'chief', 'duty', 'officer', 'member', 'partner')),
    partner_type TEXT
        CHECK (partner_type IN ('grid_worker', 'village_committee', 'forest_ranger')),
    station_id INTEGER REFERENCES stations(id),
    office_id INTEGER REFERENCES offices(id),
    locale TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    on_duty INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX people_station ON people(station_id, office_id);
CREATE TABLE pairings (
    member_id INTEGER NOT NULL REFERENCES people(id),
    officer_id INTEGER NOT NULL REFERENCES people(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, officer_id)
);
CREATE INDEX pairings_officer ON pairings(officer_id);
CREATE TABLE chat_groups (
    chat_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    chat_type TEXT NOT NULL,
    bot_status TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    kind TEXT CHECK (kind IN ('staff', 'public')),
    station_id INTEGER REFERENCES stations(id),
    office_id INTEGER REFERENCES offices(id),
    place_id INTEGER REFERENCES places(id),
    locale TEXT,
    registered_by INTEGER REFERENCES people(id),
    registered_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    partner_type TEXT,
    station_id INTEGER REFERENCES stations(id),
    office_id INTEGER REFERENCES offices(id),
    created_by INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
    uses_left INTEGER NOT NULL CHECK (uses_left >= 0),
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE invitation_uses (
    invitation_id INTEGER NOT NULL REFERENCES invitations(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    used_at TEXT NOT NULL,
    PRIMARY KEY (invitation_id, person_id)
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES people(id),
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id INTEGER,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_subject ON audit_log(subject_type, subject_id);
CREATE TABLE station_settings (
    station_id INTEGER NOT NULL REFERENCES stations(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_by INTEGER REFERENCES people(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (station_id, key)
);
CREATE TABLE conversations (
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    flow TEXT NOT NULL,
    state TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
)
"""

V2_RAILS = """
CREATE TABLE inbox (
    update_id INTEGER PRIMARY KEY,
    callback_id TEXT UNIQUE,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    done_at TEXT,
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_pending ON inbox(done_at, update_id);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    method TEXT NOT NULL,
    payload TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    edit_of INTEGER REFERENCES outbox(id),
    ref TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    possible_duplicate INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER,
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, urgent, next_attempt_at);
CREATE INDEX outbox_ref ON outbox(ref);
CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    due_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    attempts INTEGER NOT NULL DEFAULT 0,
    done_at TEXT,
    outcome TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX timers_due ON timers(done_at, due_at);
ALTER TABLE people ADD COLUMN unreachable_at TEXT
"""

V3_REPORTS = """
CREATE TABLE report_counters (
    station_id INTEGER NOT NULL REFERENCES stations(id),
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (station_id, year)
);
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    office_id INTEGER NOT NULL REFERENCES offices(id),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    reporter_id INTEGER NOT NULL REFERENCES people(id),
    category TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    danger INTEGER NOT NULL DEFAULT 0,
    money_lost INTEGER,
    loss_amount REAL,
    description TEXT NOT NULL,
    voice_file_id TEXT,
    latitude REAL,
    longitude REAL,
    place_id INTEGER REFERENCES places(id),
    address TEXT,
    status TEXT NOT NULL DEFAULT 'new',
    owner_id INTEGER REFERENCES people(id),
    outcome TEXT,
    outcome_note TEXT,
    merged_into INTEGER REFERENCES reports(id),
    created_at TEXT NOT NULL,
    acknowledged_at TEXT,
    resolved_at TEXT,
    UNIQUE (station_id, year, seq)
);
CREATE INDEX reports_office ON reports(office_id, status);
CREATE INDEX reports_reporter ON reports(reporter_id);
CREATE TABLE report_attachments (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'voice')),
    file_id TEXT NOT NULL,
    added_by INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments(report_id);
CREATE TABLE report_events (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES people(id),
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX report_events_report ON report_events(report_id, id)
"""

V4_BACKUP = """
CREATE TABLE backup_requests (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    office_id INTEGER NOT NULL REFERENCES offices(id),
    requester_id INTEGER NOT NULL REFERENCES people(id),
    reason TEXT NOT NULL,
    report_id INTEGER REFERENCES reports(id),
    latitude REAL,
    longitude REAL,
    status TEXT NOT NULL DEFAULT 'open',
    waits TEXT NOT NULL,
    step_index INTEGER NOT NULL DEFAULT -1,
    owner_id INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL,
    claimed_at TEXT,
    arrived_at TEXT,
    resolved_at TEXT,
    note TEXT
);
CREATE INDEX backup_requester ON backup_requests(requester_id, status);
CREATE TABLE backup_notifications (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES backup_requests(id),
    step_index INTEGER NOT NULL,
    person_id INTEGER REFERENCES people(id),
    chat_id INTEGER NOT NULL,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    response TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX backup_notifications_request ON backup_notifications(request_id, step_index);
CREATE TABLE backup_events (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES backup_requests(id),
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES people(id),
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX backup_events_request ON backup_events(request_id, id)
"""

V5_PATROL = """
ALTER TABLE backup_requests ADD COLUMN live_chat_id INTEGER;
ALTER TABLE backup_requests ADD COLUMN live_message_id INTEGER;
ALTER TABLE places ADD COLUMN shifts TEXT NOT NULL DEFAULT '0';
CREATE TABLE leave (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    start_day TEXT NOT NULL,
    end_day TEXT NOT NULL,
    reason TEXT,
    status TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'declined')),
    created_at TEXT NOT NULL,
    decided_by INTEGER REFERENCES people(id),
    decided_at TEXT
);
CREATE INDEX leave_person ON leave(person_id, start_day);
CREATE TABLE patrol_days (
    office_id INTEGER NOT NULL REFERENCES offices(id),
    day TEXT NOT NULL,
    made_at TEXT NOT NULL,
    published_at TEXT,
    slots INTEGER NOT NULL,
    available TEXT NOT NULL,
    unfilled TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (office_id, day)
);
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    day TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES people(id),
    area_id INTEGER NOT NULL REFERENCES places(id),
    shift INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    officer_id INTEGER REFERENCES people(id),
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'cancelled')),
    created_at TEXT NOT NULL
);
CREATE INDEX assignments_day ON assignments(office_id, day, status);
CREATE UNIQUE INDEX assignments_one_a_day ON assignments(member_id, day) WHERE status = 'planned';
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    assignment_id INTEGER REFERENCES assignments(id),
    office_id INTEGER REFERENCES offices(id),
    started_at TEXT NOT NULL,
    latitude REAL,
    longitude REAL,
    ended_at TEXT,
    auto_closed INTEGER NOT NULL DEFAULT 0,
    households INTEGER,
    publicity INTEGER,
    hazards INTEGER,
    disputes INTEGER,
    note TEXT
);
CREATE INDEX checkins_person ON checkins(person_id, started_at);
CREATE TABLE swaps (
    id INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments(id),
    from_member INTEGER NOT NULL REFERENCES people(id),
    to_member INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined', 'vetoed', 'void')),
    created_at TEXT NOT NULL,
    decided_at TEXT
)
"""

V6_PEAKS = """
CREATE TABLE peak_periods (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    name TEXT NOT NULL,
    start_day TEXT NOT NULL,
    end_day TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('busy', 'very_busy')),
    hot_spots TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL
);
CREATE INDEX peak_periods_station ON peak_periods(station_id, start_day);
CREATE TABLE official_holidays (
    year INTEGER NOT NULL,
    key TEXT NOT NULL,
    start_day TEXT NOT NULL,
    end_day TEXT NOT NULL,
    workdays TEXT NOT NULL DEFAULT '[]',
    loaded_by INTEGER REFERENCES people(id),
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (year, key)
)
"""

V7_FRAUD = """
ALTER TABLE chat_groups ADD COLUMN tips_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_groups ADD COLUMN tips_opt_in INTEGER NOT NULL DEFAULT 0;
CREATE TABLE tips (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE,
    scam_type TEXT,
    zh_text TEXT NOT NULL,
    en_text TEXT NOT NULL,
    picture TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    updated_by INTEGER REFERENCES people(id),
    updated_at TEXT NOT NULL
);
CREATE TABLE group_tips (
    chat_id INTEGER NOT NULL,
    week TEXT NOT NULL,
    tip_id INTEGER NOT NULL REFERENCES tips(id),
    outbox_id INTEGER REFERENCES outbox(id),
    sent_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, week)
);
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    station_id INTEGER REFERENCES stations(id),
    office_id INTEGER REFERENCES offices(id),
    author_id INTEGER NOT NULL REFERENCES people(id),
    audience TEXT NOT NULL,
    text TEXT NOT NULL,
    text_locale TEXT NOT NULL,
    other_text TEXT,
    picture TEXT,
    urgent INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'sending',
    progress_outbox_id INTEGER REFERENCES outbox(id),
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    chat_id INTEGER NOT NULL,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    PRIMARY KEY (broadcast_id, chat_id)
);
CREATE TABLE scam_checks (
    id INTEGER PRIMARY KEY,
    tg_user_id INTEGER NOT NULL,
    person_id INTEGER REFERENCES people(id),
    scam_type TEXT,
    at TEXT NOT NULL
)
"""

V8_CHECK_TEXT = """
ALTER TABLE scam_checks ADD COLUMN text TEXT
"""

V9_STATS = """
CREATE TABLE five_zeros (
    station_id INTEGER NOT NULL REFERENCES stations(id),
    month TEXT NOT NULL,
    item TEXT NOT NULL CHECK (item IN
        ('criminal', 'disputes_upward', 'fraud', 'drug_growth', 'safety')),
    count INTEGER NOT NULL CHECK (count >= 0),
    note TEXT,
    updated_by INTEGER REFERENCES people(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (station_id, month, item)
);
CREATE INDEX reports_created ON reports(station_id, created_at);
CREATE INDEX backup_created ON backup_requests(station_id, created_at);
CREATE INDEX checkins_started ON checkins(started_at);
CREATE INDEX assignments_by_day ON assignments(day, status);
CREATE INDEX scam_checks_at ON scam_checks(at)
"""

V10_RETENTION = """
ALTER TABLE reports ADD COLUMN redacted_at TEXT;
CREATE INDEX inbox_received ON inbox(received_at)
"""

# The sender's queue: "one at a time per chat" by lookup, and the next items in the order
# they are sent (urgent first, then oldest) without sorting every pending row.
V11_OUTBOX_CHAT = """
CREATE INDEX outbox_chat ON outbox(chat_id, status, id);
CREATE INDEX outbox_queue ON outbox(status, urgent DESC, id)
"""

# People on an office's roster who have not joined yet (`python bot.py import-roster`): a
# newcomer who opens an invitation of that office and gives the same name takes the row's
# phone (and partner kind); the row is then marked with who it became and when.
V12_ROSTER = """
CREATE TABLE pending_people (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    office_id INTEGER REFERENCES offices(id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL CHECK (role IN ('chief', 'duty', 'officer', 'member', 'partner')),
    partner_type TEXT
        CHECK (partner_type IN ('grid_worker', 'village_committee', 'forest_ranger')),
    source TEXT NOT NULL,
    source_row INTEGER NOT NULL,
    imported_by INTEGER REFERENCES people(id),
    imported_at TEXT NOT NULL,
    matched_person_id INTEGER REFERENCES people(id),
    matched_at TEXT
);
CREATE INDEX pending_people_waiting ON pending_people(station_id, office_id, name_key)
    WHERE matched_at IS NULL;
CREATE INDEX pending_people_imported ON pending_people(imported_at)
"""

# The outbox's `urgent` column becomes a priority: 0 bulk, 1 a direct reply (replies now leave
# through the outbox too), 2 urgent (backup calls, escalation steps, report cards).
V13_OUTBOX_PRIORITY = """
UPDATE outbox SET urgent = 2 WHERE urgent = 1
"""

# Every query indexed (tests/test_query_plans.py checks each statement of the suite against a
# seeded county): statistics by slot, office and county; lookups by owner; the minute job's
# pruning by age; and every column that refers to an outbox row (deleting a delivered reply
# checks them: without these, each deletion read all 200,000 rows of a county's outbox).
V14_INDEXES = """
CREATE INDEX checkins_assignment ON checkins(assignment_id);
CREATE INDEX checkins_office ON checkins(office_id, started_at);
CREATE INDEX reports_owner ON reports(owner_id, status);
CREATE INDEX reports_office_created ON reports(office_id, created_at);
CREATE INDEX reports_created_all ON reports(created_at);
CREATE INDEX backup_owner ON backup_requests(owner_id, status);
CREATE INDEX backup_office_created ON backup_requests(office_id, created_at);
CREATE INDEX backup_created_all ON backup_requests(created_at);
CREATE INDEX backup_notifications_outbox ON backup_notifications(outbox_id);
CREATE INDEX broadcasts_created ON broadcasts(created_at);
CREATE INDEX group_tips_sent ON group_tips(sent_at);
CREATE INDEX outbox_created ON outbox(created_at);
CREATE INDEX timers_done ON timers(done_at) WHERE done_at IS NOT NULL;
CREATE INDEX reports_status ON reports(status, id);
CREATE INDEX broadcasts_sending ON broadcasts(status) WHERE status = 'sending';
CREATE INDEX invitations_unused ON invitations(expires_at) WHERE revoked = 0;
CREATE INDEX outbox_edit_of ON outbox(edit_of) WHERE edit_of IS NOT NULL;
CREATE INDEX broadcast_recipients_outbox ON broadcast_recipients(outbox_id);
CREATE INDEX group_tips_outbox ON group_tips(outbox_id);
CREATE INDEX broadcasts_progress ON broadcasts(progress_outbox_id)
    WHERE progress_outbox_id IS NOT NULL
"""

V15_DEPLOYMENT = """
CREATE TABLE deployment (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""

# whether anything of a ref (a broadcast) is still to be sent, asked at each delivery
V16_OUTBOX_OPEN_REF = """
CREATE INDEX outbox_open_ref ON outbox(ref) WHERE status IN ('pending', 'sending')
"""

# years an operator chose to replace whole: their holidays are exactly the loaded ones
V17_OFFICIAL_YEARS = """
CREATE TABLE official_complete_years (
    year INTEGER PRIMARY KEY,
    set_by INTEGER REFERENCES people(id),
    set_at TEXT NOT NULL
)
"""

# the station board: a county's active backup calls and open check-ins, by index
V18_BOARD = """
CREATE INDEX backup_active ON backup_requests(status, id)
    WHERE status IN ('open', 'claimed', 'arrived');
CREATE INDEX checkins_open ON checkins(started_at) WHERE ended_at IS NULL
"""

MIGRATIONS: tuple[str, ...] = (
    V1_ORGANISATION,
    V2_RAILS,
    V3_REPORTS,
    V4_BACKUP,
    V5_PATROL,
    V6_PEAKS,
    V7_FRAUD,
    V8_CHECK_TEXT,
    V9_STATS,
    V10_RETENTION,
    V11_OUTBOX_CHAT,  # the sender's one-at-a-time-per-chat check, by index
    V12_ROSTER,
    V13_OUTBOX_PRIORITY,  # bulk 0, reply 1, urgent 2
    V14_INDEXES,
    V15_DEPLOYMENT,  # what the bot keeps about its deployment (a generated webhook secret)
    V16_OUTBOX_OPEN_REF,  # a broadcast's summary when its last delivery is recorded
    V17_OFFICIAL_YEARS,  # an import changes only what it names; replacing a year is explicit
    V18_BOARD,  # the board's reads of active calls and open check-ins
)
