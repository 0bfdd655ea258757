"""The rule catalogue holds: every rule is documented and emitted, nothing outside it is emitted,
and docs/rules.md is the catalogue's current rendering.

The checks find rule sets and their uses by themselves (importing every module of the package and
reading its source), so new packs and rule sets are covered without editing this file.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import dkhealth_conformance
from dkhealth_conformance import Severity, validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.registry import Registry
from dkhealth_conformance.rules import Rule, catalogue, declared_rulesets

from .conftest import REPO

PACKAGE_DIR = Path(dkhealth_conformance.__file__).resolve().parent
ISSUE_TYPES = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired",
    "forbidden", "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found",
    "deleted", "too-long", "code-invalid", "extension", "too-costly", "business-rule", "conflict",
    "transient", "lock-error", "no-store", "exception", "timeout", "incomplete", "throttled", "informational",
}
RULE_ID = re.compile(r"^[a-z0-9]+(?:[.-][a-zA-Z0-9]+)*$")


def import_whole_package() -> list[str]:
    """Import every module of the package (so that every RuleSet it declares exists)."""
    names = []
    for info in pkgutil.walk_packages(dkhealth_conformance.__path__, "dkhealth_conformance."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def package_rulesets():
    import_whole_package()
    return [rs for rs in declared_rulesets() if rs.module.split(".")[0] == "dkhealth_conformance"]


def package_rules(registry: Registry) -> dict[str, Rule]:
    """The catalogue as installed, without packs that live outside the package (test packs)."""
    declared = {id(r) for rs in package_rulesets() for r in rs}
    return {rid: rule for rid, rule in catalogue().items() if id(rule) in declared}


# --------------------------------------------------------------------------- rule quality


def test_catalogue_is_not_empty_and_well_formed(clean_registry) -> None:
    rules = catalogue()
    assert "internal-error" in rules and "payload.unrecognised" in rules
    for rule_id, rule in rules.items():
        assert rule.id == rule_id
        assert RULE_ID.match(rule_id), rule_id
        assert isinstance(rule.severity, Severity)
        assert rule.title.strip() and rule.source.strip() and rule.rationale.strip(), rule_id
        assert rule.example or rule.example_payload, f"{rule_id} has no example"
        assert rule.issue_type in ISSUE_TYPES, f"{rule_id}: {rule.issue_type} is not a FHIR IssueType code"


# ------------------------------------------------------------------------ (a) examples


def example_report(rule: Rule):
    return validate(rule.example_payload.encode("utf-8"), rule.example_standard, name=f"example of {rule.id}")


def test_every_example_payload_triggers_its_rule(demo_installed) -> None:
    rules = [r for r in catalogue().values() if r.example_payload is not None]
    assert {"demo.note.missing-to", "payload.mojibake", "xml.dtd-forbidden"} <= {r.id for r in rules}
    failures = []
    for rule in rules:
        report = example_report(rule)
        if rule.id not in report.rule_ids():
            failures.append(f"{rule.id}: example gave {report.rule_ids()}")
        elif not any(i.rule_id == rule.id and i.severity is rule.severity for i in report.issues):
            failures.append(f"{rule.id}: example triggers it with another severity")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- (b) every rule is emitted


class _Uses(ast.NodeVisitor):
    """Names read, and string constants used, outside rule declarations."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.strings: set[str] = set()
        self.declared: dict[str, set[str]] = {}  # rule id -> names bound to the Rule object

    def visit_Assign(self, node: ast.Assign) -> None:
        call = node.value
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant) \
                and isinstance(call.args[0].value, str):
            rule_id = call.args[0].value
            targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
            targets |= {t.attr for t in node.targets if isinstance(t, ast.Attribute)}
            self.declared.setdefault(rule_id, set()).update(targets)
            for arg in [*call.args[1:], *call.keywords]:
                self.visit(arg)
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # a bare `rules.add("id", ...)` statement declares, it does not emit
        if isinstance(node.func, ast.Attribute) and node.func.attr == "add" and node.args \
                and isinstance(node.args[0], ast.Constant):
            for arg in [*node.args[1:], *node.keywords]:
                self.visit(arg)
            self.visit(node.func)
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.attr)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.strings.add(node.value)


def scan_package() -> _Uses:
    uses = _Uses()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        uses.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return uses


