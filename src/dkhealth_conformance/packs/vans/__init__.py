"""VANS envelope pack: the transport envelope of the Danish VANS network, and what it carries.

The envelope's own fields are checked here; ``Message/Data`` is decoded and validated as a
payload of its own through the registry (an OIOXML letter, a FHIR message …). Findings inside
carry the location prefix ``VANSEnvelope/Message/Data``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from ... import dk
from ..._version import __version__
from ...payload import VANS, VANS_NS, Payload, from_bytes, location_of
from ...registry import Options, Standard, default_registry
from ...report import Issue, Report
from . import rules as R
from .rules import VANS_RULES

FAMILY = "medcom.vans"
CONTAINER = "VANSEnvelope/Message/Data"
ENVELOPE = Standard(f"{FAMILY}.envelope", "1.0.4", FAMILY, "VANS envelope (transport around MedCom payloads)",
                    formats=(VANS,))

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def _token(low: int, high: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if low <= len(value) <= high else f"must be {low}-{high} characters, is {len(value)}"
    return check


def _enum(*allowed: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"
    return check


def _uuid(value: str) -> str | None:
    return None if _UUID.match(value) else "must be a UUID (8-4-4-4-12 hexadecimal digits)"


def _datetime(value: str) -> str | None:
    import datetime as _dt

    if not _DATETIME.match(value):
        return "must be an xs:dateTime (YYYY-MM-DDThh:mm:ss)"
    try:
        _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "is not a real date and time"
    return None


def _int(value: str) -> str | None:
    return None if value.isdigit() else "must be a non-negative whole number"


def _bool(value: str) -> str | None:
    return None if value in ("true", "false", "1", "0") else "must be true or false"


#: element → (children in order as (name, min, max, checker-or-None for text))
Spec = list[tuple[str, int, int, Any]]
_ENDPOINT: Spec = []
_DOCUMENT: Spec = [("Format", 1, 1, _enum("XML", "EDIFACT", "HL7", "Binary", "Other")),
                   ("Name", 1, 1, _token(1, 255)), ("Version", 0, 1, _token(1, 255)),
                   ("SizeInBytes", 1, 1, _int)]
_PROCESSING: Spec = [("ProviderIdentifier", 0, 1, _token(1, 255)), ("ServiceIdentifier", 0, 1, _token(1, 255))]
_TRANSPORT: Spec = [("Type", 0, 1, _enum("reliable", "unreliable")), ("TransformMessage", 0, 1, _bool),
                    ("ServiceTag", 0, 5, _token(1, 70))]
_META: Spec = [("Identifier", 1, 1, _uuid), ("Processing", 0, 1, _PROCESSING), ("Document", 1, 1, _DOCUMENT),
               ("Transport", 0, 1, _TRANSPORT)]
_MESSAGE: Spec = [("MetaInformation", 1, 1, _META), ("Data", 1, 1, None)]
_ENVELOPE: Spec = [("SenderID", 1, 1, _token(1, 18)), ("ReceiverID", 1, 1, _token(1, 18)),
                   ("EnvelopeIdentifier", 1, 1, _uuid), ("SentDateTime", 1, 1, _datetime)]


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _children(node: Any) -> list[Any]:
    return [c for c in node if isinstance(c.tag, str)]


def _check(node: Any, spec: Spec, issues: list[Issue]) -> None:
    """Ordered-sequence check of ``node``'s children against ``spec``; recurse into sub-specs."""
    children = _children(node)
    position = 0
    for name, low, high, rule in spec:
        count = 0
        while position < len(children) and _local(children[position]) == name:
            child = children[position]
            if isinstance(rule, list):
                _check(child, rule, issues)
            elif callable(rule):
                problem = rule((child.text or "").strip())
                if problem:
                    issues.append(R.VALUE.issue(f"{name} {problem}", location_of(child)))
            count += 1
            position += 1
        if count < low:
            issues.append(R.STRUCTURE.issue(f"missing <{name}> in <{_local(node)}>", location_of(node)))
        if count > high:
            issues.append(R.STRUCTURE.issue(f"<{name}> occurs {count} times, at most {high} allowed",
                                            location_of(node)))
    for extra in children[position:]:
        issues.append(R.STRUCTURE.issue(f"<{_local(extra)}> is not allowed here", location_of(extra)))


def _find(node: Any, *names: str) -> Any:
    for name in names:
        if node is None:
            return None
        node = next((c for c in _children(node) if _local(c) == name), None)
    return node


