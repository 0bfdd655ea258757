"""MedCom FHIR messaging pack: CareCommunication 5.0.4, HospitalNotification 3.0.2 and
Acknowledgement 2.0.3.

Detection: a FHIR Bundle whose ``meta.profile`` (with or without ``|X.Y.Z``), whose
MessageHeader's ``meta.profile`` or whose ``MessageHeader.eventCoding`` names one of the
standards. Validation: the FHIR engine against the standard's own package set (its package and
dependencies, one set of definitions per standard version), then the message rules of
:mod:`.message` (rule set ``medcom``), then, with ``Options.extra["state"]`` (``dkconform check
--state DB``), the receiver-side state of :mod:`.state`. Locations are FHIRPath paths with
indices, with line and column for JSON and the line for XML.
"""

from __future__ import annotations

import copy
from typing import Any

from ..._version import __version__
from ...data import profiles_dir
from ...fhir import CoreMissing, Definitions, PackageError
from ...fhir import rules as FR
from ...fhir.positions import json_positions
from ...fhir.validator import XML_PROBLEMS, FhirValidator, place_issue
from ...payload import FHIR_JSON, FHIR_XML, Payload
from ...registry import Options, Standard
from ...report import Issue
from ..fhir_r4 import setup_issue
from . import rules as R
from .message import check_message
from .rules import MEDCOM_RULES
from .standards import (
    ACKNOWLEDGEMENT,
    CARECOMMUNICATION,
    FAMILY,
    HOSPITALNOTIFICATION,
    KINDS,
    Claim,
    MessageKind,
    claim_json,
    claim_xml,
    package_order,
)
from .types import DateTimeWalker

__all__ = [
    "ACKNOWLEDGEMENT",
    "CARECOMMUNICATION",
    "HOSPITALNOTIFICATION",
    "KINDS",
    "MedcomFhirPack",
    "definitions_for",
    "pack",
    "validate_message",
]

_COMPILED: dict[str, tuple[FhirValidator, DateTimeWalker]] = {}


def definitions_for(kind: MessageKind) -> Definitions:
    """The definitions of one standard version: the R4 core, then the standard's package and its
    dependencies from ``profiles/fhir/`` (dependencies first; a dependency that is not there is
    loaded from the FHIR package cache)."""
    defs = Definitions.for_core()
    root = profiles_dir() / "fhir"
    for package_id, version, folder in package_order(kind, root):
        if folder is None:
            defs.load(package_id, version, needed_by=kind.package)
        else:
            defs.add_package(folder, dependencies=False)
    return defs


def compiled(kind: MessageKind) -> tuple[FhirValidator, DateTimeWalker]:
    """The validator (and dateTime index) of one standard version, built once per process."""
    key = f"{kind.id}@{kind.version}"
    if key not in _COMPILED:
        defs = definitions_for(kind)
        _COMPILED[key] = (FhirValidator(defs), DateTimeWalker(defs))
    return _COMPILED[key]


def _with_header_profile(bundle: dict[str, Any], kind: MessageKind) -> dict[str, Any]:
    """The Bundle with the standard's header profile added to entry[0]'s meta.profile (the intent of
    medcom-hospitalNotification-1 and medcom-acknowledgement-2: the MessageHeader conforms to the
    standard's header profile, whether it claims it or not). Copies only what it changes."""
    entries = bundle.get("entry")
    if kind is CARECOMMUNICATION or not isinstance(entries, list) or not entries \
            or not isinstance(entries[0], dict) or not isinstance(entries[0].get("resource"), dict):
        return bundle
    header = entries[0]["resource"]
    if header.get("resourceType") != "MessageHeader":
        return bundle
    meta: dict[str, Any] = header["meta"] if isinstance(header.get("meta"), dict) else {}
    claimed: list[Any] = meta["profile"] if isinstance(meta.get("profile"), list) else []
    if any(isinstance(p, str) and p.partition("|")[0] == kind.header_profile for p in claimed):
        return bundle
    header = {**header, "meta": {**meta, "profile": [*claimed, kind.header_profile]}}
    out = copy.copy(bundle)
    out["entry"] = [{**entries[0], "resource": header}, *entries[1:]]
    return out


