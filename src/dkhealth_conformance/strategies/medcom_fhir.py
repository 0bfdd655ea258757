"""Hypothesis strategies for the MedCom FHIR messages: CareCommunication 5.0.4, HospitalNotification
3.0.2 and Acknowledgement 2.0.3, as parsed FHIR JSON Bundles (dicts), valid ones and near misses.

Valid messages vary what the standards let vary: CPR, X-eCPR and D-eCPR patients (X-/D-eCPR only
in CareCommunication, whose DK Core version has those slices; HospitalNotification demands a
CPR), time-zone offsets from -12:00 to +14:00, SOR codes and GLNs, categories, texts, and
histories: a CareCommunication may be the n-th reply of a thread and a HospitalNotification the
n-th notification of a stay, carrying every earlier Provenance.

None of the three standards allows cc receivers (their header profiles close ``destination:cc``
at 0), so cc receivers appear only in near misses (``add-cc-receivers`` adds many).

>>> from dkhealth_conformance.strategies import medcom_messages, invalid_medcom_messages
>>> @given(medcom_messages())                                       # doctest: +SKIP
... def test_receiver_accepts(bundle): ...
>>> @given(invalid_medcom_messages())                               # doctest: +SKIP
... def test_receiver_rejects(case):
...     assert case.rule_id in validate(case.bundle).rule_ids()

Each near miss (:class:`MedcomMutant`) names the rule id it must trigger, the operator that made
it and what was changed; :data:`MEDCOM_OPERATORS` lists the operators.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .identifiers import cpr_numbers, d_ecpr_numbers, glns, sor_codes, x_ecpr_numbers

__all__ = [
    "MEDCOM_OPERATORS",
    "MedcomMutant",
    "acknowledgement_of",
    "acknowledgements",
    "care_communications",
    "hospital_notifications",
    "invalid_medcom_messages",
    "medcom_messages",
    "mutants_of",
]

TERM = "http://medcomfhir.dk/ig/terminology/CodeSystem"
CORE = "http://medcomfhir.dk/ig/core/StructureDefinition"
EVENTS = f"{TERM}/medcom-messaging-eventCodes"
ACTIVITIES = f"{TERM}/medcom-messaging-activityCodes"
DEST_USE_URL = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
SOR = "urn:oid:1.2.208.176.1.1"
GLN = "https://www.gs1.org/gln"
CPR = "urn:oid:1.2.208.176.1.2"
X_ECPR = "urn:oid:1.2.208.176.1.6.1.1"
D_ECPR_SYSTEMS = ("urn:oid:1.2.208.176.1.6.1.3", "urn:oid:1.2.208.176.1.6.1.3.177", "urn:oid:1.2.208.176.1.6.1.3.179",
                  "urn:oid:1.2.208.176.1.6.1.3.181", "urn:oid:1.2.208.176.1.6.1.3.183",
                  "urn:oid:1.2.208.176.1.6.1.3.187")
CC = "http://medcomfhir.dk/ig/carecommunication"
HN = "http://medcomfhir.dk/ig/hospitalnotification"
ACK = "http://medcomfhir.dk/ig/acknowledgement"
CATEGORIES = ("alcohol-and-drug-treatment", "assistive-devices", "carecoordination", "decease", "discharge",
              "examination-results", "healthcare", "home-care-assessment", "medicine", "nursing", "outpatient",
              "psychiatry-social-disability", "regarding-referral", "telemedicine", "training", "other")
ROLES = ("sygeplejerske", "overlaege", "fysioterapeut", "ergoterapeut", "socialogsundhedsassistent", "laegesekretaer")
XHTML = "http://www.w3.org/1999/xhtml"
_NAMES = ("Hansen", "Jensen", "Nielsen", "Pedersen", "Andersen", "Østergård", "Bæk", "Sørensen")
_GIVEN = ("Bruno", "Else", "Åse", "Søren", "Mette", "Ib", "Jørgen", "Ida")
_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), min_size=1, max_size=60) \
    .map(lambda s: s.strip() or "Besked").filter(lambda s: "<" not in s and "&" not in s)


# ------------------------------------------------------------------------------------ pieces


class _Ids:
    """Deterministic UUIDs (version 4 layout) drawn from Hypothesis, so examples shrink and replay."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.used: set[str] = set()

    def __call__(self) -> str:
        value = self.draw(st.integers(0, 2**122 - 1))
        while True:
            text = str(uuid.UUID(int=value, version=4))
            if text not in self.used:
                self.used.add(text)
                return text
            value += 1


def _narrative(text: str) -> dict[str, str]:
    safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"status": "generated", "div": f'<div xmlns="{XHTML}"><p>{safe}</p></div>'}


