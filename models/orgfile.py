"""The organisation file of `bot.py apply` and `bot.py export-org`: a YAML description of
stations, offices, places, station settings, shift templates and peak periods.

Reading it gives an `OrgSpec` (checked and normalised) or an `OrgFileError` naming the line
and field of every problem; `render_org_file` writes an `OrgSpec` back in the same format.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    model_validator,
)

from models.calendar import MAX_PERIOD_DAYS, Level
from models.errors import DomainError
from models.org import PlaceKind
from models.services.org import clean_name
from models.station_settings import SETTINGS_BY_KEY, SettingSpec, SettingType

FORMAT_VERSION = 1
SHIFTS_KEY = "shifts"  # the station setting that holds the shift templates
MAX_CODE = 32
# a new place's shifts and need when the file does not give them (the app's defaults: the
# first shift of its station, one member)
DEFAULT_PLACE_SHIFTS = (0,)
DEFAULT_NEED = 1

FieldPath = tuple[str | int, ...]


# --- problems ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (line and field path) and what."""

    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        at = f"line {self.line}" if self.line is not None else "file"
        return f"{at}: {self.where}: {self.message}" if self.where else f"{at}: {self.message}"


class OrgFileError(Exception):
    """The file is rejected whole; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def where(path: FieldPath) -> str:
    """`stations[0].offices[2].latitude`: the field path a person can follow in the file."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Lines:
    """Line numbers (1-based) of every field and list item, from the composed YAML nodes."""

    def __init__(self, lines: dict[FieldPath, int] | None = None) -> None:
        self.lines = lines or {}

    def of(self, path: FieldPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that the file has."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: FieldPath, message: str) -> Problem:
        return Problem(self.of(path), where(path), message)


# --- YAML -------------------------------------------------------------------------------------
# YAML 1.1 (PyYAML's default) reads `22:00` as the number 1320, `on`/`no` as booleans and `08`
# as octal; in this file those are times, settings and codes. So only these plain scalars are
# typed (as in YAML 1.2's core schema, without dates: a date is checked where it is used);
# everything else is text.
_RESOLVERS: tuple[tuple[str, str, str], ...] = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)$",
        "-+0123456789.",
    ),
)


