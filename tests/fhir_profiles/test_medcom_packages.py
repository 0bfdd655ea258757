# ruff: noqa: E501  (table-driven identifier cases read best one per line)
"""The project's FHIR packages of DK Core and MedCom (profiles/fhir/): well-formed package folders,
every profile snapshots, bindings expand, invariants compile, canonicals resolve, the key facts of
the standards hold, and instances validate as the standards say."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fhirpathpy
import pytest

from dkhealth_conformance.fhir.packages import Definitions, Package
from dkhealth_conformance.fhir.terminology import IN, NOT_IN, Terminology
from dkhealth_conformance.fhir.validator import FhirValidator

from .conftest import (
    ALL_FOLDERS,
    CARECOMMUNICATION_SET,
    DK_CORE_2_SET,
    FHIR_PROFILES,
    assert_index_current,
    assert_profile_usable,
)

DK = "http://hl7.dk/fhir/core/StructureDefinition/"
CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
MSG = "http://medcomfhir.dk/ig/messaging/StructureDefinition/"
TERM = "http://medcomfhir.dk/ig/terminology/"
CANONICAL = {"hl7.fhir.dk.core": "http://hl7.dk/fhir/core", "medcom.fhir.dk.core": "http://medcomfhir.dk/ig/core",
             "medcom.fhir.dk.messaging": "http://medcomfhir.dk/ig/messaging",
             "medcom.fhir.dk.terminology": "http://medcomfhir.dk/ig/terminology"}
#: resources whose business version is not the package version (as published)
OWN_VERSIONS = {("CodeSystem", "medcom-careCommunication-categoryCodes"): "1.9.0",
                ("CodeSystem", "medcom-messaging-statisticalCodes"): "2.0.0"}
TEXT = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">narrative</div>'}


def _resources(folder: str) -> list[dict[str, Any]]:
    root = FHIR_PROFILES / folder / "package"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.json"))
            if p.name != "package.json" and not p.name.startswith(".")]


def _own(defs: Definitions, resource_type: str) -> list[tuple[Package, Any]]:
    return [(p, e) for p, e in defs.entries(resource_type) if p.id != "hl7.fhir.r4.core"]


# ------------------------------------------------------------------------------ package folders


def test_the_package_folders() -> None:
    assert ALL_FOLDERS == ["hl7.fhir.dk.core#2.0.0", "hl7.fhir.dk.core#3.4.0", "medcom.fhir.dk.core#3.0.1",
                           "medcom.fhir.dk.messaging#4.0.2", "medcom.fhir.dk.terminology#2.0.1"]


@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_package_manifest_and_files(folder: str, tmp_path: Path) -> None:
    root = FHIR_PROFILES / folder / "package"
    manifest = json.loads((root / "package.json").read_text(encoding="utf-8"))
    name, _, version = folder.partition("#")
    assert (manifest["name"], manifest["version"]) == (name, version)
    assert manifest["fhirVersions"] == ["4.0.1"]
    assert manifest["canonical"] == CANONICAL[name]
    assert manifest["dependencies"]["hl7.fhir.r4.core"] == "4.0.1"
    for dep_version in manifest["dependencies"].values():
        assert dep_version[0].isdigit() and "x" not in dep_version  # exact versions
    for dep, dep_version in manifest["dependencies"].items():
        if dep != "hl7.fhir.r4.core":
            assert f"{dep}#{dep_version}" in ALL_FOLDERS
    for resource in _resources(folder):
        rtype, rid = resource["resourceType"], resource["id"]
        assert (root / f"{rtype}-{rid}.json").is_file()
        if "url" in resource and not resource["url"].startswith("urn:"):
            assert resource["url"] == f"{CANONICAL[name]}/{rtype}/{rid}"
        assert resource["version"] == OWN_VERSIONS.get((rtype, rid), version)
        if rtype == "StructureDefinition":
            assert "snapshot" not in resource and resource["differential"]["element"]
            assert resource["fhirVersion"] == "4.0.1" and resource["derivation"] == "constraint"
    assert_index_current(root, tmp_path)


@pytest.mark.parametrize("folder", ALL_FOLDERS)
def test_every_package_loads(folder: str, fhir_cache: Path) -> None:
    name, _, version = folder.partition("#")
    wanted = CARECOMMUNICATION_SET if folder in CARECOMMUNICATION_SET else DK_CORE_2_SET
    defs = Definitions(cache=fhir_cache)
    defs.load("hl7.fhir.r4.core", "4.0.1")
    for f in wanted[: wanted.index(folder) + 1]:
        defs.add_package(FHIR_PROFILES / f)
    pkg = next(p for p in defs.packages if p.id == name)
    assert pkg.version == version and len(pkg.entries) == len(_resources(folder))


# -------------------------------------------------------------------- snapshots and bindings


@pytest.mark.parametrize("defs_name", ["medcom_defs", "dk_core_2_defs"])
def test_every_profile_snapshots_bindings_expand_invariants_compile(defs_name: str, request: Any) -> None:
    defs: Definitions = request.getfixturevalue(defs_name)
    profiles = _own(defs, "StructureDefinition")
    assert len(profiles) >= 12
    for _, entry in profiles:
        snap = assert_profile_usable(defs, entry)
        assert defs.structure_definition(snap["baseDefinition"]) is not None


def test_every_own_value_set_expands(medcom_defs: Definitions, dk_core_2_defs: Definitions) -> None:
    for defs in (medcom_defs, dk_core_2_defs):
        terminology = Terminology(defs)
        for _, entry in _own(defs, "ValueSet"):
            expansion = terminology.expand(entry.url)
            assert expansion is not None and not expansion.incomplete, entry.url


def test_canonicals_resolve_with_and_without_version(medcom_defs: Definitions, dk_core_2_defs: Definitions) -> None:
    for url, version in [(CORE + "medcom-core-patient", "3.0.1"), (MSG + "medcom-messaging-messageHeader", "4.0.2"),
                         (DK + "dk-core-patient", "3.4.0"), (TERM + "CodeSystem/medcom-messaging-eventCodes", "2.0.1"),
                         (TERM + "ValueSet/medcom-messaging-messageTypes", "2.0.1"),
                         (TERM + "CodeSystem/medcom-careCommunication-categoryCodes", "1.9.0")]:
        plain, pinned = medcom_defs.resolve(url), medcom_defs.resolve(f"{url}|{version}")
        assert plain is not None and plain is pinned
        assert medcom_defs.resolve(f"{url}|9.9.9") is None
    assert dk_core_2_defs.resolve(DK + "dk-core-patient|2.0.0") is not None
    assert dk_core_2_defs.resolve(DK + "dk-core-patient|3.4.0") is None


# ----------------------------------------------------------------------------------- key facts


def _element(defs: Definitions, url: str, eid: str) -> dict[str, Any]:
    snap = defs.snapshot(url)
    assert snap is not None
    return next(e for e in snap["snapshot"]["element"] if e["id"] == eid)


def test_dk_core_patient_identifier_slices(medcom_defs: Definitions, dk_core_2_defs: Definitions) -> None:
    patient = DK + "dk-core-patient"
    sliced = _element(medcom_defs, patient, "Patient.identifier")
    assert sliced["min"] == 1
    assert sliced["slicing"]["discriminator"] == [{"type": "value", "path": "system"}]
    assert _element(medcom_defs, patient, "Patient.identifier:cpr.system")["fixedUri"] == "urn:oid:1.2.208.176.1.2"
    assert _element(medcom_defs, patient, "Patient.identifier:cpr.use")["fixedCode"] == "official"
    assert _element(medcom_defs, patient, "Patient.identifier:x-ecpr.system")["fixedUri"] == "urn:oid:1.2.208.176.1.6.1.1"
    assert _element(medcom_defs, patient, "Patient.identifier:x-ecpr.use")["fixedCode"] == "temp"
    d_ecpr = _element(medcom_defs, patient, "Patient.identifier:d-ecpr")
    assert d_ecpr["type"][0]["profile"] == [DK + "dk-core-d-ecpr-identifier"]
    assert _element(medcom_defs, DK + "dk-core-d-ecpr-identifier", "Identifier.system")["binding"]["valueSet"] == (
        "http://hl7.dk/fhir/core/ValueSet/DkCoreDeCPRValueSet")
    assert [c["key"] for c in _element(medcom_defs, patient, "Patient.identifier:cpr.value")["constraint"]][-1] == "cpr"
    # DK Core 2.0.0 has only the cpr slice
    ids = [e["id"] for e in dk_core_2_defs.snapshot(patient)["snapshot"]["element"]]
    assert "Patient.identifier:cpr" in ids and not any(":x-ecpr" in i or ":d-ecpr" in i for i in ids)
    codes = Terminology(medcom_defs).expand("http://hl7.dk/fhir/core/ValueSet/DkCoreDeCPRValueSet")
    assert codes is not None and codes.contains(None, "urn:oid:1.2.208.176.1.6.1.3.177") == IN


@pytest.mark.parametrize(("defs_name", "gln_system"), [("dk_core_2_defs", "https://www.gs1.org/gln"),
                                                       ("medcom_defs", "https://www.gs1.org/gln")])
def test_gln_system_per_dk_core_version(defs_name: str, gln_system: str, request: Any) -> None:
    """DK Core 2.0.0 and 3.4.0, the versions the MedCom standards are built on, use
    https://www.gs1.org/gln; 3.5.0 moved to http:// (not modelled: no MedCom standard uses it yet)."""
    defs: Definitions = request.getfixturevalue(defs_name)
    org = DK + "dk-core-organization"
    assert _element(defs, org, "Organization.identifier:EAN-ID.system")["fixedUri"] == gln_system
    assert _element(defs, DK + "dk-core-gln-identifier", "Identifier.system")["fixedUri"] == gln_system
    keys = {c["key"] for c in _element(defs, DK + "dk-core-gln-identifier", "Identifier.value")["constraint"]}
    assert {"gln-length", "gln-modulus-10"} <= keys


