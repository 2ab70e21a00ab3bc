"""Translations: gettext catalogs per locale (read with Babel at start) and `t()`.

Message ids are stable keys (`onboarding.ask_name`); every key has a text in every locale.
Parameters are HTML-escaped unless wrapped in `Html`, because messages go out as HTML.
"""

from __future__ import annotations

import gettext
import html
import string
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path

from babel.dates import format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES: tuple[str, ...] = ("zh_CN", "en")
NATIVE_NAMES: Mapping[str, str] = {"zh_CN": "中文", "en": "English"}
CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"


class Html(str):
    """Text that is already safe HTML (built from translated pieces and escaped values)."""

    __slots__ = ()


def N_(key: str) -> str:
    """Mark a key for extraction where it is looked up later (tables of labels)."""
    return key


def pick_locale(stored: str | None, language_code: str | None, default: str) -> str:
    """The stored choice, else Telegram's language (`zh*` is Chinese), else the default."""
    if stored in LOCALES:
        return stored
    if language_code:
        code = language_code.lower()
        if code.startswith("zh"):
            return "zh_CN"
        if code.startswith("en"):
            return "en"
    return default if default in LOCALES else LOCALES[0]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Translator:
    """Looks keys up in the loaded catalogs and fills their placeholders."""

    def __init__(
        self,
        catalogs: Mapping[str, Mapping[str, str]],
        default: str,
        plurals: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
        plural_index: Mapping[str, Callable[[int], int]] | None = None,
    ) -> None:
        self.catalogs = catalogs  # key -> text (a plural entry: its first form)
        self.default = default
        # key -> every form of a plural entry, and which form a number takes, per locale
        self.plurals = plurals or {}
        self.plural_index = plural_index or {}

    @classmethod
    def load(cls, default: str, directory: Path = CATALOG_DIR) -> Translator:
        catalogs: dict[str, dict[str, str]] = {}
        plurals: dict[str, dict[str, tuple[str, ...]]] = {}
        index: dict[str, Callable[[int], int]] = {}
        for locale in LOCALES:
            path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            catalogs[locale], plurals[locale] = {}, {}
            for m in catalog:
                if not m.id:
                    continue
                if isinstance(m.id, tuple):  # msgid_plural: the forms of the language
                    forms = tuple(str(f) for f in m.string or ())
                    plurals[locale][str(m.id[0])] = forms
                    catalogs[locale][str(m.id[0])] = forms[0]
                elif isinstance(m.string, str):
                    catalogs[locale][str(m.id)] = m.string
            index[locale] = gettext.c2py(catalog.plural_expr)
        return cls(catalogs, default, plurals, index)

    def text(self, locale: str, key: str, /, **params: object) -> Html:
        """The text for `key` in `locale` (falling back to the default locale, then the key)."""
        text = self.catalogs.get(locale, {}).get(key) or self.catalogs[self.default].get(key)
        if not text:
            return Html(html.escape(key))
        forms = self.plurals.get(locale, {}).get(key)
        count = params.get("count")
        if forms and isinstance(count, int):  # "1 photo", "3 photos"
            which = self.plural_index[locale](count)
            text = forms[min(which, len(forms) - 1)]
        safe = {
            name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
            for name, value in params.items()
        }
        return Html(text.format_map(safe))

    def plain(self, locale: str, key: str, /) -> str:
        """The raw text for `key`, for button labels and command descriptions."""
        return self.catalogs.get(locale, {}).get(key) or self.catalogs[self.default].get(key, key)

    def all_labels(self, key: str) -> set[str]:
        """Every locale's text for `key`: how reply-keyboard presses are recognised."""
        return {self.plain(locale, key) for locale in LOCALES}

    def day(self, locale: str, day: date, with_year: bool = False) -> str:
        """A date as people write it: `11月23日` / `Nov 23` (with the year if asked)."""
        return str(format_skeleton("yMMMd" if with_year else "MMMd", day, locale=locale))

    def number(self, locale: str, value: float, decimals: int = 0) -> str:
        """A number with the locale's grouping, and up to `decimals` decimals."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
        return str(format_decimal(round(value, decimals), format=pattern, locale=locale))

    def keys(self) -> Iterable[str]:
        return self.catalogs[self.default].keys()
