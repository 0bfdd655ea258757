from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dkhealth_conformance.fhir.packages import Definitions
from dkhealth_conformance.fhir.validator import FhirValidator, validate_resource
from dkhealth_conformance.report import Severity

from .conftest import EXAMPLE_SD, constraint_profile, core_with, official_examples


@pytest.fixture(scope="session")
def validator(core_definitions: Definitions) -> FhirValidator:
    return FhirValidator(core_definitions)


def _noise(issue: Any) -> bool:
    """The information that external code systems are not checked, and the dom-6 warning of
    resources without narrative (most cases here have none)."""
    return issue.rule_id == "fhir.terminology.not-checked" or issue.message.startswith("dom-6:")


def _issues(validator: FhirValidator, resource: Any) -> list[tuple[str, str]]:
    return sorted((i.rule_id, i.location.path) for i in validator.validate(resource) if not _noise(i))


PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "id": "p1",
    "meta": {"versionId": "1", "lastUpdated": "2024-05-01T10:00:00+02:00"},
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
    "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-religion",
                   "valueCodeableConcept": {"text": "x"}}],
    "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "0101701234"}],
    "active": True,
    "name": [{"family": "Hansen", "given": ["Anna", None], "_given": [None, {"id": "g2"}]}],
    "gender": "female", "_gender": {"extension": [{
        "url": "http://hl7.org/fhir/StructureDefinition/originalText", "valueString": "kvinde"}]},
    "birthDate": "2024-02-29",
    "multipleBirthInteger": 2,
    "contained": [{"resourceType": "Organization", "id": "o1", "name": "Klinik"}],
    "managingOrganization": {"reference": "#o1"},
}


def test_valid_patient(validator: FhirValidator) -> None:
    assert validator.validate(PATIENT) == []
    assert _issues(validator, OBS) == []


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(base))
    for key, value in changes.items():
        if value is _DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


_DROP = object()
OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "glucose"}}

