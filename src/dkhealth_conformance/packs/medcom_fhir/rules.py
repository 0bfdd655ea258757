"""Rules of the MedCom FHIR messaging pack: the message rules no StructureDefinition can express.

Each rule names the clause it comes from: the MedCom governance page (GOV = "Governance for MedCom
FHIR messages", rules 1-11), the messaging IG, the standard's own IG, and the reference section of
the project's facts sheet (``§3.1`` ...). Where a published invariant does not fire as written,
the rule says which invariant's intent it implements.
"""

from __future__ import annotations

from ...report import Severity
from ...rules import RuleSet

MEDCOM_RULES = RuleSet("medcom")
_R = MEDCOM_RULES.add
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION
GOV = "MedCom, Governance for MedCom FHIR messages (050_Governance-for-MedCom-FHIR-Messages)"

# ----------------------------------------------------------------------------------- message

BUNDLE_TYPE = _R(
    "medcom.message.bundle-type", ERROR, "A MedCom message is a Bundle of type message",
    source=f"{GOV} rule 1; medcom-messaging-message (Bundle.type fixed 'message') (§3.1)",
    rationale="Receivers route and acknowledge by the MessageHeader; a Bundle of another type is not a "
    "message and is never acknowledged.",
    example='{"resourceType": "Bundle", "type": "collection", ...}',
    issue_type="structure",
)
HEADER_FIRST = _R(
    "medcom.message.header-first", ERROR, "The first entry of the message is its MessageHeader",
    source=f"{GOV} rule 2; invariant medcom-messaging-1, whose conformsTo() the engine also evaluates "
    "(fhir.invariant: entry[0] conforms to the messaging header profile) (§3.1, §18.2)",
    rationale="Apart from entry[0], entries are unordered; a receiver finds the header only at entry[0].",
    example='"entry": [{"resource": {"resourceType": "Patient", ...}}, {"resource": {"resourceType": '
    '"MessageHeader", ...}}]',
    issue_type="structure",
)
EVENT_MISMATCH = _R(
    "medcom.message.event-mismatch", ERROR, "MessageHeader.eventCoding names the standard the Bundle claims",
    source="medcom-messaging-eventCodes and the standard's message header profile (§5.1, §6.2, §7.2, §8.2)",
    rationale="A Bundle claiming the CareCommunication profile but carrying the hospital-notification event "
    "is routed by one and validated by the other.",
    example='meta.profile medcom-careCommunication-message with eventCoding hospital-notification-message',
    issue_type="business-rule",
)
VERSION_NOT_MODELLED = _R(
    "medcom.message.version-not-modelled", WARNING, "The pinned standard version is not the one modelled",
    source="MedCom FHIR validation governance: receivers validate against the IG of the version pinned with "
    "canonical|X.Y.Z (§2)",
    rationale="A Bundle pinned to a version the tool does not carry is checked against the nearest modelled "
    "version of the same standard; small differences may be reported or missed.",
    example='"meta": {"profile": [".../medcom-careCommunication-message|5.0.1"]}',
    issue_type="not-supported",
)
SENDER_IDENTIFIERS = _R(
    "medcom.message.sender-identifiers", ERROR,
    "The sender is a bundled messaging organization with a SOR code and a GLN",
    source=f"{GOV} rules 3 and 10; medcom-messaging-organization (§3.3, §3.4)",
    rationale="VANS routes by GLN and SOR: the acknowledgement goes back to the sender's GLN, and the receiver "
    "looks the sender up in SOR. Both identifiers, under the systems of the standard's DK Core version.",
    example='"sender": {"reference": "Organization/x"} where the Organization has no GLN',
    issue_type="required",
)
RECEIVER_IDENTIFIERS = _R(
    "medcom.message.receiver-identifiers", ERROR,
    "Every receiver is a bundled messaging organization with a SOR code and a GLN",
    source=f"{GOV} rules 3 and 10; medcom-messaging-messageHeader destination slices (§3.3, §3.4)",
    rationale="The primary receiver (and every cc receiver) is addressed by GLN in the VANS envelope and by "
    "SOR in the endpoint; a receiver without both cannot be reached or verified.",
    example='"destination": [{"receiver": {"reference": "Organization/r"}}] where Organization r has no SOR code',
    issue_type="required",
)
PRIMARY_NOT_CC = _R(
    "medcom.message.primary-not-cc", ERROR, "The primary receiver is not also a cc receiver",
    source=f"{GOV} rule 9 (§3.1)",
    rationale="A receiver that is both primary and cc gets the message twice with two meanings.",
    example="destination[0] primary -> Organization/r, destination[1] cc -> Organization/r",
    issue_type="business-rule",
)
SINGLE_FOCUS = _R(
    "medcom.message.single-focus", ERROR, "The MessageHeader has exactly one focus, and it is bundled",
    source=f"{GOV} rule 6 (§3.1)",
    rationale="The focus is what the message is about (the Communication, the Encounter); a receiver "
    "processes exactly one.",
    example='"focus": [] or a focus reference that no entry has',
    issue_type="business-rule",
)
REFERENCE_UNRESOLVED = _R(
    "medcom.message.reference-unresolved", ERROR, "Every reference resolves to an entry of the Bundle",
    source=f"{GOV} rule 11; references are aggregation 'bundled' in every MedCom profile (§3.1, §3.2)",
    rationale="A MedCom message is self-contained: the receiver has no server to fetch a referenced resource "
    "from. (Provenance.target and Provenance.entity.what point to earlier messages and are exempt; urn: "
    "references that no entry has are reported by fhir.reference.unresolved.)",
    example='"subject": {"reference": "Patient/not-in-the-bundle"}',
    issue_type="not-found",
)
TIMEZONE_MISSING = _R(
    "medcom.message.timezone-missing", ERROR, "Every dateTime and instant carries a time and a time zone",
    source="MedCom-FHIR-Communication, MessageHeader identifiers and timestamps (052.2); the intent of "
    "medcom-datetime-has-time-offset-zulu (§3.6)",
    rationale="Messages cross systems in different settings; a time without offset (or a date alone where a "
    "moment is meant) is ambiguous by up to a day.",
    example='"timestamp": "2024-05-01T12:00:00"',
    issue_type="value",
)
NARRATIVE_MISSING = _R(
    "medcom.message.narrative-missing", ERROR, "The MessageHeader carries narrative text",
    source=f"{GOV} rule 7; MedCom general governance for FHIR standards §5-6 (§3.8)",
    rationale="The narrative is what a person reads when a system cannot show the structured content; its "
    "status is 'generated' or 'extensions', never 'empty'.",
    example='MessageHeader without "text"',
    issue_type="required",
)
NARRATIVE_ID = _R(
    "medcom.message.narrative-id", WARNING, "The MessageHeader narrative includes the resource id",
    source="MedCom general governance for FHIR standards §5-6: the narrative SHALL include the resource id "
    "(§3.8)",
    rationale="The id is the letter id a person quotes when a message is questioned.",
    example='"text": {"status": "generated", "div": "<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Besked</div>"}',
    issue_type="business-rule",
)

