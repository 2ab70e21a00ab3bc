"""WGS-84 ↔ GCJ-02 and the tile sources (models/geo.py), against published points and an
independent transcription of the widely published JavaScript `coordtransform` algorithm."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.geo import (
    AMAP,
    OSM,
    TIANDITU,
    TileSource,
    gcj02_to_wgs84,
    out_of_china,
    tile_source,
    to_tiles,
    wgs84_to_gcj02,
)

# -- the reference: `coordtransform`'s wgs84togcj02, line by line (its (lng, lat) order, its
# -- constants, its names), kept apart from the module on purpose.

PI = 3.1415926535897932384626
A = 6378245.0
EE = 0.00669342162296594323


def _js_transformlat(lng: float, lat: float) -> float:
    ret = -100.0 + 2.0 * lng + 3.0 * lat + 0.2 * lat * lat + 0.1 * lng * lat
    ret += 0.2 * math.sqrt(math.fabs(lng))
    ret += (20.0 * math.sin(6.0 * lng * PI) + 20.0 * math.sin(2.0 * lng * PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(lat * PI) + 40.0 * math.sin(lat / 3.0 * PI)) * 2.0 / 3.0
    ret += (160.0 * math.sin(lat / 12.0 * PI) + 320 * math.sin(lat * PI / 30.0)) * 2.0 / 3.0
    return ret


def _js_transformlng(lng: float, lat: float) -> float:
    ret = 300.0 + lng + 2.0 * lat + 0.1 * lng * lng + 0.1 * lng * lat
    ret += 0.1 * math.sqrt(math.fabs(lng))
    ret += (20.0 * math.sin(6.0 * lng * PI) + 20.0 * math.sin(2.0 * lng * PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(lng * PI) + 40.0 * math.sin(lng / 3.0 * PI)) * 2.0 / 3.0
    ret += (150.0 * math.sin(lng / 12.0 * PI) + 300.0 * math.sin(lng / 30.0 * PI)) * 2.0 / 3.0
    return ret


def _js_out_of_china(lng: float, lat: float) -> bool:
    return (lng < 72.004 or lng > 137.8347) or (lat < 0.8293 or lat > 55.8271)


def _js_wgs84togcj02(lng: float, lat: float) -> tuple[float, float]:
    if _js_out_of_china(lng, lat):
        return lng, lat
    dlat = _js_transformlat(lng - 105.0, lat - 35.0)
    dlng = _js_transformlng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * PI
    magic = math.sin(radlat)
    magic = 1 - EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * PI)
    dlng = (dlng * 180.0) / (A / sqrtmagic * math.cos(radlat) * PI)
    return lng + dlng, lat + dlat


def _js_gcj02towgs84(lng: float, lat: float) -> tuple[float, float]:
    """coordtransform's one-step inverse (what the module improves on)."""
    mglng, mglat = _js_wgs84togcj02(lng, lat)
    return lng * 2 - mglng, lat * 2 - mglat


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    d_lon = math.radians(b[1] - a[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_lon / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


# (name, WGS-84 (lat, lon), GCJ-02 (lat, lon) to 6 decimals by the reference above)
CHINA = [
    ("Beijing, Tiananmen", (39.908692, 116.397477), (39.910095, 116.403721)),
    ("Shanghai, People's Square", (31.2304, 121.4737), (31.228458, 121.478223)),
    ("Urumqi", (43.8256, 87.6168), (43.826805, 87.619650)),
    ("Kunming", (25.0389, 102.7183), (25.035935, 102.719752)),
    ("Harbin", (45.8038, 126.5350), (45.805782, 126.541040)),
    ("Shanxi, a county near Taiyuan", (37.87, 112.55), (37.870523, 112.556297)),
]
ABROAD = [("Tokyo", (35.6812, 139.7671)), ("London", (51.5074, -0.1278))]


def test_the_published_tiananmen_pair() -> None:
    """The pair quoted everywhere: WGS-84 (39.908692, 116.397477) is about
    (39.910092, 116.403719) on AMap — within half a metre."""
    lat, lon = wgs84_to_gcj02(39.908692, 116.397477)
    assert lat == pytest.approx(39.910092, abs=1e-5)
    assert lon == pytest.approx(116.403719, abs=1e-5)
    assert _metres((lat, lon), (39.910092, 116.403719)) < 0.5


@pytest.mark.parametrize(("name", "wgs", "gcj"), CHINA, ids=[c[0] for c in CHINA])
def test_points_across_china(
    name: str, wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    # the independent reference agrees with the table ...
    js_lng, js_lat = _js_wgs84togcj02(wgs[1], wgs[0])
    assert (js_lat, js_lng) == pytest.approx(gcj, abs=1e-6)
    # ... and the module with the reference, to rounding
    got = wgs84_to_gcj02(*wgs)
    assert got == pytest.approx((js_lat, js_lng), abs=1e-12)
    assert not out_of_china(*wgs)
    # the shift is the familiar few hundred metres, never nothing, never kilometres
    assert 100 < _metres(wgs, got) < 700, name
    # and back, to better than 1e-6° (the one-step inverse is not that good everywhere)
    back = gcj02_to_wgs84(*got)
    assert back == pytest.approx(wgs, abs=1e-6)
    one_step = _js_gcj02towgs84(got[1], got[0])
    assert _metres(back, wgs) <= _metres((one_step[1], one_step[0]), wgs)


@pytest.mark.parametrize(("name", "wgs"), ABROAD, ids=[a[0] for a in ABROAD])
def test_no_shift_outside_china(name: str, wgs: tuple[float, float]) -> None:
    assert out_of_china(*wgs)
    assert wgs84_to_gcj02(*wgs) == wgs
    assert gcj02_to_wgs84(*wgs) == wgs
    js_lng, js_lat = _js_wgs84togcj02(wgs[1], wgs[0])
    assert (js_lat, js_lng) == wgs


def test_the_box_edges_agree_with_the_reference() -> None:
    edges = [(0.8293, 100.0), (0.8292, 100.0), (55.8271, 120.0), (55.8272, 120.0),
             (30.0, 72.004), (30.0, 72.0039), (30.0, 137.8347), (30.0, 137.8348)]  # fmt: skip
    for lat, lon in edges:
        assert out_of_china(lat, lon) == _js_out_of_china(lon, lat), (lat, lon)
        js_lng, js_lat = _js_wgs84togcj02(lon, lat)
        assert wgs84_to_gcj02(lat, lon) == pytest.approx((js_lat, js_lng), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(min_value=18.0, max_value=53.5),
    lon=st.floats(min_value=73.5, max_value=135.0),
)
def test_round_trip_anywhere_in_china(lat: float, lon: float) -> None:
    gcj = wgs84_to_gcj02(lat, lon)
    js_lng, js_lat = _js_wgs84togcj02(lon, lat)
    assert gcj == pytest.approx((js_lat, js_lng), abs=1e-12)
    assert _metres((lat, lon), gcj) < 1000
    back = gcj02_to_wgs84(*gcj)
    assert abs(back[0] - lat) < 1e-6 and abs(back[1] - lon) < 1e-6


def test_to_tiles_converts_only_for_gcj02_tiles() -> None:
    tiananmen = (39.908692, 116.397477)
    assert to_tiles(*tiananmen, OSM.crs) == tiananmen
    assert to_tiles(*tiananmen, TIANDITU.crs) == tiananmen
    assert to_tiles(*tiananmen, AMAP.crs) == wgs84_to_gcj02(*tiananmen)
    assert to_tiles(*ABROAD[0][1], AMAP.crs) == ABROAD[0][1]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(91.0, 100.0), (-91.0, 0.0), (30.0, 181.0), (math.nan, 100.0), (30.0, math.inf)],
)
def test_a_point_that_is_not_on_earth_is_refused(lat: float, lon: float) -> None:
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84):
        with pytest.raises(ValueError, match="not a coordinate"):
            convert(lat, lon)
    with pytest.raises(ValueError, match="not a coordinate"):
        to_tiles(lat, lon, "wgs84")


