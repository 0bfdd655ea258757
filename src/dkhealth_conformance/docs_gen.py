"""Documentation generated from the models: the rule catalogue page (``docs/rules.md``)."""

from __future__ import annotations

from collections.abc import Iterable

from .rules import Rule, family_of


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown(rules: Iterable[Rule]) -> str:
    """``docs/rules.md``: every rule, grouped by family. Regenerate with
    ``dkconform rules --format markdown > docs/rules.md``."""
    rules = list(rules)
    out = [
        "# Rule catalogue",
        "",
        "Every finding carries one of these stable rule ids. This page is generated from the catalogue",
        "(`dkconform rules --format markdown > docs/rules.md`); `dkconform explain RULE` shows one rule.",
        "",
    ]
    families: dict[str, list[Rule]] = {}
    for rule in rules:
        families.setdefault(family_of(rule.id), []).append(rule)
    out.append("| family | rules |")
    out.append("|---|---|")
    for family, members in families.items():
        out.append(f"| `{family}` | {len(members)} |")
    out.append("")
    for family, members in families.items():
        out.append(f"## `{family}`")
        out.append("")
        for rule in members:
            out.append(f"### `{rule.id}`")
            out.append("")
            out.append(f"**{_cell(rule.title)}** — default severity *{rule.severity.value}*, "
                       f"OperationOutcome code `{rule.issue_type}`.")
            out.append("")
            if rule.keyed:
                out.append(f"- Emitted as `{rule.id}.<key>`, one rule id per key.")
            out.append(f"- Source: {_cell(rule.source)}")
            out.append(f"- Rationale: {_cell(rule.rationale)}")
            if rule.example:
                out.append(f"- Example: `{_cell(rule.example)}`")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