def test_organization_mandatory_identifier_invariant_by_version(medcom_defs: Definitions,
                                                               dk_core_2_defs: Definitions) -> None:
    def keys(defs: Definitions) -> set[str]:
        return {c["key"] for c in _element(defs, DK + "dk-core-organization", "Organization").get("constraint", [])}
    assert "dk-core-organization-mandatory-identifier" in keys(medcom_defs)
    assert "dk-core-organization-mandatory-identifier" not in keys(dk_core_2_defs)


def test_messaging_destination_slices(medcom_defs: Definitions) -> None:
    header = MSG + "medcom-messaging-messageHeader"
    destination = _element(medcom_defs, header, "MessageHeader.destination")
    assert destination["slicing"]["rules"] == "closed"
    assert destination["slicing"]["discriminator"] == [{"type": "value", "path": (
        "extension('http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension')"
        ".value.code")}]
    primary = _element(medcom_defs, header, "MessageHeader.destination:primary")
    cc = _element(medcom_defs, header, "MessageHeader.destination:cc")
    assert (primary["min"], primary["max"], cc["min"], cc["max"]) == (1, "1", 0, "*")
    for name in ("primary", "cc"):
        use = _element(medcom_defs, header, f"MessageHeader.destination:{name}.extension:use")
        assert use["type"][0]["profile"] == [MSG + "medcom-messaging-destinationUseExtension"]
        assert _element(medcom_defs, header, f"MessageHeader.destination:{name}.extension:use.value[x].code")[
            "fixedCode"] == name
        receiver = _element(medcom_defs, header, f"MessageHeader.destination:{name}.receiver")
        assert receiver["min"] == 1 and receiver["type"][0]["targetProfile"] == [MSG + "medcom-messaging-organization"]
        assert receiver["type"][0]["aggregation"] == ["bundled"]
    event = _element(medcom_defs, header, "MessageHeader.event[x]")
    assert (event["binding"]["strength"], event["binding"]["valueSet"]) == (
        "required", TERM + "ValueSet/medcom-messaging-messageTypes")


