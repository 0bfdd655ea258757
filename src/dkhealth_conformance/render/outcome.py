"""FHIR R4 ``OperationOutcome`` (one report) or a ``Bundle`` of them (several reports)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..report import Issue, Report, Severity
from ..rules import catalogue, lookup

RULE_SYSTEM = "urn:dkhealth-conformance:rule"
LINE_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line"
COL_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col"
SOURCE_EXT = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-source"
PAYLOAD_EXT = "urn:dkhealth-conformance:payload"


def _issue(issue: Issue, fhir: bool, issue_types: dict[str, str]) -> dict[str, Any]:
    loc = issue.location
    entry: dict[str, Any] = {
        "severity": issue.severity.value,
        "code": issue_types.get(issue.rule_id, "invalid"),
        "details": {
            "coding": [{"system": RULE_SYSTEM, "code": issue.rule_id}],
            "text": issue.message,
        },
    }
    extensions = []
    if loc.line is not None:
        extensions.append({"url": LINE_EXT, "valueInteger": loc.line})
    if loc.column is not None:
        extensions.append({"url": COL_EXT, "valueInteger": loc.column})
    if issue.source:
        extensions.append({"url": SOURCE_EXT, "valueString": issue.source})
    if extensions:
        entry = {"extension": extensions, **entry}
    if issue.source:
        entry["diagnostics"] = issue.source
    path = f"{loc.container} > {loc.path}" if loc.container and loc.path else loc.path
    if path:
        entry["expression" if fhir and not loc.container else "location"] = [path]
    return entry


def operation_outcome(report: Report) -> dict[str, Any]:
    """One OperationOutcome for ``report``; a clean report gets one ``informational`` issue."""
    rules = catalogue()
    issue_types = {rule_id: rule.issue_type for rule_id, rule in rules.items()}
    for rule_id in {i.rule_id for i in report.issues} - set(rules):  # members of keyed families
        family = lookup(rule_id, rules)
        if family is not None:
            issue_types[rule_id] = family.issue_type
    fhir = report.format.startswith("fhir")
    issues = [_issue(i, fhir, issue_types) for i in report.issues]
    if not issues:
        issues = [
            {
                "severity": Severity.INFORMATION.value,
                "code": "informational",
                "details": {"text": f"No issues found ({report.standard_ref or 'no standard'})"},
            }
        ]
    payload = [
        {"url": "name", "valueString": report.name},
        {"url": "sha256", "valueString": report.digest},
        {"url": "verdict", "valueCode": report.verdict},
    ]
    if report.standard_ref:
        payload.append({"url": "standard", "valueString": report.standard_ref})
    return {
        "resourceType": "OperationOutcome",
        "extension": [{"url": PAYLOAD_EXT, "extension": payload}],
        "issue": issues,
    }


def render(reports: Sequence[Report]) -> str:
    if len(reports) == 1:
        document = operation_outcome(reports[0])
    else:
        document = {
            "resourceType": "Bundle",
            "type": "collection",  # Bundle.total is only allowed for searchset/history (bdl-1)
            "entry": [{"resource": operation_outcome(r)} for r in reports],
        }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
