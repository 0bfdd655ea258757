"""Hypothesis strategies of FHIR resources: generated instances of base resource types (and of
the bp vital-signs profile) validate clean; single mutations trigger the expected rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkhealth_conformance.fhir.packages import Definitions
from dkhealth_conformance.fhir.strategies import message_bundles, mutations, resources
from dkhealth_conformance.fhir.validator import FhirValidator

TYPES = ["Patient", "Organization", "Practitioner", "Encounter", "Observation", "Communication", "MessageHeader",
         "Provenance"]
BP = "http://hl7.org/fhir/StructureDefinition/bp"
FIXED = "http://example.org/fhir/StructureDefinition/fixed-patient"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def validator(core_definitions: Definitions) -> FhirValidator:
    defs = Definitions(cache=core_definitions.cache)
    defs.load("hl7.fhir.r4.core", "4.0.1")
    defs.add_resource({
        "resourceType": "StructureDefinition", "id": "fixed-patient", "url": FIXED, "name": "FixedPatient",
        "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
        "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender", "min": 1,
                                      "fixedCode": "female"}]}})
    return FhirValidator(defs)


def _errors(validator: FhirValidator, resource: Any) -> list[tuple[str, str, str]]:
    return [(i.rule_id, i.location.path, i.message) for i in validator.validate(resource)
            if i.severity.value in ("error", "fatal")]


def _check(validator: FhirValidator, resource: dict[str, Any], profile: str | None = None) -> None:
    assert _errors(validator, resource) == []
    found = mutations(resource, validator, profile)
    assert any(rule == "fhir.structure.unknown-element" for _, rule, _ in found)
    for what, rule, changed in found:
        assert rule in {i.rule_id for i in validator.validate(changed)}, what


@pytest.mark.slow
@pytest.mark.parametrize("rtype", TYPES)
def test_generated_resources_are_valid_and_mutations_are_found(validator: FhirValidator, rtype: str) -> None:
    @SETTINGS
    @given(resources(validator, rtype))
    def run(resource: dict[str, Any]) -> None:
        _check(validator, resource)

    run()


@pytest.mark.slow
def test_generated_message_bundles_are_valid(validator: FhirValidator) -> None:
    @SETTINGS
    @given(message_bundles(validator))
    def run(bundle: dict[str, Any]) -> None:
        assert bundle["entry"][0]["resource"]["resourceType"] == "MessageHeader"
        _check(validator, bundle)

    run()


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_profiles_with_slices_and_fixed_values(validator: FhirValidator, data: st.DataObject) -> None:
    bp = data.draw(resources(validator, "Observation", BP))
    _check(validator, bp, BP)
    kinds = {rule for what, rule, _ in mutations(bp, validator, BP) if what.startswith("slice ")}
    assert kinds == {"fhir.cardinality.min"}  # the required category and component slices
    patient = data.draw(resources(validator, "Patient", FIXED))
    assert patient["gender"] == "female"
    _check(validator, patient, FIXED)
    assert any(rule == "fhir.profile.fixed" for _, rule, _ in mutations(patient, validator, FIXED))
    assert any(rule == "fhir.structure.json-type" for _, rule, _ in mutations(patient, validator, FIXED))
