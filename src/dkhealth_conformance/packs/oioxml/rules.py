"""Rules of the MedCom OIOXML pack (classic XML letters, receipts, VANS envelope)."""

from __future__ import annotations

from ...report import Severity
from ...rules import RuleSet

OIOXML_RULES = RuleSet("oioxml")
_R = OIOXML_RULES.add
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION
SCHEMA = "MedCom OIOXML schema of the letter's namespace (element order, cardinality, types)"

NAMESPACE_UNKNOWN = _R(
    "oioxml.namespace-unknown", ERROR, "The Emessage namespace is not a known MedCom OIOXML version",
    source="MedCom OIOXML namespaces (http://rep.oio.dk/.../medcom.dk/xml/schemas/YYYY/MM/DD/)",
    rationale="Every MedCom letter lives in one dated schema namespace; an unknown namespace means a "
    "typo, a letter version this tool does not model yet, or a non-MedCom document.",
    example='<Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/1999/01/01/">',
    issue_type="not-supported",
)
LETTER_UNKNOWN = _R(
    "oioxml.letter-unknown", ERROR, "The Emessage carries no letter known in its namespace",
    source=SCHEMA,
    rationale="An Emessage carries one or more letters after its Envelope; each letter element must be "
    "one of the letters defined in that namespace version.",
    example="<Emessage><Envelope>...</Envelope><Notes>...</Notes></Emessage>",
    issue_type="structure",
)
STANDARD_MISMATCH = _R(
    "oioxml.standard-mismatch", ERROR, "The Emessage carries no letter of the requested standard",
    source="dkhealth-conformance: --standard / validate(standard=...) with a MedCom OIOXML letter type",
    rationale="A forced standard names a letter type and VersionCode; an Emessage that carries other "
    "letters is not a letter of that standard, however valid it is in its own right.",
    example="dkconform check --standard medcom.oioxml.XDIS01 clinical-email.xml",
    issue_type="not-supported",
)
SEVERAL_STANDARDS = _R(
    "oioxml.several-standards", INFO, "The Emessage carries letters of more than one standard",
    source="MedCom OIOXML Emessage: an Envelope followed by one or more letters",
    rationale="A report is labelled with one standard (the first letter's, or the forced one); every letter "
    "is still validated against its own model. This finding names all of them.",
    example="<Emessage><Envelope/><DischargeLetter/><HospitalReferral/></Emessage>",
    issue_type="informational",
)
MISSING_ELEMENT = _R(
    "oioxml.structure.missing-element", ERROR, "A required element is missing",
    source=SCHEMA,
    rationale="The schemas use sequences with minimum cardinalities: a receiver cannot rely on data "
    "that is absent.",
    example="<Patient> without <PersonSurnameName>",
    issue_type="required",
)
UNEXPECTED_ELEMENT = _R(
    "oioxml.structure.unexpected-element", ERROR,
    "An element is not allowed here (unknown, out of order or repeated too often)",
    source=SCHEMA,
    rationale="All OIOXML content models are ordered sequences: an element in the wrong place, an "
    "unknown element or one repeated beyond its maximum is rejected by MedCom's schemas.",
    example="<Letter><VersionCode/> before <Identifier/>",
    issue_type="structure",
)
CONTENT = _R(
    "oioxml.structure.content", ERROR, "The element has content its type does not allow",
    source=SCHEMA,
    rationale="Empty marker elements (such as <Break/>) take no text, and text-only elements take no "
    "child elements.",
    example="<Break>x</Break>",
    issue_type="structure",
)
ROOT = _R(
    "oioxml.structure.root", ERROR, "The document root is not a valid Emessage",
    source=SCHEMA,
    rationale="A MedCom letter is always wrapped in <Emessage> in the letter's namespace.",
    example="<ClinicalEmail> as the document root",
    issue_type="structure",
)
VALUE_PATTERN = _R(
    "oioxml.value.pattern", ERROR, "A value does not match the pattern its type requires",
    source=SCHEMA,
    rationale="Patterns constrain identifiers and times (e.g. CPR numbers are 10 digits, times hh:mm).",
    example="<Time>25:00</Time>",
)
VALUE_ENUMERATION = _R(
    "oioxml.value.enumeration", ERROR, "A code is not one of the values its code list allows",
    source=SCHEMA + "; code lists in ValueLists",
    rationale="Codes such as IdentifierCode, EpisodeOfCareStatusCode and MedicalSpecialityCode are "
    "closed lists; receivers map them to their own codes.",
    example="<IdentifierCode>sor</IdentifierCode>",
    issue_type="code-invalid",
)
VALUE_LENGTH = _R(
    "oioxml.value.length", ERROR, "A value is shorter or longer than its type allows",
    source=SCHEMA + " (String_1_N types)",
    rationale="Receivers store fields in fixed-size columns (the EDIFACT heritage); an over-long "
    "name or identifier is rejected, an empty element is never allowed.",
    example="<OrganisationName> of 36 characters (maximum 35)",
)
VALUE_TYPE = _R(
    "oioxml.value.type", ERROR, "A value is not valid for its data type (date, number, boolean)",
    source=SCHEMA + "; XML Schema Part 2 datatypes",
    rationale="Dates must be real calendar dates in YYYY-MM-DD form; numbers and booleans must parse.",
    example="<Date>2023-02-29</Date>",
)
VALUE_RANGE = _R(
    "oioxml.value.range", ERROR, "A number is outside the range its type allows",
    source=SCHEMA,
    rationale="Numeric types carry minimum and maximum values.",
    example="<OriginalObjectSize>0</OriginalObjectSize>",
)
SCHEMA_OTHER = _R(
    "oioxml.schema", ERROR, "The letter does not conform to its schema",
    source=SCHEMA,
    rationale="A schema violation that has no more specific rule.",
    example="(any other XSD validation error)",
    issue_type="structure",
)
VERSION_CODE = _R(
    "oioxml.version-code-mismatch", ERROR, "The VersionCode does not belong to this letter in this namespace",
    source="MedCom message catalogue: type → VersionCode → letter element → namespace",
    rationale="Letter type, VersionCode, letter element and schema namespace identify one standard "
    "version together; a mismatch means the sender mixed versions and the receiver cannot know which "
    "rules apply.",
    example="<ClinicalEmail> in the 2006-07-01 namespace with <VersionCode>XD9133L</VersionCode>",
)
TYPE_CODE = _R(
    "oioxml.type-code-mismatch", ERROR, "The TypeCode does not match the letter element",
    source="MedCom message catalogue: type → VersionCode → letter element → namespace",
    rationale="TypeCode names the letter type (e.g. XDIS91 for ClinicalEmail); it must agree with the "
    "letter element that carries it.",
    example="<ClinicalEmail> with <TypeCode>XDIS01</TypeCode>",
)
STATISTICAL_CODE = _R(
    "oioxml.statistical-code-mismatch", WARNING, "The StatisticalCode does not match the letter type",
    source="MedCom OIOXML letter header: StatisticalCode (String 1-8) repeats the type, e.g. XDIS91",
    rationale="VANS statistics count letters by StatisticalCode; senders normally repeat the TypeCode "
    "(some write the EDIFACT form without the leading X, which is accepted).",
    example="<TypeCode>XDIS91</TypeCode> with <StatisticalCode>XREF01</StatisticalCode>",
)
STATUS_CODE = _R(
    "oioxml.status-code-not-allowed", ERROR, "The StatusCode is not allowed for this letter",
    source="MedCom OIOXML letter header: StatusCode (nytbrev, rettetbrev, annulleretbrev where allowed)",
    rationale="Only some letters can be cancelled (annulleretbrev); a cancellation of a letter type "
    "that has no cancellation is not understood by the receiver.",
    example="<ClinicalEmail> with <StatusCode>annulleretbrev</StatusCode>",
    issue_type="code-invalid",
)
AUTHORISATION_AFTER_SENT = _R(
    "oioxml.authorisation-after-sent", ERROR, "The letter is authorised after the envelope was sent",
    source="MedCom OIOXML: Letter/Authorisation is when the letter was approved; Envelope/Sent when it was sent",
    rationale="A letter cannot be approved after it has been sent; the timestamps are wrong or a clock "
    "is off.",
    example="<Sent> 2024-05-01 12:00 and <Authorisation> 2024-05-01 12:30",
    issue_type="business-rule",
)
LETTER_ID_DUPLICATE = _R(
    "oioxml.letter-identifier-duplicate", ERROR, "Two letters in one Emessage have the same identifier",
    source="MedCom OIOXML: Letter/Identifier identifies a letter; receipts refer to it",
    rationale="Receipts (XCTL) answer letters by their identifier; duplicates make receipts ambiguous.",
    example="two <Letter><Identifier>LET1</Identifier> in one Emessage",
    issue_type="duplicate",
)
OFFICIAL_SCHEMA = _R(
    "oioxml.official-schema", ERROR, "The official MedCom schema given with --schema-dir rejects the letter",
    source="MedCom's official OIOXML schema release (user supplied with --schema-dir)",
    rationale="An extra layer for users who hold MedCom's schema release: its findings are reported "
    "under this rule id so that they can be told apart from the built-in model.",
    example="dkconform check --schema-dir ./medcom-schemas letter.xml",
    issue_type="structure",
)
OFFICIAL_SCHEMA_MISSING = _R(
    "oioxml.official-schema-missing", WARNING, "--schema-dir has no schema for the letter's namespace",
    source="MedCom's official OIOXML schema release (user supplied with --schema-dir)",
    rationale="The official layer could not run because no EMessage.xsd in the given folder declares "
    "the letter's namespace; only the built-in model was applied.",
    example="dkconform check --schema-dir ./only-2014-schemas letter-2006.xml",
    issue_type="not-found",
)
RECEIPT = "MedCom OIOXML receipts XCTL01 (negative VANS), XCTL02 (negative), XCTL03 (positive)"
REFUSE_ON_POSITIVE = _R(
    "oioxml.receipt.refuse-on-positive", ERROR, "A positive receipt carries RefuseCode or RefuseText",
    source=RECEIPT,
    rationale="RefuseCode and RefuseText say why a letter was refused; a positive receipt accepts the "
    "letters, so a refusal reason in it contradicts its type.",
    example="<PositiveReceipt> … <RefuseCode>syntaksfejl</RefuseCode>",
    issue_type="business-rule",
)
REFUSE_MISSING = _R(
    "oioxml.receipt.refuse-missing", ERROR, "A negative receipt gives no RefuseCode",
    source=RECEIPT,
    rationale="A negative receipt must say why: a RefuseCode for the whole Emessage, or one on each "
    "refused OriginalLetter.",
    example="<NegativeReceipt> whose OriginalEmessage and OriginalLetter have no <RefuseCode>",
    issue_type="business-rule",
)
ORIGINAL_LETTER_DUPLICATE = _R(
    "oioxml.receipt.original-letter-duplicate", ERROR, "A receipt names the same original letter twice",
    source=RECEIPT,
    rationale="Each OriginalLetter answers one letter of the original Emessage; a repeated identifier "
    "makes the answer ambiguous.",
    example="two <OriginalLetter><OriginalLetterIdentifier>LET1</OriginalLetterIdentifier>",
    issue_type="duplicate",
)
UNKNOWN_ENVELOPE = _R(
    "oioxml.receipt.unknown-envelope", ERROR,
    "The receipt answers an Emessage that is not among the correlated letters",
    source=RECEIPT + "; OriginalEnvelopeIdentifier = the answered Envelope/Identifier (dkconform check --correlate)",
    rationale="A receipt must refer to an Emessage the receiver actually got; an unknown envelope "
    "identifier means a mistyped reference or a receipt sent to the wrong party.",
    example="OriginalEnvelopeIdentifier ENV9 when only ENV1 was sent",
    issue_type="not-found",
)
UNKNOWN_LETTER = _R(
    "oioxml.receipt.unknown-letter", ERROR, "The receipt names a letter that the original Emessage does not contain",
    source=RECEIPT + "; OriginalLetterIdentifier = the answered Letter/Identifier (dkconform check --correlate)",
    rationale="Each OriginalLetter must be one of the letters of the answered Emessage.",
    example="OriginalLetterIdentifier LET9 in a receipt for an Emessage with LET1 only",
    issue_type="not-found",
)
VERSION_MISMATCH = _R(
    "oioxml.receipt.version-mismatch", ERROR, "OriginalVersionCode differs from the answered letter's VersionCode",
    source=RECEIPT + "; OriginalVersionCode (XML form XD9134L or EDIFACT form D9134L)",
    rationale="The receipt repeats the version of the letter it answers so the sender can match it.",
    example="OriginalVersionCode XD9133L for a letter sent as XD9134L",
    issue_type="business-rule",
)
PARTY_MISMATCH = _R(
    "oioxml.receipt.party-mismatch", ERROR, "The receipt's parties do not match the answered Emessage",
    source=RECEIPT + "; OriginalSender/OriginalReceiver and the receipt's own Sender",
    rationale="OriginalSender and OriginalReceiver repeat the location numbers of the answered letters, "
    "and the receipt is sent by the party that received them.",
    example="OriginalSender 5790000209354 for a letter sent by 5790001348120",
    issue_type="business-rule",
)
