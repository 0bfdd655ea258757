from __future__ import annotations

from typing import Any

import pytest

from dkhealth_conformance.fhir.packages import Definitions
from dkhealth_conformance.fhir.terminology import IN, NOT_IN, UNKNOWN, Terminology

CS = "http://example.org/fhir/CodeSystem/colours"
VS = "http://example.org/fhir/ValueSet/"


def _vs(name: str, compose: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "id": name, "url": VS + name, "status": "active", "compose": compose}


@pytest.fixture
def terminology(tmp_path: Any) -> Terminology:
    defs = Definitions(cache=tmp_path)
    defs.add_resource({
        "resourceType": "CodeSystem", "id": "colours", "url": CS, "status": "active", "content": "complete",
        "concept": [
            {"code": "red", "concept": [{"code": "dark-red", "concept": [{"code": "wine"}]}, {"code": "pink"}]},
            {"code": "blue"},
            {"code": "teal", "property": [{"code": "parent", "valueCode": "blue"}]},
        ],
    })
    defs.add_resource({"resourceType": "CodeSystem", "id": "partial", "url": "http://example.org/partial",
                       "status": "active", "content": "fragment", "concept": [{"code": "x"}]})
    defs.add_resource(_vs("reds", {"include": [{"system": CS, "filter": [
        {"property": "concept", "op": "is-a", "value": "red"}]}]}))
    defs.add_resource(_vs("below-red", {"include": [{"system": CS, "filter": [
        {"property": "concept", "op": "descendent-of", "value": "red"}]}]}))
    defs.add_resource(_vs("not-red", {"include": [{"system": CS, "filter": [
        {"property": "concept", "op": "is-not-a", "value": "red"}]}]}))
    defs.add_resource(_vs("reds-but-pink", {"include": [{"valueSet": [VS + "reds"]}],
                                            "exclude": [{"system": CS, "concept": [{"code": "pink"}]}]}))
    defs.add_resource(_vs("mixed", {"include": [
        {"system": CS, "concept": [{"code": "blue"}]},
        {"system": "http://loinc.org"},
        {"system": "http://snomed.info/sct", "concept": [{"code": "123"}]},
        {"system": "http://example.org/partial"},
    ]}))
    defs.add_resource(_vs("broken-import", {"include": [{"valueSet": [VS + "missing"]}]}))
    defs.add_resource(_vs("whole", {"include": [{"system": CS}]}))
    return Terminology(defs)


def _codes(terminology: Terminology, name: str) -> set[str]:
    expansion = terminology.expand(VS + name)
    assert expansion is not None
    return expansion.codes.get(CS, set())


def test_code_system_hierarchy(terminology: Terminology) -> None:
    cs = terminology.code_system(CS)
    assert cs is not None and cs.complete
    assert cs.descendants("red") == {"dark-red", "wine", "pink"}
    assert cs.descendants("blue") == {"teal"}  # from the parent property
    assert cs.has("wine") and not cs.has("Wine")
    assert terminology.code_system("http://example.org/none") is None


def test_filters_imports_and_excludes(terminology: Terminology) -> None:
    assert _codes(terminology, "reds") == {"red", "dark-red", "wine", "pink"}
    assert _codes(terminology, "below-red") == {"dark-red", "wine", "pink"}
    assert _codes(terminology, "not-red") == {"blue", "teal"}
    assert _codes(terminology, "reds-but-pink") == {"red", "dark-red", "wine"}
    assert _codes(terminology, "whole") == {"red", "dark-red", "wine", "pink", "blue", "teal"}


def test_membership(terminology: Terminology) -> None:
    mixed = terminology.expand(VS + "mixed")
    assert mixed is not None
    assert mixed.contains(CS, "blue") == IN
    assert mixed.contains(CS, "red") == NOT_IN
    assert mixed.contains("http://loinc.org", "8480-6") == UNKNOWN  # whole external system
    assert mixed.contains("http://snomed.info/sct", "123") == IN  # listed codes of an external system
    assert mixed.contains("http://snomed.info/sct", "456") == NOT_IN
    assert mixed.contains("http://example.org/partial", "y") == UNKNOWN  # not complete
    assert mixed.contains("http://example.org/other", "y") == NOT_IN
    assert mixed.contains(None, "blue") == IN and mixed.contains(None, "zzz") == UNKNOWN
    reds = terminology.expand(VS + "reds")
    assert reds is not None and reds.contains(None, "zzz") == NOT_IN
    broken = terminology.expand(VS + "broken-import")
    assert broken is not None and broken.incomplete and broken.contains(CS, "red") == UNKNOWN
    assert terminology.expand(VS + "missing") is None


def test_core_value_sets(core_definitions: Definitions) -> None:
    terminology = Terminology(core_definitions)
    gender = terminology.expand("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1")
    assert gender is not None
    assert gender.codes == {"http://hl7.org/fhir/administrative-gender": {"male", "female", "other", "unknown"}}
    units = terminology.expand("http://hl7.org/fhir/ValueSet/ucum-bodyweight")
    assert units is not None and units.contains("http://unitsofmeasure.org", "kg") == IN
    assert units.contains("http://unitsofmeasure.org", "kgg") == NOT_IN
