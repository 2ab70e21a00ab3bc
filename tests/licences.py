"""Every runtime dependency of the bot (the installed closure of `mulan-patrol`'s
requirements, test tools excluded) and its licence, from the installed metadata:
`python -m tests.licences` prints docs/licenses.md."""

from __future__ import annotations

import email.message
import re
from importlib import metadata
from typing import cast

from packaging.requirements import Requirement

# Licences that let a county run, copy and hand on the bot with its dependencies.
ALLOWED = {
    "MIT", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "Apache-2.0", "PSF-2.0", "ISC", "Zlib",
    "CC0-1.0", "MPL-2.0", "HPND", "MIT-CMU",
    "LGPL-3.0-only",  # python-telegram-bot: used as a library, unmodified, replaceable
}  # fmt: skip
# Each runtime dependency's licence as someone read it (SPDX). A new dependency fails the
# test until it is read and added here; the declared metadata must still say so (a word of
# the reviewed licence appears in it), so a licence change upstream fails it too.
REVIEWED = {
    "aiolimiter": "MIT",
    "aiosqlite": "MIT",
    "annotated-types": "MIT",
    "anyio": "MIT",
    "apscheduler": "MIT",
    "babel": "BSD-3-Clause",
    "certifi": "MPL-2.0",
    "chinesecalendar": "MIT",
    "contourpy": "BSD-3-Clause",
    "cycler": "BSD-3-Clause",
    "et-xmlfile": "MIT",
    "fonttools": "MIT",
    "h11": "MIT",
    "holidays": "MIT",
    "httpcore": "BSD-3-Clause",
    "httpx": "BSD-3-Clause",
    "idna": "BSD-3-Clause",
    "kiwisolver": "BSD-3-Clause",
    "matplotlib": "PSF-2.0",  # matplotlib's own, PSF-based licence
    "numpy": "BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0",
    "openpyxl": "MIT",
    "packaging": "Apache-2.0 OR BSD-2-Clause",
    "pillow": "MIT-CMU",
    "pydantic": "MIT",
    "pydantic-core": "MIT",
    "pydantic-settings": "MIT",
    "pyparsing": "MIT",
    "python-dateutil": "Apache-2.0 OR BSD-3-Clause",
    "python-dotenv": "BSD-3-Clause",
    "python-telegram-bot": "LGPL-3.0-only",
    "pyyaml": "MIT",
    "qrcode": "BSD-3-Clause",
    "six": "MIT",
    "socksio": "MIT",
    "tornado": "Apache-2.0",
    "typing-extensions": "PSF-2.0",
    "typing-inspection": "MIT",
    "tzlocal": "MIT",
}
# what the declared metadata says for each reviewed licence
WORDS = {
    "MIT": ("MIT",),
    "BSD-2-Clause": ("BSD",),
    "BSD-3-Clause": ("BSD",),
    "Apache-2.0": ("Apache",),
    "PSF-2.0": ("PSF", "Python Software Foundation"),
    "MPL-2.0": ("MPL", "Mozilla"),
    "MIT-CMU": ("MIT-CMU", "HPND"),
    "LGPL-3.0-only": ("LGPL", "Lesser General Public"),
}


def parts(spdx: str) -> list[str]:
    return [p.strip("() ") for p in re.split(r"\s+(?:AND|OR|WITH)\s+", spdx)]


def consistent(declared: str, reviewed: str) -> bool:
    """The declared licence names the reviewed one (its first part's words)."""
    words = WORDS.get(parts(reviewed)[0], (parts(reviewed)[0],))
    return any(word.lower() in declared.lower() for word in words)


def runtime_closure(root: str = "mulan-patrol") -> dict[str, str]:
    """name -> version of every distribution the bot needs at run time."""
    found: dict[str, str] = {}
    queue: list[tuple[str, set[str]]] = [(root, set())]
    while queue:
        name, extras = queue.pop()
        dist = metadata.distribution(name)
        key = _norm(dist.metadata["Name"])
        if key in found and not extras:
            continue
        found[key] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None:
                wanted = extras or {""}
                if not any(marker.evaluate({"extra": extra}) for extra in wanted):
                    continue
            if name == root and requirement.marker is not None and "extra" in str(marker):
                continue  # the test tools
            if _norm(requirement.name) not in found or requirement.extras:
                queue.append((requirement.name, set(requirement.extras)))
    found.pop(_norm(root), None)
    return dict(sorted(found.items()))


def licence_of(name: str) -> str:
    """The licence as the distribution declares it (expression, field or classifier)."""
    # an email.message.Message at run time; the 3.11 PackageMetadata protocol lacks .get
    meta = cast(email.message.Message, metadata.distribution(name).metadata)
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    field = (meta.get("License") or "").strip().splitlines()
    short = field[0].strip() if field and len(field[0]) < 80 else ""
    return " / ".join(x for x in [*classifiers, short] if x) or "UNKNOWN"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def table() -> str:
    lines = [
        "# Licences of the runtime dependencies",
        "",
        "Generated from the installed metadata by `python -m tests.licences` (the versions of",
        "`requirements.lock`); `tests/test_licences.py` fails when a runtime dependency's",
        "licence is not on its allowed list or this page does not list it. The chart font,",
        "Noto Sans CJK SC, ships in `models/fonts/` under the SIL Open Font License 1.1",
        "(`models/fonts/OFL.txt`).",
        "",
        "| package | version | licence (SPDX, as reviewed) | as the package declares it |",
        "|---|---|---|---|",
    ]
    for name, version in runtime_closure().items():
        reviewed = REVIEWED.get(name, "NOT REVIEWED")
        lines.append(f"| {name} | {version} | {reviewed} | {licence_of(name)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
