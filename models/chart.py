"""The statistics picture: reports per day (or week) stacked by category, and the median time
to acknowledge per office. A pure function of a JSON-able spec whose words are already in
the reader's language, so the outbox can keep the spec and draw it when it sends (in a
worker thread, never on the event loop, never while the database is held).

Drawn with matplotlib's Agg backend and Noto Sans CJK SC (SIL Open Font License 1.1, shipped
unmodified in `models/fonts/` with its licence), which has every Chinese, Latin and digit
glyph the labels use.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg  # no pyplot, no GUI backend
from matplotlib.figure import Figure

FONT_FILE = "NotoSansCJKsc-Regular.otf"
# one colour per report category, stable across pictures
COLOURS = {
    "dispute": "#d62728",
    "hazard": "#ff7f0e",
    "suspicious": "#8c564b",
    "fraud": "#9467bd",
    "public_order": "#1f77b4",
    "traffic": "#17becf",
    "fire": "#e377c2",
    "missing": "#bcbd22",
    "information": "#2ca02c",
    "help": "#7f7f7f",
    "other": "#c7c7c7",
}
_lock = threading.Lock()  # matplotlib's font cache is shared: one drawing at a time


@cache
def font_path() -> Path:
    """The CJK font shipped with the bot (package data of `models`)."""
    path = Path(__file__).parent / "fonts" / FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"{path} is missing")
    return path


@cache
def _family() -> str:
    font_manager.fontManager.addfont(str(font_path()))
    return str(font_manager.FontProperties(fname=str(font_path())).get_name())


def render(spec: dict[str, Any]) -> bytes:
    """The PNG for a chart spec (see `scheduler/stats.py` for how one is built)."""
    with (
        _lock,
        matplotlib.rc_context(
            {
                # names people typed are text, never TeX: "$" draws as a dollar sign
                "text.parse_math": False,
                # the CJK font first; DejaVu Sans (shipped with matplotlib) for other symbols
                "font.family": [_family(), "DejaVu Sans"],
                "axes.unicode_minus": False,
                "font.size": 10,
            }
        ),
    ):
        figure = Figure(figsize=(11, 5), dpi=110, layout="constrained")
        FigureCanvasAgg(figure)
        left, right = figure.subplots(1, 2, width_ratios=[3, 2])
        figure.suptitle(spec["title"], fontsize=14)
        _daily(left, spec)
        _units(right, spec)
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()


def _daily(axes: Any, spec: dict[str, Any]) -> None:
    labels: list[str] = spec["buckets"]
    positions = range(len(labels))
    bottom = [0] * len(labels)
    for series in spec["series"]:
        values = series["values"]
        axes.bar(
            positions,
            values,
            bottom=bottom,
            label=series["label"],
            color=COLOURS.get(series["category"], "#999999"),
            width=0.8,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(spec["daily_title"])
    axes.set_ylabel(spec["daily_axis"])
    step = max(1, len(labels) // 12)  # at most a dozen labels under the bars
    axes.set_xticks(list(positions)[::step], labels[::step], rotation=45, ha="right")
    axes.yaxis.get_major_locator().set_params(integer=True)
    if spec["series"]:  # under the picture, where it hides no bar
        axes.figure.legend(
            loc="outside lower center", ncols=min(6, len(spec["series"])), frameon=False
        )
    axes.spines[["top", "right"]].set_visible(False)


def _units(axes: Any, spec: dict[str, Any]) -> None:
    names: list[str] = spec["units"]
    values = [v if v is not None else 0 for v in spec["ack_minutes"]]
    positions = range(len(names))
    axes.barh(positions, values, color="#1f77b4", height=0.6)
    for index, (value, shown) in enumerate(
        zip(spec["ack_minutes"], spec["ack_text"], strict=True)
    ):
        axes.text((value or 0) + max([*values, 1]) * 0.02, index, shown, va="center", fontsize=9)
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.set_title(spec["units_title"])
    axes.set_xlabel(spec["units_axis"])
    axes.set_xlim(0, max([*values, 1]) * 1.3)
    axes.spines[["top", "right"]].set_visible(False)