def test_messaging_message_and_organization(medcom_defs: Definitions) -> None:
    bundle = _element(medcom_defs, MSG + "medcom-messaging-message", "Bundle")
    by_key = {c["key"]: c["expression"] for c in bundle["constraint"]}
    assert by_key["medcom-messaging-1"] == ("entry[0].resource.conformsTo('http://medcomfhir.dk/ig/messaging/"
                                            "StructureDefinition/medcom-messaging-messageHeader')")
    assert by_key["medcom-messaging-2"] == "entry.resource.ofType(Provenance).exists()"
    assert "medcom-messaging-3" not in by_key
    assert _element(medcom_defs, MSG + "medcom-messaging-message", "Bundle.type")["fixedCode"] == "message"
    org = MSG + "medcom-messaging-organization"
    assert _element(medcom_defs, org, "Organization.identifier")["min"] == 2
    assert _element(medcom_defs, org, "Organization.identifier:EAN-ID")["min"] == 1
    assert _element(medcom_defs, org, "Organization.identifier:SOR-ID")["min"] == 1


def test_code_lists(medcom_defs: Definitions) -> None:
    terminology = Terminology(medcom_defs)

    def codes(vs: str) -> set[str]:
        expansion = terminology.expand(TERM + "ValueSet/" + vs)
        assert expansion is not None
        return set().union(*expansion.codes.values())

    assert codes("medcom-messaging-messageTypes") == {
        "empty-message", "care-communication-message", "hospital-notification-message", "acknowledgement-message",
        "homecareobservation-message"}
    assert codes("medcom-careCommunication-messagingActivities") == {"new-message", "reply-message", "forward-message"}
    assert codes("medcom-messaging-destinationUse") == {"primary", "cc"}
    assert len(codes("medcom-careCommunication-categories")) == 18
    hn = codes("medcom-hospitalNotification-messageActivities")
    assert {"admit-inpatient", "cancel-discharge-emergency-home", "revise-end-leave-inpatient"} <= hn and len(hn) == 18
    assert "MSG_Damaged_durin_transport" in codes("medcom-acknowledgement-issue-details")
    classes = codes("medcom-core-encounter-class")
    assert {"EMER", "IMP", "AMB", "other"} <= classes and "OBSENC" not in classes
    statistical = terminology.expand(TERM + "ValueSet/medcom-messaging-statisticalCodes")
    assert statistical is not None and statistical.contains(None, "MCM:FCTL#ok") == IN
    assert statistical.contains(None, "MCM:FDIS91#nonsense") == NOT_IN
    cs = medcom_defs.resolve(TERM + "CodeSystem/medcom-messaging-activityCodes")
    assert cs is not None
    admit = next(c for c in cs["concept"] if c["code"] == "admit-emergency")
    assert admit["display"] == "Start hospital stay - acute ambulant"
    assert admit["designation"][0]["value"] == "Start sygehusophold - akut ambulant"