# An organisation file is written by a person: a county's is tens of kilobytes, a few levels
# deep, and has no use for YAML's anchors and aliases (`&x` … `*x`), which are how a
# 600-byte file expands to gigabytes. Refused before anything is built.
MAX_FILE_CHARS = 2 * 1024 * 1024
MAX_DEPTH = 20


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with only the plain-scalar types above, no anchors or aliases,
    and at most MAX_DEPTH levels of nesting."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1 if event.start_mark else None
            raise OrgFileError(
                [Problem(line, "", "YAML anchors and aliases (& and *) are not allowed")]
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise OrgFileError(
                    [Problem(line, "", f"nested more than {MAX_DEPTH} levels deep")]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper that quotes only what `_Loader` would not read back as text, and
    indents lists under their key as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


for _cls in (_Loader, _Dumper):
    _cls.yaml_implicit_resolvers = {}  # not the inherited YAML 1.1 ones
    for _tag, _pattern, _first in _RESOLVERS:
        _cls.add_implicit_resolver(_tag, re.compile(_pattern), [*_first])
    # the empty plain scalar is null too (its first character is "")
    _cls.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    """Lists of plain values on one line (`kinds: [village, hot_spot]`), others as blocks."""
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=False)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def load_yaml(text: str) -> tuple[Any, Lines]:
    """The document's data and the line of every field; syntax errors and duplicate keys are
    problems with their line."""
    if len(text) > MAX_FILE_CHARS:
        raise OrgFileError(
            [Problem(None, "", f"the file is larger than {MAX_FILE_CHARS // (1024 * 1024)} MB")]
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise OrgFileError([Problem(None, "", "the file is empty")])
        data = loader.construct_document(node)
        lines: dict[FieldPath, int] = {}
        problems: list[Problem] = []
        _walk(loader, node, (), lines, problems)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = str(error.problem or "")
        if error.context:
            began = error.context_mark
            at = f" (line {began.line + 1})" if began is not None and began is not mark else ""
            what = f"{error.context}{at}: {what}"
        raise OrgFileError([Problem(line, "", f"YAML syntax, {what}")]) from None
    except yaml.YAMLError as error:
        raise OrgFileError([Problem(None, "", f"YAML: {error}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise OrgFileError(problems)
    return data, Lines(lines)


def _walk(
    loader: _Loader,
    node: yaml.Node,
    path: FieldPath,
    lines: dict[FieldPath, int],
    problems: list[Problem],
    above: frozenset[int] = frozenset(),
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in above:
        problems.append(Problem(node.start_mark.line + 1, where(path), "an alias of itself"))
        return
    above = above | {id(node)}
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                continue  # not a field name; the schema check rejects it
            child = (*path, key)
            if key in seen:
                problems.append(
                    Problem(key_node.start_mark.line + 1, where(child), "duplicate key")
                )
                continue
            seen.add(key)
            # a field is found on the line of its key (a block value starts below it)
            lines[child] = key_node.start_mark.line + 1
            _walk(loader, value_node, child, lines, problems, above)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*path, index), lines, problems, above)


def dump_yaml(data: Any) -> str:
    text: str = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=99, indent=2
    )
    return text


# --- the schema -------------------------------------------------------------------------------
def _name(text: str) -> str:
    try:
        return clean_name(text)
    except DomainError as error:
        if error.code == "name_too_long":
            raise ValueError(f"a name has at most {error.params['limit']} characters") from None
        raise ValueError("a name cannot be empty") from None


def _code(text: str) -> str:
    code = text.strip()
    if not code or len(code) > MAX_CODE:
        raise ValueError(f"a code has 1 to {MAX_CODE} characters")
    if any(c.isspace() or c == "/" or unicodedata.category(c).startswith("C") for c in code):
        raise ValueError("a code has no spaces, slashes or invisible characters")
    return code


def _day(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    raise ValueError("a date is written like 2026-10-01")


Name = Annotated[StrictStr, AfterValidator(_name)]
Code = Annotated[StrictStr, AfterValidator(_code)]
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]
Day = Annotated[date, BeforeValidator(_day)]
T = TypeVar("T")


def _none_is_empty(value: object) -> object:
    """`places:` with nothing under it is an empty list (YAML reads it as null)."""
    return [] if value is None else value


def _none_is_no_settings(value: object) -> object:
    return {} if value is None else value


Items = Annotated[list[T], BeforeValidator(_none_is_empty)]
Need = Annotated[int, Field(strict=True, ge=0, le=10)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Located(_Entry):
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Located:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are given together, or neither")
        return self


class PlaceEntry(_Located):
    name: Name
    kinds: list[PlaceKind] | None = None
    shifts: list[StrictStr] | None = None
    need: Need | None = None


class OfficeEntry(_Located):
    code: Code | None = None
    name: Name
    places: Items[PlaceEntry] = []


class PeakEntry(_Entry):
    name: Name
    start: Day
    end: Day
    level: Level = Level.BUSY
    hot_spots: Items[StrictStr]


class StationEntry(_Entry):
    code: Code | None = None
    name: Name
    shifts: list[StrictStr] | None = None
    settings: Annotated[dict[StrictStr, Any], BeforeValidator(_none_is_no_settings)] = {}
    offices: Items[OfficeEntry] = []
    peaks: Items[PeakEntry] = []


class OrgFileEntry(_Entry):
    version: Annotated[int, Field(strict=True, ge=FORMAT_VERSION, le=FORMAT_VERSION)] = (
        FORMAT_VERSION
    )
    stations: Items[StationEntry] = []


# --- the checked organisation -----------------------------------------------------------------
@dataclass(frozen=True)
class Origin:
    """Where an entry is in the file, for problems found when it is applied."""

    line: int | None = None
    where: str = ""

    def problem(self, message: str, field_name: str = "") -> Problem:
        path = f"{self.where}.{field_name}" if field_name else self.where
        return Problem(self.line, path, message)


@dataclass(frozen=True)
class PlaceSpec:
    """A place as the file gives it; None is a field the file leaves out, which keeps what
    the database has (a new place gets the app's default)."""

    name: str
    kinds: frozenset[PlaceKind] | None = None
    latitude: float | None = None
    longitude: float | None = None
    shifts: tuple[str, ...] | None = None  # shift templates, as in "08:00-11:00"
    need: int | None = None
    origin: Origin = field(default=Origin(), compare=False)
    shift_origins: tuple[Origin, ...] = field(default=(), compare=False)

    @property
    def is_patrol_area(self) -> bool:
        return self.kinds is not None and PlaceKind.PATROL_AREA in self.kinds

    @property
    def may_be_hot_spot(self) -> bool:
        """A hot spot by the file, or perhaps by the database (when the file has no kinds)."""
        return self.kinds is None or PlaceKind.HOT_SPOT in self.kinds


@dataclass(frozen=True)
class OfficeSpec:
    """An office as the file gives it; no coordinates keeps those of the database."""

    name: str
    code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    places: tuple[PlaceSpec, ...] = ()
    origin: Origin = field(default=Origin(), compare=False)

    @property
    def key(self) -> str:
        """An office is known by its code, or by its name when it has none."""
        return self.code if self.code is not None else self.name


@dataclass(frozen=True)
class HotSpotRef:
    office: str  # the office's key
    place: str


@dataclass(frozen=True)
class PeakSpec:
    name: str
    start: date
    end: date
    level: Level
    hot_spots: frozenset[HotSpotRef]
    origin: Origin = field(default=Origin(), compare=False)
    hot_spot_origins: tuple[tuple[HotSpotRef, Origin], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class StationSpec:
    name: str
    code: str | None = None
    shifts: tuple[str, ...] | None = None  # its shift templates; None: not set by the file
    settings: dict[str, str] = field(default_factory=dict)  # key -> the stored text
    offices: tuple[OfficeSpec, ...] = ()
    peaks: tuple[PeakSpec, ...] = ()
    origin: Origin = field(default=Origin(), compare=False)
    shifts_origin: Origin = field(default=Origin(), compare=False)  # its `shifts:` line

    @property
    def key(self) -> str:
        return self.code if self.code is not None else self.name


@dataclass(frozen=True)
class OrgSpec:
    stations: tuple[StationSpec, ...] = ()


def parse_org_file(text: str) -> OrgSpec:
    """Read and check a whole file; raise `OrgFileError` with every problem found."""
    data, lines = load_yaml(text)
    try:
        entry = OrgFileEntry.model_validate(data)
    except ValidationError as error:
        # the settings are checked too, so that one run names every problem of the file
        problems = _schema_problems(error, data, lines) + _raw_setting_problems(data, lines)
        raise OrgFileError(sorted(problems, key=_by_line)) from None
    problems = []
    spec = OrgSpec(
        tuple(
            _station(station, ("stations", i), lines, problems)
            for i, station in enumerate(entry.stations)
        )
    )
    _check_unique(
        [(s.code is not None, s.key, s.origin) for s in spec.stations], "station", problems
    )
    if problems:
        raise OrgFileError(sorted(problems, key=_by_line))
    return spec


def _by_line(problem: Problem) -> int:
    return problem.line if problem.line is not None else 0


def _raw_setting_problems(data: Any, lines: Lines) -> list[Problem]:
    """The problems of the settings of a file that failed the schema check elsewhere (the
    settings are free-form to the schema: each is checked by its own validator)."""
    problems: list[Problem] = []
    stations = data.get("stations") if isinstance(data, dict) else None
    for i, station in enumerate(stations if isinstance(stations, list) else []):
        settings = station.get("settings") if isinstance(station, dict) else None
        for key, value in (settings if isinstance(settings, dict) else {}).items():
            if isinstance(key, str):
                _setting(key, value, ("stations", i, "settings", key), lines, problems)
    return problems


def _schema_problems(error: ValidationError, data: Any, lines: Lines) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[FieldPath, str]] = set()
    for item in error.errors():
        path, rest = _real_path(data, item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "missing":
            path = (*path, *rest[:1])
            message = "missing"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            value = item.get("input")
            if kind == "string_type" and _number(value) and not rest:
                # `code: 3` is read as a number
                example = f'{path[-1]}: "{value}"' if path and isinstance(path[-1], str) else ""
                message = f"expected text: write it in quotes, like {example or repr(str(value))}"
            elif isinstance(value, str | int | float | bool) and kind not in ("value_error",):
                message += f" (found {value!r})"
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(lines.problem(path, message))
    return problems


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _real_path(data: Any, loc: Iterable[int | str]) -> tuple[FieldPath, FieldPath]:
    """Split pydantic's error location into the part the document has, and the rest (a
    missing field's name, or the member of a union that was tried)."""
    path: list[str | int] = []
    parts = list(loc)
    current = data
    for index, part in enumerate(parts):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
        else:
            return tuple(path), tuple(parts[index:])
        path.append(part)
    return tuple(path), ()


def _origin(lines: Lines, path: FieldPath) -> Origin:
    return Origin(lines.of(path), where(path))


def _station(
    entry: StationEntry, path: FieldPath, lines: Lines, problems: list[Problem]
) -> StationSpec:
    shifts: tuple[str, ...] | None = None
    if entry.shifts is not None:
        shifts = _templates(entry.shifts, (*path, "shifts"), lines, problems)
    settings: dict[str, str] = {}
    for key, value in entry.settings.items():
        text = _setting(key, value, (*path, "settings", key), lines, problems)
        if text is not None:
            settings[key] = text
    offices = tuple(
        _office(office, (*path, "offices", i), lines, problems)
        for i, office in enumerate(entry.offices)
    )
    _check_unique([(o.code is not None, o.key, o.origin) for o in offices], "office", problems)
    hot_spots = [(office.key, place) for office in offices for place in office.places]
    peaks = tuple(
        _peak(peak, (*path, "peaks", i), hot_spots, lines, problems)
        for i, peak in enumerate(entry.peaks)
    )
    _check_unique([(False, p.name, p.origin) for p in peaks], "peak period", problems)
    return StationSpec(
        name=entry.name,
        code=entry.code,
        shifts=shifts,
        settings=settings,
        offices=offices,
        peaks=peaks,
        origin=_origin(lines, path),
        shifts_origin=_origin(lines, (*path, "shifts")),
    )


def _templates(
    items: list[str], path: FieldPath, lines: Lines, problems: list[Problem]
) -> tuple[str, ...] | None:
    """A station's shift templates, each checked by the `/settings` validator of shifts."""
    spec = SETTINGS_BY_KEY[SHIFTS_KEY]
    texts = []
    for i, item in enumerate(items):
        text = shift_text(item)
        if text is None:
            problems.append(
                lines.problem((*path, i), f"a shift is written like 08:00-11:00 (found {item!r})")
            )
        else:
            texts.append(text)
    if len(texts) != len(items):
        return None
    if len(set(texts)) != len(texts):
        problems.append(lines.problem(path, "a shift is listed twice"))
        return None
    try:
        spec.parse(",".join(texts))
    except DomainError:
        problems.append(lines.problem(path, "a station has 1 to 6 shifts"))
        return None
    return tuple(texts)


def shift_text(text: str) -> str | None:
    """One shift template in its stored form (`08:00-11:00`), or None if it is not one."""
    spec = SETTINGS_BY_KEY[SHIFTS_KEY]
    if "," in text or "，" in text:
        return None
    try:
        value = spec.parse(text)
    except DomainError:
        return None
    return spec.dump(value) if len(value) == 1 else None


_HINTS = {
    SettingType.INT: "a whole number",
    SettingType.TIME: "a time like 22:00",
    SettingType.SECONDS_LIST: "seconds separated by commas (up to 6), like 180,300,300",
    SettingType.BOOL: "on or off",
    SettingType.SHIFTS: "time ranges like 08:00-11:00",
}


def _setting(
    key: str, value: Any, path: FieldPath, lines: Lines, problems: list[Problem]
) -> str | None:
    """A setting's stored text, checked by the same validator as `/settings`."""
    if key == SHIFTS_KEY:
        problems.append(lines.problem(path, "shift templates go in the station's `shifts:` list"))
        return None
    spec = SETTINGS_BY_KEY.get(key)
    if spec is None:
        known = ", ".join(k for k in SETTINGS_BY_KEY if k != SHIFTS_KEY)
        problems.append(lines.problem(path, f"unknown setting (known: {known})"))
        return None
    if isinstance(value, bool):
        text = "on" if value else "off"
    elif isinstance(value, int | str):
        text = str(value)
    else:
        problems.append(lines.problem(path, f"expected {_HINTS[spec.type]} (found {value!r})"))
        return None
    try:
        return setting_text(spec, text)
    except DomainError as error:
        if error.code == "setting_out_of_range":
            message = f"must be between {spec.minimum} and {spec.maximum} (found {value!r})"
        else:
            message = f"expected {_HINTS[spec.type]} (found {value!r})"
        problems.append(lines.problem(path, message))
        return None


def setting_text(spec: SettingSpec, text: str) -> str:
    """Parse with the setting's own validator; return the form the database stores."""
    return spec.dump(spec.parse(text))


def _office(
    entry: OfficeEntry, path: FieldPath, lines: Lines, problems: list[Problem]
) -> OfficeSpec:
    places = tuple(
        _place(place, (*path, "places", i), lines, problems)
        for i, place in enumerate(entry.places)
    )
    _check_unique([(False, p.name, p.origin) for p in places], "place", problems)
    return OfficeSpec(
        name=entry.name,
        code=entry.code,
        latitude=entry.latitude,
        longitude=entry.longitude,
        places=places,
        origin=_origin(lines, path),
    )


def _place(entry: PlaceEntry, path: FieldPath, lines: Lines, problems: list[Problem]) -> PlaceSpec:
    shifts: tuple[str, ...] | None = None
    origins: tuple[Origin, ...] = ()
    if entry.shifts is not None:
        texts = []
        for i, item in enumerate(entry.shifts):
            text = shift_text(item)
            if text is None:
                problems.append(
                    lines.problem(
                        (*path, "shifts", i),
                        f"a shift is written like 08:00-11:00 (found {item!r})",
                    )
                )
            elif text not in texts:
                texts.append(text)
                origins += (_origin(lines, (*path, "shifts", i)),)
        shifts = tuple(texts)
    return PlaceSpec(
        name=entry.name,
        kinds=None if entry.kinds is None else frozenset(entry.kinds),
        latitude=entry.latitude,
        longitude=entry.longitude,
        shifts=shifts,
        need=entry.need,
        origin=_origin(lines, path),
        shift_origins=origins,
    )


def _peak(
    entry: PeakEntry,
    path: FieldPath,
    places: list[tuple[str, PlaceSpec]],
    lines: Lines,
    problems: list[Problem],
) -> PeakSpec:
    if entry.end < entry.start:
        problems.append(lines.problem((*path, "end"), "the end is before the start"))
    elif (entry.end - entry.start).days + 1 > MAX_PERIOD_DAYS:
        problems.append(
            lines.problem((*path, "end"), f"a peak period lasts at most {MAX_PERIOD_DAYS} days")
        )
    if not entry.hot_spots:
        problems.append(lines.problem((*path, "hot_spots"), "name at least one hot spot"))
    refs: dict[HotSpotRef, Origin] = {}
    for i, text in enumerate(entry.hot_spots):
        found, message = resolve_hot_spot(text, places)
        if found is None:
            problems.append(lines.problem((*path, "hot_spots", i), message))
        else:
            refs.setdefault(found, _origin(lines, (*path, "hot_spots", i)))
    return PeakSpec(
        name=entry.name,
        start=entry.start,
        end=entry.end,
        level=entry.level,
        hot_spots=frozenset(refs),
        origin=_origin(lines, path),
        hot_spot_origins=tuple(refs.items()),
    )


def resolve_hot_spot(
    text: str, places: list[tuple[str, PlaceSpec]]
) -> tuple[HotSpotRef | None, str]:
    """A hot spot named by its place name, or `OFFICE/name` (the office's code) when two
    offices of the station have a hot spot of that name."""
    text = " ".join(text.split())
    named = [(office, p) for office, p in places if p.name == text]
    if not named and "/" in text:
        office_key, _, name = text.partition("/")
        named = [(o, p) for o, p in places if o == office_key.strip() and p.name == name.strip()]
    if not named:
        return None, f"no place {text!r} in this station's offices"
    spots = [(office, p) for office, p in named if p.may_be_hot_spot]
    if not spots:
        return None, f"{text!r} is not a hot spot (add hot_spot to its kinds)"
    if len(spots) > 1:
        return None, f"two offices have a hot spot {text!r}: write OFFICE-CODE/{text}"
    office, place = spots[0]
    return HotSpotRef(office, place.name), ""


def _check_unique(
    keys: list[tuple[bool, str, Origin]], what: str, problems: list[Problem]
) -> None:
    seen: set[tuple[bool, str]] = set()
    for by_code, key, origin in keys:
        if (by_code, key) in seen:
            field_name = "code" if by_code else "name"
            problems.append(
                origin.problem(f"another {what} has the {field_name} {key!r}", field_name)
            )
        seen.add((by_code, key))


# --- writing ----------------------------------------------------------------------------------
HEADER = """\
# Mulan Patrol (木兰巡防): the organisation of a deployment.
# Apply it with `python bot.py apply FILE` (`--dry-run` shows the changes first; `--prune`
# deactivates what its stations no longer list, `--prune-stations` the stations it does not
# list); `python bot.py export-org FILE` writes it.
"""


def render_org_file(spec: OrgSpec) -> str:
    """The file for an organisation; reading it back gives an equal `OrgSpec`."""
    document = {"version": FORMAT_VERSION, "stations": [_station_data(s) for s in spec.stations]}
    return HEADER + dump_yaml(document)


def _station_data(station: StationSpec) -> dict[str, Any]:
    data: dict[str, Any] = _keyed(station.code, station.name)
    if station.shifts is not None:
        data["shifts"] = list(station.shifts)
    if station.settings:
        data["settings"] = {
            key: _setting_value(SETTINGS_BY_KEY[key], text)
            for key, text in station.settings.items()
        }
    data["offices"] = [_office_data(o) for o in station.offices]
    places = [(o.key, p) for o in station.offices for p in o.places]
    if station.peaks:
        data["peaks"] = [_peak_data(p, places) for p in station.peaks]
    return data


def _keyed(code: str | None, name: str) -> dict[str, Any]:
    return {"code": code, "name": name} if code is not None else {"name": name}


def _setting_value(spec: SettingSpec, text: str) -> str | int:
    """Numbers as numbers, everything else as its stored text (`22:00`, `180,300,300`)."""
    return int(text) if spec.type is SettingType.INT and re.fullmatch(r"-?\d+", text) else text


def _located(data: dict[str, Any], latitude: float | None, longitude: float | None) -> None:
    if latitude is not None and longitude is not None:
        data["latitude"] = latitude
        data["longitude"] = longitude


def _office_data(office: OfficeSpec) -> dict[str, Any]:
    data = _keyed(office.code, office.name)
    _located(data, office.latitude, office.longitude)
    data["places"] = [_place_data(p) for p in office.places]
    return data


def _place_data(place: PlaceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": place.name}
    if place.kinds is not None:
        data["kinds"] = [kind.value for kind in PlaceKind if kind in place.kinds]
    _located(data, place.latitude, place.longitude)
    if place.shifts is not None:
        data["shifts"] = list(place.shifts)
    if place.need is not None and (place.is_patrol_area or place.need != DEFAULT_NEED):
        data["need"] = place.need
    return data


def _peak_data(peak: PeakSpec, places: list[tuple[str, PlaceSpec]]) -> dict[str, Any]:
    names = []
    for ref in sorted(peak.hot_spots, key=lambda r: (r.office, r.place)):
        found, _ = resolve_hot_spot(ref.place, places)
        names.append(ref.place if found == ref else f"{ref.office}/{ref.place}")
    return {
        "name": peak.name,
        "start": peak.start.isoformat(),
        "end": peak.end.isoformat(),
        "level": peak.level.value,
        "hot_spots": names,
    }
