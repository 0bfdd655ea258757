"""The MedCom FHIR generators: generated valid messages validate clean, and every mutation operator
triggers the rule it names.

Counts: 300 valid messages per standard (CareCommunication about 0.1 s each with generation,
HospitalNotification and Acknowledgement about 0.05 s), and 20 near misses per operator.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dkhealth_conformance import strategies, validate
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.rules import catalogue
from dkhealth_conformance.strategies.medcom_fhir import (
    MEDCOM_OPERATORS,
    MedcomMutant,
    acknowledgements,
    care_communications,
    hospital_notifications,
)

VALID_COUNT = 300
MUTANTS_PER_OPERATOR = 20
REFS = {"care_communications": "medcom.carecommunication@5.0.4",
        "hospital_notifications": "medcom.hospitalnotification@3.0.2",
        "acknowledgements": "medcom.acknowledgement@2.0.3"}
STRATEGIES = {"care_communications": care_communications, "hospital_notifications": hospital_notifications,
              "acknowledgements": acknowledgements}


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def test_exported() -> None:
    for name in (*STRATEGIES, "medcom_messages", "invalid_medcom_messages", "MEDCOM_OPERATORS"):
        assert hasattr(strategies, name), name


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_generated_valid_messages_validate_clean(name: str) -> None:
    seen = {"patients": set(), "offsets": set(), "provenances": 0}

    @_settings(VALID_COUNT)
    @given(STRATEGIES[name]())
    def check(bundle: dict[str, Any]) -> None:
        report = validate(json.dumps(bundle, ensure_ascii=False))
        assert report.standard_ref == REFS[name]
        assert report.issues == [], [str(i) for i in report.issues]
        for entry in bundle["entry"]:
            res = entry["resource"]
            if res["resourceType"] == "Patient":
                seen["patients"].add(res["identifier"][0]["system"].rsplit(".", 1)[-1])
        seen["offsets"].add(bundle["timestamp"][19:])
        seen["provenances"] = max(seen["provenances"],
                                  sum(e["resource"]["resourceType"] == "Provenance" for e in bundle["entry"]))

    check()
    assert len(seen["offsets"]) > 20
    if name == "care_communications":
        assert {"2", "1"} <= seen["patients"] and len(seen["patients"]) >= 3  # CPR, X-eCPR, D-eCPR systems
    if name != "acknowledgements":
        assert seen["provenances"] >= 5  # long histories


@pytest.mark.parametrize("operator", list(MEDCOM_OPERATORS))
def test_every_operator_triggers_its_rule(operator: str) -> None:
    rule_id = MEDCOM_OPERATORS[operator][0]
    assert rule_id in catalogue()
    standards: set[str] = set()

    @_settings(MUTANTS_PER_OPERATOR)
    @given(strategies.invalid_medcom_messages(operators=(operator,)))
    def check(mutant: MedcomMutant) -> None:
        report = validate(json.dumps(mutant.bundle, ensure_ascii=False))
        assert mutant.rule_id in report.rule_ids(), (mutant.description, report.rule_ids())
        standards.add(mutant.standard)

    check()
    assert standards


#: message rules without a mutation operator: each has an example under examples/medcom-fhir whose
#: sidecar names it (tests/test_examples.py checks that the example triggers it)
WITHOUT_OPERATOR = {
    "medcom.message.event-mismatch", "medcom.message.version-not-modelled", "medcom.provenance.agent",
    "medcom.carecommunication.profile-claims", "medcom.narrative.missing", "medcom.narrative.id",
    "medcom.narrative.header-content", "medcom.narrative.attachment",
}


def test_every_message_rule_has_an_operator_or_an_example() -> None:
    covered = {rule for rule, _kinds, _fn in MEDCOM_OPERATORS.values()}
    message_rules = {r for r in catalogue() if r.startswith("medcom.") and not r.startswith("medcom.state.")}
    assert message_rules - covered <= WITHOUT_OPERATOR
    named = {line.strip() for sidecar in (examples_dir() / "medcom-fhir").glob("*.expected")
             for line in sidecar.read_text(encoding="utf-8").splitlines() if not line.startswith("#")}
    assert WITHOUT_OPERATOR <= named, sorted(WITHOUT_OPERATOR - named)