def test_encounter_lpr3_slice(medcom_defs: Definitions) -> None:
    enc = CORE + "medcom-core-encounter"
    assert _element(medcom_defs, enc, "Encounter.episodeOfCare")["slicing"]["discriminator"] == [
        {"type": "value", "path": "identifier.system"}]
    assert _element(medcom_defs, enc, "Encounter.episodeOfCare:lpr3identifier.identifier.system")["fixedUri"] == (
        "https://www.esundhed.dk/Registre/Landspatientregisteret")
    assert _element(medcom_defs, enc, "Encounter.account")["max"] == "0"


# ------------------------------------------------------------- invariant expressions (FHIRPath)


def _invariant(defs: Definitions, url: str, eid: str, key: str) -> str:
    element = _element(defs, url, eid)
    return next(c["expression"] for c in element["constraint"] if c["key"] == key)


@pytest.mark.parametrize(("profile", "key", "good", "bad"), [
    ("dk-core-cpr-identifier", "cpr", ["2509479989", "2902001234", "3112999999"], ["3102801234", "2513479989", "250947998", "x509479989"]),
    ("dk-core-x-ecpr-identifier", "x-ecpr", ["0703921VJ4", "0703927AB1"], ["0703920VJ4", "0703921vj4", "3203921VJ4"]),
    ("dk-core-d-ecpr-identifier", "d-ecpr", ["1206550VK9", "1206556AA0"], ["1206551VK9", "1206550VK"]),
    ("dk-core-sor-identifier", "min-digits-sor", ["953741000016009", "12345678901"], ["1234567890", "95374100001600x"]),
    ("dk-core-gln-identifier", "gln-length", ["5790001348120"], ["579000134812", "57900013481200"]),
    ("dk-core-gln-identifier", "gln-modulus-10", ["5790001348120", "5790000209354", "5790000121526"], ["5790001348121", "5790000209355"]),
    ("dk-core-cvr-identifier", "CVR-length", ["12345674"], ["1234567", "1234567a"]),
    ("dk-core-cvr-identifier", "CVR-modulus-11", ["12345674"], ["12345678"]),
    ("dk-core-kombit-org-identifier", "uuid", ["urn:uuid:6a5c0f3e-2a9a-4a4e-9d7e-0b4f1b2c3d4e"], ["6a5c0f3e-2a9a-4a4e-9d7e-0b4f1b2c3d4e"]),
    ("dk-core-authorization-identifier", "authorization-id-format", ["0C2JV", "ybx9t"], ["0A2JV", "0C2J"]),
])
def test_identifier_invariants(medcom_defs: Definitions, profile: str, key: str, good: list[str], bad: list[str]) -> None:
    """Each invariant, evaluated as its expression is written: ``matches(...)`` on the value itself,
    ``value.matches(...)`` (and the check-digit sums) on the Identifier holding the value."""
    expression = _invariant(medcom_defs, DK + profile, "Identifier.value", key)
    on_identifier = "value." in expression

    def holds(value: str) -> Any:
        return fhirpathpy.evaluate({"value": value} if on_identifier else value, expression)

    for value in good:
        assert holds(value) == [True], (key, value)
    for value in bad:
        assert holds(value) != [True], (key, value)


