"""A realistic 30-entry MedCom-like FHIR R4 message Bundle (MessageHeader, Organizations, Patient,
Practitioners, Encounter, Communication, Provenance, Observations, Conditions, ...), built in code
so that the benchmark and its JSON file agree. ``python benchmarks/fhir/message_bundle.py`` writes
``bundle.json`` beside this file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SD = "http://hl7.org/fhir/StructureDefinition/"
SOR = "urn:oid:1.2.208.176.1.1"
GLN = "https://www.gs1.org/gln"
CPR = "urn:oid:1.2.208.176.1.2"
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def _uuid(n: int) -> str:
    return f"urn:uuid:6f1c2a3b-4d5e-4f60-8a7b-{n:012d}"


def _text(words: str) -> dict[str, Any]:
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{words}</p></div>'}


def message_bundle() -> dict[str, Any]:
    entries: list[tuple[int, dict[str, Any]]] = []

    def add(n: int, resource: dict[str, Any]) -> None:
        resource.setdefault("id", f"{resource['resourceType'].lower()}-{n}")
        resource.setdefault("text", _text(f"{resource['resourceType']} {n}"))
        entries.append((n, resource))

    def org(n: int, name: str, sor: str, gln: str) -> None:
        add(n, {"resourceType": "Organization", "identifier": [
            {"system": SOR, "value": sor}, {"system": GLN, "value": gln}], "active": True, "name": name,
            "telecom": [{"system": "phone", "value": "+4570101010", "use": "work"}],
            "address": [{"line": ["Forskerparken 10"], "city": "Odense", "postalCode": "5230", "country": "DK"}]})

    add(1, {"resourceType": "MessageHeader", "meta": {"lastUpdated": "2024-05-01T10:00:00+02:00"},
            "eventCoding": {"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
                            "code": "care-communication-message"},
            "destination": [{"extension": [{"url": "http://example.org/fhir/StructureDefinition/destination-use",
                                            "valueCoding": {"code": "primary"}}],
                             "endpoint": "https://sor2.sum.dsdn.dk/#id=953741000016009",
                             "receiver": {"reference": _uuid(3)}}],
            "sender": {"reference": _uuid(2)},
            "source": {"endpoint": "https://sor2.sum.dsdn.dk/#id=265161000016000"},
            "focus": [{"reference": _uuid(9)}],
            "definition": "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/CareCommunication|5.0"})
    org(2, "Sygehus Syd, Kardiologisk afdeling", "265161000016000", "5790001382445")
    org(3, "Hjemmeplejen Odense", "953741000016009", "5790000121526")
    org(4, "Lægehuset Vestergade", "123451000016008", "5790000209355")
    add(5, {"resourceType": "Patient", "identifier": [{"system": CPR, "value": "0201909309"}],
            "name": [{"use": "official", "family": "Berggren", "given": ["Elmer", "Bent"]}],
            "telecom": [{"system": "phone", "value": "+4533445566"}], "gender": "male", "birthDate": "1990-01-02",
            "address": [{"line": ["Vestergade 4, 2. th"], "city": "Odense C", "postalCode": "5000"}],
            "managingOrganization": {"reference": _uuid(4)}})
    for n, (family, given) in ((6, ("Hansen", "Inge")), (7, ("Nielsen", "Ole"))):
        add(n, {"resourceType": "Practitioner", "identifier": [
            {"system": "https://autregweb.sst.dk", "value": f"00{n}AB"}],
            "name": [{"family": family, "given": [given]}],
            "qualification": [{"code": {"text": "Sygeplejerske"}}]})
    add(8, {"resourceType": "PractitionerRole", "practitioner": {"reference": _uuid(6)},
            "organization": {"reference": _uuid(2)},
            "code": [{"coding": [{"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/"
                                  "medcom-core-PractitionerRoles", "code": "nurse"}]}]})
    add(9, {"resourceType": "Communication", "identifier": [{"system": "urn:ietf:rfc:3986", "value": _uuid(90)}],
            "status": "unknown", "category": [{"coding": [{
                "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes",
                "code": "regarding-referral"}]}],
            "subject": {"reference": _uuid(5)}, "encounter": {"reference": _uuid(10)},
            "topic": {"text": "Opfølgning efter udskrivelse"},
            "payload": [{"extension": [
                {"url": "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-core-datetime-extension",
                 "valueDateTime": "2024-05-01T09:55:00+02:00"},
                {"url": "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-core-author-extension",
                 "valueReference": {"reference": _uuid(8)}}],
                "contentString": "Patienten er udskrevet og har brug for hjælp til medicin og sårpleje."},
                {"contentAttachment": {"contentType": "application/pdf", "title": "Epikrise",
                                       "data": "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoK", "creation": "2024-05-01"}}]})
    add(10, {"resourceType": "Encounter", "status": "finished",
             "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
             "subject": {"reference": _uuid(5)}, "serviceProvider": {"reference": _uuid(2)},
             "period": {"start": "2024-04-28T08:00:00+02:00", "end": "2024-05-01T09:00:00+02:00"},
             "episodeOfCare": [{"identifier": {"system": "https://sundhedsdatastyrelsen.dk/episodeofcare",
                                               "value": "f4a3b2c1-0000-4000-8000-000000000001"}}]})
    for n, (target, activity) in ((11, (1, "new-message")), (12, (9, "new-message")), (13, (10, "admit-inpatient"))):
        add(n, {"resourceType": "Provenance", "target": [{"reference": _uuid(target)}],
                "occurredDateTime": "2024-05-01T10:00:00+02:00", "recorded": "2024-05-01T10:00:00+02:00",
                "activity": {"coding": [{"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/"
                                         "medcom-messaging-activityCodes", "code": activity}]},
                "agent": [{"who": {"reference": _uuid(2)}, "onBehalfOf": {"reference": _uuid(4)}}],
                "entity": [{"role": "source", "what": {"identifier": {"value": _uuid(99)}}}]})
    vitals = [("8867-4", "Heart rate", 72, "/min"), ("9279-1", "Respiratory rate", 16, "/min"),
              ("8310-5", "Body temperature", 37.2, "Cel"), ("29463-7", "Body weight", 81.5, "kg"),
              ("8302-2", "Body height", 182, "cm"), ("2708-6", "Oxygen saturation", 97, "%"),
              ("39156-5", "BMI", 24.6, "kg/m2"), ("2339-0", "Glucose", 5.8, "mmol/L"),
              ("2160-0", "Creatinine", 88, "umol/L"), ("718-7", "Hemoglobin", 8.9, "mmol/L")]
    for i, (code, display, value, unit) in enumerate(vitals):
        add(14 + i, {"resourceType": "Observation", "status": "final", "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
            "subject": {"reference": _uuid(5)}, "encounter": {"reference": _uuid(10)},
            "effectiveDateTime": "2024-04-30T08:15:00+02:00", "issued": "2024-04-30T08:20:00.000+02:00",
            "performer": [{"reference": _uuid(7)}],
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            "referenceRange": [{"low": {"value": 0, "unit": unit, "system": UCUM, "code": unit}}]})
    add(24, {"resourceType": "Observation", "status": "final", "code": {"coding": [
        {"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}]},
        "subject": {"reference": _uuid(5)}, "effectiveDateTime": "2024-04-30T08:15:00+02:00",
        "component": [{"code": {"coding": [{"system": LOINC, "code": c}]},
                       "valueQuantity": {"value": v, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
                      for c, v in (("8480-6", 128), ("8462-4", 84))]})
    add(25, {"resourceType": "Observation", "status": "final", "code": {"text": "Sårbeskrivelse"},
             "subject": {"reference": _uuid(5)}, "effectiveDateTime": "2024-04-30",
             "valueString": "Sår på venstre underben, 3 x 2 cm, let væskende."})
    for n, (code, text) in ((26, ("22298006", "Myokardieinfarkt")), (27, ("38341003", "Hypertension"))):
        add(n, {"resourceType": "Condition", "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "code": {"coding": [{"system": SCT, "code": code}], "text": text},
            "subject": {"reference": _uuid(5)}, "onsetDateTime": "2024-04-28", "recordedDate": "2024-04-28"})
    for n, (text, dose) in ((28, ("Metoprolol 50 mg", "1 tablet morgen")), (29, ("Furosemid 40 mg", "1 x dgl."))):
        add(n, {"resourceType": "MedicationStatement", "status": "active",
                "medicationCodeableConcept": {"text": text}, "subject": {"reference": _uuid(5)},
                "effectivePeriod": {"start": "2024-04-29"}, "dosage": [{"text": dose}]})
    add(30, {"resourceType": "CarePlan", "status": "active", "intent": "plan", "subject": {"reference": _uuid(5)},
             "title": "Sårpleje", "activity": [{"detail": {"status": "scheduled", "description": "Skift forbinding "
                                                           "hver anden dag"}}]})
    assert len(entries) == 30
    return {"resourceType": "Bundle", "id": "6f1c2a3b-bundle", "meta": {"lastUpdated": "2024-05-01T10:00:00+02:00"},
            "type": "message", "timestamp": "2024-05-01T10:00:00+02:00",
            "entry": [{"fullUrl": _uuid(n), "resource": r} for n, r in entries]}


if __name__ == "__main__":
    out = Path(__file__).with_name("bundle.json")
    out.write_text(json.dumps(message_bundle(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(out)
