"""Every user-visible string has its Finnish translation, and the compiled catalogue is current.

The strings are collected the way makemessages collects them (Python calls of the gettext
family, templates through Django's own templatize), but in-process and without GNU gettext,
so the check takes a second and fails the moment a string is added without its translation.
"""

from __future__ import annotations

import ast
import functools
import gettext as gnu_gettext
import re
from pathlib import Path

from django.utils.translation.template import templatize

from tests.source_trees import parsed

PACKAGE = Path(__file__).resolve().parent.parent / "rekisteri"
PO_FILE = PACKAGE / "locale" / "fi" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# Function name -> positions of (context, singular, plural) among its arguments, as
# makemessages tells xgettext (plus xgettext's own defaults for Python).
_KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


# --- The catalogue --------------------------------------------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text)  # a PO string is a C string; these hold no octal escapes


def parse_po(path: Path) -> list[dict]:
    """The entries of a PO file: msgctxt, msgid, msgid_plural, msgstr (a list) and flags."""
    entries: list[dict] = []
    entry: dict = {"flags": set()}
    field = ""

    def finish():
        nonlocal entry
        if "msgid" in entry:
            plural_forms = sorted(key for key in entry if key.startswith("msgstr["))
            entry["msgstr"] = [entry.pop(key) for key in plural_forms] or [entry.get("msgstr", "")]
            entries.append(entry)
            entry = {"flags": set()}

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or (line.startswith("#") and not line.startswith("#,")):
            continue
        if line.startswith("#,"):
            finish()
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith('"'):
            entry[field] += _unquote(line)
        else:
            field, _, rest = line.partition(" ")
            if field in ("msgctxt", "msgid") and any(key.startswith("msgstr") for key in entry):
                finish()
            entry[field] = _unquote(rest)
    finish()
    return entries


# --- The source -----------------------------------------------------------------------------


def _literal(args: list[ast.expr], index: int | None) -> str | None:
    if index is None or index >= len(args):
        return None
    arg = args[index]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _python_messages(path: Path) -> set[tuple[str | None, str, str | None]]:
    found = set()
    for node in ast.walk(parsed(path)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in _KEYWORDS:
            continue
        context, singular, plural = (_literal(node.args, index) for index in _KEYWORDS[name])
        if singular is None or (_KEYWORDS[name][0] is not None and context is None):
            continue  # a variable: nothing to collect, as for xgettext
        found.add((context, singular, plural))
    return found


_TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(")


def _template_messages(path: Path) -> set[tuple[str | None, str, str | None]]:
    """templatize turns a template into Python-like text whose gettext calls xgettext reads."""
    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for match in _TEMPLATE_CALL.finditer(text):
        start = match.start()
        end = text.find(")", match.end())
        while end != -1:
            try:
                call = ast.parse(text[start : end + 1], mode="eval").body
            except SyntaxError:
                end = text.find(")", end + 1)
                continue
            break
        else:
            raise AssertionError(f"{path}: cannot read the call at {start}")
        args = [
            arg.value for arg in call.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        name = match.group(1)
        if name == "gettext":
            found.add((None, args[0], None))
        elif name == "ngettext":
            found.add((None, args[0], args[1]))
        elif name == "pgettext":
            found.add((args[0], args[1], None))
        else:
            found.add((args[0], args[1], args[2]))
    return found


@functools.cache
def source_messages() -> dict[tuple[str | None, str], tuple[str | None, Path]]:
    messages: dict[tuple[str | None, str], tuple[str | None, Path]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for context, msgid, plural in _python_messages(path):
            messages[(context, msgid)] = (plural, path)
    for path in sorted((PACKAGE / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            for context, msgid, plural in _template_messages(path):
                messages[(context, msgid)] = (plural, path)
    return messages


# --- The tests ------------------------------------------------------------------------------


def test_every_entry_of_the_catalogue_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO_FILE)
    assert len(entries) > 500
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    untranslated = [e["msgid"] for e in entries if e["msgid"] and not all(s.strip() for s in e["msgstr"])]
    assert not untranslated, f"entries without a Finnish translation: {untranslated}"
    keys = [(e.get("msgctxt"), e["msgid"]) for e in entries]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"entries listed twice: {duplicates}"


def test_every_string_of_the_source_is_in_the_catalogue():
    catalogue = {(e.get("msgctxt"), e["msgid"]): e for e in parse_po(PO_FILE)}
    missing = []
    for (context, msgid), (plural, path) in source_messages().items():
        entry = catalogue.get((context, msgid))
        if entry is None:
            missing.append(
                f"{path.relative_to(PACKAGE)}: {msgid!r}" + (f" (context {context!r})" if context else "")
            )
        elif plural is not None and entry.get("msgid_plural") != plural:
            missing.append(f"{path.relative_to(PACKAGE)}: plural of {msgid!r} differs from the catalogue")
    assert not missing, "strings without a Finnish translation:\n" + "\n".join(sorted(missing))


def test_the_collector_finds_strings_in_templates_and_python():
    """A guard for the test above: it must see the strings it is meant to check."""
    messages = source_messages()
    assert (None, "Audit trail") in messages  # {% translate %} in a template
    assert (None, "%(counter)s day late") in messages  # {% blocktranslate count %}
    assert (None, "Enter a business ID.") in messages  # gettext_noop in Python
    assert ("verb", "Search") in messages  # a context


def test_the_compiled_catalogue_matches_the_po_file():
    """django.mo is what the server reads: it must say what django.po says (run msgfmt)."""
    with MO_FILE.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for entry in parse_po(PO_FILE):
        if not entry["msgid"]:
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for n, expected in ((1, entry["msgstr"][0]), (2, entry["msgstr"][-1])):
                got = (
                    compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                    if context
                    else compiled.ngettext(entry["msgid"], entry["msgid_plural"], n)
                )
                if got != expected:
                    stale.append(entry["msgid"])
        else:
            got = compiled.pgettext(context, entry["msgid"]) if context else compiled.gettext(entry["msgid"])
            if got != entry["msgstr"][0]:
                stale.append(entry["msgid"])
    assert not stale, f"django.mo is out of date for: {stale[:10]} (run msgfmt)"
