"""Anti-fraud tips and the "is this a scam?" matcher. The tips and the patterns are data
(`locales/fraud/*.json`), not code; the matcher never claims certainty."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "locales" / "fraud"
TELEGRAM_LIMIT = 4096


@dataclass(frozen=True)
class ShippedTip:
    key: str
    scam_type: str
    zh: str
    en: str


@dataclass(frozen=True)
class ScamMatch:
    scam_type: str
    tip_key: str
    hits: tuple[str, ...]


def shipped_tips(path: Path = DATA / "library.json") -> list[ShippedTip]:
    raw: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return [ShippedTip(t["key"], t["type"], t["zh"], t["en"]) for t in raw]


class Matcher:
    """Keyword patterns per scam type, in Chinese and English; the type with the most
    distinct hits wins if it reaches the threshold."""

    def __init__(self, patterns: dict[str, Any]) -> None:
        self.threshold = int(patterns.get("threshold", 2))
        self.types: dict[str, tuple[str, tuple[str, ...]]] = {
            name: (spec["tip"], tuple(k.lower() for k in spec.get("zh", []) + spec.get("en", [])))
            for name, spec in patterns["types"].items()
        }

    @classmethod
    def load(cls, path: Path = DATA / "patterns.json") -> Matcher:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def match(self, text: str) -> ScamMatch | None:
        normal = _normal(text)
        best: ScamMatch | None = None
        for name, (tip, keywords) in self.types.items():
            hits = tuple(k for k in keywords if _contains(normal, k))
            if len(hits) >= self.threshold and (best is None or len(hits) > len(best.hits)):
                best = ScamMatch(name, tip, hits)
        return best


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", folded)


def _contains(text: str, keyword: str) -> bool:
    if keyword.isascii():
        return re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", text) is not None
    return keyword in text


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
