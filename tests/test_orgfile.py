"""`bot.py apply FILE` and `bot.py export-org FILE`: a county set up from a YAML file, changed
by editing the file, and written back; a bad file changes nothing and names its line."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import bot
from models.org import PlaceKind
from models.orgfile import parse_org_file
from models.store.db import Database
from models.store.org_repo import OrgRepository
from tests.flows import OPERATOR
from tests.harness import Harness, make_settings

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "nanyanzhu.yaml"
OFFICES = {
    "NYZ": "南燕竹警务室",
    "BYZ": "北燕竹警务室",
    "LQH": "龙栖湖警务室",
    "WFS": "五峰山警务室",
    "MJZ": "马家庄警务室",
}
HOT_SPOTS = {"五峰山龙泉寺", "龙栖湖度假村", "燕州小镇"}


class Cli:
    """Runs `bot.main([...])` on a database under tmp_path and keeps what it printed."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = folder
        self.db_path = folder / "patrol.db"
        self.capsys = capsys
        self.out = ""
        self.err = ""

    def __call__(self, *args: str) -> int:
        self.capsys.readouterr()
        code = bot.main(list(args))
        captured = self.capsys.readouterr()
        self.out, self.err = captured.out, captured.err
        return code

    def file(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as conn:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the organisation's tables and the audit log."""
        tables = ("stations", "offices", "places", "station_settings", "peak_periods")
        return {t: self.rows(f"SELECT * FROM {t} ORDER BY rowid") for t in (*tables, "audit_log")}


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("PATROL_DB_PATH", str(tmp_path / "patrol.db"))
    return Cli(tmp_path, capsys)


def sample() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line of `text` that contains `needle`."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def edited(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


# --- applying ---------------------------------------------------------------------------------
def test_the_sample_file_sets_up_the_township_on_an_empty_database(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0, cli.err
    assert cli.rows("SELECT code, name, active FROM stations") == [("SY-NYZ", "南燕竹派出所", 1)]
    offices = cli.rows("SELECT code, name, latitude, longitude, active FROM offices ORDER BY id")
    assert {code: name for code, name, *_ in offices} == OFFICES
    assert all(lat and 37 < lat < 38.2 and 112.8 < lon < 113.6 for *_, lat, lon, _a in offices)
    places = cli.rows(
        "SELECT o.code, p.name, p.is_village, p.is_patrol_area, p.is_hot_spot, p.shifts,"
        " p.patrol_need, p.latitude FROM places p JOIN offices o ON o.id = p.office_id"
        " WHERE p.active = 1"
    )
    assert len(places) == 17 and all(p[7] is not None for p in places)
    assert {p[1] for p in places if p[4]} == HOT_SPOTS
    by_name = {p[1]: p for p in places}
    assert by_name["燕州小镇"] == ("NYZ", "燕州小镇", 0, 1, 1, "0,1,2", 2, 37.7755)
    assert by_name["下湖村"][2:7] == (1, 1, 0, "1", 1)  # the afternoon shift only
    assert by_name["东庄村"][2:7] == (1, 0, 0, "0", 1)  # a village: the app's defaults
    settings = dict(cli.rows("SELECT key, value FROM station_settings"))
    assert settings == {
        "shifts": "08:00-11:00,14:00-17:00,19:00-21:00",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "publish_time": "07:30",
        "backup_step_waits": "180,300,300",
        "peak_alert_days": "3",
        "boost_very_busy": "3",
    }
    peaks = cli.rows("SELECT name, start_day, end_day, level, hot_spots FROM peak_periods")
    names = dict(cli.rows("SELECT id, name FROM places"))
    assert [(n, s, e, lv, {names[i] for i in json.loads(h)}) for n, s, e, lv, h in peaks] == [
        ("龙泉寺庙会", "2027-04-28", "2027-04-30", "very_busy", {"五峰山龙泉寺"}),
        ("龙栖湖避暑旺季", "2027-07-15", "2027-08-14", "busy", {"龙栖湖度假村", "燕州小镇"}),
    ]
    # one audit entry per change, by nobody, as the app audits
    audit = cli.rows("SELECT actor_id, action, subject_type FROM audit_log")
    assert len(audit) == 32 and {(a, b) for a, b, _ in audit} == {(None, "org:apply")}
    assert "32 created, 0 updated, 0 removed" in cli.out
    assert "+ office 南燕竹派出所/龙栖湖警务室 [LQH]" in cli.out


def test_applying_the_same_file_again_changes_nothing(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    before = cli.snapshot()
    assert cli("apply", str(SAMPLE)) == 0
    assert cli.snapshot() == before
    assert cli.out.splitlines()[1:] == [f"no changes: the database already matches {SAMPLE}"]


def test_a_changed_file_changes_exactly_the_difference(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    before = cli.snapshot()
    untouched = "SELECT * FROM places WHERE name NOT IN ('西河村', '下湖村', '北燕竹小学周边')"
    untouched_before = cli.rows(untouched)
    changed = edited(
        sample(),
        ("name: 南燕竹警务室", "name: 南燕竹中心警务室"),
        ("latitude: 37.8210", "latitude: 37.8222"),
        ("quiet_start: 22:00", "quiet_start: 23:00"),
        ("end: 2027-04-30", "end: 2027-05-01"),
        (
            "            shifts: [14:00-17:00]\n            need: 1",
            "            shifts: [14:00-17:00, 19:00-21:00]\n            need: 2",
        ),
        (
            "          - name: 杨家坪村\n",
            "          - name: 北燕竹小学周边\n"
            "            kinds: [patrol_area]\n"
            "            shifts: [08:00-11:00]\n"
            "          - name: 杨家坪村\n",
        ),
        ("          - name: 石门村\n            kinds: [village]\n", ""),
        ("            latitude: 37.7893\n            longitude: 113.1364\n", ""),
    )
    assert cli("apply", cli.file("changed.yaml", changed)) == 0, cli.err
    assert cli.out.splitlines()[1:] == [
        "~ setting 南燕竹派出所/quiet_start: 22:00 -> 23:00",
        "~ office 南燕竹派出所/南燕竹中心警务室 [NYZ]: name 南燕竹警务室 -> 南燕竹中心警务室",
        "~ place 南燕竹派出所/北燕竹警务室/西河村: latitude 37.821 -> 37.8222",
        "+ place 南燕竹派出所/北燕竹警务室/北燕竹小学周边: patrol_area;"
        " shifts [08:00-11:00], need 1",
        "~ place 南燕竹派出所/龙栖湖警务室/下湖村:"
        " shifts [14:00-17:00] -> [14:00-17:00, 19:00-21:00]; need 1 -> 2",
        "? place 南燕竹派出所/马家庄警务室/石门村: not in the file",
        "~ peak 南燕竹派出所/龙泉寺庙会: end 2027-04-30 -> 2027-05-01",
        "1 created, 5 updated, 0 removed",
        "1 in the database but not in the file: kept (apply with --prune to deactivate them)",
    ]
    after = cli.snapshot()
    assert len(after["places"]) == len(before["places"]) + 1
    assert cli.rows("SELECT active FROM places WHERE name = '石门村'") == [(1,)]
    assert cli.rows("SELECT name FROM offices WHERE code = 'NYZ'") == [("南燕竹中心警务室",)]
    assert cli.rows("SELECT shifts, patrol_need FROM places WHERE name = '下湖村'") == [("1,2", 2)]
    new_audit = after["audit_log"][len(before["audit_log"]) :]
    assert len(new_audit) == 6
    office_entry = [row for row in new_audit if row[4] == "office"]
    assert [(json.loads(r[6]), json.loads(r[7])) for r in office_entry] == [
        ({"name": "南燕竹警务室"}, {"name": "南燕竹中心警务室"})
    ]
    # the untouched rows are untouched: the same rows, every column as it was
    assert len(untouched_before) == 17 - 2
    assert cli.rows(untouched) == untouched_before
    for table in ("stations", "offices", "station_settings", "peak_periods"):
        changed_rows = [row for row in after[table] if row not in before[table]]
        assert len(changed_rows) == (0 if table == "stations" else 1), (table, changed_rows)


def test_dry_run_shows_the_pruning_and_prune_deactivates_what_the_file_lacks(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    text = sample()
    office = text[text.index("      - code: MJZ") : text.index("    # the station's own busy")]
    peak = text[
        text.index("      - name: 龙泉寺庙会") : text.index("      - name: 龙栖湖避暑旺季")
    ]
    smaller = edited(text, (office, ""), (peak, ""), ("      boost_very_busy: 3\n", ""))
    path = cli.file("smaller.yaml", smaller)
    before = cli.snapshot()

    assert cli("apply", path, "--dry-run", "--prune") == 0, cli.err
    assert cli.snapshot() == before
    assert cli.out.splitlines()[1:] == [
        "- setting 南燕竹派出所/boost_very_busy: 3 -> the default",
        "- office 南燕竹派出所/马家庄警务室 [MJZ]: deactivated; 4 places",
        "- peak 南燕竹派出所/龙泉寺庙会: deactivated",
        "0 created, 0 updated, 3 removed",
        "dry run: nothing was changed",
    ]

    assert cli("apply", path) == 0  # without --prune: listed and kept
    assert cli.snapshot() == before
    assert "3 in the database but not in the file: kept" in cli.out

    assert cli("apply", path, "--prune") == 0
    assert "0 created, 0 updated, 3 removed" in cli.out
    assert cli.rows("SELECT active FROM offices WHERE code = 'MJZ'") == [(0,)]
    mjz_places = "SELECT p.active FROM places p JOIN offices o ON o.id = p.office_id"
    assert cli.rows(mjz_places + " WHERE o.code = 'MJZ'") == [(0,)] * 4  # kept, deactivated
    assert cli.rows("SELECT active FROM peak_periods WHERE name = '龙泉寺庙会'") == [(0,)]
    assert cli.rows("SELECT * FROM station_settings WHERE key = 'boost_very_busy'") == []
    removals = cli.rows(
        "SELECT subject_type, after FROM audit_log WHERE after = ? ORDER BY id",
        (json.dumps({"active": False}),),
    )
    assert [s for s, _ in removals] == ["office", *["place"] * 4, "peak_period"]
    assert cli("apply", path, "--prune") == 0 and "no changes" in cli.out

    # the whole file again brings them back (the same rows, reactivated)
    assert cli("apply", str(SAMPLE)) == 0
    assert "~ office 南燕竹派出所/马家庄警务室 [MJZ]: reactivated" in cli.out
    assert cli.rows("SELECT COUNT(*) FROM offices WHERE active = 1") == [(5,)]
    assert cli.rows("SELECT COUNT(*) FROM places") == [(17,)]


def walked_at(cli: Cli) -> dict[str, tuple[str, ...]]:
    """Each place's shifts as hours: its stored positions read in the station's list."""
    shifts = dict(cli.rows("SELECT key, value FROM station_settings"))["shifts"].split(",")
    return {
        name: tuple(shifts[int(i)] for i in stored.split(",") if i and int(i) < len(shifts))
        for name, stored in cli.rows("SELECT name, shifts FROM places")
    }


async def _walked_in_telegram(db_path: Path, place: str, shifts: tuple[int, ...]) -> None:
    """An officer ticks a patrol area's shifts in /areas."""
    db = Database(db_path)
    await db.open()
    try:
        row = await db.fetch_one("SELECT id, patrol_need FROM places WHERE name = ?", (place,))
        assert row is not None
        async with db.write():
            await OrgRepository(db).set_patrol(row["id"], shifts, row["patrol_need"])
    finally:
        await db.close()


def test_a_new_shift_list_keeps_every_place_at_its_hours(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    hours = walked_at(cli)
    assert hours["216省道沿线"] == ("19:00-21:00",) and hours["下湖村"] == ("14:00-17:00",)
    # an early shift first: every shift moves one place down the list. 216省道沿线 keeps its
    # shifts from the database, 马家庄村 is no longer in the file (kept), the rest restate them
    place = "          - name: 马家庄村\n"
    mjz = sample()[sample().index(place) : sample().index("          - name: 韩沟村")]
    earlier = edited(
        sample(),
        (
            "shifts: [08:00-11:00, 14:00-17:00, 19:00-21:00]\n    # the",
            "shifts: [06:00-08:00, 08:00-11:00, 14:00-17:00, 19:00-21:00]\n    # the",
        ),
        (
            "            shifts: [19:00-21:00]\n            need: 1\n    # the",
            "            need: 1\n    # the",
        ),
        (mjz, ""),
        (  # and a new patrol area, numbered by the new list
            "          - name: 韩沟村\n",
            "          - name: 韩沟村早市\n            kinds: [patrol_area]\n"
            "            shifts: [06:00-08:00, 19:00-21:00]\n          - name: 韩沟村\n",
        ),
    )
    assert cli("apply", cli.file("earlier.yaml", earlier)) == 0, cli.err
    hours["韩沟村早市"] = ("06:00-08:00", "19:00-21:00")
    assert walked_at(cli) == hours  # nobody's hours moved; the new area has its own
    assert cli.rows("SELECT shifts FROM places WHERE name IN ('216省道沿线', '马家庄村')") == [
        ("1,2",),
        ("3",),
    ]
    kept = "(renumbered: the station's shift list changed)"
    report = cli.out.splitlines()
    assert (
        f"~ place 南燕竹派出所/马家庄警务室/216省道沿线: shifts kept at [19:00-21:00] {kept}"
        in (report)
    )
    assert (
        f"~ place 南燕竹派出所/马家庄警务室/马家庄村: shifts kept at [08:00-11:00, 14:00-17:00]"
        f" {kept}"
    ) in report
    assert (
        f"~ place 南燕竹派出所/龙栖湖警务室/下湖村: shifts kept at [14:00-17:00] {kept}" in report
    )
    assert "? place 南燕竹派出所/马家庄警务室/马家庄村: not in the file" in report
    audit = cli.rows(
        "SELECT a.before, a.after FROM audit_log a JOIN places p ON p.id = a.subject_id"
        " WHERE a.subject_type = 'place' AND p.name = '216省道沿线' ORDER BY a.id DESC LIMIT 1"
    )
    assert [(json.loads(b), json.loads(a)) for b, a in audit] == [
        ({"shift_numbers": [3]}, {"shift_numbers": [4]})
    ]
    # and the file read back from the database says the same
    assert cli("export-org", "-") == 0
    exported = {
        p.name: p.shifts for o in parse_org_file(cli.out).stations[0].offices for p in o.places
    }
    assert exported["216省道沿线"] == ("19:00-21:00",)
    assert exported["马家庄村"] == ("08:00-11:00", "14:00-17:00")
    assert cli("apply", cli.file("again.yaml", earlier)) == 0 and "no changes" in cli.out


def test_a_shift_leaving_the_list_leaves_no_patrol_area_without_one(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    asyncio.run(_walked_in_telegram(cli.db_path, "马家庄村", (1, 2)))  # afternoon and evening
    before = cli.snapshot()
    place = "          - name: 马家庄村\n"
    mjz = sample()[sample().index(place) : sample().index("          - name: 韩沟村")]
    evening = "            shifts: [08:00-11:00, 14:00-17:00, 19:00-21:00]\n"
    assert sample().count(evening) == 2  # 燕州小镇 and 龙栖湖度假村
    no_evening = edited(
        sample().replace(evening, "            shifts: [08:00-11:00, 14:00-17:00]\n"),
        (
            "    shifts: [08:00-11:00, 14:00-17:00, 19:00-21:00]\n",
            "    shifts: [08:00-11:00, 14:00-17:00]\n",
        ),
        (
            "            shifts: [19:00-21:00]\n            need: 1\n    # the",
            "            need: 1\n    # the",
        ),
        (mjz, ""),
    )
    # 216省道沿线 was walked only in the evening, and the file does not say when it is now
    path = cli.file("no-evening.yaml", no_evening)
    assert cli("apply", path) == 2
    assert cli.snapshot() == before
    station_line = no_evening.splitlines().index("    shifts: [08:00-11:00, 14:00-17:00]") + 1
    assert (
        f"{path}:{station_line}: stations[0].shifts: without 19:00-21:00, patrol area"
        " 南燕竹派出所/马家庄警务室/216省道沿线 would have no shift"
    ) in cli.err, cli.err

    # said in the file: applied; the place left out loses its evening, and the report says so
    told = edited(
        no_evening,
        (
            "            longitude: 113.1022\n",
            "            longitude: 113.1022\n            shifts: [14:00-17:00]\n",
        ),
    )
    assert cli("apply", cli.file("told.yaml", told)) == 0, cli.err
    assert (
        "~ place 南燕竹派出所/马家庄警务室/马家庄村: shifts [14:00-17:00, 19:00-21:00] ->"
        " [14:00-17:00]; no longer in the station's shifts: 19:00-21:00"
    ) in cli.out.splitlines()
    hours = walked_at(cli)
    assert hours["马家庄村"] == hours["216省道沿线"] == ("14:00-17:00",)
    assert hours["燕州小镇"] == ("08:00-11:00", "14:00-17:00")


def test_prune_stays_inside_the_stations_of_the_file(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    asyncio.run(_made_in_telegram(cli.db_path))  # 宗艾派出所: not in the file
    zongai = "SELECT s.active, o.active FROM stations s JOIN offices o ON o.station_id = s.id"
    assert cli("apply", str(SAMPLE), "--prune") == 0, cli.err
    assert cli.out.splitlines()[1:] == [
        "? station 宗艾派出所: not in the file; 1 offices; 2 places",
        "no changes: the database already matches " + str(SAMPLE),
        "1 stations in the database but not in the file: kept"
        " (apply with --prune-stations to deactivate them)",
    ]
    assert cli.rows(zongai + " WHERE s.name = '宗艾派出所'") == [(1, 1)]
    assert cli("apply", str(SAMPLE), "--prune-stations") == 0, cli.err
    assert "- station 宗艾派出所: deactivated; 1 offices; 2 places" in cli.out
    assert cli.rows(zongai + " WHERE s.name = '宗艾派出所'") == [(0, 0)]
    assert cli.rows("SELECT COUNT(*) FROM offices WHERE active = 1") == [(5,)]


async def _located_in_telegram(db_path: Path, place: str, lat: float, lon: float) -> None:
    db = Database(db_path)
    await db.open()
    try:
        row = await db.fetch_one("SELECT id FROM places WHERE name = ?", (place,))
        assert row is not None
        async with db.write():
            await OrgRepository(db).locate_place(row["id"], lat, lon)
    finally:
        await db.close()


def test_a_field_the_file_leaves_out_keeps_what_the_app_set(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    asyncio.run(_located_in_telegram(cli.db_path, "东庄村", 37.79, 113.08))
    without = edited(
        sample(), ("            latitude: 37.7868\n            longitude: 113.0792\n", "")
    )
    assert cli("apply", cli.file("without.yaml", without)) == 0
    assert "no changes" in cli.out
    assert cli.rows("SELECT latitude, longitude FROM places WHERE name = '东庄村'") == [
        (37.79, 113.08)
    ]
    # the whole file, with the location, is the truth again
    assert cli("apply", str(SAMPLE)) == 0
    assert "~ place 南燕竹派出所/南燕竹警务室/东庄村: latitude 37.79 -> 37.7868;" in cli.out


def test_a_dry_run_before_the_first_start_creates_no_database(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE), "--dry-run") == 0
    assert "32 created" in cli.out and "dry run: nothing was changed" in cli.out
    assert not cli.db_path.exists()


# --- bad files --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        (  # YAML syntax: an unclosed flow list
            "shifts: [08:00-11:00]\n            need: 1\n      - code: BYZ",
            "shifts: [08:00-11:00\n            need: 1\n      - code: BYZ",
            None,
            "YAML syntax",
        ),
        (
            "latitude: 37.8210",
            "latitude: 北纬37.8度",
            "latitude: 北纬37.8度",
            "stations[0].offices[1].places[1].latitude: Input should be a valid number",
        ),
        (
            "peak_alert_days: 3",
            "peak_alert_dayz: 3",
            "peak_alert_dayz",
            "stations[0].settings.peak_alert_dayz: unknown setting",
        ),
        (
            "quiet_end: 07:00",
            "quiet_end: 7 o'clock",
            "quiet_end",
            "stations[0].settings.quiet_end: expected a time like 22:00",
        ),
        (
            "peak_alert_days: 3",
            "peak_alert_days: 99",
            "peak_alert_days",
            "must be between 1 and 30",
        ),
        (
            "      - code: LQH",
            "      - code: BYZ  # was LQH",
            "code: BYZ  # was LQH",
            "stations[0].offices[2].code: another office has the code 'BYZ'",
        ),
        (
            "          - name: 上湖村\n            kinds: [village]",
            "          - name: 上湖村\n            kinds: [vilage]",
            "kinds: [vilage]",
            "stations[0].offices[2].places[1].kinds[0]: Input should be",
        ),
        (
            "        hot_spots: [五峰山龙泉寺]",
            "        hot_spots: [峰西村]",
            "hot_spots: [峰西村]",
            "'峰西村' is not a hot spot",
        ),
        (  # a shift the station does not have: found against the templates
            "            shifts: [19:00-21:00]\n            need: 1",
            "            shifts: [20:00-22:00]\n            need: 1",
            "shifts: [20:00-22:00]",
            "20:00-22:00 is not one of the station's shifts",
        ),
        (
            "    name: 南燕竹派出所\n",
            "    name: 南燕竹派出所\n    name: 南燕竹所\n",
            "name: 南燕竹所",
            "stations[0].name: duplicate key",
        ),
    ],
)
def test_a_malformed_file_changes_nothing_and_names_the_line(
    cli: Cli, old: str, new: str, marker: str | None, message: str
) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    before = cli.snapshot()
    # a good change beside the bad one is not applied either: nothing is half-applied
    bad = edited(sample(), ("name: 北燕竹警务室", "name: 北燕竹中心警务室"), (old, new))
    path = cli.file("bad.yaml", bad)
    assert cli("apply", path) == 2
    assert cli.snapshot() == before
    assert "nothing was changed" in cli.err and message in cli.err, cli.err
    if marker is not None:
        assert f"{path}:{line_of(bad, marker)}:" in cli.err, cli.err
    else:  # YAML names where it stumbled, and where the list it was reading began
        began = bad.splitlines().index("            shifts: [08:00-11:00") + 1
        assert f"{path}:{began + 1}:" in cli.err and f"(line {began})" in cli.err, cli.err


def test_every_problem_of_a_file_is_named_in_one_run_by_line(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    before = cli.snapshot()
    bad = edited(
        sample(),
        ("quiet_end: 07:00", "quiet_end: 7 o'clock"),  # a setting: its own validator
        ("      - code: LQH", "      - code: 3"),  # a number where the file wants text
        ("latitude: 37.7530", "latitude: 北纬37.75度"),  # the schema
        ("      boost_very_busy: 3\n", "      boost_very_busy: 3\n      peak_alert_dayz: 3\n"),
    )
    path = cli.file("bad.yaml", bad)
    assert cli("apply", path) == 2
    assert cli.snapshot() == before
    lines = cli.err.splitlines()[1:]
    assert [int(line.split(":")[1]) for line in lines] == [
        line_of(bad, "quiet_end:"),
        line_of(bad, "peak_alert_dayz"),
        line_of(bad, "code: 3"),
        line_of(bad, "北纬"),
    ], cli.err
    assert lines[2].endswith(
        'stations[0].offices[2].code: expected text: write it in quotes, like code: "3"'
    )


def test_an_office_with_places_and_nothing_under_it_has_none(cli: Cli) -> None:
    text = (
        "stations:\n  - code: ZA\n    name: 宗艾派出所\n    offices:\n      - name: 宗艾警务室\n"
    )
    assert cli("apply", cli.file("empty.yaml", text + "        places:\n    peaks:\n")) == 0
    assert cli.rows("SELECT name FROM offices") == [("宗艾警务室",)], cli.err


def test_a_missing_or_empty_file_is_a_bad_file(cli: Cli) -> None:
    assert cli("apply", str(cli.folder / "nowhere.yaml")) == 2
    assert "cannot read" in cli.err
    assert cli("apply", cli.file("empty.yaml", "# nothing yet\n")) == 2
    assert "the file is empty" in cli.err
    assert cli("apply", cli.file("list.yaml", "- a\n- b\n")) == 2
    assert ":1:" in cli.err
    assert not cli.db_path.exists()


# --- exporting --------------------------------------------------------------------------------
def test_apply_then_export_gives_the_same_organisation(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    assert cli("export-org", str(cli.folder / "out.yaml")) == 0, cli.err
    assert "1 stations, 5 offices, 17 places and 2 peak periods" in cli.out
    exported = (cli.folder / "out.yaml").read_text(encoding="utf-8")
    assert parse_org_file(exported) == parse_org_file(sample())
    assert "name: 南燕竹派出所" in exported and "kinds: [patrol_area, hot_spot]" in exported
    # an existing file is not overwritten unless asked
    assert cli("export-org", str(cli.folder / "out.yaml")) == 2
    assert cli("export-org", str(cli.folder / "out.yaml"), "--force") == 0


async def _made_in_telegram(db_path: Path) -> None:
    """What the app's own screens make: a station and an office without codes, a place."""
    db = Database(db_path)
    await db.open()
    try:
        repo = OrgRepository(db)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        async with db.write():
            station = await repo.add_station("宗艾派出所", now)
            office = await repo.add_office(station.id, "宗艾警务室", now)
            await repo.locate_office(office.id, 37.85, 113.25)
            place = await repo.add_place(
                office.id, "宗艾村", {PlaceKind.VILLAGE, PlaceKind.PATROL_AREA}, now
            )
            await repo.set_patrol(place.id, (1, 2), 3)
            await repo.add_place(office.id, "宗艾中学", set(), now)
    finally:
        await db.close()


def test_export_then_apply_round_trips(cli: Cli) -> None:
    assert cli("apply", str(SAMPLE)) == 0
    asyncio.run(_made_in_telegram(cli.db_path))
    before = cli.snapshot()
    assert cli("export-org", "-") == 0
    exported = cli.out
    assert "name: 宗艾派出所" in exported and "code: null" not in exported
    path = cli.file("exported.yaml", exported)
    assert cli("apply", path) == 0, cli.err
    assert "no changes" in cli.out
    assert cli.snapshot() == before
    assert cli("export-org", "-") == 0 and cli.out == exported

    # giving the Telegram-made station a code in the file adopts it: no second station
    coded = edited(exported, ("  - name: 宗艾派出所", "  - code: SY-ZA\n    name: 宗艾派出所"))
    assert cli("apply", cli.file("coded.yaml", coded)) == 0
    assert "~ station 宗艾派出所 [SY-ZA]: code (none) -> SY-ZA" in cli.out
    assert cli.rows("SELECT code FROM stations ORDER BY id") == [("SY-NYZ",), ("SY-ZA",)]


def test_export_needs_a_database(cli: Cli) -> None:
    assert cli("export-org", "-") == 1
    assert "does not exist" in cli.err


# --- the bot on an applied database -----------------------------------------------------------
async def test_the_bot_shows_the_offices_and_places_the_file_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "patrol.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATROL_DB_PATH", str(db_path))
    # `bot.main` runs its own event loop, so a test already in one calls it from a thread
    assert await asyncio.to_thread(bot.main, ["apply", str(SAMPLE)]) == 0
    h = Harness(make_settings(db_path))
    await h.start()
    try:
        await h.send(OPERATOR, "/areas")
        await h.press_label(OPERATOR, "南燕竹派出所")
        station_view = h.last_text(OPERATOR.id)
        assert all(name in station_view for name in OFFICES.values())
        await h.press_label(OPERATOR, "龙栖湖警务室")
        office_view = h.last_text(OPERATOR.id)
        assert all(name in office_view for name in ("龙栖湖度假村", "上湖村", "下湖村"))
        assert "37.75300, 113.09120" in office_view
    finally:
        await h.stop()