def test_medcom_invariants(medcom_defs: Definitions) -> None:
    role = _invariant(medcom_defs, CORE + "medcom-core-practitionerrole", "PractitionerRole",
                      "medcom-core-practitionerrole-code-xor-text")
    coding = {"coding": [{"system": TERM + "CodeSystem/medcom-core-PractitionerRolesSKSadministrativ", "code": "sygeplejerske"}]}
    assert fhirpathpy.evaluate({"resourceType": "PractitionerRole", "code": [coding]}, role) == [True]
    assert fhirpathpy.evaluate({"resourceType": "PractitionerRole", "code": [{**coding, "text": "x"}]}, role) == [False]
    lpr3 = _invariant(medcom_defs, CORE + "lpr3-Identifier", "Identifier.value", "uuidv5")
    assert fhirpathpy.evaluate({"value": "urn:uuid:bd481c38-a921-5ded-afa1-0242ac120002"}, lpr3) == [True]
    assert fhirpathpy.evaluate({"value": "urn:uuid:bd481c38-a921-4ded-afa1-0242ac120002"}, lpr3) == [False]
    provenance = _invariant(medcom_defs, MSG + "medcom-messaging-message", "Bundle", "medcom-messaging-2")
    bundle = {"resourceType": "Bundle", "type": "message", "entry": [{"resource": {"resourceType": "MessageHeader"}}]}
    assert fhirpathpy.evaluate(bundle, provenance) == [False]
    bundle["entry"].append({"resource": {"resourceType": "Provenance"}})
    assert fhirpathpy.evaluate(bundle, provenance) == [True]


# ------------------------------------------------------------------------ instance validation


def _patient() -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "733cef33-3626-422b-955d-d506aaa65fe1",
            "meta": {"profile": [CORE + "medcom-core-patient"]}, "text": TEXT,
            "identifier": [{"use": "official", "system": "urn:oid:1.2.208.176.1.2", "value": "2509479989"}],
            "name": [{"use": "official", "family": "Elmer", "given": ["Bruno", "Test"]}]}


def _organization() -> dict[str, Any]:
    return {"resourceType": "Organization", "id": "d7056980-a8b2-42aa-8a0e-c1fc85d1f40d",
            "meta": {"profile": [MSG + "medcom-messaging-organization"]}, "text": TEXT,
            "identifier": [{"use": "official", "system": "urn:oid:1.2.208.176.1.1", "value": "953741000016009"},
                           {"use": "official", "system": "https://www.gs1.org/gln", "value": "5790001348120"}],
            "name": "Plejecenter Herlev"}


@pytest.fixture(scope="module")
def validator(medcom_defs: Definitions) -> FhirValidator:
    return FhirValidator(medcom_defs)


def _errors(validator: FhirValidator, resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.rule_id, i.message) for i in validator.validate(resource) if i.severity.name in ("ERROR", "FATAL")]


def test_valid_patient_and_organization_are_clean(validator: FhirValidator) -> None:
    assert _errors(validator, _patient()) == []
    assert _errors(validator, _organization()) == []
    x_ecpr = _patient()
    x_ecpr["identifier"] = [{"use": "temp", "system": "urn:oid:1.2.208.176.1.6.1.1", "value": "0703921VJ4"}]
    assert _errors(validator, x_ecpr) == []