# (name, resource, expected [(rule id, location)])
CASES: list[tuple[str, Any, list[tuple[str, str]]]] = [
    # --- resourceType
    ("no resourceType", {"id": "x"}, [("fhir.structure.resource-type", "(resource)")]),
    ("unknown resourceType", {"resourceType": "Patinet"}, [("fhir.structure.resource-type", "(resource)")]),
    ("datatype as resourceType", {"resourceType": "HumanName"}, [("fhir.structure.resource-type", "(resource)")]),
    ("not an object", [], [("fhir.structure.json-type", "(resource)")]),
    ("contained without resourceType", _with(PATIENT, contained=[{"id": "o1"}]),
     [("fhir.structure.resource-type", "Patient.contained[0]")]),
    ("contained unknown type", _with(PATIENT, contained=[{"resourceType": "Organisation", "id": "o1"}]),
     [("fhir.structure.resource-type", "Patient.contained[0]")]),
    # --- unknown elements
    ("unknown element", _with(PATIENT, birthdate="1970"), [("fhir.structure.unknown-element", "Patient.birthdate")]),
    ("unknown nested", _with(PATIENT, name=[{"famly": "x"}]),
     [("fhir.structure.unknown-element", "Patient.name[0].famly")]),
    ("unknown in datatype", _with(PATIENT, identifier=[{"sytem": "x", "value": "1"}]),
     [("fhir.structure.unknown-element", "Patient.identifier[0].sytem")]),
    ("wrong choice type", _with(PATIENT, deceasedString="yes"),
     [("fhir.structure.unknown-element", "Patient.deceasedString")]),
    ("choice stem alone", _with(PATIENT, deceased=True), [("fhir.structure.unknown-element", "Patient.deceased")]),
    ("choice with [x]", _with(PATIENT, **{"deceased[x]": True}),
     [("fhir.structure.unknown-element", "Patient.deceased[x]")]),
    ("unknown _element", _with(PATIENT, _birthdate={"id": "x"}),
     [("fhir.structure.unknown-element", "Patient._birthdate")]),
    ("value inside _element", _with(PATIENT, _birthDate={"value": "1970"}),
     [("fhir.structure.unknown-element", "Patient.birthDate.value")]),
    ("unknown in contained", _with(PATIENT, contained=[{"resourceType": "Organization", "nmae": "x"}]),
     [("fhir.structure.unknown-element", "Patient.contained[0].nmae")]),
    ("unknown in backbone", _with(PATIENT, contact=[{"relation": [], "nam": {"text": "x"}}]),
     [("fhir.structure.unknown-element", "Patient.contact[0].nam"),
      ("fhir.structure.unknown-element", "Patient.contact[0].relation")]),
    ("unknown in extension", _with(PATIENT, extension=[{"url": "http://x", "valueStrin": "a"}]),
     [("fhir.structure.unknown-element", "Patient.extension[0].valueStrin"),
      ("fhir.extension.unknown", "Patient.extension[0]")]),
    ("resourceType inside datatype", _with(PATIENT, name=[{"resourceType": "HumanName", "family": "x"}]),
     [("fhir.structure.unknown-element", "Patient.name[0].resourceType")]),
    # --- JSON types
    ("boolean as string", _with(PATIENT, active="true"), [("fhir.structure.json-type", "Patient.active")]),
    ("boolean as number", _with(PATIENT, active=1), [("fhir.structure.json-type", "Patient.active")]),
    ("integer as string", _with(PATIENT, multipleBirthInteger="2"),
     [("fhir.structure.json-type", "Patient.multipleBirthInteger")]),
    ("integer as boolean", _with(PATIENT, multipleBirthInteger=True),
     [("fhir.structure.json-type", "Patient.multipleBirthInteger")]),
    ("decimal as string", _with(OBS, valueQuantity={"value": "1.5"}),
     [("fhir.structure.json-type", "Observation.valueQuantity.value")]),
    ("string as number", _with(PATIENT, gender=1), [("fhir.structure.json-type", "Patient.gender")]),
    ("date as number", _with(PATIENT, birthDate=1970), [("fhir.structure.json-type", "Patient.birthDate")]),
    ("complex as string", _with(PATIENT, maritalStatus="M"), [("fhir.structure.json-type", "Patient.maritalStatus")]),
    ("complex in array as string", _with(PATIENT, name=["Anna"]), [("fhir.structure.json-type", "Patient.name[0]")]),
    ("backbone as string", _with(PATIENT, communication=["da"]),
     [("fhir.structure.json-type", "Patient.communication[0]")]),
    ("div as object", _with(PATIENT, text={"status": "generated", "div": {"p": "x"}}),
     [("fhir.structure.json-type", "Patient.text.div")]),
    ("extension url as number", _with(PATIENT, extension=[{"url": 5, "valueString": "a"}]),
     [("fhir.structure.json-type", "Patient.extension[0].url")]),
    ("element id as number", _with(PATIENT, name=[{"id": 5, "family": "x"}]),
     [("fhir.structure.json-type", "Patient.name[0].id")]),
    ("contained as string", _with(PATIENT, contained=["x"]), [("fhir.structure.json-type", "Patient.contained[0]")]),
    # --- arrays
    ("repeating not array", _with(PATIENT, name={"family": "x"}), [("fhir.structure.array-expected", "Patient.name")]),
    ("repeating primitive not array", _with(PATIENT, name=[{"given": "Anna"}]),
     [("fhir.structure.array-expected", "Patient.name[0].given")]),
    ("single as array", _with(PATIENT, gender=["female"]), [("fhir.structure.array-unexpected", "Patient.gender")]),
    ("single complex as array", _with(PATIENT, maritalStatus=[{"text": "x"}]),
     [("fhir.structure.array-unexpected", "Patient.maritalStatus")]),
    ("array item checked", _with(PATIENT, gender=[5]),
     [("fhir.structure.array-unexpected", "Patient.gender"), ("fhir.structure.json-type", "Patient.gender[0]")]),
    # --- empty and null
    ("empty array", _with(PATIENT, name=[]), [("fhir.structure.empty", "Patient.name")]),
    ("empty object", _with(PATIENT, maritalStatus={}), [("fhir.structure.empty", "Patient.maritalStatus")]),
    ("empty object in array", _with(PATIENT, name=[{}]), [("fhir.structure.empty", "Patient.name[0]")]),
    ("empty string", _with(PATIENT, gender=""), [("fhir.structure.empty", "Patient.gender")]),
    ("empty string in array", _with(PATIENT, name=[{"given": [""]}]),
     [("fhir.structure.empty", "Patient.name[0].given[0]")]),
    ("empty _element", _with(PATIENT, _gender={}), [("fhir.structure.empty", "Patient.gender")]),
    ("null value", _with(PATIENT, active=None), [("fhir.structure.null", "Patient.active")]),
    ("null in array", _with(PATIENT, name=[None]), [("fhir.structure.null", "Patient.name[0]")]),
    ("null primitive without _", _with(PATIENT, name=[{"given": ["a", None]}]),
     [("fhir.structure.null", "Patient.name[0].given[1]")]),
    # --- _element
    ("_element not object", _with(PATIENT, _birthDate="x"),
     [("fhir.structure.primitive-extension", "Patient.birthDate")]),
    ("_element for complex", _with(PATIENT, _maritalStatus={"id": "x"}, maritalStatus={"text": "x"}),
     [("fhir.structure.primitive-extension", "Patient.maritalStatus")]),
    ("_element array for single", _with(PATIENT, _birthDate=[{"id": "x"}]),
     [("fhir.structure.primitive-extension", "Patient.birthDate")]),
    ("_element misaligned", _with(PATIENT, name=[{"given": ["a", "b"], "_given": [None]}]),
     [("fhir.structure.primitive-extension", "Patient.name[0].given")]),
    ("_element object for repeating", _with(PATIENT, name=[{"given": ["a"], "_given": {"id": "x"}}]),
     [("fhir.structure.primitive-extension", "Patient.name[0].given")]),
    ("_element extension checked", _with(PATIENT, _birthDate={"extension": [{"url": "u", "valueStrng": "x"}]}),
     [("fhir.structure.unknown-element", "Patient.birthDate.extension[0].valueStrng")]),
    ("_element id checked", _with(PATIENT, _birthDate={"id": 7}),
     [("fhir.structure.json-type", "Patient.birthDate.id")]),
    # --- cardinality
    ("missing required", _with(OBS, status=_DROP), [("fhir.cardinality.min", "Observation")]),
    ("missing required choice ok", {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                    "valueString": "x"}, []),
    ("missing required in backbone", _with(PATIENT, link=[{"type": "seealso"}]),
     [("fhir.cardinality.min", "Patient.link[0]")]),
    ("missing required in datatype", {"resourceType": "Bundle", "type": "collection",
                                       "entry": [{"request": {"method": "GET"}}]},
     [("fhir.cardinality.min", "Bundle.entry[0].request")]),
    ("missing required in nested resource", _with(PATIENT, contained=[{"resourceType": "Observation", "id": "o",
                                                                       "code": {"text": "x"}}]),
     [("fhir.cardinality.min", "Patient.contained[0]")]),
    ("required present only as _element", _with(OBS, status=_DROP, _status={"extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}), []),
    ("extension without url", _with(PATIENT, extension=[{"valueString": "a"}]),
     [("fhir.cardinality.min", "Patient.extension[0]")]),
    ("two choice variants", _with(PATIENT, deceasedBoolean=True, deceasedDateTime="2020"),
     [("fhir.cardinality.max", "Patient.deceased[x]")]),
    ("bundle entry resource", {"resourceType": "Bundle", "type": "collection",
                               "entry": [{"resource": {"resourceType": "Patient", "gender": "x  y"}}]},
     [("fhir.primitive.code", "Bundle.entry[0].resource.gender")]),
    ("bundle entry resource unknown", {"resourceType": "Bundle", "type": "collection",
                                       "entry": [{"resource": {"resourceType": "Patient", "foo": 1}}]},
     [("fhir.structure.unknown-element", "Bundle.entry[0].resource.foo")]),
    # --- primitive formats
    ("date not in calendar", _with(PATIENT, birthDate="2023-02-29"), [("fhir.primitive.date", "Patient.birthDate")]),
    ("date month 13", _with(PATIENT, birthDate="2024-13-01"), [("fhir.primitive.date", "Patient.birthDate")]),
    ("date with time", _with(PATIENT, birthDate="2024-01-01T10:00:00Z"),
     [("fhir.primitive.date", "Patient.birthDate")]),
    ("date year 0000", _with(PATIENT, birthDate="0000"), [("fhir.primitive.date", "Patient.birthDate")]),
    ("date april 31", _with(PATIENT, birthDate="2024-04-31"), [("fhir.primitive.date", "Patient.birthDate")]),
    ("dateTime without tz", _with(PATIENT, deceasedDateTime="2024-05-01T10:00:00"),
     [("fhir.primitive.dateTime", "Patient.deceasedDateTime")]),
    ("dateTime without seconds", _with(PATIENT, deceasedDateTime="2024-05-01T10:00Z"),
     [("fhir.primitive.dateTime", "Patient.deceasedDateTime")]),
    ("dateTime hour 24", _with(PATIENT, deceasedDateTime="2024-05-01T24:00:00Z"),
     [("fhir.primitive.dateTime", "Patient.deceasedDateTime")]),
    ("dateTime bad day", _with(PATIENT, deceasedDateTime="2021-02-29T10:00:00+01:00"),
     [("fhir.primitive.dateTime", "Patient.deceasedDateTime")]),
    ("dateTime tz +15", _with(PATIENT, deceasedDateTime="2024-05-01T10:00:00+15:00"),
     [("fhir.primitive.dateTime", "Patient.deceasedDateTime")]),
    ("instant date only", _with(OBS, issued="2024-05-01"), [("fhir.primitive.instant", "Observation.issued")]),
    ("instant no tz", _with(OBS, issued="2024-05-01T10:00:00.123"), [("fhir.primitive.instant", "Observation.issued")]),
    ("time with tz", _with(OBS, valueTime="10:00:00Z"), [("fhir.primitive.time", "Observation.valueTime")]),
    ("time 25h", _with(OBS, valueTime="25:00:00"), [("fhir.primitive.time", "Observation.valueTime")]),
    ("integer fraction", _with(PATIENT, multipleBirthInteger=2.5),
     [("fhir.primitive.integer", "Patient.multipleBirthInteger")]),
    ("integer too big", _with(PATIENT, multipleBirthInteger=2**31),
     [("fhir.primitive.integer", "Patient.multipleBirthInteger")]),
    ("positiveInt zero", {"resourceType": "Patient", "photo": [{"size": 0}]}, []),  # unsignedInt: fine
    ("positiveInt zero real", _with(OBS, component=[{"code": {"text": "x"}, "valueSampledData": {
        "origin": {"value": 1}, "period": 1, "dimensions": 0}}]),
     [("fhir.primitive.integer", "Observation.component[0].valueSampledData.dimensions")]),
    ("unsignedInt negative", {"resourceType": "Patient", "photo": [{"size": -1}]},
     [("fhir.primitive.integer", "Patient.photo[0].size")]),
    ("decimal NaN", _with(OBS, valueQuantity={"value": float("nan")}),
     [("fhir.primitive.decimal", "Observation.valueQuantity.value")]),
    ("id with underscore", _with(PATIENT, id="patient_1"), [("fhir.primitive.id", "Patient.id")]),
    ("id too long", _with(PATIENT, id="a" * 65), [("fhir.primitive.id", "Patient.id")]),
    ("code leading space", _with(PATIENT, gender=" female"), [("fhir.primitive.code", "Patient.gender")]),
    ("code double space", _with(PATIENT, gender="fe  male"), [("fhir.primitive.code", "Patient.gender")]),
    ("uri with space", _with(PATIENT, identifier=[{"system": "urn:oid:1.2 ", "value": "1"}]),
     [("fhir.primitive.uri", "Patient.identifier[0].system")]),
    ("canonical with space", _with(PATIENT, meta={"profile": ["http://x y"]}),
     [("fhir.primitive.uri", "Patient.meta.profile[0]"), ("fhir.profile.unknown", "Patient.meta.profile[0]")]),
    ("oid without urn", _with(OBS, valueString=_DROP, extension=[{"url": "http://x", "valueOid": "1.2.3"}]),
     [("fhir.primitive.oid", "Observation.extension[0].valueOid"),
      ("fhir.extension.unknown", "Observation.extension[0]")]),
    ("uuid upper case", _with(OBS, extension=[{"url": "http://x", "valueUuid":
                                               "urn:uuid:C757873D-EC9A-4326-A141-556F43239520"}]),
     [("fhir.primitive.uuid", "Observation.extension[0].valueUuid"),
      ("fhir.extension.unknown", "Observation.extension[0]")]),
    ("base64 bad char", _with(PATIENT, photo=[{"data": "SGVsbG8*"}]),
     [("fhir.primitive.base64Binary", "Patient.photo[0].data")]),
    ("base64 bad length", _with(PATIENT, photo=[{"data": "SGVsbG8"}]),
     [("fhir.primitive.base64Binary", "Patient.photo[0].data")]),
    ("string control char", _with(PATIENT, name=[{"family": "Hansen\u0007"}]),
     [("fhir.primitive.string", "Patient.name[0].family")]),
    # --- bindings and local code systems
    ("required code", _with(PATIENT, gender="f"), [("fhir.binding.required", "Patient.gender")]),
    ("required code in bundle", {"resourceType": "Bundle", "type": "collections"},
     [("fhir.binding.required", "Bundle.type")]),
    ("required CodeableConcept", {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/1"},
                                  "clinicalStatus": {"coding": [{
                                      "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                      "code": "resolved"}, {"system": "http://example.org/x", "code": "gone"}]}},
     []),
    ("required CodeableConcept wrong", {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/1"},
                                        "clinicalStatus": {"coding": [{
                                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                            "code": "active"}]}},
     [("fhir.binding.required", "AllergyIntolerance.clinicalStatus")]),
    ("unknown code of a local code system", _with(OBS, category=[{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-sign"}]}]),
     [("fhir.terminology.unknown-code", "Observation.category[0].coding[0].code")]),
    ("extensible binding", _with(PATIENT, maritalStatus={"coding": [{"system": "http://example.org/ms", "code": "Q"}]}),
     [("fhir.binding.extensible", "Patient.maritalStatus")]),
    # --- extensions outside slices: checked against their definitions
    ("known extension, wrong value type", _with(PATIENT, extension=[{
        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueString": "Aarhus"}]),
     [("fhir.structure.unknown-element", "Patient.extension[0].valueString"),
      ("fhir.cardinality.min", "Patient.extension[0]")]),
    ("known extension", _with(PATIENT, extension=[{
        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "Aarhus"}}]),
     []),
    ("known complex extension, wrong part", _with(PATIENT, extension=[{
        "url": "http://hl7.org/fhir/StructureDefinition/patient-nationality",
        "extension": [{"url": "code", "valueCodeableConcept": {"text": "DK"}},
                      {"url": "period", "valueDate": "2000"}]}]),
     [("fhir.structure.unknown-element", "Patient.extension[0].extension[1].valueDate"),
      ("fhir.cardinality.min", "Patient.extension[0].extension[1]")]),
    # --- references
    ("reference to a wrong type", _with(OBS, subject={"reference": "Medication/m1"}),
     [("fhir.reference.target-type", "Observation.subject.reference")]),
    ("absolute reference to a wrong type", _with(OBS, subject={"reference": "https://x.dk/fhir/Medication/m1"}),
     [("fhir.reference.target-type", "Observation.subject.reference")]),
    ("reference to any resource", _with(OBS, focus=[{"reference": "Medication/m1"}]), []),
    ("reference to an unknown type", _with(OBS, subject={"reference": "https://x.dk/fhir/Network/n1"}), []),
    ("contained reference resolved", _with(PATIENT, generalPractitioner=[{"reference": "#o1"}]), []),
    ("contained reference wrong type", _with(PATIENT, contained=[{"resourceType": "Device", "id": "o1"}]),
     [("fhir.reference.target-type", "Patient.managingOrganization.reference")]),
    ("bundle urn:uuid unresolved", {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a01", "resource": _with(
            OBS, subject={"reference": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a02"})}]},
     [("fhir.reference.unresolved", "Bundle.entry[0].resource.subject")]),
    ("bundle urn:uuid to a wrong type", {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a01", "resource": _with(
            OBS, subject={"reference": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a02"})},
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a02", "resource": {
            "resourceType": "Medication", "id": "m"}}]},
     [("fhir.reference.target-type", "Bundle.entry[0].resource.subject.reference")]),
    ("bundle urn:uuid resolved", {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a01", "resource": _with(
            OBS, subject={"reference": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a02"})},
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a02", "resource": {
            "resourceType": "Patient", "id": "p"}}]}, []),
    ("bundle Type/id to a wrong type", {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "https://x.dk/fhir/Observation/o", "resource": _with(OBS, id="o", subject={
            "reference": "Group/g"})},
        {"fullUrl": "https://x.dk/fhir/Group/g", "resource": {"resourceType": "Group", "id": "g", "type": "person",
                                                               "actual": True}}]}, []),
    # --- narrative
    ("narrative script", _with(PATIENT, text={"status": "generated", "div":
                                              '<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script>a</div>'}),
     [("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative event handler", _with(PATIENT, text={"status": "generated", "div": (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">a</p></div>')}),
     [("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative script url", _with(PATIENT, text={"status": "generated", "div": (
        '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x()">a</a></div>')}),
     [("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative iframe", _with(PATIENT, text={"status": "generated", "div":
                                              '<div xmlns="http://www.w3.org/1999/xhtml"><iframe src="x"/>a</div>'}),
     [("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative no namespace", _with(PATIENT, text={"status": "generated", "div": "<div>a</div>"}),
     [("fhir.narrative.xhtml", "Patient.text.div"), ("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative not a div", _with(PATIENT, text={"status": "generated", "div":
                                                 '<p xmlns="http://www.w3.org/1999/xhtml">a</p>'}),
     [("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative broken", _with(PATIENT, text={"status": "generated", "div":
                                              '<div xmlns="http://www.w3.org/1999/xhtml"><p>a</div>'}),
     [("fhir.narrative.xhtml", "Patient.text.div")]),
    ("narrative empty", _with(PATIENT, text={"status": "generated", "div":
                                             '<div xmlns="http://www.w3.org/1999/xhtml">\n  <p> </p></div>'}),
     [("fhir.narrative.empty", "Patient.text.div")]),
    ("narrative image only", _with(PATIENT, text={"status": "generated", "div":
                                                  '<div xmlns="http://www.w3.org/1999/xhtml"><img src="#p1"/></div>'}),
     []),
    ("markdown control char", _with(OBS, note=[{"text": "a\u0001b"}]),
     [("fhir.primitive.string", "Observation.note[0].text")]),
]


@pytest.fixture(scope="session")
def structural(core_definitions: Definitions) -> FhirValidator:
    """A validator without FHIRPath invariants, for the cases about one structural aspect (with
    invariants, a broken element also breaks invariants about it)."""
    return FhirValidator(core_definitions, invariants=False)


@pytest.mark.parametrize(("resource", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_cases(structural: FhirValidator, resource: Any, expected: list[tuple[str, str]]) -> None:
    assert _issues(structural, resource) == sorted(expected)


INVARIANT_CASES: list[tuple[str, Any, list[tuple[str, str]]]] = [
    ("obs-6 value and dataAbsentReason", _with(OBS, valueString="x", dataAbsentReason={"text": "gone"}),
     [("fhir.invariant.obs-6", "Observation")]),
    ("per-1 period backwards", _with(PATIENT, name=[{"family": "x", "period": {
        "start": "2020-02-01", "end": "2020-01-01"}}]), [("fhir.invariant.per-1", "Patient.name[0].period")]),
    ("ext-1 value and extensions", _with(PATIENT, extension=[{"url": "http://x", "valueString": "a",
                                                              "extension": [{"url": "y", "valueString": "b"}]}]),
     [("fhir.invariant.ext-1", "Patient.extension[0]"), ("fhir.extension.unknown", "Patient.extension[0]")]),
    ("ext-1 neither", _with(PATIENT, extension=[{"url": "http://x"}]),
     [("fhir.invariant.ext-1", "Patient.extension[0]"), ("fhir.extension.unknown", "Patient.extension[0]")]),
    ("ext-1 primitive extension only", _with(PATIENT, extension=[{"url": "http://x", "_valueString": {
        "extension": [{"url": "y", "valueString": "b"}]}}]), [("fhir.extension.unknown", "Patient.extension[0]")]),
    ("dom-5 contained with security", _with(PATIENT, contained=[{"resourceType": "Organization", "id": "o1",
                                                               "name": "Klinik",
                                                               "meta": {"security": [{"code": "R"}]}}]),
     [("fhir.invariant.dom-5", "Patient")]),
    ("ref-1 dangling local reference", _with(PATIENT, managingOrganization={"reference": "#o2"}),
     [("fhir.invariant.ref-1", "Patient.managingOrganization"), ("fhir.invariant.dom-3", "Patient")]),
    ("ctm-1 resolve() through contained", {
        "resourceType": "CareTeam", "text": PATIENT["text"],
        "contained": [{"resourceType": "RelatedPerson", "id": "r1", "patient": {"reference": "Patient/p"}},
                      {"resourceType": "Organization", "id": "o1", "name": "Klinik"}],
        "participant": [{"member": {"reference": "#r1"}, "onBehalfOf": {"reference": "#o1"}}]},
     [("fhir.invariant.ctm-1", "CareTeam.participant[0]")]),
    ("ctm-1 resolve() satisfied", {
        "resourceType": "CareTeam", "text": PATIENT["text"],
        "contained": [{"resourceType": "Practitioner", "id": "r1"},
                      {"resourceType": "Organization", "id": "o1", "name": "Klinik"}],
        "participant": [{"member": {"reference": "#r1"}, "onBehalfOf": {"reference": "#o1"}}]}, []),
    ("bdl-7 duplicate fullUrl", {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a01", "resource": {"resourceType": "Basic", "code": {
            "text": "x"}}},
        {"fullUrl": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a01", "resource": {"resourceType": "Basic", "code": {
            "text": "y"}}}]},
     [("fhir.invariant.bdl-7", "Bundle")]),
]


@pytest.mark.parametrize(("resource", "expected"), [c[1:] for c in INVARIANT_CASES],
                         ids=[c[0] for c in INVARIANT_CASES])
def test_invariant_cases(validator: FhirValidator, resource: Any, expected: list[tuple[str, str]]) -> None:
    assert _issues(validator, resource) == sorted(expected)


def test_invariant_severity_and_switch(core_definitions: Definitions) -> None:
    issues = FhirValidator(core_definitions).validate(OBS)
    assert [(i.rule_id, i.severity.value, i.message[:6]) for i in issues] == [
        ("fhir.invariant.dom-6", "warning", "dom-6:")]
    assert FhirValidator(core_definitions, invariants=False).validate(OBS) == []
    wrong = _with(OBS, valueString="x", dataAbsentReason={"text": "gone"})
    assert [i.message for i in FhirValidator(core_definitions, invariants=False).validate(wrong)] == []


def test_external_code_systems_are_noted_once(validator: FhirValidator) -> None:
    obs = _with(OBS, code={"coding": [{"system": "http://loinc.org", "code": "8480-6"},
                                      {"system": "http://snomed.info/sct", "code": "271649006"}]},
                bodySite={"coding": [{"system": "http://snomed.info/sct", "code": "368209003"}]})
    got = [(i.rule_id, i.severity.value, i.location.path, i.message) for i in validator.validate(obs)
           if not i.message.startswith("dom-6:")]
    assert got == [
        ("fhir.terminology.not-checked", "information", "Observation.code.coding[0]",
         "codes of http://loinc.org are not checked offline"),
        ("fhir.terminology.not-checked", "information", "Observation.code.coding[1]",
         "codes of http://snomed.info/sct are not checked offline"),
    ]
    assert len(validator.validate(obs)) == 3  # again for the next resource (and dom-6)


@pytest.mark.parametrize("value", ["2024", "2024-02", "2024-02-29", "1900-12-31"])
def test_valid_dates(validator: FhirValidator, value: str) -> None:
    assert validator.validate(_with(PATIENT, birthDate=value)) == []


@pytest.mark.parametrize("value", ["2024", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123+14:00",
                                   "2024-05-01T23:59:60-03:30", "2024-05"])
def test_valid_datetimes(validator: FhirValidator, value: str) -> None:
    assert validator.validate(_with(PATIENT, deceasedDateTime=value)) == []


def test_codes_may_hold_non_ascii_white_space(validator: FhirValidator) -> None:
    # \\s in the FHIR patterns is ASCII white space (as in Java and XML Schema)
    coded = _with(OBS, code={"coding": [{"system": "http://loinc.org", "code": "85354\u00a09"}]})
    assert _issues(validator, coded) == []


#: official R4 examples that are wrong, with the issues they give (nothing else may fail)
KNOWN_BAD_EXAMPLES = {
    "Questionnaire-qs1.json": {"fhir.cardinality.min"},  # items without linkId
    # narratives without content (txt-2)
    **{name: {"fhir.narrative.empty"} for name in (
        "ActivityDefinition-blood-tubes-supply.json", "ActivityDefinition-heart-valve-replacement.json",
        "EventDefinition-example.json", "Questionnaire-zika-virus-exposure-assessment.json")},
    # references to resource types the element does not allow
    **{name: {"fhir.reference.target-type"} for name in (
        "DeviceMetric-example.json", "DeviceUseStatement-example.json", "MedicationRequest-medrx0301.json",
        "Observation-clinical-gender.json")},
    # an id of 67 characters
    "SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json": {
        "fhir.primitive.id"},
    **{f"SearchParameter-{kind}-extensions-{rt}-{code}.json": {"fhir.cardinality.min"}  # no base
       for kind, rt in (("codesystem", "CodeSystem"), ("valueset", "ValueSet"))
       for code in ("author", "effective", "end", "keyword", "workflow")},
}


#: the definitions in the examples package (4,578 of its resources): checked without invariants,
#: whose evaluation on thousands of element definitions takes minutes
CONFORMANCE = {"StructureDefinition", "CodeSystem", "ValueSet", "SearchParameter", "ConceptMap",
               "OperationDefinition", "CapabilityStatement", "CompartmentDefinition", "NamingSystem",
               "StructureMap", "ImplementationGuide"}


def test_official_examples_are_clean(validator: FhirValidator, structural: FhirValidator,
                                     examples_tgz: Path) -> None:
    """Every official R4 example below 1 MB, against the base definitions and the core profiles
    it claims (vital signs, ...): no error apart from the documented wrong examples; the only
    warnings are for claimed profiles that are not in the core package."""
    checked, unexpected, bad, warned = 0, {}, {}, set()
    for name, resource in official_examples(examples_tgz):
        issues = (structural if resource.get("resourceType") in CONFORMANCE else validator).validate(resource)
        checked += 1
        errors = [i for i in issues if i.severity.at_least(Severity.ERROR)]
        warned |= {i.rule_id for i in issues if i.severity is Severity.WARNING}
        if errors:
            bad[name] = {i.rule_id for i in errors}
            if bad[name] != KNOWN_BAD_EXAMPLES.get(name):
                unexpected[name] = [f"{i.rule_id} {i.location.path}: {i.message}" for i in errors][:5]
    assert checked > 5000
    assert unexpected == {}
    assert set(bad) == set(KNOWN_BAD_EXAMPLES)
    # unknown profiles outside the core package; a few examples use codes outside extensible
    # bindings (v2-0203#SS for identifiers, designation-usage#display, ...) and DICOM value sets
    # ... and warning invariants: dom-6 (no narrative), nsd-0/pdf-0/tst-0 (names)
    # ... and extensions defined outside the core package
    assert {w for w in warned if not w.startswith("fhir.invariant.")} == {
        "fhir.profile.unknown", "fhir.binding.extensible", "fhir.binding.unknown-valueset", "fhir.extension.unknown"}
    assert {w for w in warned if w.startswith("fhir.invariant.")} == {
        "fhir.invariant.dom-6", "fhir.invariant.nsd-0", "fhir.invariant.pdf-0", "fhir.invariant.tst-0"}


def test_core_missing_gives_one_clear_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DKHEALTH_FHIR_CACHE", str(tmp_path))
    [issue] = validate_resource({"resourceType": "Patient"})
    assert issue.rule_id == "fhir.setup.core-missing" and issue.severity.value == "fatal"
    assert "dkconform fhir setup" in issue.message


def test_validate_resource_with_definitions(core_definitions: Definitions) -> None:
    issues = validate_resource({"resourceType": "Patient", "active": "yes", "text": {
        "status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}}, core_definitions)
    assert [(i.rule_id, i.location.path) for i in issues] == [("fhir.structure.json-type", "Patient.active")]


# ------------------------------------------------------------------ locations, JSON text, XML

def test_json_positions() -> None:
    from dkhealth_conformance.fhir.positions import json_positions

    text = '{"resourceType": "Patient",\n "name": [{"given": ["A", "B"]}],\n "x": {"a": [1, {"b": null}]}}'
    got = json_positions(text)
    assert got.get("Patient.x.a[1].b") == (3, 23)  # far first: the positions on the way are noted
    assert got.get("Patient") == (1, 1)
    assert got.get("Patient.name") == (2, 10)
    assert got.get("Patient.name[0].given[1]") == (2, 27)
    assert got["Patient.x.a[0]"] == (3, 14)
    assert got.get("Patient.name[0].given[2]") is None
    assert got.get("Patient.nothing.deeper") is None
    assert got.get("Other.name") is None
    small = json_positions('{"a": "x\\"y", "b": [true], "_c": {"id": "1"}}', root="R")
    assert [small.get(p) for p in ("R", "R.a", "R.b", "R.b[0]", "R._c.id")] == [
        (1, 1), (1, 7), (1, 20), (1, 21), (1, 41)]
    last = json_positions('{"entry": [{"resource": {"resourceType": "Patient", "id": "1"}}],\n'
                          '"resourceType": "Bundle"}')
    assert last.get("Bundle.entry[0].resource.id") == (1, 59)  # the root's resourceType, not the first in the text
    broken = json_positions('{"resourceType": "Patient", "name": [{"given": ["A"', )
    assert broken.get("Patient.name[0].given[0]") == (1, 49)
    assert broken.get("Patient.name[1]") is None


def test_json_text_issues_have_line_and_column(structural: FhirValidator) -> None:
    validator = structural
    text = """{"resourceType": "Patient",
  "gender": "fe  male",
  "name": [{"given": ["A", null], "_given": [null, {"extension": [{"url": "u", "valueStrin": "x"}]}]}],
  "birthdate": "1970"}"""
    got = [(i.rule_id, i.location.path, i.location.line, i.location.column)
           for i in validator.validate_json_text(text)]
    assert got == [
        ("fhir.primitive.code", "Patient.gender", 2, 13),
        ("fhir.structure.unknown-element", "Patient.name[0].given[1].extension[0].valueStrin", 3, 94),
        ("fhir.structure.unknown-element", "Patient.birthdate", 4, 16),
    ]


def test_xml_issues_have_lines(structural: FhirValidator) -> None:
    validator = structural
    xml = b"""<Patient xmlns="http://hl7.org/fhir">
  <gender value="fe  male"/>
  <gender value="male"/>
  <name><given value="A"/><given><extension url="u"><valueStrin value="x"/></extension></given></name>
  <birthdate value="1970"/>
  <active/>
  <link><type value="seealso"/></link>
</Patient>"""
    got = sorted((i.rule_id, i.location.path, i.location.line) for i in validator.validate_xml(xml))
    assert got == [
        ("fhir.cardinality.min", "Patient.link[0]", 7),
        ("fhir.primitive.code", "Patient.gender", 2),
        ("fhir.structure.array-unexpected", "Patient.gender", 3),
        ("fhir.structure.empty", "Patient.active", 6),
        ("fhir.structure.unknown-element", "Patient.birthdate", 5),
        ("fhir.structure.unknown-element", "Patient.name[0].given[1].extension[0].valueStrin", 4),
    ]
    [issue] = validator.validate_xml(b"<Patient")
    assert issue.rule_id == "fhir.structure.resource-type" and "not well-formed" in issue.message
    [issue] = validator.validate_xml(b'<Patinet xmlns="http://hl7.org/fhir"/>')
    assert issue.rule_id == "fhir.structure.resource-type" and issue.location.line == 1


#: invalid cases whose content has an XML form (no JSON-only shapes such as arrays or null)
XML_PARITY = [
    "unknown element", "unknown nested", "unknown in datatype", "wrong choice type", "unknown in contained",
    "unknown in extension", "missing required", "missing required choice ok",
    "missing required in backbone", "missing required in datatype", "missing required in nested resource",
    "required present only as _element", "extension without url", "two choice variants", "bundle entry resource",
    "bundle entry resource unknown", "date not in calendar", "date month 13", "date with time", "date year 0000",
    "date april 31", "dateTime without tz", "dateTime without seconds", "dateTime hour 24", "dateTime bad day",
    "dateTime tz +15", "instant date only", "instant no tz", "time with tz", "time 25h", "integer too big",
    "positiveInt zero real", "unsignedInt negative", "id with underscore", "id too long", "code leading space",
    "code double space", "uri with space", "canonical with space", "oid without urn", "uuid upper case",
    "base64 bad char", "base64 bad length", "contained unknown type", "obs-6 value and dataAbsentReason",
    "per-1 period backwards", "ext-1 value and extensions", "ref-1 dangling local reference", "bdl-7 duplicate fullUrl",
]


@pytest.mark.parametrize("name", XML_PARITY)
def test_same_issues_in_json_and_xml(core_definitions: Definitions, to_xml: Any, name: str) -> None:
    validator = FhirValidator(core_definitions)
    from lxml import etree

    resource = next(c[1] for c in [*CASES, *INVARIANT_CASES] if c[0] == name)
    from_json = sorted((i.rule_id, i.location.path) for i in validator.validate(resource))
    from_xml = sorted((i.rule_id, i.location.path) for i in validator.validate_xml(etree.tostring(to_xml(resource))))
    assert from_xml == from_json


# ----------------------------------------------------------------------------------- profiles

BP = "http://hl7.org/fhir/StructureDefinition/bp"


@pytest.fixture(scope="session")
def bp_example(examples_tgz: Path) -> dict[str, Any]:
    with tarfile.open(examples_tgz) as tar:
        fh = tar.extractfile("package/Observation-blood-pressure.json")
        assert fh is not None
        return json.loads(fh.read())


def test_profile_from_meta_and_from_the_caller(validator: FhirValidator, bp_example: dict[str, Any]) -> None:
    assert bp_example["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]
    assert _issues(validator, bp_example) == []
    assert [(i.rule_id, i.location.path) for i in validator.validate(bp_example, profiles=[BP])
            if not i.message.startswith("dom-6:")] == [
        ("fhir.terminology.not-checked", "Observation.code.coding[0]"),  # LOINC
        ("fhir.terminology.not-checked", "Observation.bodySite.coding[0]"),  # SNOMED CT
        ("fhir.terminology.not-checked", "Observation.component[0].code.coding[2]"),  # acme.org
    ]
    wrong = _with(bp_example, code={"coding": [{"system": "http://loinc.org", "code": "8480-6"}]})
    assert _issues(validator, wrong) == []  # vital signs does not fix the code
    assert ("fhir.cardinality.min", "Observation.code") in [
        (i.rule_id, i.location.path) for i in validator.validate(wrong, profiles=[BP])]


@pytest.mark.parametrize(("change", "expected"), [
    # the BPCode coding slice (value discriminators code and system) is required
    (lambda o: o["code"]["coding"][0].update(code="8480-6"),
     [("fhir.cardinality.min", "Observation.code", "coding:BPCode: minimum cardinality 1, found 0")]),
    # a component slice is required (discriminator code.coding.code / system, open slicing)
    (lambda o: o["component"].pop(0),
     [("fhir.cardinality.min", "Observation", "component: minimum cardinality 2, found 1"),
      ("fhir.cardinality.min", "Observation", "component:SystolicBP: minimum cardinality 1, found 0")]),
    # fixed value inside a slice
    (lambda o: o["component"][0]["valueQuantity"].update(code="mmHg"),
     [("fhir.profile.fixed", "Observation.component[0].valueQuantity.code",
       'the value must be exactly "mm[Hg]" (fixedCode)')]),
    # the vital-signs category slice (pattern on coding) is required by the parent profile
    (lambda o: o.pop("category"),
     [("fhir.cardinality.min", "Observation", "category: minimum cardinality 1, found 0"),
      ("fhir.cardinality.min", "Observation", "category:VSCat: minimum cardinality 1, found 0")]),
    # the profile narrows value[x] of the components to Quantity
    (lambda o: o["component"][1].update(valueString="80", valueQuantity=None) or o["component"][1].pop("valueQuantity"),
     [("fhir.structure.unknown-element", "Observation.component[1].valueString",
       "unknown element 'valueString' in Observation.component")]),
    # valueQuantity is 0..0 in bp
    (lambda o: o.update(valueQuantity={"value": 1}),
     [("fhir.cardinality.max", "Observation.valueQuantity", "value[x]:valueQuantity: maximum cardinality 0, found 1")]),
])
def test_bp_profile(validator: FhirValidator, bp_example: dict[str, Any], change: Any,
                    expected: list[tuple[str, str, str]]) -> None:
    obs = json.loads(json.dumps(bp_example))
    change(obs)
    got = sorted((i.rule_id, i.location.path, i.message) for i in validator.validate(obs, profiles=[BP])
                 if not _noise(i))
    assert got == sorted(expected)


def test_unknown_and_inapplicable_profiles(validator: FhirValidator) -> None:
    patient = _with(PATIENT, meta={"profile": ["http://example.org/StructureDefinition/x", BP]})
    got = [(i.rule_id, i.severity.value, i.location.path) for i in validator.validate(patient)]
    assert got == [("fhir.profile.unknown", "warning", "Patient.meta.profile[0]"),
                   ("fhir.profile.not-applicable", "error", "Patient.meta.profile[1]")]


def test_differential_profile_with_slices_and_extensions(core_definitions: Definitions) -> None:
    """A differential-only profile (snapshot generated): identifier slice by system, a required
    extension with the core extension definition patient-birthPlace, a closed coding slicing."""
    defs = Definitions(cache=core_definitions.cache)
    defs.load("hl7.fhir.r4.core", "4.0.1")
    url = "http://example.org/fhir/StructureDefinition/dk-patient"
    defs.add_resource({
        "resourceType": "StructureDefinition", "id": "dk-patient", "url": url, "name": "DkPatient",
        "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
        "differential": {"element": [
            {"id": "Patient.extension:birthPlace", "path": "Patient.extension", "sliceName": "birthPlace",
             "min": 1, "max": "1", "type": [{"code": "Extension", "profile": [
                 "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"]}]},
            {"id": "Patient.identifier", "path": "Patient.identifier", "slicing": {
                "discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
            {"id": "Patient.identifier:cpr", "path": "Patient.identifier", "sliceName": "cpr", "min": 1, "max": "1"},
            {"id": "Patient.identifier:cpr.system", "path": "Patient.identifier.system", "min": 1,
             "fixedUri": "urn:oid:1.2.208.176.1.2"},
            {"id": "Patient.identifier:cpr.value", "path": "Patient.identifier.value", "min": 1},
            {"id": "Patient.maritalStatus.coding", "path": "Patient.maritalStatus.coding", "slicing": {
                "discriminator": [{"type": "pattern", "path": "$this"}], "rules": "closed"}},
            {"id": "Patient.maritalStatus.coding:v3", "path": "Patient.maritalStatus.coding", "sliceName": "v3",
             "patternCoding": {"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"}},
        ]},
    })
    validator = FhirValidator(defs)
    good = {"resourceType": "Patient", "meta": {"profile": [url]},
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                           "valueAddress": {"city": "Aarhus"}}],
            "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "0101701234"},
                           {"system": "http://example.org/mrn", "value": "42"}],
            "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                                          "code": "M"}]}}
    assert _issues(validator, good) == []
    bad = json.loads(json.dumps(good))
    bad["extension"][0] = {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueString": "Aarhus"}
    bad["identifier"][0]["system"] = "urn:oid:1.2.208.176.1.3"
    bad["maritalStatus"]["coding"].append({"system": "http://snomed.info/sct", "code": "1"})
    got = _issues(validator, bad)
    assert got == [
        ("fhir.cardinality.min", "Patient", ),
        ("fhir.cardinality.min", "Patient.extension[0]"),  # value[x] of the extension is required
        ("fhir.slicing.unmatched", "Patient.maritalStatus.coding[1]"),
        ("fhir.structure.unknown-element", "Patient.extension[0].valueString"),  # birthPlace is an Address
    ]


def test_invariants_on_primitives_and_choice_discriminators(core_definitions: Definitions) -> None:
    """Invariants declared on a primitive element (``matches(...)`` on the value, or ``value...``
    as the Java engine allows), and a slicing discriminated through a choice
    (``extension('url').value.code``, where the JSON name is ``valueCoding``)."""
    defs = Definitions(cache=core_definitions.cache)
    defs.load("hl7.fhir.r4.core", "4.0.1")
    url = "http://example.org/fhir/StructureDefinition/dk-org"
    ext = "http://example.org/fhir/StructureDefinition/org-kind"
    defs.add_resource({
        "resourceType": "StructureDefinition", "id": "org-kind", "url": ext, "name": "OrgKind", "status": "draft",
        "kind": "complex-type", "abstract": False, "type": "Extension", "context": [{"type": "element",
                                                                                     "expression": "Element"}],
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension", "derivation": "constraint",
        "differential": {"element": [
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": ext},
            {"id": "Extension.value[x]", "path": "Extension.value[x]", "min": 1, "type": [{"code": "Coding"}]}]},
    })
    defs.add_resource({
        "resourceType": "StructureDefinition", "id": "dk-org", "url": url, "name": "DkOrg", "status": "draft",
        "kind": "resource", "abstract": False, "type": "Organization",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Organization", "derivation": "constraint",
        "differential": {"element": [
            {"id": "Organization.identifier.value", "path": "Organization.identifier.value", "constraint": [
                {"key": "digits", "severity": "error", "human": "digits only", "expression": "matches('^[0-9]+$')"},
                {"key": "len", "severity": "error", "human": "at most 13", "expression": "value.length() <= 13"}]},
            {"id": "Organization.type", "path": "Organization.type", "slicing": {"discriminator": [
                {"type": "value", "path": "extension('" + ext + "').value.code"}], "rules": "closed"}},
            {"id": "Organization.type:main", "path": "Organization.type", "sliceName": "main", "min": 1, "max": "1"},
            {"id": "Organization.type:main.extension:kind", "path": "Organization.type.extension",
             "sliceName": "kind", "min": 1, "type": [{"code": "Extension", "profile": [ext]}]},
            {"id": "Organization.type:main.extension:kind.value[x]", "path": "Organization.type.extension.value[x]",
             "patternCoding": {"code": "main"}},
        ]},
    })
    validator = FhirValidator(defs)
    kind = {"url": ext, "valueCoding": {"system": "http://example.org/kinds", "code": "main"}}
    good = {"resourceType": "Organization", "meta": {"profile": [url]}, "name": "x", "text": PATIENT["text"],
            "identifier": [{"value": "5790000120224"}], "type": [{"extension": [kind], "text": "main"}]}
    assert _issues(validator, good) == []
    bad = json.loads(json.dumps(good))
    bad["identifier"][0]["value"] = "57900001202245x"
    bad["type"][0]["extension"][0]["valueCoding"]["code"] = "other"
    assert [(i.rule_id, i.location.path, i.message) for i in validator.validate(bad) if not _noise(i)] == [
        ("fhir.invariant.digits", "Organization.identifier[0].value", "digits: digits only"),
        ("fhir.invariant.len", "Organization.identifier[0].value", "len: at most 13"),
        ("fhir.slicing.unmatched", "Organization.type[0]",
         "type matches none of the slices main and the slicing is closed"),
        ("fhir.cardinality.min", "Organization", "type:main: minimum cardinality 1, found 0"),
    ]


def _pointing_profile(rtype: str, element: str, target: str, name: str) -> dict[str, Any]:
    return constraint_profile(name, rtype, [{"id": f"{rtype}.{element}", "path": f"{rtype}.{element}", "min": 1,
                                             "type": [{"code": "Reference", "targetProfile": [EXAMPLE_SD + target]}]}])


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_target_profiles_between_bundle_entries_in_any_order(core_definitions: Definitions,
                                                             order: tuple[int, int, int]) -> None:
    """A reference to an entry is checked against its target profile whether the entry comes
    before or after it; an entry that fails because of its own reference fails the references to
    it in turn (Observation -> Encounter -> Patient without gender)."""
    base = EXAMPLE_SD
    defs = core_with(
        core_definitions,
        constraint_profile("gendered", "Patient", [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]),
        _pointing_profile("Encounter", "subject", "gendered", "enc-of-gendered"),
        _pointing_profile("Observation", "encounter", "enc-of-gendered", "obs-in-enc"))
    validator = FhirValidator(defs)
    text = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
    resources = [
        {"resourceType": "Observation", "meta": {"profile": [base + "obs-in-enc"]}, "text": text, "status": "final",
         "code": {"text": "x"}, "encounter": {"reference": "Encounter/e"}},
        {"resourceType": "Encounter", "id": "e", "meta": {"profile": [base + "enc-of-gendered"]}, "text": text,
         "status": "finished", "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                         "code": "AMB"}, "subject": {"reference": "Patient/p"}},
        {"resourceType": "Patient", "id": "p", "text": text},
    ]
    entries = [{"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r.get('id', 'o')}", "resource": r}
               for r in (resources[i] for i in order)]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    where = {name: i for i, name in enumerate(r["resource"]["resourceType"] for r in entries)}
    failing = sorted((i.location.path, i.message.split(" does not conform")[0])
                     for i in validator.validate(bundle) if i.rule_id == "fhir.reference.target-profile")
    assert failing == sorted([
        (f"Bundle.entry[{where['Encounter']}].resource.subject.reference", "Patient/p"),
        (f"Bundle.entry[{where['Observation']}].resource.encounter.reference", "Encounter/e"),
    ])
    resources[2]["gender"] = "female"
    assert [i for i in validator.validate(bundle) if i.rule_id == "fhir.reference.target-profile"] == []


@pytest.mark.parametrize(("patient", "expected"), [
    ({"gender": "female", "birthDate": "1970-01-01"}, []),  # conforms to the derived profile, so to its base
    ({"gender": "female"}, []),  # fails only the derived profile: the base profile is checked on its own
    ({"birthDate": "1970-01-01"}, ["Patient/p"]),  # fails the base profile too
])
def test_target_profile_met_through_a_derived_profile(core_definitions: Definitions, patient: dict[str, Any],
                                                      expected: list[str]) -> None:
    """An entry that claims a profile derived from the reference's target profile: a clean walk of
    the derived profile answers the target profile; a failing one does not decide it."""
    gendered = constraint_profile("gendered", "Patient", [{"id": "Patient.gender", "path": "Patient.gender",
                                                           "min": 1}])
    born = constraint_profile("gendered-born", "Patient", [{"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                            "min": 1}])
    born["baseDefinition"] = gendered["url"]
    validator = FhirValidator(core_with(core_definitions, gendered, born,
                                        _pointing_profile("Encounter", "subject", "gendered", "enc-of-gendered")))
    text = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
    encounter = {"resourceType": "Encounter", "id": "e", "meta": {"profile": [EXAMPLE_SD + "enc-of-gendered"]},
                 "text": text, "status": "finished", "subject": {"reference": "Patient/p"},
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}
    person = {"resourceType": "Patient", "id": "p", "meta": {"profile": [born["url"]]}, "text": text, **patient}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Encounter/e", "resource": encounter},
        {"fullUrl": "http://example.org/fhir/Patient/p", "resource": person}]}
    issues = validator.validate(bundle)
    assert [i.message.split(" ")[0] for i in issues if i.rule_id == "fhir.reference.target-profile"] == expected


@pytest.mark.parametrize(("resource", "expected"), [
    ({"resourceType": "Observation", "status": None, "code": {"text": "x"}},
     [("fhir.cardinality.min", "Observation"), ("fhir.structure.null", "Observation.status")]),
    ({"resourceType": "Observation", "status": "final", "code": None},
     [("fhir.cardinality.min", "Observation"), ("fhir.structure.null", "Observation.code")]),
])
def test_a_null_value_is_not_counted(validator: FhirValidator, resource: dict[str, Any],
                                     expected: list[tuple[str, str]]) -> None:
    """null is no value: a required element given as null is missing as well."""
    assert _issues(validator, resource) == expected


_NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
_AMBULATORY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}


def _profiles_for_chains() -> list[dict[str, Any]]:
    managed = _pointing_profile("Patient", "managingOrganization", "named-org", "managed")
    return [
        constraint_profile("named-org", "Organization", [{"id": "Organization.name", "path": "Organization.name",
                                                          "min": 1}]),
        constraint_profile("gendered", "Patient", [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]),
        managed,
        _pointing_profile("Encounter", "subject", "managed", "enc-of-managed"),
        _pointing_profile("Observation", "encounter", "enc-of-managed", "obs-in-managed-enc"),
        {**_pointing_profile("Encounter", "subject", "gendered", "enc-of-either"), "differential": {"element": [
            {"id": "Encounter.subject", "path": "Encounter.subject", "min": 1, "type": [{"code": "Reference",
             "targetProfile": [EXAMPLE_SD + "managed", EXAMPLE_SD + "gendered"]}]}]}},
        _pointing_profile("Observation", "encounter", "enc-of-either", "obs-in-either-enc"),
    ]


def test_a_failed_candidate_does_not_fail_the_referring_walk(core_definitions: Definitions) -> None:
    """A contained Patient that fails one target profile (its organization, another entry, has no
    name) and meets the other: the Encounter conforms, so the reference to it from another entry
    is clean."""
    validator = FhirValidator(core_with(core_definitions, *_profiles_for_chains()))
    encounter = {"resourceType": "Encounter", "id": "e", "meta": {"profile": [EXAMPLE_SD + "enc-of-either"]},
                 "text": _NARRATIVE, "contained": [
                     {"resourceType": "Patient", "id": "p", "gender": "female",
                      "managingOrganization": {"reference": "Organization/f"}}],
                 "status": "finished", "class": _AMBULATORY, "subject": {"reference": "#p"}}
    observation = {"resourceType": "Observation", "meta": {"profile": [EXAMPLE_SD + "obs-in-either-enc"]},
                   "text": _NARRATIVE, "status": "final", "code": {"text": "x"},
                   "encounter": {"reference": "Encounter/e"}}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Observation/o", "resource": observation},
        {"fullUrl": "http://example.org/fhir/Encounter/e", "resource": encounter},
        {"fullUrl": "http://example.org/fhir/Organization/f", "resource": {
            "resourceType": "Organization", "id": "f", "text": _NARRATIVE, "identifier": [{"value": "1"}]}}]}
    assert [i.message for i in validator.validate(bundle) if i.rule_id.startswith("fhir.reference")] == []


def test_a_later_failure_reaches_a_target_checked_on_its_own(core_definitions: Definitions) -> None:
    """Observation -> Encounter (checked against its target profile on its own) -> Patient (claims
    its profile) -> Organization without a name: the Patient fails once the entries were walked,
    and so do the Encounter and the Observation's reference to it."""
    validator = FhirValidator(core_with(core_definitions, *_profiles_for_chains()))
    resources = [
        {"resourceType": "Observation", "id": "a", "meta": {"profile": [EXAMPLE_SD + "obs-in-managed-enc"]},
         "text": _NARRATIVE, "status": "final", "code": {"text": "x"}, "encounter": {"reference": "Encounter/t"}},
        {"resourceType": "Encounter", "id": "t", "text": _NARRATIVE, "status": "finished", "class": _AMBULATORY,
         "subject": {"reference": "Patient/e"}},
        {"resourceType": "Patient", "id": "e", "meta": {"profile": [EXAMPLE_SD + "managed"]}, "text": _NARRATIVE,
         "managingOrganization": {"reference": "Organization/f"}},
        {"resourceType": "Organization", "id": "f", "text": _NARRATIVE, "identifier": [{"value": "1"}]},
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
    failing = [(i.location.path, i.message.split(" ")[0]) for i in validator.validate(bundle)
               if i.rule_id == "fhir.reference.target-profile"]
    assert sorted(failing) == [("Bundle.entry[0].resource.encounter.reference", "Encounter/t"),
                               ("Bundle.entry[2].resource.managingOrganization.reference", "Organization/f")]
    resources[3]["name"] = "Named"
    assert [i for i in validator.validate(bundle) if i.rule_id == "fhir.reference.target-profile"] == []


def test_a_contained_target_may_refer_to_its_siblings(core_definitions: Definitions) -> None:
    """A contained Patient checked against a target profile on its own: its local reference to
    another contained resource of the container is resolved there (ref-1 holds)."""
    validator = FhirValidator(core_with(core_definitions, *_profiles_for_chains()))
    encounter = {"resourceType": "Encounter", "id": "e", "meta": {"profile": [EXAMPLE_SD + "enc-of-either"]},
                 "text": _NARRATIVE, "contained": [
                     {"resourceType": "Patient", "id": "p", "gender": "female",
                      "managingOrganization": {"reference": "#o"}},
                     {"resourceType": "Organization", "id": "o", "name": "Named"}],
                 "status": "finished", "class": _AMBULATORY, "subject": {"reference": "#p"}}
    assert [(i.rule_id, i.message) for i in validator.validate(encounter)
            if i.severity.at_least(Severity.ERROR)] == []


def test_conforms_to_in_a_bundle_invariant_sees_the_entries_references(core_definitions: Definitions) -> None:
    """A Bundle invariant with conformsTo() on an entry counts the failure of that entry's reference
    to a later entry (checked once the entries are walked)."""
    gendered = constraint_profile("gendered", "Patient", [{"id": "Patient.gender", "path": "Patient.gender",
                                                           "min": 1}])
    pointing = _pointing_profile("Encounter", "subject", "gendered", "enc-of-gendered")
    bundle_profile = constraint_profile("enc-first", "Bundle", [{"id": "Bundle", "path": "Bundle", "constraint": [
        {"key": "ef-1", "severity": "error", "human": "the first entry conforms to enc-of-gendered",
         "expression": f"entry[0].resource.conformsTo('{pointing['url']}')"}]}])
    validator = FhirValidator(core_with(core_definitions, gendered, pointing, bundle_profile))
    text = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
    encounter = {"resourceType": "Encounter", "id": "e", "meta": {"profile": [pointing["url"]]}, "text": text,
                 "status": "finished", "subject": {"reference": "Patient/p"},
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}
    bundle = {"resourceType": "Bundle", "meta": {"profile": [bundle_profile["url"]]}, "type": "collection",
              "entry": [{"fullUrl": "http://example.org/fhir/Encounter/e", "resource": encounter},
                        {"fullUrl": "http://example.org/fhir/Patient/p",
                         "resource": {"resourceType": "Patient", "id": "p", "text": text}}]}
    assert sorted(i.rule_id for i in validator.validate(bundle) if i.severity.at_least(Severity.ERROR)) == [
        "fhir.invariant.ef-1", "fhir.reference.target-profile"]
    bundle["entry"][1]["resource"]["gender"] = "male"
    assert [i for i in validator.validate(bundle) if i.severity.at_least(Severity.ERROR)] == []
