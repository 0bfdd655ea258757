"""SARIF 2.1.0: rules from the catalogue in ``tool.driver.rules``; file, line and logical locations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..report import Report, Severity
from ..rules import Rule, catalogue, lookup

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.FATAL: "error", Severity.ERROR: "error", Severity.WARNING: "warning",
          Severity.INFORMATION: "note"}


def artifact_uri(name: str) -> str:
    """A relative URI reference for a payload name (a path, or ``<stdin>``)."""
    cleaned = name.strip("<>") if name.startswith("<") else PurePath(name).as_posix()
    return quote(cleaned, safe="/:@-._~")


def _rule(rule: Rule, rule_id: str | None = None) -> dict[str, Any]:
    """The descriptor of a rule, or of one member (``rule_id``) of a keyed rule's family."""
    rule_id = rule_id or rule.id
    key = rule_id[len(rule.id) + 1:]
    return {
        "id": rule_id,
        "name": rule_id.replace(".", "/"),
        "shortDescription": {"text": f"{rule.title} ({key})" if key else rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.rationale}\nSource: {rule.source}\nExample: {rule.example}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"source": rule.source, "severity": rule.severity.value},
    }


def sarif_log(reports: Sequence[Report]) -> dict[str, Any]:
    rules = catalogue()
    descriptors = [_rule(rule) for rule in rules.values()]
    for rule_id in sorted({i.rule_id for r in reports for i in r.issues} - set(rules)):
        family = lookup(rule_id, rules)  # a member of a keyed family (fhir.invariant.dom-6)
        if family is not None:
            descriptors.append(_rule(family, rule_id))
        else:  # a report made with a custom Registry may carry rules outside the installed catalogue
            descriptors.append({"id": rule_id, "name": rule_id.replace(".", "/")})
    index = {d["id"]: n for n, d in enumerate(descriptors)}
    artifacts = [
        {"location": {"uri": artifact_uri(r.name)}, "hashes": {"sha-256": r.digest}, "length": r.size}
        for r in reports
    ]
    results = []
    for n, report in enumerate(reports):
        for issue in report.issues:
            physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(report.name), "index": n}}
            if issue.location.file_line:  # a line inside an unwrapped payload is not one of the file: no region
                region: dict[str, Any] = {"startLine": issue.location.file_line}
                if issue.location.column:
                    region["startColumn"] = issue.location.column
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            if issue.location.path:
                logical = {"fullyQualifiedName": str(issue.location), "kind": "element"}
                location["logicalLocations"] = [logical]
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
        "rules": descriptors,
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "artifacts": artifacts, "results": results,
                  "columnKind": "unicodeCodePoints"}],
    }


def render(reports: Sequence[Report]) -> str:
    return json.dumps(sarif_log(reports), ensure_ascii=False, indent=2) + "\n"