def test_the_tile_sources() -> None:
    assert OSM.tile_url(3, 6, 2) == "https://tile.openstreetmap.org/3/6/2.png"
    assert (OSM.crs, TIANDITU.crs, AMAP.crs) == ("wgs84", "wgs84", "gcj02")
    assert AMAP.tile_url(12, 3372, 1552) == (
        "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x=3372&y=1552&z=12"
    )
    assert all(source.attribution for source in (OSM, TIANDITU, AMAP))
    # the deepest zoom the board's map offers: OpenStreetMap draws one level more
    assert (OSM.max_zoom, TIANDITU.max_zoom, AMAP.max_zoom) == (19, 18, 18)
    # Tianditu needs its key before a tile can be fetched; the constant keeps none
    assert TIANDITU.needs_key and not OSM.needs_key and not AMAP.needs_key
    with pytest.raises(ValueError, match="key first"):
        TIANDITU.tile_url(1, 0, 0)
    keyed = TIANDITU.with_key("0123456789abcdef0123456789abcdef")
    url = keyed.tile_url(12, 3372, 1552)
    assert url.startswith("https://t0.tianditu.gov.cn/vec_w/wmts?")
    assert "TILEMATRIX=12&TILEROW=1552&TILECOL=3372&tk=0123456789abcdef0123456789abcdef" in url
    assert TIANDITU.needs_key and not keyed.needs_key  # the constant is unchanged
    # Tianditu's names are a layer of their own (cva), on the same host, with the same key
    assert keyed.labels_template.startswith("https://t{s}.tianditu.gov.cn/cva_w/wmts?")
    assert keyed.labels_template.endswith("&tk=0123456789abcdef0123456789abcdef")
    assert OSM.labels_template == "" and AMAP.labels_template == ""
    for bad in ("", "a&b=c", "键"):
        with pytest.raises(ValueError, match="letters and digits"):
            TIANDITU.with_key(bad)
    with pytest.raises(ValueError, match="takes no key"):
        OSM.with_key("abc")


