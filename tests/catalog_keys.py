"""Every message key the code uses, found by reading the code's syntax tree.

A key is a dotted lower-case string literal (`onboarding.ask_name`) whose first part is one of
the catalogs' namespaces; `DomainError("code")` uses `error.code`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot.py", "cli", "handlers", "models", "scheduler", "locales")
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def python_files() -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def used_keys(namespaces: Iterable[str]) -> dict[str, str]:
    """key -> where it is first used."""
    spaces = set(namespaces)
    found: dict[str, str] = {}
    for path in python_files():
        where = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                first = node.args[0]
                if (
                    name == "DomainError"
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                ):
                    found.setdefault(f"error.{first.value}", f"{where}:{node.lineno}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if KEY.match(text) and text.split(".", 1)[0] in spaces:
                    found.setdefault(text, f"{where}:{node.lineno}")
    return found


if __name__ == "__main__":
    import sys

    for key, where in sorted(used_keys(sys.argv[1:]).items()):
        print(f"{key}\t{where}")