# ---------------------------------------------------------------------------------- narrative

GGOV = "MedCom, General governance for MedCom FHIR standards (GeneralGovernanceFHIRStandards)"

NARRATIVE_RESOURCE_MISSING = _R(
    "medcom.narrative.missing", ERROR,
    "Every resource of the message carries narrative text with status generated or extensions",
    source=f"{GGOV} §5: every resource except Bundle SHALL have text, also where the IG allows text 0..1; "
    "text.status SHALL be 'generated' or 'extensions', never 'empty' (§3.8). The MessageHeader is "
    "medcom.message.narrative-missing (governance rule 7); the Bundle has no narrative",
    rationale="A receiver that cannot show a resource's structured content shows its narrative; a Provenance, "
    "Communication or OperationOutcome without one is unreadable there.",
    example='a Provenance without "text", or a Patient with "text": {"status": "empty", ...}',
    issue_type="required",
)
NARRATIVE_RESOURCE_ID = _R(
    "medcom.narrative.id", WARNING, "Every resource's narrative includes the resource id",
    source=f"{GGOV} §6: the narrative SHALL include the resource id (§3.8); the MessageHeader is "
    "medcom.message.narrative-id",
    rationale="The id is what a person quotes when a resource of a message is questioned. Checked by text "
    "search, hence a warning.",
    example='a Patient with id 7a00... and "div": "<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Bruno</div>"',
    issue_type="business-rule",
)
NARRATIVE_HEADER_CONTENT = _R(
    "medcom.narrative.header-content", WARNING,
    "The MessageHeader narrative shows the event, the sender, every receiver and the endpoints",
    source="medcom-messaging-messageHeader obligations SHALL:in-narrative (actor ProducerActor) on eventCoding.code, "
    f"sender, destination.receiver, destination.endpoint and source.endpoint; {GGOV} §6 (§3.3, §3.8)",
    rationale="A person reading the header narrative sees what kind of message it is, who sent it, to whom and "
    "where the acknowledgement goes. Checked by text search (the code or display, the organization's id, "
    "name, SOR code or GLN, the endpoint or its SOR id), hence a warning.",
    example="a CareCommunication MessageHeader narrative that shows its id and nothing else",
    issue_type="business-rule",
)
NARRATIVE_ATTACHMENT = _R(
    "medcom.narrative.attachment", ERROR, "The narrative does not include base64 attachment content",
    source=f"{GGOV} §6: the narrative SHALL NOT include base64 attachments (§3.8)",
    rationale="Attachments travel in Attachment.data; copied into the narrative they are sent twice and are "
    "shown as text. Reported for a data: URL in the XHTML and for the base64 data of an attachment of the "
    "message appearing in a narrative.",
    example='"div": "<div xmlns=\\"http://www.w3.org/1999/xhtml\\"><img '
    'src=\\"data:image/png;base64,iVBOR...\\"/></div>"',
    issue_type="business-rule",
)