def data_mentions() -> str:
    """Text of the standard packs' data (message models may name the rule ids they drive)."""
    from dkhealth_conformance.data import profiles_dir

    parts = []
    for path in sorted(profiles_dir().rglob("*")):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".json", ".toml", ".txt"} \
                and path.stat().st_size < 5_000_000:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_every_catalogue_rule_is_emitted_by_the_code(clean_registry) -> None:
    """A rule counts as emitted when the code reads the object it was bound to (`RULE.issue(...)`,
    `R.RULE`), names its id outside the declaration (`rules["id"]`), a message model in profiles/
    names it, or its example payload triggers it."""
    uses = scan_package()
    data = data_mentions()
    unused = []
    for rule_id, rule in package_rules(clean_registry).items():
        bound = uses.declared.get(rule_id, set())
        if bound & uses.names or rule_id in uses.strings or re.search(rf"\b{re.escape(rule_id)}\b", data):
            continue
        if rule.example_payload is not None and rule_id in example_report(rule).rule_ids():
            continue
        unused.append(rule_id)
    assert not unused, f"catalogued rules that no code emits: {unused}"


def test_the_usage_scan_sees_real_uses() -> None:
    uses = scan_package()
    assert uses.declared["payload.mojibake"] == {"PAYLOAD_MOJIBAKE"}
    assert "PAYLOAD_MOJIBAKE" in uses.names  # R.PAYLOAD_MOJIBAKE.issue(...) in payload.py
    tree = ast.parse('X = RS.add("a.b", 1)\nRS.add("c.d", 2)\n')
    probe = _Uses()
    probe.visit(tree)
    assert probe.declared == {"a.b": {"X"}}
    assert "X" not in probe.names and "a.b" not in probe.strings and "c.d" not in probe.strings


# ------------------------------------------------------------ (c) nothing outside the catalogue


def test_every_package_ruleset_is_in_the_catalogue(clean_registry) -> None:
    rulesets = package_rulesets()
    assert any(rs.family == "core" for rs in rulesets)
    rules = catalogue()
    missing = [f"{rule.id} (declared in {rs.module})" for rs in rulesets for rule in rs
               if rules.get(rule.id) is not rule]
    assert not missing, f"rules declared in the package but absent from catalogue(): {missing}"


def test_issues_are_only_made_through_rules() -> None:
    """Issue objects come from Rule.issue, so an emitted id is always a catalogued one."""
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path.name in {"rules.py", "report.py"} and path.parent == PACKAGE_DIR:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", "")
                if name == "Issue" or (name == "replace" and node.args and _is_issue_replace(node)):
                    offenders.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}")
    assert not offenders, f"Issue constructed directly (use a catalogued Rule.issue): {offenders}"


def _is_issue_replace(node: ast.Call) -> bool:
    return any(k.arg == "rule_id" for k in node.keywords)


def test_a_ruleset_outside_the_catalogue_would_be_caught(clean_registry) -> None:
    from dkhealth_conformance.rules import RuleSet

    stray = RuleSet("stray", module="dkhealth_conformance.stray")
    stray.add("stray.rule", Severity.ERROR, "t", source="s", rationale="r", example="e")
    assert stray in package_rulesets()
    assert catalogue().get("stray.rule") is None


# ----------------------------------------------------------------------- (d) docs/rules.md


def test_docs_rules_md_is_current(clean_registry) -> None:
    result = CliRunner().invoke(main, ["rules", "--format", "markdown"])
    assert result.exit_code == 0
    docs = REPO / "docs" / "rules.md"
    assert docs.is_file(), "docs/rules.md is missing: dkconform rules --format markdown > docs/rules.md"
    assert docs.read_text(encoding="utf-8") == result.output, (
        "docs/rules.md is stale: regenerate it with `dkconform rules --format markdown > docs/rules.md`"
    )


def test_markdown_lists_every_rule(clean_registry) -> None:
    result = CliRunner().invoke(main, ["rules", "--format", "markdown"])
    for rule_id in catalogue():
        assert f"### `{rule_id}`" in result.output


@pytest.mark.parametrize("rule_id", ["internal-error", "payload.mojibake", "xml.dtd-forbidden"])
def test_explain_shows_the_catalogue_entry(rule_id: str, clean_registry) -> None:
    rule = catalogue()[rule_id]
    result = CliRunner().invoke(main, ["explain", rule_id])
    assert result.exit_code == 0
    assert rule.title in result.output and rule.source in result.output and rule.rationale in result.output