def _stamp(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if moment.tzinfo is dt.UTC else text


@st.composite
def _moments(draw: st.DrawFn) -> dt.datetime:
    """A moment with an offset from -12:00 to +14:00 (quarter hours, as real zones have) or Z."""
    if draw(st.integers(0, 9)) == 0:
        zone = dt.UTC
    else:
        zone = dt.timezone(dt.timedelta(minutes=15 * draw(st.integers(-48, 56))))
    base = draw(st.datetimes(min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2035, 12, 31)))
    return base.replace(microsecond=0, tzinfo=zone)


@dataclass
class _Org:
    id: str
    sor: str
    gln: str
    name: str

    def resource(self) -> dict[str, Any]:
        return {"resourceType": "Organization", "id": self.id,
                "text": _narrative(f"Organization {self.id}: {self.name}, SOR {self.sor}, GLN {self.gln}"),
                "identifier": [{"use": "official", "system": SOR, "value": self.sor},
                               {"use": "official", "system": GLN, "value": self.gln}],
                "name": self.name}

    @property
    def endpoint(self) -> str:
        return f"https://sor2.sum.dsdn.dk/#id={self.sor}"


@st.composite
def _organizations(draw: st.DrawFn, ids: _Ids, n: int) -> list[_Org]:
    sors = draw(st.lists(sor_codes(), min_size=n, max_size=n, unique=True))
    gln_values = draw(st.lists(glns(), min_size=n, max_size=n, unique=True))
    names = [f"{draw(st.sampled_from(('Plejecenter', 'Hjemmeplejen', 'Afdeling', 'Lægehuset')))} "
             f"{draw(st.sampled_from(_NAMES))}" for _ in range(n)]
    return [_Org(ids(), s, g, name) for s, g, name in zip(sors, gln_values, names, strict=True)]


@st.composite
def _patients(draw: st.DrawFn, ids: _Ids, kinds: tuple[str, ...]) -> dict[str, Any]:
    kind = draw(st.sampled_from(kinds))
    if kind == "cpr":
        identifier = {"use": "official", "system": CPR, "value": draw(cpr_numbers())}
    elif kind == "x-ecpr":
        identifier = {"use": "temp", "system": X_ECPR, "value": draw(x_ecpr_numbers())}
    else:
        identifier = {"use": "temp", "system": draw(st.sampled_from(D_ECPR_SYSTEMS)), "value": draw(d_ecpr_numbers())}
    pid = ids()
    family, given = draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_GIVEN))
    return {"resourceType": "Patient", "id": pid,
            "text": _narrative(f"Patient {pid}: {given} {family}, {identifier['value']}"),
            "identifier": [identifier],
            "name": [{"use": "official", "family": family, "given": [given]}]}


