"""Target profiles of resolved references, aggregation, extension context, ordered and openAtEnd
slicing, decimals read losslessly from JSON text, and the natively evaluated invariants (dom-2 to
dom-6, ref-1, que-7): table-driven, each case asserting rule id and FHIRPath location."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dkhealth_conformance.fhir.packages import Definitions
from dkhealth_conformance.fhir.validator import FhirValidator

EX = "http://example.org/fhir/StructureDefinition/"
SD = "http://hl7.org/fhir/StructureDefinition/"
DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


def _profile(pid: str, rtype: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "id": pid, "url": EX + pid, "name": pid.replace("-", ""),
            "status": "draft", "kind": "resource", "abstract": False, "type": rtype,
            "baseDefinition": SD + rtype, "derivation": "constraint", "differential": {"element": elements}}


PROFILES = [
    # a patient with an identifier and a name
    _profile("gap-patient", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1},
        {"id": "Patient.name", "path": "Patient.name", "min": 1}]),
    # an observation whose subject must be a gap-patient in the same Bundle; performer only contained
    # or bundled; ordered component slices a, b; openAtEnd identifier slices by system
    _profile("gap-observation", "Observation", [
        {"id": "Observation.identifier", "path": "Observation.identifier", "slicing": {
            "discriminator": [{"type": "value", "path": "system"}], "rules": "openAtEnd"}},
        {"id": "Observation.identifier:local", "path": "Observation.identifier", "sliceName": "local"},
        {"id": "Observation.identifier:local.system", "path": "Observation.identifier.system",
         "fixedUri": "urn:local"},
        {"id": "Observation.subject", "path": "Observation.subject", "type": [
            {"code": "Reference", "targetProfile": [EX + "gap-patient"], "aggregation": ["bundled"]}]},
        {"id": "Observation.performer", "path": "Observation.performer", "type": [
            {"code": "Reference", "targetProfile": [SD + "Practitioner", SD + "Organization"],
             "aggregation": ["contained", "bundled"]}]},
        {"id": "Observation.component", "path": "Observation.component", "slicing": {
            "discriminator": [{"type": "pattern", "path": "code"}], "ordered": True, "rules": "open"}},
        {"id": "Observation.component:a", "path": "Observation.component", "sliceName": "a"},
        {"id": "Observation.component:a.code", "path": "Observation.component.code",
         "patternCodeableConcept": {"text": "a"}},
        {"id": "Observation.component:b", "path": "Observation.component", "sliceName": "b"},
        {"id": "Observation.component:b.code", "path": "Observation.component.code",
         "patternCodeableConcept": {"text": "b"}},
    ]),
    # an extension allowed on Observation.component and inside another extension
    {"resourceType": "StructureDefinition", "id": "gap-ext", "url": EX + "gap-ext", "name": "GapExt",
     "status": "draft", "kind": "complex-type", "abstract": False, "type": "Extension",
     "context": [{"type": "element", "expression": "Observation.component"},
                 {"type": "extension", "expression": EX + "gap-outer"}],
     "baseDefinition": SD + "Extension", "derivation": "constraint",
     "differential": {"element": [{"id": "Extension.url", "path": "Extension.url", "fixedUri": EX + "gap-ext"},
                                  {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                   "type": [{"code": "string"}]}]}},
]


@pytest.fixture(scope="module")
def gaps(core_definitions: Definitions) -> FhirValidator:
    defs = Definitions(cache=core_definitions.cache)
    defs.load("hl7.fhir.r4.core", "4.0.1")
    for sd in PROFILES:
        defs.add_resource(sd)
    return FhirValidator(defs)


def _issues(validator: FhirValidator, resource: Any) -> list[tuple[str, str]]:
    return sorted((i.rule_id, i.location.path) for i in validator.validate(resource)
                  if i.rule_id != "fhir.terminology.not-checked")


def _copy(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


PAT = {"resourceType": "Patient", "id": "p", "text": DIV, "identifier": [{"value": "1"}], "name": [{"family": "H"}]}
OBS = {"resourceType": "Observation", "id": "o", "text": DIV, "meta": {"profile": [EX + "gap-observation"]},
       "status": "final", "code": {"text": "x"},
       "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"}}
U1, U2 = "urn:uuid:00000000-0000-4000-8000-000000000001", "urn:uuid:00000000-0000-4000-8000-000000000002"


def _bundle(obs: dict[str, Any], patient: dict[str, Any] | None = PAT, *more: dict[str, Any]) -> dict[str, Any]:
    entries = [{"fullUrl": U2, "resource": obs}]
    if patient is not None:
        entries.append({"fullUrl": U1, "resource": patient})
    entries += [{"fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000001{i}", "resource": r}
                for i, r in enumerate(more)]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _obs(**changes: Any) -> dict[str, Any]:
    out = _copy(OBS)
    out.update(changes)
    return out


PRACT = {"resourceType": "Practitioner", "id": "d", "text": DIV}
R0 = "Bundle.entry[0].resource"

# (name, resource, expected [(rule id, location)])
CASES: list[tuple[str, Any, list[tuple[str, str]]]] = [
    # --- target profiles of resolved references
    ("target conforms", _bundle(_obs()), []),
    ("target without identifier", _bundle(_obs(), {**PAT, "identifier": None} and {
        k: v for k, v in PAT.items() if k != "identifier"}),
     [("fhir.reference.target-profile", f"{R0}.subject.reference")]),
    ("target without name", _bundle(_obs(), {k: v for k, v in PAT.items() if k != "name"}),
     [("fhir.reference.target-profile", f"{R0}.subject.reference")]),
    ("target with a structural error", _bundle(_obs(), {**PAT, "gender": "f"}),
     [("fhir.binding.required", "Bundle.entry[1].resource.gender"),
      ("fhir.reference.target-profile", f"{R0}.subject.reference")]),
    ("target of the wrong type is a type error only", _bundle(_obs(), {"resourceType": "Group", "id": "g",
                                                                       "text": DIV, "type": "person",
                                                                       "actual": True}),
     [("fhir.reference.target-type", f"{R0}.subject.reference")]),
    ("target by Type/id", _bundle(_obs(subject={"reference": "Patient/p"})), []),
    ("target by Type/id not conforming", _bundle(_obs(subject={"reference": "Patient/p"}), {
        k: v for k, v in PAT.items() if k != "name"}),
     [("fhir.reference.target-profile", f"{R0}.subject.reference")]),
    # --- aggregation
    ("bundled reference not in the Bundle", _bundle(_obs(subject={"reference": "Patient/elsewhere"})),
     [("fhir.reference.aggregation", f"{R0}.subject.reference")]),
    ("bundled reference outside any Bundle", _obs(subject={"reference": "Patient/p"}),
     [("fhir.reference.aggregation", "Observation.subject.reference")]),
    ("bundled reference to a contained resource", _obs(
        contained=[{k: v for k, v in PAT.items() if k != "text"}], subject={"reference": "#p"}),
     [("fhir.reference.aggregation", "Observation.subject.reference")]),
    ("contained or bundled: contained ok", _bundle(_obs(contained=[PRACT | {"text": None} and {
        "resourceType": "Practitioner", "id": "d"}], performer=[{"reference": "#d"}])), []),
    ("contained or bundled: bundled ok", _bundle(_obs(performer=[{"reference": "Practitioner/d"}]), PAT, PRACT),
     []),
    ("contained or bundled: remote", _bundle(_obs(performer=[{"reference": "https://x.dk/Practitioner/d"}])),
     [("fhir.reference.aggregation", f"{R0}.performer[0].reference")]),
    ("aggregation with an unresolved urn", _bundle(_obs(), None),
     [("fhir.reference.aggregation", f"{R0}.subject.reference"), ("fhir.reference.unresolved", f"{R0}.subject")]),
    # --- extension context
    ("extension on a resource its context does not name", _bundle(_obs(extension=[{
        "url": SD + "patient-birthPlace", "valueAddress": {"city": "Aarhus"}}])),
     [("fhir.extension.context", f"{R0}.extension[0]")]),
    ("extension on the resource its context names", _bundle(_obs(), {**PAT, "extension": [{
        "url": SD + "patient-birthPlace", "valueAddress": {"city": "Aarhus"}}]}), []),
    ("extension on an element of a resource", {**PAT, "name": [{"family": "H", "extension": [{
        "url": SD + "patient-birthPlace", "valueAddress": {"city": "Aarhus"}}]}]},
     [("fhir.extension.context", "Patient.name[0].extension[0]")]),
    ("extension on a datatype element it allows", {**PAT, "name": [{"family": "H", "_family": {"extension": [{
        "url": SD + "humanname-own-prefix", "valueString": "van"}]}}]}, []),
    ("extension of a datatype on another datatype", {**PAT, "identifier": [{"value": "1", "_value": {"extension": [
        {"url": SD + "humanname-own-prefix", "valueString": "van"}]}}]},
     [("fhir.extension.context", "Patient.identifier[0].value.extension[0]")]),
    ("extension with an element-path context", _bundle(_obs(component=[{"code": {"text": "a"}, "extension": [
        {"url": EX + "gap-ext", "valueString": "x"}]}])), []),
    ("extension with an element-path context elsewhere", _bundle(_obs(extension=[
        {"url": EX + "gap-ext", "valueString": "x"}])),
     [("fhir.extension.context", f"{R0}.extension[0]")]),
    ("extension inside an extension its context names", {**PAT, "extension": [{"url": EX + "gap-outer", "extension": [
        {"url": EX + "gap-ext", "valueString": "x"}]}]},
     [("fhir.extension.unknown", "Patient.extension[0]")]),
    ("extension inside another extension", {**PAT, "extension": [{"url": EX + "gap-other", "extension": [
        {"url": EX + "gap-ext", "valueString": "x"}]}]},
     [("fhir.extension.context", "Patient.extension[0].extension[0]"),
      ("fhir.extension.unknown", "Patient.extension[0]")]),
    ("Element context everywhere", {**PAT, "name": [{"family": "H", "extension": [{
        "url": SD + "data-absent-reason", "valueCode": "unknown"}]}]}, []),
    # --- ordered and openAtEnd slicing
    ("ordered slices in order", _bundle(_obs(component=[{"code": {"text": "a"}}, {"code": {"text": "z"}},
                                                        {"code": {"text": "b"}}])), []),
    ("ordered slices out of order", _bundle(_obs(component=[{"code": {"text": "b"}}, {"code": {"text": "a"}}])),
     [("fhir.slicing.ordered", f"{R0}.component[1]")]),
    ("ordered slices out of order twice", _bundle(_obs(component=[
        {"code": {"text": "b"}}, {"code": {"text": "a"}}, {"code": {"text": "a"}}])),
     [("fhir.slicing.ordered", f"{R0}.component[1]"), ("fhir.slicing.ordered", f"{R0}.component[2]")]),
    ("openAtEnd: others at the end", _bundle(_obs(identifier=[{"system": "urn:local", "value": "1"},
                                                              {"system": "urn:other", "value": "2"}])), []),
    ("openAtEnd: a slice after another", _bundle(_obs(identifier=[{"system": "urn:other", "value": "2"},
                                                                  {"system": "urn:local", "value": "1"}])),
     [("fhir.slicing.open-at-end", f"{R0}.identifier[1]")]),
    # --- natively evaluated invariants
    ("dom-2 nested contained", {**PAT, "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x",
         "contained": [{"resourceType": "Organization", "id": "o2", "name": "y"}],
         "partOf": {"reference": "#o2"}}]},
     [("fhir.invariant.dom-2", "Patient"), ("fhir.invariant.ref-1", "Patient.contained[0].partOf")]),
    ("dom-3 contained not referenced", {**PAT, "contained": [{"resourceType": "Organization", "id": "o", "name": "x"}]},
     [("fhir.invariant.dom-3", "Patient")]),
    ("dom-3 referenced", {**PAT, "contained": [{"resourceType": "Organization", "id": "o", "name": "x"}],
                          "managingOrganization": {"reference": "#o"}}, []),
    ("dom-3 referring to the container", {**PAT, "contained": [{"resourceType": "RelatedPerson", "id": "r",
                                                                "patient": {"reference": "#"}}]}, []),
    ("dom-3 referenced by a canonical", {"resourceType": "Questionnaire", "text": DIV, "status": "draft",
                                         "contained": [{"resourceType": "ValueSet", "id": "vs", "status": "draft"}],
                                         "item": [{"linkId": "1", "type": "choice", "answerValueSet": "#vs"}]}, []),
    ("dom-4 contained with versionId", {**PAT, "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x", "meta": {"versionId": "2"}}]},
     [("fhir.invariant.dom-4", "Patient")]),
    ("dom-4 contained with lastUpdated", {**PAT, "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x", "meta": {"lastUpdated": "2024-01-01T00:00:00Z"}}]},
     [("fhir.invariant.dom-4", "Patient")]),
    ("dom-5 contained with security", {**PAT, "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x", "meta": {"security": [{"code": "R"}]}}]},
     [("fhir.invariant.dom-5", "Patient")]),
    ("ref-1 local reference without target", {**PAT, "managingOrganization": {"reference": "#nope"}},
     [("fhir.invariant.ref-1", "Patient.managingOrganization")]),
    ("ref-1 reference to the container", {**PAT, "contained": [{"resourceType": "RelatedPerson", "id": "r",
                                                                "patient": {"reference": "#"}}]}, []),
    ("que-7 exists needs a boolean", {"resourceType": "Questionnaire", "text": DIV, "status": "draft", "item": [
        {"linkId": "1", "type": "boolean"},
        {"linkId": "2", "type": "string", "enableWhen": [{"question": "1", "operator": "exists",
                                                          "answerCoding": {"code": "x"}}]}]},
     [("fhir.invariant.que-7", "Questionnaire.item[1].enableWhen[0]")]),
    ("que-7 exists with a boolean", {"resourceType": "Questionnaire", "text": DIV, "status": "draft", "item": [
        {"linkId": "1", "type": "boolean"},
        {"linkId": "2", "type": "string", "enableWhen": [{"question": "1", "operator": "exists",
                                                          "answerBoolean": True}]}]}, []),
]


@pytest.mark.parametrize(("resource", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_gap_cases(gaps: FhirValidator, resource: Any, expected: list[tuple[str, str]]) -> None:
    assert _issues(gaps, resource) == sorted(expected)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_gap_cases_in_xml(gaps: FhirValidator, to_xml: Any, name: str) -> None:
    """The same content as FHIR XML gives the same issues."""
    from lxml import etree

    resource = next(c[1] for c in CASES if c[0] == name)
    from_json = sorted((i.rule_id, i.location.path) for i in gaps.validate(resource))
    from_xml = sorted((i.rule_id, i.location.path) for i in gaps.validate_xml(etree.tostring(to_xml(resource))))
    assert from_xml == from_json


def test_dom6_is_a_warning_and_not_for_contained(gaps: FhirValidator) -> None:
    got = [(i.rule_id, i.severity.value, i.location.path, i.message[:6]) for i in gaps.validate(
        {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "name": "x"}],
         "managingOrganization": {"reference": "#o"}})]
    assert got == [("fhir.invariant.dom-6", "warning", "Patient", "dom-6:")]


def test_target_profile_cycles_terminate(gaps: FhirValidator) -> None:
    """Two resources whose references point at each other: each target is checked once."""
    a = _obs(id="a", hasMember=[{"reference": "Observation/b"}])
    b = _obs(id="b", hasMember=[{"reference": "Observation/a"}])
    assert _issues(gaps, _bundle(a, PAT, b)) == []


# ------------------------------------------------------------------------- decimals from text

def _text(value: str, element: str = "valueQuantity", inner: str = "value") -> str:
    return ('{"resourceType": "Observation", "text": {"status": "generated", "div": '
            '"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">x</div>"}, "status": "final", "code": {"text": "x"}, '
            f'"{element}": {{"{inner}": {value}}}}}')


@pytest.mark.parametrize(("text", "expected"), [
    (_text("1.10"), []),
    (_text("1E400"), []),  # a float would be infinite; the decimal is exact
    (_text("0.1000000000000000055511151231257827"),
     [("fhir.primitive.decimal", "warning", "Observation.valueQuantity.value")]),  # more than 18 digits
    (_text("123456789012345678"), []),
    (_text("1.0", "valueSampledData", "dimensions").replace('"dimensions": 1.0', '"origin": {"value": 0}, '
                                                             '"period": 1, "dimensions": 1.0'),
     [("fhir.primitive.integer", "error", "Observation.valueSampledData.dimensions")]),
    (_text("1e2", "valueInteger", "x").replace('{"x": 1e2}', "1e2"),
     [("fhir.primitive.integer", "error", "Observation.valueInteger")]),
    (_text("2147483648", "valueInteger", "x").replace('{"x": 2147483648}', "2147483648"),
     [("fhir.primitive.integer", "error", "Observation.valueInteger")]),
    (_text("-2147483648", "valueInteger", "x").replace('{"x": -2147483648}', "-2147483648"), []),
], ids=["precision", "exponent", "too precise", "18 digits", "integer with fraction", "integer with exponent",
        "integer too big", "integer minimum"])
def test_decimals_from_json_text(gaps: FhirValidator, text: str, expected: list[tuple[str, str, str]]) -> None:
    got = [(i.rule_id, i.severity.value, i.location.path) for i in gaps.validate_json_text(text)
           if i.rule_id != "fhir.terminology.not-checked"]
    assert got == expected


def test_decimal_precision_kept_for_invariants(gaps: FhirValidator) -> None:
    """The exact decimal reaches the invariants: 0.1 + 0.2 = 0.3 holds for decimals."""
    from dkhealth_conformance.fhir.validator import FhirValidator as V

    validator = V(gaps.defs)
    text = _text("0.3", "valueRange", "low").replace('{"low": 0.3}', '{"low": {"value": 0.1}, "high": {"value": 0.3}}')
    assert [i for i in validator.validate_json_text(text) if i.rule_id != "fhir.terminology.not-checked"] == []
    from decimal import Decimal

    assert json.loads(text, parse_float=Decimal)["valueRange"]["high"]["value"] == Decimal("0.3")


def test_decimals_in_xml_like_json(gaps: FhirValidator) -> None:
    xml = (b'<Observation xmlns="http://hl7.org/fhir"><text><status value="generated"/>'
           b'<div xmlns="http://www.w3.org/1999/xhtml">x</div></text><status value="final"/><code><text value="x"/>'
           b'</code><valueSampledData><origin><value value="0"/></origin><period value="1.10"/>'
           b'<dimensions value="1.0"/></valueSampledData></Observation>')
    got = [(i.rule_id, i.location.path) for i in gaps.validate_xml(xml) if i.rule_id != "fhir.terminology.not-checked"]
    assert got == [("fhir.primitive.integer", "Observation.valueSampledData.dimensions")]