def test_organization_without_sor_or_gln(validator: FhirValidator) -> None:
    no_sor = _organization()
    del no_sor["identifier"][0]
    errors = _errors(validator, no_sor)
    assert ("fhir.cardinality.min", "identifier:SOR-ID: minimum cardinality 1, found 0") in errors
    assert any(r == "fhir.invariant.dk-core-organization-mandatory-identifier" for r, m in errors)
    http_gln = _organization()  # DK Core 3.5.0's system is not the one MedCom messaging is built on
    http_gln["identifier"][1]["system"] = "http://www.gs1.org/gln"
    assert ("fhir.cardinality.min", "identifier:EAN-ID: minimum cardinality 1, found 0") in _errors(validator, http_gln)


def test_patient_rules(validator: FhirValidator) -> None:
    no_official_name = _patient()
    no_official_name["name"][0]["use"] = "usual"
    assert ("fhir.cardinality.min", "name:official: minimum cardinality 1, found 0") in _errors(validator, no_official_name)
    no_use = _patient()
    del no_use["identifier"][0]["use"]
    assert any(r == "fhir.cardinality.min" for r, _ in _errors(validator, no_use))


def test_wrong_cpr_gives_the_cpr_invariant(validator: FhirValidator) -> None:
    bad = _patient()
    bad["identifier"][0]["value"] = "3102801234"
    assert any(r.startswith("fhir.invariant") and "cpr" in m for r, m in _errors(validator, bad))


def test_wrong_gln_check_digit_gives_the_gln_invariant(validator: FhirValidator) -> None:
    bad = _organization()
    bad["identifier"][1]["value"] = "5790001348121"
    assert any(r.startswith("fhir.invariant") and "gln-modulus-10" in m for r, m in _errors(validator, bad))


def _header() -> dict[str, Any]:
    use = MSG + "medcom-messaging-destinationUseExtension"
    return {"resourceType": "MessageHeader", "id": "42cb9200-f421-4d08-8391-7d51a2503cb4",
            "meta": {"profile": [MSG + "medcom-messaging-messageHeader"]}, "text": TEXT,
            "eventCoding": {"system": TERM + "CodeSystem/medcom-messaging-eventCodes", "code": "care-communication-message"},
            "destination": [{"extension": [{"url": use, "valueCoding": {
                "system": TERM + "CodeSystem/medcom-messaging-destinationUse", "code": "primary"}}],
                "endpoint": "https://sor2.sum.dsdn.dk/#id=953741000016009",
                "receiver": {"reference": "Organization/d7056980-a8b2-42aa-8a0e-c1fc85d1f40d"}}],
            "sender": {"reference": "Organization/8a0e-sender"},
            "source": {"endpoint": "https://sor2.sum.dsdn.dk/#id=265161000016000"},
            "focus": [{"reference": "Communication/c"}]}


def test_header_event_code_binding(validator: FhirValidator) -> None:
    bad = _header()
    bad["eventCoding"]["code"] = "discharge-letter"
    assert any(r == "fhir.binding.required" for r, _ in _errors(validator, bad))


def _slice_errors(validator: FhirValidator, header: dict[str, Any]) -> list[tuple[str, str]]:
    """Errors of a standalone header, without the aggregation findings its references get outside a
    Bundle (reference §18.13: MedCom's own examples show them too)."""
    return [(r, m) for r, m in _errors(validator, header) if r != "fhir.reference.aggregation"]


def test_header_destination_slices(validator: FhirValidator) -> None:
    assert _slice_errors(validator, _header()) == []
    two_primaries = _header()
    two_primaries["destination"].append(copy.deepcopy(two_primaries["destination"][0]))
    assert [r for r, _ in _slice_errors(validator, two_primaries)] == ["fhir.cardinality.max"]
    only_cc = _header()
    only_cc["destination"][0]["extension"][0]["valueCoding"]["code"] = "cc"
    assert [r for r, _ in _slice_errors(validator, only_cc)] == ["fhir.cardinality.min"]


def test_message_without_provenance(validator: FhirValidator) -> None:
    bundle = {"resourceType": "Bundle", "id": "b1", "meta": {"profile": [MSG + "medcom-messaging-message"]},
              "type": "message", "timestamp": "2024-05-01T12:00:00+02:00",
              "entry": [{"fullUrl": "MessageHeader/42cb9200-f421-4d08-8391-7d51a2503cb4", "resource": _header()}]}
    errors = _errors(validator, bundle)
    assert any(r == "fhir.invariant.medcom-messaging-2" for r, m in errors)