def _entry(ig: str, res: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{ig}/{res['resourceType']}/{res['id']}", "resource": res}


def _header(ig: str, profile: str | None, event: str, hid: str, sender: _Org, receiver: _Org,
            focus: dict[str, Any] | None) -> dict[str, Any]:
    header: dict[str, Any] = {
        "resourceType": "MessageHeader", "id": hid,
        "text": _narrative(f"MessageHeader {hid}: {event} from Organization/{sender.id} ({sender.endpoint}) to "
                           f"Organization/{receiver.id} ({receiver.endpoint})"),
        "eventCoding": {"system": EVENTS, "code": event},
        "destination": [{"extension": [{"url": DEST_USE_URL, "valueCoding": {
            "system": f"{TERM}/medcom-messaging-destinationUse", "code": "primary"}}],
            "endpoint": receiver.endpoint, "receiver": {"reference": f"Organization/{receiver.id}"}}],
        "sender": {"reference": f"Organization/{sender.id}"},
        "source": {"endpoint": sender.endpoint},
    }
    if profile:
        header["meta"] = {"profile": [profile]}
    if focus is not None:
        header["focus"] = [{"reference": f"{focus['resourceType']}/{focus['id']}"}]
    return header


def _provenance(ig: str, profile: str | None, pid: str, target: str, when: str, activity: str, agent: _Org,
                preceding: str | None, role: str = "revision", extra: list[dict[str, Any]] | None = None
                ) -> dict[str, Any]:
    prov: dict[str, Any] = {
        "resourceType": "Provenance", "id": pid,
        "text": _narrative(f"Provenance {pid}: {activity} by Organization/{agent.id} at {when}, "
                           f"MessageHeader/{target}"),
        "target": [{"reference": f"MessageHeader/{target}"}],
        "occurredDateTime": when, "recorded": when,
        "activity": {"coding": [{"system": ACTIVITIES, "code": activity}]},
        "agent": [{"who": {"reference": f"Organization/{agent.id}"}}],
    }
    if profile:
        prov["meta"] = {"profile": [profile]}
    entities = ([{"role": role, "what": {"reference": f"MessageHeader/{preceding}"}}] if preceding else [])
    entities += extra or []
    if entities:
        prov["entity"] = entities
    return prov


def _bundle(ig: str, profile: str, bid: str, when: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "id": bid, "meta": {"profile": [profile]}, "type": "message",
            "timestamp": when, "entry": [_entry(ig, r) for r in resources]}


# --------------------------------------------------------------------------- care communication


@st.composite
def care_communications(draw: st.DrawFn, max_history: int = 6) -> dict[str, Any]:
    """A valid CareCommunication 5.0.4: a new message, or the n-th reply or a forward of a thread
    (each reply adds a text segment and a Provenance; up to ``max_history`` earlier exchanges)."""
    ids = _Ids(draw)
    sender, receiver = draw(_organizations(ids, 2))
    patient = draw(_patients(ids, ("cpr", "x-ecpr", "d-ecpr")))
    start = draw(_moments())
    history = draw(st.integers(0, max_history))
    activity = "new-message" if history == 0 else draw(st.sampled_from(("reply-message", "forward-message")))
    category = draw(st.sampled_from(CATEGORIES))
    practitioner: dict[str, Any] = {"resourceType": "Practitioner", "id": ids()}
    practitioner["name"] = [{"family": draw(st.sampled_from(_NAMES)), "given": [draw(st.sampled_from(_GIVEN))]}]
    practitioner["text"] = _narrative(f"Practitioner {practitioner['id']}")
    role = {"resourceType": "PractitionerRole", "id": ids(),
            "practitioner": {"reference": f"Practitioner/{practitioner['id']}"},
            "organization": {"reference": f"Organization/{sender.id}"},
            "code": [{"coding": [{"system": f"{TERM}/medcom-core-PractitionerRolesSKSadministrativ",
                                  "code": draw(st.sampled_from(ROLES))}]}]}
    role["text"] = _narrative(f"PractitionerRole {role['id']}")
    # the exchanges so far: (header id, sender, moment); each added one text segment
    exchanges = []
    moment = start
    orgs = (sender, receiver)
    for n in range(history + 1):
        moment = moment + dt.timedelta(minutes=draw(st.integers(1, 60 * 24 * 3)))
        # replies alternate between the two parties; the current message is from `sender`
        exchanges.append((ids(), orgs[(history - n) % 2], moment, ids()))
    comm_id = ids()
    thread = f"urn:uuid:{ids()}"
    payload = []
    for _hid, org, when, seg in exchanges:
        payload.append({"extension": [
            {"url": f"{CORE}/medcom-core-datetime-extension", "valueDateTime": _stamp(when)},
            {"url": f"{CORE}/medcom-core-identifier-extension",
             "valueIdentifier": {"value": f"urn:uuid:{seg}", "assigner": {"reference": f"Organization/{org.id}"}}},
            {"url": f"{CORE}/medcom-core-practitioner-extension",
             "valueReference": {"reference": f"PractitionerRole/{role['id']}"}},
            {"url": f"{CORE}/medcom-core-contact-extension",
             "valueContactPoint": {"system": "phone", "value": f"+45{draw(st.integers(20000000, 99999999))}"}}],
            "contentString": draw(_TEXT)})
    communication: dict[str, Any] = {
        "resourceType": "Communication", "id": comm_id, "text": _narrative(f"Communication {comm_id}"),
        "identifier": [{"value": thread}], "status": "unknown",
        "category": [{"coding": [{"system": f"{TERM}/medcom-careCommunication-categoryCodes", "code": category}]}],
        "subject": {"reference": f"Patient/{patient['id']}"}, "payload": payload}
    if category == "other" or draw(st.booleans()):
        communication["topic"] = {"text": draw(_TEXT)}
    if category == "regarding-referral" and draw(st.booleans()):
        communication["priority"] = draw(st.sampled_from(("routine", "asap")))
    hid, _org, when, _seg = exchanges[-1]
    header = _header(CC, f"{CC}/StructureDefinition/medcom-careCommunication-messageHeader",
                     "care-communication-message", hid, sender, receiver, communication)
    header["definition"] = ("http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
                            "MedComCareCommunicationMessageDefinition|5.0")
    provs = []
    prov_profile = f"{CC}/StructureDefinition/medcom-careCommunication-provenance"
    for n, (ehid, org, ewhen, seg) in enumerate(exchanges):
        act = "new-message" if n == 0 else ("reply-message" if n < history else activity)
        source = [{"role": "source", "what": {"identifier": {"value": f"urn:uuid:{seg}"}}}]
        provs.append(_provenance(CC, prov_profile, ids(), ehid, _stamp(ewhen), act, org,
                                 exchanges[n - 1][0] if n else None, extra=source))
    stamp = _stamp(when)
    resources = [header, patient, communication, role, practitioner, sender.resource(), receiver.resource(), *provs]
    return _bundle(CC, f"{CC}/StructureDefinition/medcom-careCommunication-message", ids(), stamp, resources)


# ------------------------------------------------------------------------ hospital notification

#: notification chains a stay can follow: (activity, class, status, deceased)
_STAY_STEPS = {
    "IMP": ("admit-inpatient", ["start-leave-inpatient", "end-leave-inpatient"], "discharge-inpatient-home"),
    "EMER": ("admit-emergency", [], "discharge-emergency-home"),
}
_HN_PROV = f"{HN}/StructureDefinition/medcom-hospitalNotification-provenance"
_STATUS = {"admit-inpatient": "in-progress", "admit-emergency": "in-progress", "start-leave-inpatient": "onleave",
           "end-leave-inpatient": "in-progress", "discharge-inpatient-home": "finished",
           "discharge-emergency-home": "finished"}


@st.composite
def hospital_notifications(draw: st.DrawFn, max_history: int = 8) -> dict[str, Any]:
    """A valid HospitalNotification 3.0.2: the n-th notification of a stay (admission, leaves and
    returns, discharge, a revision or cancellation of the last one, or a death), carrying the
    Provenances of every earlier notification."""
    ids = _Ids(draw)
    hospital, municipality = draw(_organizations(ids, 2))
    patient = draw(_patients(ids, ("cpr",)))
    enc_class = draw(st.sampled_from(("IMP", "EMER")))
    first, cycle, last = _STAY_STEPS[enc_class]
    steps = [first]
    for _ in range(draw(st.integers(0, max_history - 1))):
        if not cycle or steps[-1] == last:
            break
        nxt = cycle[0] if steps[-1] in (first, cycle[1]) else cycle[1]
        if steps[-1] != cycle[0] and draw(st.integers(0, 3)) == 0:
            nxt = last
        steps.append(nxt)
    if enc_class == "EMER" and draw(st.booleans()):
        steps.append(last)
    status = _STATUS[steps[-1]]
    change = draw(st.sampled_from(("plain", "plain", "revise", "cancel", "deceased")))
    activities = list(steps)
    if change == "revise":
        activities.append(f"revise-{steps[-1]}")
    elif change == "cancel":
        cancelled = steps[-1]
        activities.append(f"cancel-{cancelled}")
        from ..packs.medcom_fhir.standards import HN_TABLE

        status = HN_TABLE[f"cancel-{cancelled}"][1]
    deceased = change == "deceased"
    if deceased:
        activities.append(steps[-1] if not steps[-1].startswith("discharge") else first)
        status = "finished"
    moment = draw(_moments())
    exchanges = []
    for _act in activities:
        moment = moment + dt.timedelta(minutes=draw(st.integers(1, 60 * 24 * 5)))
        exchanges.append((ids(), moment))
    start = exchanges[0][1] - dt.timedelta(minutes=draw(st.integers(0, 30)))
    enc_id = ids()
    encounter: dict[str, Any] = {
        "resourceType": "Encounter", "id": enc_id, "text": _narrative(f"Encounter {enc_id}"),
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": enc_class},
        "subject": {"reference": f"Patient/{patient['id']}"},
        "episodeOfCare": [{"identifier": {"system": hospital.endpoint, "value": ids()}}],
        "period": {"start": _stamp(start)},
        "serviceProvider": {"reference": f"Organization/{hospital.id}"},
    }
    if status == "finished":
        encounter["period"]["end"] = _stamp(exchanges[-1][1])
    leaves = [i for i, a in enumerate(steps) if a == "start-leave-inpatient"]
    if status == "onleave" and leaves:
        leave = {"start": _stamp(exchanges[leaves[-1]][1])}
        encounter["extension"] = [{"url": f"{HN}/StructureDefinition/medcom-hospitalnotifiation-leave-period-extension",
                                   "valuePeriod": leave}]
    if deceased:
        patient["deceasedBoolean"] = True
    hid, when = exchanges[-1]
    header = _header(HN, draw(st.sampled_from((None, f"{HN}/StructureDefinition/medcom-hospitalNotification-"
                                                     "messageHeader"))),
                     "hospital-notification-message", hid, hospital, municipality, encounter)
    if len(activities) == 1:
        header["extension"] = [{"url": f"{HN}/StructureDefinition/medcom-messaging-reportOfAdmissionExtension",
                                "valueBoolean": draw(st.booleans())}]
    provs = []
    for n, ((ehid, ewhen), act) in enumerate(zip(exchanges, activities, strict=True)):
        role = "removal" if act.startswith("cancel-") else "revision"
        provs.append(_provenance(HN, _HN_PROV, ids(), ehid, _stamp(ewhen), act, hospital,
                                 exchanges[n - 1][0] if n else None, role))
    resources = [header, patient, encounter, hospital.resource(), municipality.resource(), *provs]
    return _bundle(HN, f"{HN}/StructureDefinition/medcom-hospitalNotification-message", ids(), _stamp(when),
                   resources)


# ------------------------------------------------------------------------------ acknowledgement

_ISSUE_DETAILS = f"{TERM}/medcom-acknowledgement-error-codes"
_ACK_PROV = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"


@st.composite
def acknowledgements(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Acknowledgement 2.0.3 (ok, transient-error or fatal-error with an OperationOutcome)
    of a CareCommunication or HospitalNotification: the acknowledged message's latest Provenance
    plus its own."""
    ids = _Ids(draw)
    original_sender, receiver = draw(_organizations(ids, 2))
    acked_id = ids()
    moment = draw(_moments())
    acked_activity = draw(st.sampled_from(("new-message", "reply-message", "admit-inpatient",
                                           "start-leave-inpatient", "discharge-emergency-home")))
    code = draw(st.sampled_from(("ok", "ok", "transient-error", "fatal-error")))
    hid = ids()
    header = _header(ACK, draw(st.sampled_from((None, f"{ACK}/StructureDefinition/medcom-messaging-"
                                                      "acknowledgementHeader"))),
                     "acknowledgement-message", hid, receiver, original_sender, None)
    header["response"] = {"identifier": acked_id, "code": code}
    later = moment + dt.timedelta(seconds=draw(st.integers(1, 3600)))
    resources: list[dict[str, Any]] = [header]
    if code != "ok" or draw(st.integers(0, 4)) == 0:
        oo_id = ids()
        severity = "error" if code != "ok" else "information"
        issue: dict[str, Any] = {"severity": severity, "code": "informational" if code == "ok" else "value"}
        if code != "ok":
            issue["details"] = {"coding": [{"system": _ISSUE_DETAILS, "code": draw(st.sampled_from(
                ("MSG_VALUESET_VALUE_UNKNOWN", "MSG_Mailbox_Out_Of_Operation")))}]}
        else:
            issue["details"] = {"text": "Dublet"}
        resources.append({"resourceType": "OperationOutcome", "id": oo_id,
                          "text": _narrative(f"OperationOutcome {oo_id}"), "issue": [issue]})
        header["response"]["details"] = {"reference": f"OperationOutcome/{oo_id}"}
    resources += [original_sender.resource(), receiver.resource(),
                  _quoted_provenance(draw, ids, acked_id, _stamp(moment), acked_activity, original_sender),
                  _provenance(ACK, _ACK_PROV, ids(), hid, _stamp(later), "acknowledgement", receiver, acked_id)]
    return _bundle(ACK, f"{ACK}/StructureDefinition/medcom-messaging-acknowledgement", ids(), _stamp(later),
                   resources)


def _quoted_provenance(draw: st.DrawFn, ids: _Ids, acked_id: str, when: str, activity: str, org: _Org
                       ) -> dict[str, Any]:
    """The acknowledged message's latest Provenance, claiming that standard's Provenance profile or the
    messaging one."""
    if activity.endswith("-message"):
        profile = draw(st.sampled_from((_ACK_PROV, f"{CC}/StructureDefinition/medcom-careCommunication-provenance")))
        source = [{"role": "source", "what": {"identifier": {"value": f"urn:uuid:{ids()}"}}}]
        return _provenance(ACK, profile, ids(), acked_id, when, activity, org, None, extra=source)
    profile = draw(st.sampled_from((_ACK_PROV, _HN_PROV)))
    return _provenance(ACK, profile, ids(), acked_id, when, activity, org, None)


def _org_of(resource: dict[str, Any]) -> _Org:
    values = {i.get("system"): i.get("value", "") for i in resource.get("identifier", []) if isinstance(i, dict)}
    return _Org(resource["id"], values.get(SOR, ""), values.get(GLN, ""), resource.get("name", ""))


def acknowledgement_of(message: dict[str, Any], code: str = "ok", ids: Callable[[], str] | None = None,
                       when: str | None = None) -> dict[str, Any]:
    """The Acknowledgement 2.0.3 answering ``message`` (a CareCommunication or HospitalNotification
    Bundle, or an Acknowledgement), deterministically: sent by the message's primary receiver to its
    sender, ``response.identifier`` the message's MessageHeader.id, the message's latest Provenance
    quoted plus an own Provenance (activity ``acknowledgement``, entity ``revision`` naming the
    message), and for ``transient-error``/``fatal-error`` an OperationOutcome in ``response.details``.

    ``ids`` gives the new resource ids (by default UUIDs derived from the message and the code);
    ``when`` is the acknowledgement's time (by default the message's Bundle.timestamp)."""
    header = _header_of(message)
    if ids is None:
        counter = iter(range(1_000_000))
        base = uuid.uuid5(uuid.NAMESPACE_URL, f"acknowledgement/{header.get('id')}/{code}")
        ids = lambda: str(uuid.uuid5(base, str(next(counter))))  # noqa: E731
    when = when or message.get("timestamp") or _stamp(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    original_sender = _org_of(_org(message, header["sender"]))
    receiver = _org_of(_org(message, header["destination"][0]["receiver"]))
    hid = ids()
    ack_header = _header(ACK, f"{ACK}/StructureDefinition/medcom-messaging-acknowledgementHeader",
                         "acknowledgement-message", hid, receiver, original_sender, None)
    ack_header["response"] = {"identifier": header["id"], "code": code}
    resources: list[dict[str, Any]] = [ack_header]
    if code != "ok":
        oo_id = ids()
        resources.append({"resourceType": "OperationOutcome", "id": oo_id,
                          "text": _narrative(f"OperationOutcome {oo_id}: the message is rejected ({code})"),
                          "issue": [{"severity": "error", "code": "value", "details": {"coding": [
                              {"system": _ISSUE_DETAILS, "code": "MSG_VALUESET_VALUE_UNKNOWN"}]}}]})
        ack_header["response"]["details"] = {"reference": f"OperationOutcome/{oo_id}"}
    quoted = copy.deepcopy(_current_prov(message))
    resources += [receiver.resource(), original_sender.resource(), quoted,
                  _provenance(ACK, _ACK_PROV, ids(), hid, when, "acknowledgement", receiver, header["id"])]
    return _bundle(ACK, f"{ACK}/StructureDefinition/medcom-messaging-acknowledgement", ids(), when, resources)


def medcom_messages() -> st.SearchStrategy[dict[str, Any]]:
    """Any valid MedCom FHIR message of the three standards."""
    return st.one_of(care_communications(), hospital_notifications(), acknowledgements())


# ------------------------------------------------------------------------------- near misses


@dataclass(frozen=True)
class MedcomMutant:
    """A near-miss message: ``bundle`` must trigger ``rule_id``."""

    bundle: dict[str, Any]
    rule_id: str
    operator: str
    description: str
    standard: str


def _entries(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def _header_of(bundle: dict[str, Any]) -> dict[str, Any]:
    return bundle["entry"][0]["resource"]


def _org(bundle: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    rid = ref["reference"].rsplit("/", 1)[1]
    return next(r for r in _entries(bundle, "Organization") if r["id"] == rid)


def _current_prov(bundle: dict[str, Any]) -> dict[str, Any]:
    hid = _header_of(bundle)["id"]
    return next(p for p in _entries(bundle, "Provenance") if p["target"][0]["reference"] == f"MessageHeader/{hid}")


def _m_bundle_type(b: dict[str, Any], draw: st.DrawFn) -> str:
    b["type"] = draw(st.sampled_from(("collection", "document", "transaction")))
    return f"Bundle.type {b['type']}"


def _m_header_not_first(b: dict[str, Any], draw: st.DrawFn) -> str:
    entries = b["entry"]
    k = draw(st.integers(1, len(entries) - 1))
    entries[0], entries[k] = entries[k], entries[0]
    return f"MessageHeader swapped with entry {k}"


def _m_sender_without(b: dict[str, Any], draw: st.DrawFn) -> str:
    org = _org(b, _header_of(b)["sender"])
    system = draw(st.sampled_from((SOR, GLN)))
    org["identifier"] = [i for i in org["identifier"] if i["system"] != system]
    return f"sender without {system}"


def _m_sender_later_gln(b: dict[str, Any], draw: st.DrawFn) -> str:
    org = _org(b, _header_of(b)["sender"])
    for ident in org["identifier"]:
        if ident["system"] == GLN:
            ident["system"] = "http://www.gs1.org/gln"
    return "sender GLN under the DK Core 3.5.0 system"


def _m_receiver_without(b: dict[str, Any], draw: st.DrawFn) -> str:
    org = _org(b, _header_of(b)["destination"][0]["receiver"])
    system = draw(st.sampled_from((SOR, GLN)))
    org["identifier"] = [i for i in org["identifier"] if i["system"] != system]
    return f"primary receiver without {system}"


def _m_add_cc(b: dict[str, Any], draw: st.DrawFn) -> str:
    header = _header_of(b)
    primary = header["destination"][0]
    n = draw(st.integers(1, 12))
    for _ in range(n):
        cc = copy.deepcopy(primary)
        cc["extension"][0]["valueCoding"]["code"] = "cc"
        header["destination"].append(cc)
    return f"the primary receiver added as cc receiver {n} times"


def _m_focus(b: dict[str, Any], draw: st.DrawFn) -> str:
    header = _header_of(b)
    if draw(st.booleans()) or "focus" not in header:
        header["focus"] = [*header.get("focus", []), {"reference": f"Patient/{_entries(b, 'Patient')[0]['id']}"}] \
            if _entries(b, "Patient") else [*header.get("focus", []), *header.get("focus", [])]
        if len(header["focus"]) < 2:
            header["focus"] = [{"reference": "Basic/x"}, {"reference": "Basic/y"}]
        return "two focus references"
    header["focus"] = [{"reference": f"{header['focus'][0]['reference'].split('/')[0]}/{uuid.UUID(int=7)}"}]
    return "focus not bundled"


def _foreign_id(draw: st.DrawFn) -> str:
    """A UUID that no generated message uses for its own resources (theirs come from small numbers)."""
    return str(uuid.UUID(int=(1 << 100) + draw(st.integers(1, 2**64)), version=4))


def _m_reference(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    prov["agent"][0]["who"]["reference"] = f"Organization/{_foreign_id(draw)}"
    return "Provenance.agent.who names an Organization that is not bundled"


def _m_timezone(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    if draw(st.booleans()):
        prov["occurredDateTime"] = prov["occurredDateTime"][:10]
        return "Provenance.occurredDateTime without time"
    b["timestamp"] = b["timestamp"][:19]
    return "Bundle.timestamp without time zone"


def _m_narrative(b: dict[str, Any], draw: st.DrawFn) -> str:
    header = _header_of(b)
    if draw(st.booleans()):
        del header["text"]
        return "MessageHeader without text"
    header["text"]["status"] = "empty"
    return "MessageHeader text.status empty"


def _m_narrative_id(b: dict[str, Any], draw: st.DrawFn) -> str:
    _header_of(b)["text"] = _narrative("Besked")
    return "MessageHeader narrative without its id"


def _m_prov_current(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    b["entry"] = [e for e in b["entry"] if e["resource"] is not prov]
    return "the current Provenance removed"


def _m_prov_target(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    prov["target"] = [{"reference": f"Organization/{_org(b, _header_of(b)['sender'])['id']}"}]
    return "Provenance.target names an Organization"


def _m_prov_activity(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    prov["activity"]["coding"][0]["code"] = draw(st.sampled_from(("retract-message", "modified-message",
                                                                  "carboncopy-message")))
    return f"activity {prov['activity']['coding'][0]['code']}"


def _m_prov_entity(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    prov["entity"] = [e for e in prov.get("entity", []) if e["role"] not in ("revision", "removal")]
    if not prov["entity"]:
        del prov["entity"]
    return "the preceding message dropped from the current Provenance"


def _m_prov_history(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = _current_prov(b)
    preceding = next(e for e in prov["entity"] if e["role"] in ("revision", "removal"))
    ref = preceding["what"]["reference"]
    b["entry"] = [e for e in b["entry"] if not (e["resource"]["resourceType"] == "Provenance"
                                                and e["resource"]["target"][0]["reference"] == ref)]
    return f"the Provenance of {ref} removed"


def _m_hn_table(b: dict[str, Any], draw: st.DrawFn) -> str:
    enc = _entries(b, "Encounter")[0]
    status = _current_prov(b)["activity"]["coding"][0]["code"]
    enc["class"]["code"] = "EMER" if enc["class"]["code"] == "IMP" else "IMP"
    return f"Encounter.class swapped for activity {status}"


def _m_hn_deceased(b: dict[str, Any], draw: st.DrawFn) -> str:
    _entries(b, "Patient")[0]["deceasedBoolean"] = True
    enc = _entries(b, "Encounter")[0]
    enc["status"] = "in-progress" if enc["status"] == "finished" else enc["status"]
    return "Patient.deceasedBoolean true with an unfinished Encounter"


def _m_ack_code(b: dict[str, Any], draw: st.DrawFn) -> str:
    response = _header_of(b)["response"]
    if draw(st.booleans()):
        response["code"] = "fatal-error"
        response.pop("details", None)
        return "fatal-error without an OperationOutcome"
    response["code"] = draw(st.sampled_from(("AA", "AE", "error")))
    return f"response.code {response['code']}"


def _m_ack_identifier(b: dict[str, Any], draw: st.DrawFn) -> str:
    response = _header_of(b)["response"]
    if draw(st.booleans()):
        response["identifier"] = f"MessageHeader/{response['identifier']}"
        return "response.identifier as a reference"
    response["identifier"] = _foreign_id(draw)
    return "response.identifier names another message"


def _m_ack_provenances(b: dict[str, Any], draw: st.DrawFn) -> str:
    prov = copy.deepcopy(_entries(b, "Provenance")[0])
    for _ in range(draw(st.integers(1, 4))):
        extra = copy.deepcopy(prov)
        extra["id"] = str(uuid.UUID(int=draw(st.integers(1, 2**64)), version=4))
        extra["target"] = [{"reference": f"MessageHeader/{uuid.UUID(int=draw(st.integers(1, 2**64)), version=4)}"}]
        b["entry"].append({"fullUrl": f"{ACK}/Provenance/{extra['id']}", "resource": extra})
    return "earlier Provenances added to an Acknowledgement"


def _m_ack_event(b: dict[str, Any], draw: st.DrawFn) -> str:
    _header_of(b)["eventCoding"]["code"] = draw(st.sampled_from(("care-communication-message", "empty-message")))
    return "Acknowledgement with another event"


_ALL = ("carecommunication", "hospitalnotification", "acknowledgement")
_FOLLOWUPS = ("carecommunication", "hospitalnotification")

#: operator -> (rule id, standards it applies to, mutation)
MEDCOM_OPERATORS: dict[str, tuple[str, tuple[str, ...], Callable[[dict[str, Any], st.DrawFn], str]]] = {
    "bundle-type": ("medcom.message.bundle-type", _ALL, _m_bundle_type),
    "header-not-first": ("medcom.message.header-first", _ALL, _m_header_not_first),
    "sender-without-identifier": ("medcom.message.sender-identifiers", _ALL, _m_sender_without),
    "sender-gln-later-system": ("medcom.message.sender-identifiers", _ALL, _m_sender_later_gln),
    "receiver-without-identifier": ("medcom.message.receiver-identifiers", _ALL, _m_receiver_without),
    "add-cc-receivers": ("medcom.message.primary-not-cc", _ALL, _m_add_cc),
    "focus": ("medcom.message.single-focus", _FOLLOWUPS, _m_focus),
    "unbundled-reference": ("medcom.message.reference-unresolved", _ALL, _m_reference),
    "timezone": ("medcom.message.timezone-missing", _ALL, _m_timezone),
    "narrative": ("medcom.message.narrative-missing", _ALL, _m_narrative),
    "narrative-id": ("medcom.message.narrative-id", _ALL, _m_narrative_id),
    "drop-current-provenance": ("medcom.provenance.current", _ALL, _m_prov_current),
    "provenance-target": ("medcom.provenance.target", _ALL, _m_prov_target),
    "provenance-activity": ("medcom.provenance.activity", _ALL, _m_prov_activity),
    "drop-preceding": ("medcom.provenance.entity", _ALL, _m_prov_entity),
    "drop-history": ("medcom.provenance.history", _ALL, _m_prov_history),
    "hn-class": ("medcom.hospitalnotification.code-table", ("hospitalnotification",), _m_hn_table),
    "hn-deceased": ("medcom.hospitalnotification.deceased-status", ("hospitalnotification",), _m_hn_deceased),
    "ack-code": ("medcom.acknowledgement.response-code", ("acknowledgement",), _m_ack_code),
    "ack-identifier": ("medcom.acknowledgement.response-identifier", ("acknowledgement",), _m_ack_identifier),
    "ack-provenances": ("medcom.acknowledgement.provenance-count", ("acknowledgement",), _m_ack_provenances),
    "ack-event": ("medcom.acknowledgement.event", ("acknowledgement",), _m_ack_event),
}


def _applies(operator: str, bundle: dict[str, Any]) -> bool:
    """Whether the operator can break this particular message (e.g. history needs a follow-up)."""
    if operator in ("drop-preceding", "drop-history"):
        prov = _current_prov(bundle)
        return any(e["role"] in ("revision", "removal") for e in prov.get("entity", []))
    if operator == "hn-class":
        act = _current_prov(bundle)["activity"]["coding"][0]["code"]
        return _entries(bundle, "Patient")[0].get("deceasedBoolean") is not True or bool(act)
    return True


_VALID = {"carecommunication": care_communications, "hospitalnotification": hospital_notifications,
          "acknowledgement": acknowledgements}


@st.composite
def invalid_medcom_messages(draw: st.DrawFn, standard: str | None = None,
                            operators: tuple[str, ...] | None = None) -> MedcomMutant:
    """A near miss: a valid message of ``standard`` (``carecommunication``, ``hospitalnotification``,
    ``acknowledgement``; any when None) broken by one operator of :data:`MEDCOM_OPERATORS`."""
    names = operators or tuple(MEDCOM_OPERATORS)
    kinds = (standard,) if standard else _ALL
    pairs = [(k, o) for o in names for k in kinds if k in MEDCOM_OPERATORS[o][1]]
    if not pairs:
        raise ValueError(f"operators {names} do not apply to {kinds}")
    kind, operator = draw(st.sampled_from(pairs))
    bundle = copy.deepcopy(draw(_VALID[kind]()))
    if not _applies(operator, bundle):
        # follow-up operators need a follow-up: draw one with a history
        bundle = copy.deepcopy(draw(_VALID[kind]().filter(lambda b: _applies(operator, b))))
    rule_id, _kinds, mutate = MEDCOM_OPERATORS[operator]
    description = mutate(bundle, draw)
    return MedcomMutant(bundle, rule_id, operator, description, f"medcom.{kind}")


@st.composite
def mutants_of(draw: st.DrawFn, bundle: dict[str, Any], standard: str, operator: str) -> MedcomMutant:
    """``bundle`` (a valid message of ``standard``) broken by ``operator`` of :data:`MEDCOM_OPERATORS`:
    the near miss of one given message (e.g. an Acknowledgement answering a message that was sent)."""
    rule_id, kinds, mutate = MEDCOM_OPERATORS[operator]
    if standard not in kinds or not _applies(operator, bundle):
        raise ValueError(f"operator {operator} does not apply to this {standard} message")
    broken = copy.deepcopy(bundle)
    description = mutate(broken, draw)
    return MedcomMutant(broken, rule_id, operator, description, f"medcom.{standard}")
