"""Where a point is drawn on a map tile: WGS-84 ↔ GCJ-02, and the tile sources of the board.

Telegram locations (a shared location, a live location) are WGS-84, like GPS. Maps published
in mainland China are not: by regulation their coordinates are GCJ-02 ("Mars coordinates",
火星坐标), WGS-84 put through a deliberately obfuscating, non-linear shift of a few hundred
metres. AMap (高德) tiles are drawn in GCJ-02, so a WGS-84 point put on them unconverted lands
on the wrong street; OpenStreetMap and 天地图 (Tianditu, CGCS2000, which agrees with WGS-84 to
well under a metre) are drawn in WGS-84 and need no conversion. The board therefore stores
and receives WGS-84 only and converts at the last moment, for the tile source in use
(`to_tiles`).

The transform is the one every open implementation publishes (e.g. the JavaScript
`coordtransform`): the Krasovsky 1940 ellipsoid (a = 6378245.0, e² = 0.00669342162296594323)
and the two empirical polynomials `_transform_lat` / `_transform_lon`, offset from (35°N,
105°E). GCJ-02 has no closed-form inverse; `gcj02_to_wgs84` iterates the forward transform
(its Jacobian is close to the identity, so each step gains about three digits) to better
than 1e-6° (about 0.1 m). Outside China's bounding box the standard implementations apply no
shift, and neither does this one (`out_of_china`); the box is coarse (it takes in Seoul, for
one) but it is what every GCJ-02 map agrees on.

Pure: no I/O; arguments are (lat, lon) in degrees, in that order, everywhere.
"""

from __future__ import annotations

import math
from string import Formatter
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

Crs = Literal["wgs84", "gcj02"]

# Krasovsky 1940: the semi-major axis (m) and the first eccentricity squared.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323

# The bounding box of the standard implementations (degrees).
_MIN_LON, _MAX_LON = 72.004, 137.8347
_MIN_LAT, _MAX_LAT = 0.8293, 55.8271

# The inverse stops when a step moves the point less than this (degrees; ~1 mm) ...
_INVERSE_TOLERANCE: Final = 1e-9
# ... which takes 3–4 steps in China; the cap only guards against a bug.
_INVERSE_MAX_STEPS: Final = 30


def _checked(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"not a coordinate: ({lat}, {lon})")


def out_of_china(lat: float, lon: float) -> bool:
    """Outside the box where GCJ-02 applies (the standard implementations' box)."""
    return not (_MIN_LON <= lon <= _MAX_LON and _MIN_LAT <= lat <= _MAX_LAT)


def _transform_lat(x: float, y: float) -> float:
    """The published latitude polynomial, of x = lon - 105, y = lat - 35 (in "metres")."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (
        (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    return ret


def _transform_lon(x: float, y: float) -> float:
    """The published longitude polynomial, of x = lon - 105, y = lat - 35."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    return ret


