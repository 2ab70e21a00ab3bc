"""Every message in the code exists, translated, in both catalogs with the same placeholders."""

from __future__ import annotations

from locales import LOCALES, Translator, placeholders
from tests.catalog_keys import used_keys


def _namespaces(translator: Translator) -> set[str]:
    return {key.split(".", 1)[0] for locale in LOCALES for key in translator.catalogs[locale]}


def test_every_used_key_is_translated_in_every_locale() -> None:
    translator = Translator.load("zh_CN")
    used = used_keys(_namespaces(translator))
    assert len(used) > 100
    missing = [
        f"{key} ({where}) missing in {locale}"
        for key, where in sorted(used.items())
        for locale in LOCALES
        if not translator.catalogs[locale].get(key, "").strip()
    ]
    assert missing == []


def test_no_catalog_entry_is_unused() -> None:
    translator = Translator.load("zh_CN")
    used = used_keys(_namespaces(translator))
    unused = sorted(set(translator.catalogs["zh_CN"]) - set(used))
    assert unused == []


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    translator = Translator.load("zh_CN")
    zh, en = translator.catalogs["zh_CN"], translator.catalogs["en"]
    assert set(zh) == set(en)
    differing = [key for key in zh if placeholders(zh[key]) != placeholders(en[key])]
    assert differing == []


def test_parameters_are_escaped_for_html() -> None:
    translator = Translator.load("zh_CN")
    text = translator.text("en", "onboarding.done", name="<i>x</i> & y", role="member")
    assert "&lt;i&gt;x&lt;/i&gt; &amp; y" in text


def test_plural_forms_have_every_form_of_each_language_and_agree() -> None:
    """A count in English takes "1 photo" / "3 photos"; Chinese has one form. Every plural
    entry is plural in both catalogs, with the language's number of forms and the same
    placeholders in each; no English text falls back on "(s)"."""
    translator = Translator.load("zh_CN")
    en, zh = translator.plurals["en"], translator.plurals["zh_CN"]
    assert en and set(en) == set(zh)
    for key in en:
        assert len(en[key]) == 2 and len(zh[key]) == 1, key
        assert len({frozenset(placeholders(f)) for f in (*en[key], *zh[key])}) == 1, key
    assert translator.text("en", "report.photos_done", count=1) == "✔️ 1 photo."
    assert translator.text("en", "report.photos_done", count=3) == "✔️ 3 photos."
    assert "3" in translator.text("zh_CN", "report.photos_done", count=3)
    assert not [k for k, t in translator.catalogs["en"].items() if "(s)" in t]