# --------------------------------------------------------------------------------- provenance

PROVENANCE_CURRENT = _R(
    "medcom.provenance.current", ERROR, "Exactly one Provenance targets the current MessageHeader",
    source=f"{GOV} rule 5; medcom-messaging-provenance target 'the MessageHeader of the current message' "
    "(§3.5)",
    rationale="One Provenance per message exchange: the one for this exchange says who sent it, when, and "
    "what the message does (new, reply, cancel, ...).",
    example="a message whose only Provenance targets an earlier MessageHeader",
    issue_type="business-rule",
)
PROVENANCE_TARGET = _R(
    "medcom.provenance.target", ERROR, "Each Provenance targets one MessageHeader, and no two the same",
    source=f"{GOV} rule 5; medcom-messaging-provenance target 1..1 only Reference(MessageHeader) (§3.5)",
    rationale="Each exchange in the message's history has one Provenance; two for one MessageHeader make "
    "the history ambiguous.",
    example='"target": [{"reference": "Patient/p"}]',
    issue_type="business-rule",
)
PROVENANCE_ACTIVITY = _R(
    "medcom.provenance.activity", ERROR, "Provenance.activity is an activity of the standard",
    source="medcom-messaging-activityCodes and the per-standard value sets; the intent of invariant "
    "medcom-hospitalNotification-3, whose expression is vacuous as published (ofType on BundleEntry, old "
    "canonical) and is implemented natively (§5.2, §7.1, §18.1)",
    rationale="CareCommunication allows new, reply and forward; a HospitalNotification only its 18 activities; "
    "an Acknowledgement's own Provenance is 'acknowledgement', and an acknowledgement is never acknowledged.",
    example="a CareCommunication Provenance with activity retract-message",
    issue_type="code-invalid",
)
PROVENANCE_ENTITY = _R(
    "medcom.provenance.entity", ERROR, "A reply, forward, revision or cancellation names the message it follows",
    source="medcom-messaging-provenance entity: role 'revision' for replies, corrections and forwards, "
    "'removal' for cancellations; what = MessageHeader/<previous id> (§3.5, §7.4)",
    rationale="Without the preceding message the receiver cannot attach the reply to its thread or know which "
    "notification a cancellation withdraws.",
    example="activity reply-message without Provenance.entity",
    issue_type="business-rule",
)
PROVENANCE_HISTORY = _R(
    "medcom.provenance.history", ERROR, "The Provenance of the preceding message is carried along",
    source="Governance for HospitalNotification §2.3 (all previous Provenances plus a new one), for "
    "Acknowledgement §1.3 (the latest Provenance of the acknowledged message plus its own) (§3.5, §18.8); "
    "a warning for CareCommunication, whose forwards may carry selected Provenances only",
    rationale="The history of Provenances is how a receiver sees the whole exchange without its own state.",
    example="a STOR HospitalNotification without the Provenance of the STIN it follows",
    issue_type="business-rule",
)
PROVENANCE_AGENT = _R(
    "medcom.provenance.agent", WARNING, "The current Provenance's agent is the message's sender",
    source="medcom-messaging-provenance agent.who: 'the organization performing the activity' (§3.5)",
    rationale="The organization that sends the message is the one that performed this exchange.",
    example="Provenance.agent.who Organization/receiver on a new message",
    issue_type="business-rule",
)

# ------------------------------------------------------------------------ hospital notification