def _envelope_issues(root: Any) -> list[Issue]:
    issues: list[Issue] = []
    _check_fields(root, issues)
    for child in _children(root):
        if _local(child) in ("SenderID", "ReceiverID"):
            kind = child.get("EndPointType")
            if kind not in ("EAN", "CVR", "VANS"):
                issues.append(R.VALUE.issue(f"{_local(child)}/@EndPointType must be EAN, CVR or VANS, is {kind!r}",
                                            location_of(child)))
            elif kind == "EAN":
                issues.extend(dk.check_gln((child.text or "").strip(), location_of(child)))
            elif kind == "CVR":
                issues.extend(dk.check_cvr((child.text or "").strip(), location_of(child)))
    if not [c for c in _children(root) if _local(c) in ("Message", "Receipt")]:
        issues.append(R.STRUCTURE.issue("the envelope has neither <Message> nor <Receipt>", location_of(root)))
    return issues


def _check_fields(root: Any, issues: list[Issue]) -> None:
    full: Spec = [*_ENVELOPE, ("Message", 0, 1, _MESSAGE), ("Receipt", 0, 1, None)]
    _check(root, full, issues)
    transport_type = _find(root, "Message", "MetaInformation", "Transport", "Type")
    if transport_type is not None and (transport_type.text or "").strip() == "unreliable":
        issues.append(R.TRANSPORT_TYPE.issue("MedCom messages are sent reliably", location_of(transport_type)))


def payload_of(root: Any) -> bytes | None:
    """The payload a VANS envelope (its root element) carries: ``Message/Data``, base64-decoded.
    None when there is no ``Data``; raises ``ValueError`` when it is not base64."""
    data = _find(root, "Message", "Data")
    if data is None:
        return None
    return base64.b64decode("".join((data.text or "").split()), validate=True)


def _inner(root: Any, options: Options) -> tuple[list[Issue], Report | None]:
    try:
        raw = payload_of(root)
    except (binascii.Error, ValueError) as exc:
        where = location_of(_find(root, "Message", "Data"))
        return [R.DATA_BASE64.issue(f"Data cannot be decoded: {exc}", where)], None
    if raw is None:
        return [], None
    issues: list[Issue] = []
    size = _find(root, "Message", "MetaInformation", "Document", "SizeInBytes")
    if size is not None and (size.text or "").strip().isdigit() and int(size.text) != len(raw):
        issues.append(R.SIZE_MISMATCH.issue(f"SizeInBytes says {int(size.text)}, the decoded Data has {len(raw)} "
                                            "bytes", location_of(size)))
    from ...validation import validate_payload

    inner_payload: Payload = from_bytes(CONTAINER, raw, container=CONTAINER)
    report = Report(name=CONTAINER, digest="", size=0, format="unknown")
    validate_payload(inner_payload, report, None, options, default_registry())
    for issue in report.issues:
        location = dataclasses.replace(issue.location, container=CONTAINER)
        issues.append(dataclasses.replace(issue, location=location))
    return issues, report


def _document_issues(root: Any, inner: Report | None) -> list[Issue]:
    if inner is None or inner.standard is None or inner.version is None:
        return []
    document = _find(root, "Message", "MetaInformation", "Document")
    if document is None:
        return []
    issues = [R.PAYLOAD.issue(f"the payload is {inner.standard_ref}", location_of(document))]
    name, version, fmt = (_find(document, n) for n in ("Name", "Version", "Format"))
    if inner.standard.startswith("medcom.oioxml.") and inner.standard != "medcom.oioxml.Emessage":
        type_code = inner.standard.rsplit(".", 1)[1]
        if name is not None and (name.text or "").strip().split("#")[0] != f"MCM:{type_code}":
            issues.append(R.DOCUMENT_NAME.issue(f"Document/Name is {name.text!r}, the payload is a {type_code} "
                                                f"letter (MCM:{type_code})", location_of(name)))
        if version is not None and (version.text or "").strip() != inner.version:
            issues.append(R.DOCUMENT_NAME.issue(f"Document/Version is {version.text!r}, the letter's VersionCode "
                                                f"is {inner.version}", location_of(version)))
        if fmt is not None and (fmt.text or "").strip() != "XML":
            issues.append(R.DOCUMENT_NAME.issue(f"Document/Format is {fmt.text!r}; an OIOXML letter is XML",
                                                location_of(fmt)))
    return issues


class VansPack:
    """The pack object registered under the entry point ``vans``."""

    name = "medcom-vans"
    version = __version__
    family = FAMILY
    rules = VANS_RULES

    def standards(self) -> list[Standard]:
        return [ENVELOPE]

    def detect(self, payload: Payload) -> Standard | None:
        if payload.format == VANS and payload.namespace == VANS_NS:
            return ENVELOPE
        return None

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]:
        root = payload.xml.getroot()
        issues = _envelope_issues(root)
        inner_issues, inner = _inner(root, options)
        return [*issues, *inner_issues, *_document_issues(root, inner)]


def pack() -> VansPack:
    """Entry point: the VANS envelope pack."""
    return VansPack()
