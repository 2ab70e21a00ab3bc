"""What the board ships to a phone: our own files and Leaflet's, vendored with its licence
(nothing fetched from a CDN at run time), under 300 KB of JS and CSS gzipped."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
BUDGET = 300 * 1024


def test_the_shipped_scripts_and_styles_stay_under_300_kb_gzipped() -> None:
    shipped = [p for p in WEBAPP.rglob("*") if p.suffix in (".js", ".css")]
    assert {p.name for p in shipped} >= {"app.js", "app.css", "leaflet.js", "leaflet.css"}
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in shipped)
    assert total < BUDGET, f"{total} bytes gzipped"


def test_the_page_loads_nothing_from_elsewhere_but_telegrams_script() -> None:
    page = (WEBAPP / "index.html").read_text(encoding="utf-8")
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == ["https://telegram.org/js/telegram-web-app.js"]
    for script in WEBAPP.rglob("*.js"):
        if "vendor" in script.parts:
            continue
        assert "http://" not in script.read_text() and "https://" not in script.read_text()
    assert (WEBAPP / "vendor" / "leaflet" / "LICENSE").exists()