HN_CODE_TABLE = _R(
    "medcom.hospitalnotification.code-table", ERROR,
    "Encounter class and status agree with the Provenance activity (HospitalNotification code table)",
    source="MedCom, Overview of HospitalNotification codes (FHIR) (§7.4)",
    rationale="The activity (STIN, STOR, SLHJ, ...) and the Encounter's class and status tell the same story; "
    "a receiver acts on the Encounter, a person reads the activity.",
    example="activity start-leave-inpatient with Encounter.status in-progress",
    issue_type="business-rule",
)
HN_DECEASED = _R(
    "medcom.hospitalnotification.deceased-status", ERROR, "A deceased patient's Encounter is finished",
    source="MedCom, Overview of HospitalNotification codes (FHIR): MORS and RE_MORS (§7.4)",
    rationale="A death notification is Patient.deceasedBoolean true with Encounter.status finished and "
    "period.end the time of death.",
    example="Patient.deceasedBoolean true with Encounter.status in-progress",
    issue_type="business-rule",
)

# -------------------------------------------------------------------------- care communication

CC_PROFILE_CLAIMS = _R(
    "medcom.carecommunication.profile-claims", ERROR,
    "The MessageHeader and every Provenance claim the CareCommunication profiles in meta.profile",
    source="Invariants medcom-careCommunication-1 and -3 (meta.profile.startsWith(...)); an engine that takes an "
    "empty result as passing lets a missing meta.profile through, so their intent is implemented natively "
    "(§6.1, §18.2)",
    rationale="MedCom's validator picks the header and Provenance profiles from meta.profile; without the claim "
    "their CareCommunication constraints are never checked.",
    example="a CareCommunication MessageHeader without meta.profile",
    issue_type="required",
)

# ---------------------------------------------------------------------------- acknowledgement

ACK_RESPONSE_CODE = _R(
    "medcom.acknowledgement.response-code", ERROR,
    "The response code is ok, transient-error or fatal-error; an error names a bundled OperationOutcome",
    source="medcom-messaging-acknowledgementHeader response.code (R4 response-code); intent of "
    "medcom-acknowledgement-1 (§8.1, §8.2)",
    rationale="The sender decides by the code whether the message arrived (ok), should be resent "
    "(transient-error) or must be corrected (fatal-error); an error without an OperationOutcome says nothing "
    "about what went wrong.",
    example='"response": {"identifier": "...", "code": "fatal-error"} without response.details',
    issue_type="business-rule",
)
ACK_RESPONSE_IDENTIFIER = _R(
    "medcom.acknowledgement.response-identifier", ERROR,
    "response.identifier is the id of the acknowledged MessageHeader",
    source="MedCom-FHIR-Communication 052.2: the Acknowledgement SHALL quote the acknowledged MessageHeader.id "
    "in MessageHeader.response.identifier (§3.6, §8.2, §18.6)",
    rationale="The sender correlates the acknowledgement with its message by this id; it is the plain id "
    "(not 'MessageHeader/<id>') and the same message the acknowledgement's Provenance names.",
    example='"response": {"identifier": "MessageHeader/42cb...", "code": "ok"}',
    issue_type="business-rule",
)
ACK_PROVENANCE_COUNT = _R(
    "medcom.acknowledgement.provenance-count", ERROR, "An Acknowledgement carries at most two Provenances",
    source=f"{GOV} rule 5; Governance for Acknowledgement §1.3 (§3.5, §18.8)",
    rationale="An acknowledgement carries only the latest Provenance of the acknowledged message and its own.",
    example="an Acknowledgement with the whole history of a HospitalNotification",
    issue_type="business-rule",
)
ACK_EVENT = _R(
    "medcom.acknowledgement.event", ERROR, "An Acknowledgement's event is acknowledgement-message",
    source="medcom-messaging-eventCodes; every Acknowledgement example (the header profile leaves it unfixed) "
    "(§5.1, §8.2)",
    rationale="Receivers route acknowledgements by event code; another code makes it look like a new message "
    "that must itself be acknowledged.",
    example='"eventCoding": {"code": "care-communication-message"} with a response',
    issue_type="code-invalid",
)

# ------------------------------------------------------------------------------ receiver state