def validate_message(resource: dict[str, Any], kind: MessageKind, claim: Claim | None = None) -> list[Issue]:
    """Engine and message-rule issues of one parsed Bundle checked as ``kind`` (no positions)."""
    validator, walker = compiled(kind)
    claim = claim if claim is not None else claim_json(resource)
    issues: list[Issue] = []
    profiles: list[str] = []
    pinned_other = claim is not None and claim.pinned is not None and claim.pinned != kind.version
    if claim is None or claim.by != "profile" or pinned_other:
        profiles.append(kind.message_profile)
    if pinned_other:
        assert claim is not None
        issues.append(R.VERSION_NOT_MODELLED.issue(
            f"the message pins {kind.id} version {claim.pinned}; it is checked against {kind.version}, the "
            "version this tool models", "Bundle.meta.profile" if claim.by == "profile"
            else "Bundle.entry[0].resource.meta.profile"))
    engine = validator.validate(_with_header_profile(resource, kind), None, profiles)
    if pinned_other:
        engine = [i for i in engine if not (i.rule_id == FR.PROFILE_UNKNOWN.id
                                            and f"|{claim.pinned}" in i.message)]  # type: ignore[union-attr]
    issues += engine
    issues += check_message(resource, kind, walker)
    return issues


class MedcomFhirPack:
    """The pack object registered under the entry point ``medcom_fhir``."""

    name = "medcom-fhir"
    version = __version__
    family = FAMILY
    rules = MEDCOM_RULES
    #: detection order: before the FHIR base pack (-10)
    priority = 10

    def standards(self) -> list[Standard]:
        return [k.standard for k in KINDS]

    def detect(self, payload: Payload) -> Standard | None:
        claim = self._claim(payload)
        return claim.kind.standard if claim is not None else None

    @staticmethod
    def _claim(payload: Payload) -> Claim | None:
        if payload.format == FHIR_JSON:
            return claim_json(payload.json)
        if payload.format == FHIR_XML and payload.xml is not None:
            return claim_xml(payload.xml)
        return None

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]:
        kind = standard.data if isinstance(standard.data, MessageKind) else None
        if kind is None:
            kind = next(k for k in KINDS if k.id == standard.id)
        try:
            validator, _walker = compiled(kind)
        except (CoreMissing, PackageError, OSError) as exc:
            return [setup_issue(exc)]
        positions: dict[str, tuple[int, int | None]]
        head: list[Issue] = []
        if payload.format == FHIR_XML:
            from ...fhir.xmlconv import XmlConversionError, XmlToJson

            converter = XmlToJson(validator.defs, strict=False)
            try:
                resource = converter.convert(payload.xml if payload.xml is not None else payload.data)
            except XmlConversionError as exc:
                return [FR.RESOURCE_TYPE.issue(str(exc), exc.path or "(resource)", line=exc.line)]
            positions = {path: (line, None) for path, line in converter.lines.items() if line}
            head = [XML_PROBLEMS[p.kind].issue(p.message, p.path, line=p.line) for p in converter.problems]
        else:
            resource = payload.json
            positions = json_positions(payload.text or "")
        positions.setdefault("(resource)", (1, 1))
        if not isinstance(resource, dict) or resource.get("resourceType") != "Bundle":
            found = validator.validate(resource)
            return head + [place_issue(i, positions) for i in found]
        issues = head + [place_issue(i, positions) for i in validate_message(resource, kind)]
        state_path = options.extra.get("state")
        if state_path:
            from .state import MessageState

            with MessageState(str(state_path)) as state:
                issues += [place_issue(i, positions) for i in state.observe(resource, payload.name).issues]
        return issues


def pack() -> MedcomFhirPack:
    """Entry point: the MedCom FHIR messaging pack."""
    return MedcomFhirPack()
