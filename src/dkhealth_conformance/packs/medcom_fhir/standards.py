"""The MedCom FHIR message standards: versions, package sets and detection.

A Bundle is mapped to a standard by ``meta.profile`` (the message profile, with or without
``|X.Y.Z``), else by the MessageHeader's ``meta.profile``, else by ``MessageHeader.eventCoding``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...payload import FHIR_JSON, FHIR_XML
from ...registry import Standard

FAMILY = "medcom.fhir"
FHIR_NS = "http://hl7.org/fhir"
EVENT_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
ACTIVITY_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
DESTINATION_USE_URL = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
GLN_SYSTEM = "https://www.gs1.org/gln"
GLN_SYSTEM_LATER = "http://www.gs1.org/gln"

#: HospitalNotification activities -> (allowed Encounter classes, Encounter status) (§7.4)
HN_TABLE: dict[str, tuple[frozenset[str], str]] = {}
for _stem, _cls, _status, _revise, _cancel in (
    ("admit-emergency", "EMER", "in-progress", "in-progress", "entered-in-error"),
    ("admit-inpatient", "IMP", "in-progress", "in-progress", "entered-in-error"),
    ("start-leave-inpatient", "IMP", "onleave", "onleave", "in-progress"),
    ("end-leave-inpatient", "IMP", "in-progress", "in-progress", "onleave"),
    ("discharge-emergency-home", "EMER", "finished", "finished", "in-progress"),
    ("discharge-inpatient-home", "IMP", "finished", "finished", "in-progress"),
):
    HN_TABLE[_stem] = (frozenset({_cls}), _status)
    HN_TABLE[f"revise-{_stem}"] = (frozenset({_cls}), _revise)
    HN_TABLE[f"cancel-{_stem}"] = (frozenset({_cls}), _cancel)


@dataclass(frozen=True)
class MessageKind:
    """What the pack knows about one standard version."""

    id: str
    version: str
    title: str
    package: str  # folder under profiles/fhir/
    ig: str  # canonical base of the standard's IG
    message_profile: str
    header_profile: str
    event: str
    activities: frozenset[str]
    #: activities that start a thread (no preceding message)
    initial: frozenset[str]
    #: packages added after the standard's own set (no dependencies): an Acknowledgement quotes the latest
    #: Provenance of the message it acknowledges, which claims that standard's Provenance profile
    companions: tuple[str, ...] = ()

    @property
    def standard(self) -> Standard:
        return Standard(self.id, self.version, FAMILY, self.title, status="current",
                        formats=(FHIR_JSON, FHIR_XML), data=self)


_CC_IG = "http://medcomfhir.dk/ig/carecommunication"
_HN_IG = "http://medcomfhir.dk/ig/hospitalnotification"
_ACK_IG = "http://medcomfhir.dk/ig/acknowledgement"

CARECOMMUNICATION = MessageKind(
    "medcom.carecommunication", "5.0.4", "MedCom CareCommunication (Korrespondancemeddelelse), FHIR",
    "medcom.fhir.dk.carecommunication#5.0.4", _CC_IG,
    f"{_CC_IG}/StructureDefinition/medcom-careCommunication-message",
    f"{_CC_IG}/StructureDefinition/medcom-careCommunication-messageHeader",
    "care-communication-message",
    frozenset({"new-message", "reply-message", "forward-message"}),
    frozenset({"new-message"}),
)
HOSPITALNOTIFICATION = MessageKind(
    "medcom.hospitalnotification", "3.0.2", "MedCom HospitalNotification (Advis om sygehusophold), FHIR",
    "medcom.fhir.dk.hospitalnotification#3.0.2", _HN_IG,
    f"{_HN_IG}/StructureDefinition/medcom-hospitalNotification-message",
    f"{_HN_IG}/StructureDefinition/medcom-hospitalNotification-messageHeader",
    "hospital-notification-message",
    frozenset(HN_TABLE),
    frozenset({"admit-emergency", "admit-inpatient"}),
)
ACKNOWLEDGEMENT = MessageKind(
    "medcom.acknowledgement", "2.0.3", "MedCom Acknowledgement (Kvittering), FHIR",
    "medcom.fhir.dk.acknowledgement#2.0.3", _ACK_IG,
    f"{_ACK_IG}/StructureDefinition/medcom-messaging-acknowledgement",
    f"{_ACK_IG}/StructureDefinition/medcom-messaging-acknowledgementHeader",
    "acknowledgement-message",
    frozenset({"acknowledgement"}),
    frozenset(),
    ("medcom.fhir.dk.hospitalnotification#3.0.2", "medcom.fhir.dk.carecommunication#5.0.4",
     "medcom.fhir.dk.terminology#2.0.1"),
)
KINDS: tuple[MessageKind, ...] = (CARECOMMUNICATION, HOSPITALNOTIFICATION, ACKNOWLEDGEMENT)
_BY_EVENT = {k.event: k for k in KINDS}


def kind_of_profile(url: str) -> tuple[MessageKind, str | None] | None:
    """The standard whose message or header profile ``url`` is, and the pinned version if any."""
    base, _, version = url.partition("|")
    for kind in KINDS:
        if base in (kind.message_profile, kind.header_profile):
            return kind, version or None
    return None


def kind_of_event(code: str | None) -> MessageKind | None:
    return _BY_EVENT.get(code or "")


@dataclass(frozen=True)
class Claim:
    """What a Bundle says about itself: the standard and the version it pins (if any), and how
    it was found (``profile``, ``header-profile`` or ``event``)."""

    kind: MessageKind
    pinned: str | None
    by: str


def _claim(bundle_profiles: list[str], header_profiles: list[str], event: str | None) -> Claim | None:
    for by, urls in (("profile", bundle_profiles), ("header-profile", header_profiles)):
        for url in urls:
            found = kind_of_profile(url)
            if found is not None:
                return Claim(found[0], found[1], by)
    kind = kind_of_event(event)
    return Claim(kind, None, "event") if kind is not None else None


def claim_json(doc: Any) -> Claim | None:
    """The claim of a parsed FHIR JSON Bundle (None when it is not a MedCom message)."""
    if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
        return None
    header: Any = None
    entries = doc.get("entry")
    if isinstance(entries, list):
        for entry in entries:
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict) and res.get("resourceType") == "MessageHeader":
                header = res
                break
    event = None
    header_profiles: list[str] = []
    if isinstance(header, dict):
        coding = header.get("eventCoding")
        event = coding.get("code") if isinstance(coding, dict) else None
        header_profiles = _profiles(header)
    return _claim(_profiles(doc), header_profiles, event if isinstance(event, str) else None)


def _profiles(res: dict[str, Any]) -> list[str]:
    meta = res.get("meta")
    found = meta.get("profile") if isinstance(meta, dict) else None
    return [p for p in found if isinstance(p, str)] if isinstance(found, list) else []


def claim_xml(tree: Any) -> Claim | None:
    """The claim of a FHIR XML Bundle (an lxml tree)."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    if root is None or root.tag != f"{{{FHIR_NS}}}Bundle":
        return None
    ns = {"f": FHIR_NS}
    bundle_profiles = [str(v) for v in root.xpath("f:meta/f:profile/@value", namespaces=ns)]
    header = root.xpath("f:entry/f:resource/f:MessageHeader", namespaces=ns)
    header_profiles: list[str] = []
    event = None
    if header:
        header_profiles = [str(v) for v in header[0].xpath("f:meta/f:profile/@value", namespaces=ns)]
        codes = header[0].xpath("f:eventCoding/f:code/@value", namespaces=ns)
        event = str(codes[0]) if codes else None
    return _claim(bundle_profiles, header_profiles, event)


# ------------------------------------------------------------------------------- package sets


def package_order(kind: MessageKind, root: Path) -> list[tuple[str, str, Path | None]]:
    """The packages of ``kind``'s set, dependencies first: ``(id, version, folder)``; the folder is
    None for a package that is not under ``root`` (it must come from the FHIR package cache)."""
    order: list[tuple[str, str, Path | None]] = []
    seen: set[str] = set()

    def visit(package_id: str, version: str) -> None:
        ref = f"{package_id}#{version}"
        if ref in seen or package_id == "hl7.fhir.r4.core":
            return
        seen.add(ref)
        folder = root / ref
        manifest = folder / "package" / "package.json"
        if not manifest.is_file():
            order.append((package_id, version, None))
            return
        deps = json.loads(manifest.read_text(encoding="utf-8")).get("dependencies") or {}
        for dep_id, dep_version in deps.items():
            visit(dep_id, str(dep_version))
        order.append((package_id, version, folder))

    package_id, _, version = kind.package.partition("#")
    visit(package_id, version)
    for ref in kind.companions:
        if (root / ref / "package" / "package.json").is_file() and ref not in seen:
            seen.add(ref)
            order.append((*ref.split("#", 1), root / ref))  # type: ignore[arg-type]
    return order
