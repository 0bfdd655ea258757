"""The MedCom FHIR pack: standards, detection (profile, pinned profile, header profile, event,
inside a VANS envelope), validation against each standard's package set, the message rules with
their FHIRPath locations, JSON and XML alike."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkhealth_conformance import detect, validate
from dkhealth_conformance.packs.medcom_fhir import KINDS, definitions_for
from dkhealth_conformance.packs.medcom_fhir.standards import HN_TABLE, package_order
from dkhealth_conformance.strategies.medcom_fhir import acknowledgements, care_communications, hospital_notifications

from .conftest import to_xml

EXAMPLE = settings(max_examples=1, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def one(strategy: st.SearchStrategy[Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    @EXAMPLE
    @given(strategy)
    def take(value: dict[str, Any]) -> None:
        found.append(value)

    take()
    return copy.deepcopy(found[0])


@pytest.fixture(scope="module")
def cc() -> dict[str, Any]:
    return one(care_communications(max_history=0))


@pytest.fixture(scope="module")
def hn() -> dict[str, Any]:
    return one(hospital_notifications())


@pytest.fixture(scope="module")
def ack() -> dict[str, Any]:
    return one(acknowledgements())


def text(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, ensure_ascii=False)


def issues_of(bundle: dict[str, Any], rule: str, xml: bool = False) -> list[Any]:
    report = validate(to_xml(bundle) if xml else text(bundle))
    return [i for i in report.issues if i.rule_id == rule]


# ----------------------------------------------------------------------------- standards


def test_standards_and_package_sets() -> None:
    refs = {k.standard.ref for k in KINDS}
    assert refs == {"medcom.carecommunication@5.0.4", "medcom.hospitalnotification@3.0.2",
                    "medcom.acknowledgement@2.0.3"}
    from dkhealth_conformance.data import profiles_dir

    cc_set = [f"{i}#{v}" for i, v, _ in package_order(KINDS[0], profiles_dir() / "fhir")]
    assert cc_set[-1] == "medcom.fhir.dk.carecommunication#5.0.4"
    assert "hl7.fhir.dk.core#3.4.0" in cc_set and "hl7.fhir.dk.core#2.0.0" not in cc_set
    hn_set = [f"{i}#{v}" for i, v, _ in package_order(KINDS[1], profiles_dir() / "fhir")]
    assert "hl7.fhir.dk.core#2.0.0" in hn_set and "medcom.fhir.dk.messaging#2.1.0" in hn_set
    assert hn_set.index("hl7.fhir.dk.core#2.0.0") < hn_set.index("medcom.fhir.dk.core#2.0.0")
    defs = definitions_for(KINDS[1])
    assert defs.resolve("http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-message|2.1.0")


@pytest.mark.parametrize("name,ref", [("cc", "medcom.carecommunication@5.0.4"),
                                      ("hn", "medcom.hospitalnotification@3.0.2"),
                                      ("ack", "medcom.acknowledgement@2.0.3")])
def test_generated_message_is_detected_and_clean(request: Any, name: str, ref: str) -> None:
    bundle = request.getfixturevalue(name)
    for payload in (text(bundle), to_xml(bundle)):
        report = validate(payload)
        assert report.standard_ref == ref
        assert report.issues == [], [str(i) for i in report.issues]


def test_detection_by_pinned_profile_header_profile_and_event(cc: dict[str, Any]) -> None:
    bundle = copy.deepcopy(cc)
    bundle["meta"]["profile"] = [bundle["meta"]["profile"][0] + "|5.0.4"]
    assert detect(text(bundle)).ref == "medcom.carecommunication@5.0.4"
    assert validate(text(bundle)).issues == []
    del bundle["meta"]
    assert detect(text(bundle)).ref == "medcom.carecommunication@5.0.4"  # by the header's profile
    del bundle["entry"][0]["resource"]["meta"]
    assert detect(text(bundle)).ref == "medcom.carecommunication@5.0.4"  # by the event code
    assert detect(to_xml(bundle)).ref == "medcom.carecommunication@5.0.4"
    # without a profile claim the Bundle is still checked against the message profile
    found = [i for i in validate(text(bundle)).issues if i.rule_id == "medcom.carecommunication.profile-claims"]
    assert [i.location.path for i in found] == ["Bundle.entry[0].resource"]


def test_other_pinned_version_is_checked_against_the_modelled_one(cc: dict[str, Any]) -> None:
    bundle = copy.deepcopy(cc)
    bundle["meta"]["profile"] = [bundle["meta"]["profile"][0] + "|5.0.1"]
    report = validate(text(bundle))
    assert report.standard_ref == "medcom.carecommunication@5.0.4"
    assert report.rule_ids() == ["medcom.message.version-not-modelled"]
    assert report.issues[0].location.path == "Bundle.meta.profile"


def test_plain_fhir_is_left_to_the_base_pack() -> None:
    assert detect('{"resourceType": "Patient", "id": "p"}').ref == "hl7.fhir.r4.core@4.0.1"
    assert detect('{"resourceType": "Bundle", "type": "message", "entry": []}').ref == "hl7.fhir.r4.core@4.0.1"


def test_inside_a_vans_envelope(hn: dict[str, Any]) -> None:
    data = text(hn).encode("utf-8")
    envelope = f"""<?xml version="1.0" encoding="UTF-8"?>
<VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4">
  <SenderID EndPointType="EAN">5790000209354</SenderID>
  <ReceiverID EndPointType="EAN">5790001348120</ReceiverID>
  <EnvelopeIdentifier>8f0c8a52-5c55-4d2b-9a7e-1b1f0a3c9d11</EnvelopeIdentifier>
  <SentDateTime>2024-05-01T12:00:05</SentDateTime>
  <Message>
    <MetaInformation>
      <Identifier>0b9d3c1e-7a41-4c55-8f0e-3f2d9c1b5a77</Identifier>
      <Document><Format>HL7</Format><Name>MCM:FDIS20#AdmissionInpatient</Name><Version>3.0.0</Version>
        <SizeInBytes>{len(data)}</SizeInBytes></Document>
      <Transport><Type>reliable</Type><TransformMessage>false</TransformMessage>
        <ServiceTag name="MCM:MIME">application/fhir+json</ServiceTag></Transport>
    </MetaInformation>
    <Data>{base64.b64encode(data).decode()}</Data>
  </Message>
</VANSEnvelope>"""
    report = validate(envelope)
    assert report.standard_ref == "medcom.vans.envelope@1.0.4"
    payload = [i for i in report.issues if i.rule_id == "vans.payload"]
    assert payload and "medcom.hospitalnotification@3.0.2" in payload[0].message
    broken = copy.deepcopy(hn)
    broken["timestamp"] = broken["timestamp"][:19]
    data = text(broken).encode("utf-8")
    envelope = envelope.replace(envelope.split("<Data>")[1].split("</Data>")[0], base64.b64encode(data).decode())
    report = validate(envelope)
    inner = [i for i in report.issues if i.rule_id == "medcom.message.timezone-missing"]
    assert inner and inner[0].location.container == "VANSEnvelope/Message/Data"
    assert inner[0].location.path == "Bundle.timestamp"


# ---------------------------------------------------------------------- rules, locations


@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
def test_locations_are_fhirpath_with_line(cc: dict[str, Any], xml: bool) -> None:
    bundle = copy.deepcopy(cc)
    org = bundle["entry"][5]["resource"]
    assert org["resourceType"] == "Organization"
    org["identifier"][1]["value"] = "5790000209355"  # bad GLN check digit
    report = validate(to_xml(bundle) if xml else text(bundle))
    found = [i for i in report.issues if i.rule_id == "dk.gln.check-digit"]
    assert found and found[0].location.path == "Bundle.entry[5].resource.identifier[1].value"
    assert found[0].location.line
    if not xml:
        assert found[0].location.column


def test_sender_without_gln_names_the_system_drift(cc: dict[str, Any]) -> None:
    bundle = copy.deepcopy(cc)
    bundle["entry"][5]["resource"]["identifier"][1]["system"] = "http://www.gs1.org/gln"
    found = issues_of(bundle, "medcom.message.sender-identifiers")
    assert found and "DK Core 3.5.0" in found[0].message
    assert found[0].location.path == "Bundle.entry[5].resource.identifier"


def test_primary_not_cc_by_identifiers(hn: dict[str, Any]) -> None:
    bundle = copy.deepcopy(hn)
    header = bundle["entry"][0]["resource"]
    receiver_ref = header["destination"][0]["receiver"]["reference"]
    twin = copy.deepcopy(next(e["resource"] for e in bundle["entry"]
                              if f"Organization/{e['resource'].get('id')}" == receiver_ref))
    twin["id"] = "twin-of-the-receiver"
    bundle["entry"].append({"fullUrl": "https://x/Organization/twin-of-the-receiver", "resource": twin})
    cc_dest = copy.deepcopy(header["destination"][0])
    cc_dest["extension"][0]["valueCoding"]["code"] = "cc"
    cc_dest["receiver"]["reference"] = "Organization/twin-of-the-receiver"
    header["destination"].append(cc_dest)
    found = issues_of(bundle, "medcom.message.primary-not-cc")
    assert found and "same GLN and SOR code" in found[0].message
    assert found[0].location.path == "Bundle.entry[0].resource.destination[1].receiver"


def test_reference_unresolved_and_exempt_provenance_links(hn: dict[str, Any]) -> None:
    # earlier MessageHeaders are not bundled: Provenance.target/entity never count as unresolved
    assert issues_of(hn, "medcom.message.reference-unresolved") == []
    bundle = copy.deepcopy(hn)
    encounter = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter")
    encounter["serviceProvider"] = {"reference": "Organization/elsewhere"}
    found = issues_of(bundle, "medcom.message.reference-unresolved", xml=True)
    assert [i.location.path for i in found] == [
        f"Bundle.entry[{bundle['entry'].index(next(e for e in bundle['entry'] if e['resource'] is encounter))}]"
        ".resource.serviceProvider.reference"]


def test_timezone_in_extensions_and_periods(cc: dict[str, Any]) -> None:
    bundle = copy.deepcopy(cc)
    communication = bundle["entry"][2]["resource"]
    communication["payload"][0]["extension"][0]["valueDateTime"] = "2024-05-01"
    found = issues_of(bundle, "medcom.message.timezone-missing")
    assert [i.location.path for i in found] == ["Bundle.entry[2].resource.payload[0].extension[0].valueDateTime"]


def _current_activity(bundle: dict[str, Any]) -> dict[str, Any]:
    """The activity coding of the Provenance of the Bundle's own MessageHeader."""
    target = f"MessageHeader/{bundle['entry'][0]['resource']['id']}"
    return next(e["resource"]["activity"]["coding"][0] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Provenance" and e["resource"]["target"][0]["reference"] == target)


@pytest.mark.parametrize("death_on_leave", [False, True], ids=["generated", "death-on-leave"])
def test_hospital_notification_code_table(hn: dict[str, Any], death_on_leave: bool) -> None:
    bundle = copy.deepcopy(hn)
    encounter = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter")
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    activity = _current_activity(bundle)
    if death_on_leave:
        # a death while on leave repeats start-leave-inpatient with the Encounter finished (as the generator
        # makes it): the status the table gives that activity is onleave, not the message's finished
        activity["code"] = "start-leave-inpatient"
        encounter["class"]["code"], encounter["status"] = "IMP", "finished"
        patient["deceasedBoolean"] = True
        assert issues_of(bundle, "medcom.hospitalnotification.code-table") == []
    patient.pop("deceasedBoolean", None)
    # a status other than the one the table gives the current activity
    encounter["status"] = "onleave" if HN_TABLE[activity["code"]][1] != "onleave" else "finished"
    assert issues_of(bundle, "medcom.hospitalnotification.code-table")


def test_acknowledgement_rules(ack: dict[str, Any]) -> None:
    bundle = copy.deepcopy(ack)
    response = bundle["entry"][0]["resource"]["response"]
    response["identifier"] = "MessageHeader/" + response["identifier"]
    found = issues_of(bundle, "medcom.acknowledgement.response-identifier")
    assert found[0].location.path == "Bundle.entry[0].resource.response.identifier"


def test_validation_is_total_on_odd_bundles() -> None:
    odd = {"resourceType": "Bundle", "type": "message", "meta": {"profile": [KINDS[0].message_profile]},
           "entry": [{"resource": {"resourceType": "MessageHeader", "focus": "x", "destination": [1],
                                   "sender": "y"}}, {"resource": 5}, "z"]}
    report = validate(json.dumps(odd))
    assert report.standard_ref == "medcom.carecommunication@5.0.4"
    assert "internal-error" not in report.rule_ids()


# ------------------------------------------------------------------------------- narrative


def _index(bundle: dict[str, Any], rtype: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == rtype)


@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
def test_every_resource_carries_narrative(cc: dict[str, Any], xml: bool) -> None:
    bundle = copy.deepcopy(cc)
    prov, patient, comm = _index(bundle, "Provenance"), _index(bundle, "Patient"), _index(bundle, "Communication")
    del bundle["entry"][prov]["resource"]["text"]
    bundle["entry"][patient]["resource"]["text"]["status"] = "additional"
    bundle["entry"][comm]["resource"]["text"]["div"] = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Besked</p></div>'
    found = {(i.rule_id, i.location.path) for i in validate(to_xml(bundle) if xml else text(bundle)).issues
             if i.rule_id.startswith("medcom.narrative.")}
    assert found == {("medcom.narrative.missing", f"Bundle.entry[{prov}].resource"),
                     ("medcom.narrative.missing", f"Bundle.entry[{patient}].resource.text.status"),
                     ("medcom.narrative.id", f"Bundle.entry[{comm}].resource.text.div")}


def test_narrative_names_the_id_on_its_own(cc: dict[str, Any]) -> None:
    """An id counts as named only on its own, not inside a longer word or number."""
    bundle = copy.deepcopy(cc)
    comm = _index(bundle, "Communication")
    resource = bundle["entry"][comm]["resource"]
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Besked {}</p></div>'
    resource["text"]["div"] = div.format(f"x{resource['id']}9")
    found = [(i.rule_id, i.location.path) for i in validate(text(bundle)).issues if i.rule_id == "medcom.narrative.id"]
    assert found == [("medcom.narrative.id", f"Bundle.entry[{comm}].resource.text.div")]
    resource["text"]["div"] = div.format(f"Communication/{resource['id']}")
    assert "medcom.narrative.id" not in validate(text(bundle)).rule_ids()


def test_header_narrative_shows_event_parties_and_endpoints(hn: dict[str, Any]) -> None:
    bundle = copy.deepcopy(hn)
    header = bundle["entry"][0]["resource"]
    header["text"]["div"] = f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{header["id"]}</p></div>'
    found = issues_of(bundle, "medcom.narrative.header-content")
    assert [i.location.path for i in found] == ["Bundle.entry[0].resource.text.div"]
    for shown in ("'hospital-notification-message'", header["sender"]["reference"],
                  header["destination"][0]["receiver"]["reference"], header["source"]["endpoint"],
                  header["destination"][0]["endpoint"]):
        assert shown in found[0].message
    # SOR ids stand for endpoints, names, SOR codes or GLNs for organizations, the display for the code
    sor = header["source"]["endpoint"].rsplit("=", 1)[1]
    receiver_sor = header["destination"][0]["endpoint"].rsplit("=", 1)[1]
    orgs = {f"Organization/{e['resource']['id']}": e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Organization"}
    names = [orgs[header["sender"]["reference"]]["name"], orgs[header["destination"][0]["receiver"]["reference"]]
             ["identifier"][1]["value"]]
    header["eventCoding"]["display"] = "Advis om sygehusophold"
    header["text"]["div"] = (f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{header["id"]}: Advis om sygehusophold '
                             f'fra {names[0]} ({sor}) til {names[1]} ({receiver_sor})</p></div>')
    assert issues_of(bundle, "medcom.narrative.header-content") == []


def test_header_narrative_counts_codes_only_on_their_own(hn: dict[str, Any]) -> None:
    """A SOR code or GLN inside a longer number (as the SOR code 10000000000 is inside the MessageHeader.id
    00000000-0000-4000-8000-010000000000) shows neither the organization nor its endpoint."""
    bundle = copy.deepcopy(hn)
    header = bundle["entry"][0]["resource"]
    orgs = {f"Organization/{e['resource']['id']}": e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Organization"}
    receiver_ref = header["destination"][0]["receiver"]["reference"]
    orgs[header["sender"]["reference"]]["identifier"][0]["value"] = "20000000000"
    header["source"]["endpoint"] = "https://sor2.sum.dsdn.dk/#id=20000000000"
    sor = orgs[receiver_ref]["identifier"][0]["value"] = "10000000000"
    gln = orgs[receiver_ref]["identifier"][1]["value"]
    header["destination"][0]["endpoint"] = f"https://sor2.sum.dsdn.dk/#id={sor}"
    shown = (f'{header["id"]}: hospital-notification-message fra {header["sender"]["reference"]} '
             f'({header["source"]["endpoint"]}) til')
    for hidden, missing in ((f"00000000-0000-4000-8000-0{sor}", True), (f"{gln}0 / 4{sor}", True),
                            (f"GLN {gln}, SOR-id {sor}.", False)):
        header["text"]["div"] = f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{shown} {hidden}</p></div>'
        found = issues_of(bundle, "medcom.narrative.header-content")
        assert bool(found) is missing, (hidden, [i.message for i in found])
        if missing:
            assert receiver_ref in found[0].message and "destination[0].endpoint" in found[0].message
            assert header["sender"]["reference"] not in found[0].message


def test_narrative_without_attachment_data(cc: dict[str, Any]) -> None:
    bundle = copy.deepcopy(cc)
    comm = _index(bundle, "Communication")
    payload = bundle["entry"][comm]["resource"]["payload"]
    payload.append({**payload[0], "contentAttachment": {"contentType": "application/pdf", "title": "Notat",
                                                        "data": base64.b64encode(b"%PDF-1.4 " * 20).decode()}})
    payload[-1].pop("contentString", None)
    assert issues_of(bundle, "medcom.narrative.attachment") == []
    div = bundle["entry"][comm]["resource"]["text"]["div"]
    data = payload[-1]["contentAttachment"]["data"]
    wrapped = "\n".join(data[i:i + 30] for i in range(0, len(data), 30))  # line breaks do not hide it
    bundle["entry"][comm]["resource"]["text"]["div"] = div[:-6] + f"<pre>{wrapped}</pre></div>"
    found = issues_of(bundle, "medcom.narrative.attachment")
    assert [i.location.path for i in found] == [f"Bundle.entry[{comm}].resource.text.div"]
    assert "base64 data" in found[0].message


def test_attachment_data_of_white_space_shows_in_no_narrative(cc: dict[str, Any]) -> None:
    bundle = copy.deepcopy(cc)
    comm = _index(bundle, "Communication")
    payload = bundle["entry"][comm]["resource"]["payload"]
    payload.append({**payload[0], "contentAttachment": {"contentType": "application/pdf", "data": " " * 20}})
    payload[-1].pop("contentString", None)
    assert issues_of(bundle, "medcom.narrative.attachment") == []
    payload[-1]["contentAttachment"]["data"] = "QUJD" * 3 + " " * 20  # 12 characters besides white space
    assert issues_of(bundle, "medcom.narrative.attachment") == []
