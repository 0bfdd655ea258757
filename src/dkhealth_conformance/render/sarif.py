"""SARIF 2.1.0: rules from the catalogue in ``tool.driver.rules``; file, line and logical locations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..report import Report, Severity
from ..rules import Rule, catalogue

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.FATAL: "error", Severity.ERROR: "error", Severity.WARNING: "warning",
          Severity.INFORMATION: "note"}


def artifact_uri(name: str) -> str:
    """A relative URI reference for a payload name (a path, or ``<stdin>``)."""
    cleaned = name.strip("<>") if name.startswith("<") else PurePath(name).as_posix()
    return quote(cleaned, safe="/:@-._~")


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.id.replace(".", "/"),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.rationale}\nSource: {rule.source}\nExample: {rule.example}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"source": rule.source, "severity": rule.severity.value},
    }


def sarif_log(reports: Sequence[Report]) -> dict[str, Any]:
    rules = catalogue()
    used = list(rules)
    index = {rule_id: n for n, rule_id in enumerate(used)}
    artifacts = [
        {"location": {"uri": artifact_uri(r.name)}, "hashes": {"sha-256": r.digest}, "length": r.size}
        for r in reports
    ]
    results = []
    for n, report in enumerate(reports):
        for issue in report.issues:
            physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(report.name), "index": n}}
            if issue.location.line:
                region: dict[str, Any] = {"startLine": issue.location.line}
                if issue.location.column:
                    region["startColumn"] = issue.location.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if issue.location.path:
                location["logicalLocations"] = [{"fullyQualifiedName": str(issue.location), "kind": "element"}]
            results.append(
                {
                    "ruleId": issue.rule_id,
                    "ruleIndex": index[issue.rule_id],
                    "level": LEVELS[issue.severity],
                    "message": {"text": issue.message},
                    "locations": [location],
                    "properties": {"severity": issue.severity.value, "standard": report.standard_ref},
                }
            )
    driver = {
        "name": "dkconform",
        "fullName": "dkhealth-conformance",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_rule(rules[rule_id]) for rule_id in used],
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "artifacts": artifacts, "results": results,
                  "columnKind": "unicodeCodePoints"}],
    }


def render(reports: Sequence[Report]) -> str:
    return json.dumps(sarif_log(reports), ensure_ascii=False, indent=2) + "\n"