STATE_DUPLICATE = _R(
    "medcom.state.duplicate", WARNING, "Duplicate: Bundle.id and MessageHeader.id were both received before",
    source="MedCom reliable messaging (043_Reliable_Messaging-FHIR): known Bundle.id and known "
    "MessageHeader.id -> the original response was lost; resend it (§3.7)",
    rationale="The receiver must accept the duplicate, not show it to the user again and return the same "
    "acknowledgement as for the first copy. Only reported with a state database (dkconform check --state).",
    example="the same file checked twice with --state",
    issue_type="duplicate",
)
STATE_RETRANSMISSION = _R(
    "medcom.state.retransmission", INFO, "Retransmission: a known MessageHeader.id in a new Bundle",
    source="MedCom reliable messaging: new Bundle.id with known MessageHeader.id -> resubmission of a known "
    "message (MR7, MR8) (§3.7)",
    rationale="A resend after a lost acknowledgement; the receiver may reprocess or reject it, and must not "
    "show it twice. Only reported with a state database.",
    example="a message resent with a new Bundle.id",
    issue_type="duplicate",
)
STATE_BUNDLE_REUSED = _R(
    "medcom.state.bundle-id-reused", ERROR, "A Bundle.id was reused for another message",
    source="MedCom reliable messaging: known Bundle.id with a new MessageHeader.id is an error; Bundle.id is "
    "new every time a message is sent (§3.6, §3.7)",
    rationale="The envelope id identifies one transmission; reusing it for another message breaks duplicate "
    "detection. Only reported with a state database.",
    example="two different messages with the same Bundle.id",
    issue_type="duplicate",
)
STATE_ACK_UNKNOWN = _R(
    "medcom.state.ack-unknown-message", WARNING, "The acknowledged message is not in the state database",
    source="FHIR validation governance: senders SHALL check that received acknowledgements reference the "
    "original message (§3.7)",
    rationale="An acknowledgement of a message this system never recorded is misrouted or refers to a wrong "
    "id. Only reported with a state database.",
    example="an Acknowledgement whose response.identifier no recorded MessageHeader has",
    issue_type="not-found",
)
STATE_ACK_OF_ACK = _R(
    "medcom.state.ack-of-ack", ERROR, "An acknowledgement is never acknowledged",
    source="MedCom acknowledgement rules KR2 (§3.7)",
    rationale="Acknowledging acknowledgements would loop forever. Only reported with a state database.",
    example="an Acknowledgement whose response.identifier is the MessageHeader.id of an Acknowledgement",
    issue_type="business-rule",
)
STATE_ACK_CONFLICT = _R(
    "medcom.state.ack-conflict", ERROR, "A message is acknowledged twice with different codes",
    source="MedCom reliable messaging: the same acknowledgement content for a duplicate as for the first copy "
    "(never positive first and negative later, or the reverse) (§3.7)",
    rationale="The sender cannot know whether its message arrived when two acknowledgements disagree. Only "
    "reported with a state database.",
    example="ok first, fatal-error later for the same MessageHeader.id",
    issue_type="conflict",
)

STATE_ACK_SENDER = _R(
    "medcom.state.ack-sender", ERROR, "An Acknowledgement is sent by the acknowledged message's primary receiver",
    source="MedCom acknowledgement rules KR1 (the receiver returns the acknowledgement) and FHIR validation "
    "governance (senders SHALL check that received acknowledgements reference the original message) (§3.7); "
    "addressing as in every Acknowledgement example (§8.2, §20.2)",
    rationale="Compared with the recorded message by SOR code, GLN and endpoint: the Acknowledgement's sender "
    "has the primary receiver's SOR code and GLN, and its source.endpoint is the endpoint the message was sent "
    "to. Another sender means the acknowledgement answers someone else's message. Only reported with a state "
    "database.",
    example="an Acknowledgement whose sender has the GLN of the original sender instead of the receiver",
    issue_type="business-rule",
)
STATE_ACK_RECEIVER = _R(
    "medcom.state.ack-receiver", ERROR, "An Acknowledgement is addressed to the acknowledged message's sender",
    source="MedCom-FHIR-Communication: MessageHeader.source.endpoint is the target for the Acknowledgement "
    "(§3.3); the acknowledgement goes back to the original sender (§8.2, §20.2); FHIR validation governance "
    "(§3.7)",
    rationale="Compared with the recorded message by SOR code, GLN and endpoint: the primary receiver has the "
    "original sender's SOR code and GLN, and destination.endpoint is the original source.endpoint. Otherwise "
    "the sender never learns whether its message arrived. Only reported with a state database.",
    example="an Acknowledgement whose destination.endpoint is not the acknowledged message's source.endpoint",
    issue_type="business-rule",
)
STATE_ACK_PROVENANCE = _R(
    "medcom.state.ack-provenance", WARNING,
    "An Acknowledgement quotes the acknowledged message's latest Provenance",
    source="Governance for Acknowledgement §1.3: the latest Provenance of the acknowledged message plus its own "
    "(§3.5, §18.8)",
    rationale="Compared with the recorded message: the quoted Provenance has the id and the activity of the "
    "Provenance that targeted the acknowledged MessageHeader. Only reported with a state database.",
    example="an Acknowledgement of a reply-message quoting a Provenance with activity new-message",
    issue_type="business-rule",
)