def _shift(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point (degrees): the polynomials' metres turned into
    degrees on the Krasovsky ellipsoid (meridian and parallel radii of curvature)."""
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 (lat, lon) of a WGS-84 point; unchanged outside China."""
    _checked(lat, lon)
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _shift(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """The WGS-84 (lat, lon) whose GCJ-02 is the given point, to better than 1e-6°.

    Iterates w ← w − (gcj(w) − target) from w = target. (The one-step inverse many libraries
    ship, target − shift(target), is off by up to a few metres.)"""
    _checked(lat, lon)
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(_INVERSE_MAX_STEPS):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        err_lat, err_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - err_lat, w_lon - err_lon
        if abs(err_lat) < _INVERSE_TOLERANCE and abs(err_lon) < _INVERSE_TOLERANCE:
            break
    return w_lat, w_lon


def to_tiles(lat: float, lon: float, crs: Crs) -> tuple[float, float]:
    """A WGS-84 point (what Telegram sends, what the bot stores) in the coordinates of tiles
    drawn in `crs`: where to put the marker on that map."""
    if crs == "gcj02":
        return wgs84_to_gcj02(lat, lon)
    _checked(lat, lon)
    return lat, lon


_PLACEHOLDERS: Final = frozenset({"z", "x", "y", "s", "tk"})


def _host(template: str) -> str:
    return template.split("/")[2]


class TileSource(BaseModel):
    """A raster tile layer as the board's map (Leaflet's `L.tileLayer`) takes it.

    `url_template` has {z}/{x}/{y}, optionally {s} (one of `subdomains`, to spread the load)
    and {tk} (an API key, filled in by `with_key`: Tianditu refuses tiles without one).
    `crs` says which coordinates the tiles are drawn in, so markers go through `to_tiles`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url_template: str
    crs: Crs
    attribution: str
    subdomains: str = ""
    max_zoom: int = 18
    # the place names drawn over the base layer, from the same host (Tianditu's base layer
    # has none: its names are a layer of their own); empty: the base layer has them
    labels_template: str = ""

    @field_validator("url_template", "labels_template")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if value == "":
            return value
        if not value.startswith("https://"):
            raise ValueError("tiles are fetched over https (the Mini App page is https)")
        names = {name for _, name, _, _ in Formatter().parse(value) if name is not None}
        if not {"z", "x", "y"} <= names or not names <= _PLACEHOLDERS:
            raise ValueError("the template needs {z}, {x}, {y}; may have {s}, {tk}; no other")
        return value

    @model_validator(mode="after")
    def _subdomains_for_s(self) -> TileSource:
        if ("{s}" in self.url_template) != bool(self.subdomains):
            raise ValueError("{s} in the template and subdomains go together")
        if self.labels_template and _host(self.labels_template) != _host(self.url_template):
            raise ValueError("the labels come from the base layer's host")
        return self

    @property
    def needs_key(self) -> bool:
        return "{tk}" in self.url_template

    def with_key(self, tk: str) -> TileSource:
        """The same source with its API key in the URL (kept out of the constants: a key
        is a secret of the deployment, read from its settings)."""
        if not self.needs_key:
            raise ValueError("this source takes no key")
        if not tk or not tk.isalnum() or not tk.isascii():
            raise ValueError("a tile key is letters and digits")
        return self.model_copy(
            update={
                "url_template": self.url_template.replace("{tk}", tk),
                "labels_template": self.labels_template.replace("{tk}", tk),
            }
        )

    def tile_url(self, z: int, x: int, y: int) -> str:
        """One tile's URL (the first subdomain): what the browser will fetch, for checks."""
        if self.needs_key:
            raise ValueError("fill in the key first (with_key)")
        s = self.subdomains[:1]
        return self.url_template.format(z=z, x=x, y=y, s=s)


# The default: OpenStreetMap's standard tiles, WGS-84 (their usage policy asks for the
# attribution and no subdomains).
OSM: Final = TileSource(
    url_template="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    crs="wgs84",
    attribution="© OpenStreetMap contributors",
    max_zoom=19,
)

# 天地图 (Tianditu), the national map service: the vector layer in Web Mercator ("_w"),
# CGCS2000, so WGS-84 points go on it as they are, and its names ("cva", 矢量注记) over it.
# Needs a developer key (`tk`).
TIANDITU: Final = TileSource(
    url_template=(
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
    ),
    labels_template=(
        "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
    ),
    crs="wgs84",
    attribution="© 天地图 (Tianditu)",
    subdomains="01234567",
)

# AMap (高德) road map tiles: drawn in GCJ-02, so markers go through wgs84_to_gcj02.
AMAP: Final = TileSource(
    url_template=(
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}"
    ),
    crs="gcj02",
    attribution="© 高德地图 (AMap)",
    subdomains="1234",
)

PRESETS: Final = {"osm": OSM, "tianditu": TIANDITU, "amap": AMAP}


def tile_source(setting: str, crs: Crs = "wgs84", attribution: str = "") -> TileSource:
    """The deployment's tiles: a preset's name, or a URL template of its own (a county's tile
    server on its intranet, another provider) drawn in `crs` — {z}/{x}/{y}, optionally {tk}
    for the key; no {s} (a template of one host)."""
    if setting in PRESETS:
        return PRESETS[setting]
    host = _host(setting) if setting.count("/") >= 2 else setting
    return TileSource(url_template=setting, crs=crs, attribution=attribution or host)