@pytest.mark.parametrize(
    "template",
    [
        "http://tile.openstreetmap.org/{z}/{x}/{y}.png",  # not https
        "https://tile.openstreetmap.org/{z}/{x}.png",  # no {y}
        "https://tile.example.org/{z}/{x}/{y}.png?key={apikey}",  # an unknown placeholder
        "https://{s}.tile.example.org/{z}/{x}/{y}.png",  # {s} without subdomains
    ],
)
def test_a_bad_tile_source_is_refused(template: str) -> None:
    with pytest.raises(ValidationError):
        TileSource(url_template=template, crs="wgs84", attribution="x")
    with pytest.raises(ValidationError):
        TileSource(url_template=OSM.url_template, crs="wgs84", attribution="x", subdomains="ab")
    with pytest.raises(ValidationError):
        TileSource.model_validate(
            {"url_template": OSM.url_template, "crs": "bd09", "attribution": "x"}
        )


def test_a_tile_source_of_ones_own() -> None:
    """`PATROL_WEBAPP_TILES` may be a template of the county's own tile server, in its CRS."""
    own = tile_source("https://tiles.county.example/gcj/{z}/{x}/{y}.png", "gcj02")
    assert own.crs == "gcj02" and own.attribution == "tiles.county.example"
    assert tile_source("amap") is AMAP and tile_source("osm") is OSM
    for bad in ("http://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/{z}/{x}"):
        with pytest.raises(ValueError):
            tile_source(bad)
    with pytest.raises(ValueError, match="base layer's host"):
        TileSource(
            url_template="https://a.example/{z}/{x}/{y}.png",
            labels_template="https://b.example/{z}/{x}/{y}.png",
            crs="wgs84",
            attribution="a",
        )
