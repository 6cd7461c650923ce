"""Service errors: every code names one message, every message reads in Finnish, and no view
translates an error by matching its English text (rekisteri/errors.py)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.utils import translation

from tests.source_trees import parsed

ROOT = Path(__file__).resolve().parent.parent / "rekisteri"
CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
LAZY = {"_", "gettext_lazy", "gettext"}
LIB_ERRORS = {"NormalizationError", "ExtensionRefused", "CodedError"}


def _sources(*parts: str):
    for path in sorted(ROOT.joinpath(*parts).rglob("*.py")):
        relative = path.relative_to(ROOT).parts
        if "tests" in relative or "migrations" in relative:
            continue
        yield path, parsed(path)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _marked(node: ast.AST, names: set[str]) -> str | None:
    """The literal of `_("...")` (or another of `names`), else None."""
    if isinstance(node, ast.Call) and _name(node.func) in names and node.args:
        return _literal(node.args[0])
    return None


def _service_error_classes() -> set[str]:
    """ServiceError and every class of the register derived from it (ErasureRefused,
    NotApplicable...): raising one of them is raising a service error."""
    bases = {
        node.name: {_name(base) for base in node.bases}
        for path in sorted(ROOT.rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.ClassDef)
    }
    found = {"ServiceError"}
    while more := {name for name, parents in bases.items() if parents & found} - found:
        found |= more
    return found


SERVICE_ERROR_CLASSES = _service_error_classes()


class _Collector(ast.NodeVisitor):
    """(code, message, where) of every ServiceError and lib error raised in one module."""

    def __init__(self, path: Path):
        self.path = path
        self.found: list[tuple[str, str, str]] = []
        self.problems: list[str] = []
        self.classes: list[ast.ClassDef] = []
        self.assigned: list[dict[str, str]] = [{}]

    def _where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT.parent)}:{node.lineno}"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node)
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        # A message may be named first (`message = _("...")`) and passed by name.
        names = {
            target.id: text
            for statement in ast.walk(node)
            if isinstance(statement, ast.Assign)
            for target in statement.targets
            if isinstance(target, ast.Name) and (text := _marked(statement.value, LAZY)) is not None
        }
        self.assigned.append(names)
        self.generic_visit(node)
        self.assigned.pop()

    def _service_error(self, node: ast.Call) -> bool:
        if _name(node.func) in SERVICE_ERROR_CLASSES:
            return True
        # super().__init__(...) in a subclass of ServiceError
        return (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and isinstance(node.func.value, ast.Call)
            and _name(node.func.value.func) == "super"
            and bool(self.classes)
            and any(_name(base) in SERVICE_ERROR_CLASSES for base in self.classes[-1].bases)
        )

    def visit_Call(self, node: ast.Call) -> None:
        if self._service_error(node):
            self._record_service_error(node)
        elif _name(node.func) in LIB_ERRORS and len(node.args) >= 2:
            code, message = _literal(node.args[0]), _marked(node.args[1], {"gettext_noop"})
            if code is None or message is None:
                self.problems.append(
                    f"{self._where(node)}: a lib error needs a literal code and gettext_noop"
                )
            else:
                self.found.append((code, message, self._where(node)))
        self.generic_visit(node)

    def _record_service_error(self, node: ast.Call) -> None:
        if _name(node.func) != "ServiceError" and not node.args and not node.keywords:
            return  # a subclass that states its own code and message (its super().__init__)
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        code = _literal(keywords.get("code"))
        argument = node.args[0] if node.args else keywords.get("message")
        message = _marked(argument, LAZY) if argument is not None else None
        if message is None and isinstance(argument, ast.Name):
            message = self.assigned[-1].get(argument.id)
        if message is None and self.path == ROOT / "errors.py":
            return  # the class itself, and from_lib_error, which passes lib's marked template on
        if code is None or message is None:
            self.problems.append(f'{self._where(node)}: ServiceError needs code="..." and a literal _("...")')
            return
        self.found.append((code, message, self._where(node)))


def _service_errors() -> tuple[list[tuple[str, str, str]], list[str]]:
    found, problems = [], []
    for path, tree in _sources():
        collector = _Collector(path)
        collector.visit(tree)
        found += collector.found
        problems += collector.problems
    return found, problems


def test_every_service_error_states_a_literal_code_and_message():
    found, problems = _service_errors()
    assert problems == []
    # The scan finds the register's errors (a broken scan would pass everything below).
    codes = {code for code, _, _ in found}
    assert len(codes) > 150
    assert {"person.email_taken", "email.invalid", "field.required", "extension.told_late"} <= codes
    # Raised through subclasses of ServiceError too.
    assert {"ErasureRefused", "NotApplicable"} <= SERVICE_ERROR_CLASSES
    assert {"erasure.unknown_reason", "portability.not_applicable"} <= codes


def test_every_service_error_code_is_well_formed_and_names_one_message():
    found, _ = _service_errors()
    messages = defaultdict(set)
    for code, message, where in found:
        assert CODE.match(code), f"{where}: {code!r} is not <area>.<what>"
        messages[code].add(message)
    assert {code: texts for code, texts in messages.items() if len(texts) > 1} == {}


def test_every_message_is_told_by_one_code():
    found, _ = _service_errors()
    codes = defaultdict(set)
    for code, message, _where in found:
        codes[message].add(code)
    assert {message: names for message, names in codes.items() if len(names) > 1} == {}


def test_every_service_error_message_has_a_finnish_translation():
    found, _ = _service_errors()
    with translation.override("fi"):
        untranslated = sorted(
            {(code, message) for code, message, _ in found if translation.gettext(message) == message}
        )
    assert untranslated == []


# --- No view translates an error by matching its English text --------------------------------

GETTEXT = {"gettext", "gettext_lazy", "_", "gettext_noop", "ngettext", "ngettext_lazy"}
PGETTEXT = {"pgettext", "pgettext_lazy", "npgettext"}


def _mentions_message(node: ast.AST) -> bool:
    return any("message" in _name(part).lower() for part in ast.walk(node))


def _string_matching(tree: ast.AST) -> list[int]:
    """Lines that translate a runtime string or compare a message with text."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            position = 1 if name in PGETTEXT else 0 if name in GETTEXT else None
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                if not (isinstance(argument, ast.Constant) or isinstance(argument, ast.JoinedStr)):
                    lines.append(node.lineno)  # a catalogue lookup of a runtime string
            if name in {"startswith", "endswith", "match", "fullmatch"} and _mentions_message(node):
                lines.append(node.lineno)
        elif isinstance(node, ast.Compare) and _mentions_message(node):
            if any(_literal(part) is not None for part in (node.left, *node.comparators)):
                lines.append(node.lineno)
            if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("app", ["web", "public"])
def test_no_view_or_form_translates_by_matching_strings(app):
    offenders = {
        str(path.relative_to(ROOT.parent)): lines
        for path, tree in _sources(app)
        if (lines := _string_matching(tree))
    }
    assert offenders == {}
    assert not (ROOT / "web" / "messages.py").exists()


def test_the_check_catches_a_view_that_matches_english_messages():
    planted = ast.parse(
        "def view(exc):\n"
        "    for message in exc.messages:\n"
        "        if message == 'No such person.':\n"
        "            pass\n"
        "        shown = gettext(message)\n"
        "        if message.startswith('At most '):\n"
        "            pass\n"
    )
    assert _string_matching(planted) == [3, 5, 6]
