"""Rules of the VANS envelope pack (``urn:oio:medcom:vans-envelope:1.0.4``)."""

from __future__ import annotations

from ...report import Severity
from ...rules import RuleSet

VANS_RULES = RuleSet("vans")
_R = VANS_RULES.add
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION
SRC = "VANSEnvelope 1.0.4 (urn:oio:medcom:vans-envelope:1.0.4)"

STRUCTURE = _R(
    "vans.structure", ERROR, "The VANS envelope misses an element or has one out of place",
    source=SRC,
    rationale="The VANS network reads SenderID, ReceiverID, EnvelopeIdentifier, SentDateTime and then a "
    "Message or a Receipt, in that order.",
    example="<VANSEnvelope> without <EnvelopeIdentifier>",
    issue_type="structure",
)
VALUE = _R(
    "vans.value", ERROR, "A VANS envelope field has an invalid value",
    source=SRC,
    rationale="Identifiers are UUIDs, SentDateTime is an xs:dateTime, EndPointType is EAN, CVR or VANS, "
    "Document/Format is one of XML, EDIFACT, HL7, Binary, Other; lengths are bounded.",
    example='<SenderID EndPointType="GLN">',
)
DATA_BASE64 = _R(
    "vans.data-base64", ERROR, "Message/Data is not valid base64",
    source=SRC + ": Data is xs:base64Binary",
    rationale="The payload travels base64-encoded; invalid base64 cannot be unwrapped by the receiver.",
    example="<Data>not base64!</Data>",
)
SIZE_MISMATCH = _R(
    "vans.size-mismatch", WARNING, "Document/SizeInBytes differs from the size of the decoded Data",
    source=SRC + ": Document/SizeInBytes",
    rationale="SizeInBytes states the payload size; a different value points to a truncated or "
    "re-encoded payload.",
    example="<SizeInBytes>100</SizeInBytes> for a 2 kB payload",
)
DOCUMENT_NAME = _R(
    "vans.document-name", WARNING, "Document/Name or Version does not match the payload",
    source="MedCom VANS envelope practice: Name MCM:<type> (e.g. MCM:XDIS91), Version = the letter's "
    "VersionCode for OIOXML; Format XML for OIOXML, HL7 for FHIR",
    rationale="Receivers and VANS statistics route on Document/Name and Version; they must describe "
    "the payload inside.",
    example="<Name>MCM:XDIS01</Name> around an XDIS91 letter",
    issue_type="business-rule",
)
TRANSPORT_TYPE = _R(
    "vans.transport-unreliable", WARNING, "Transport/Type is unreliable",
    source="MedCom reliable messaging over VANS: Transport/Type SHALL be reliable or absent",
    rationale="MedCom messages are exchanged reliably (receipts, retransmission); 'unreliable' "
    "switches that off.",
    example="<Transport><Type>unreliable</Type></Transport>",
    issue_type="business-rule",
)
PAYLOAD = _R(
    "vans.payload", INFO, "The standard of the payload inside the envelope",
    source=SRC,
    rationale="Findings inside the envelope are reported with the location prefix "
    "'VANSEnvelope/Message/Data'; this issue names the payload's standard.",
    example="payload is medcom.oioxml.XDIS91@XD9134L",
    issue_type="informational",
)
