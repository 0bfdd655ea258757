"""Rules of the core pipeline: reading, decoding, parsing and recognising a payload."""

from __future__ import annotations

from .report import Severity
from .rules import RuleSet

CORE_RULES = RuleSet("core")
_R = CORE_RULES.add
FATAL, WARNING = Severity.FATAL, Severity.WARNING

PAYLOAD_UNREADABLE = _R(
    "payload.unreadable", FATAL, "The payload could not be read",
    issue_type="not-found",
    source="dkhealth-conformance: input handling",
    rationale="A file that does not exist or cannot be opened cannot be checked; the report says "
    "so instead of stopping the whole run.",
    example="dkconform check missing.xml",
)
PAYLOAD_EMPTY = _R(
    "payload.empty", FATAL, "The payload is empty",
    issue_type="structure",
    source="dkhealth-conformance: input handling",
    rationale="An empty file or an empty body is never a valid message; it usually means a "
    "truncated transfer or an export that failed.",
    example="(a file of zero bytes, or only white space)",
    example_payload="  \n",
)
PAYLOAD_TOO_LARGE = _R(
    "payload.too-large", FATAL, "The payload is larger than the configured size limit",
    issue_type="too-costly",
    source="dkhealth-conformance: safety limits (default 50 MB, --max-size)",
    rationale="Unbounded input is a denial-of-service risk; real messages are far below the limit. "
    "Raise the limit explicitly when a large payload is expected.",
    example="dkconform check --max-size 1000 big.xml",
)
PAYLOAD_BINARY = _R(
    "payload.binary", FATAL, "The payload is binary, not a text message",
    issue_type="structure",
    source="dkhealth-conformance: input handling",
    rationale="Every supported standard is a text format (XML, JSON, ER7, EDIFACT). NUL bytes mean "
    "the file is an image, an archive or a corrupted transfer.",
    example="(a PDF or ZIP file passed by mistake)",
    example_payload="%PDF-1.7\x00\x00\x01\x02",
)
PAYLOAD_UNDECODABLE = _R(
    "payload.undecodable", FATAL, "The bytes do not decode in the declared character encoding",
    issue_type="structure",
    source="XML 1.0 §4.3.3; MedCom OIOXML letters declare windows-1252, ISO-8859-1 or UTF-8",
    rationale="A receiver decodes with the declared encoding; bytes that do not decode are lost "
    "or replaced, typically æ, ø and å written in another encoding than the one declared.",
    example='<?xml version="1.0" encoding="US-ASCII"?> followed by UTF-8 æøå',
    example_payload='<?xml version="1.0" encoding="US-ASCII"?><Note>Søren</Note>',
)
PAYLOAD_MOJIBAKE = _R(
    "payload.mojibake", WARNING, "Text looks like æøå decoded in the wrong encoding (mojibake)",
    issue_type="value",
    source="MedCom OIOXML character set practice (windows-1252 / ISO-8859-1 / UTF-8)",
    rationale="Sequences such as 'Ã¸' or 'Ã¦' are what UTF-8 encoded Danish letters become when "
    "they are read as windows-1252 and written again: the sender converted twice.",
    example="<PersonSurnameName>SÃ¸rensen</PersonSurnameName>",
    example_payload='<?xml version="1.0" encoding="UTF-8"?><Note>SÃ¸rensen</Note>',
)
PAYLOAD_C1_CONTROL = _R(
    "payload.c1-control", WARNING, "Text holds C1 control characters (U+0080-U+009F): it was read in the wrong "
    "encoding",
    issue_type="value",
    source="MedCom OIOXML character set practice (windows-1252 / ISO-8859-1 / UTF-8); ISO-8859-1 and Unicode "
    "assign no printable characters to 0x80-0x9F",
    rationale="Bytes 0x80-0x9F are dashes, quotes and the euro sign in windows-1252 but invisible control "
    "characters in ISO-8859-1 and Unicode: text from a windows-1252 system declared as ISO-8859-1 (or converted "
    "to UTF-8 as if it were) shows them as garbage at the receiver. UTF-8 text read as ISO-8859-1 shows them too; "
    "the message says which of the two the text looks like.",
    example="<Note>kl. 12 – 14</Note> written in windows-1252 (– is the byte 0x96) and declared ISO-8859-1",
    example_payload='<?xml version="1.0" encoding="UTF-8"?><Note>kl. 12 \u0096 14</Note>',
)
PAYLOAD_UNRECOGNISED = _R(
    "payload.unrecognised", FATAL, "No standard pack recognises the payload",
    issue_type="not-supported",
    source="dkhealth-conformance: standard detection (dkconform standards)",
    rationale="Validation needs a standard. The message names what was sniffed and lists the "
    "supported standards; force one with --standard when detection is not possible.",
    example="dkconform check notes.txt",
    example_payload="Dear colleague, this is not a message.",
)
STANDARD_UNKNOWN = _R(
    "standard.unknown", FATAL, "The requested standard is not known",
    issue_type="not-supported",
    source="dkhealth-conformance: --standard / validate(standard=...)",
    rationale="A forced standard must be one that an installed pack provides "
    "(dkconform standards lists them).",
    example="dkconform check --standard medcom.nosuch letter.xml",
)
STANDARD_NOT_APPLICABLE = _R(
    "standard.not-applicable", FATAL, "The payload's format does not fit the requested standard",
    issue_type="not-supported",
    source="dkhealth-conformance: --standard / validate(standard=...)",
    rationale="A standard can only be checked against payloads of its own syntax: an XML "
    "standard cannot judge a JSON document.",
    example="dkconform check --standard medcom.oioxml.XDIS91 bundle.json",
)
XML_MALFORMED = _R(
    "xml.malformed", FATAL, "The XML is not well-formed",
    issue_type="structure",
    source="XML 1.0 §2.1 (well-formed documents)",
    rationale="A document that is not well-formed cannot be parsed by any receiver.",
    example="<Emessage><Envelope></Emessage>",
    example_payload="<Emessage><Envelope></Emessage>",
)
XML_DTD_FORBIDDEN = _R(
    "xml.dtd-forbidden", FATAL, "The XML carries a document type declaration (DTD)",
    issue_type="security",
    source="OWASP XML External Entity prevention; no healthcare message standard uses a DTD",
    rationale="DTDs enable external entities (XXE: reading local files, network access) and entity "
    "expansion bombs (billion laughs). They are never resolved or expanded; the payload is refused.",
    example='<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    example_payload='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<x>&e;</x>",
)
JSON_MALFORMED = _R(
    "json.malformed", FATAL, "The JSON is not well-formed",
    issue_type="structure",
    source="RFC 8259",
    rationale="A JSON document with a syntax error cannot be parsed by any receiver.",
    example='{"resourceType": "Bundle",',
    example_payload='{"resourceType": "Bundle",',
)
JSON_TOO_DEEP = _R(
    "json.too-deep", FATAL, "The JSON nests deeper than the configured limit",
    issue_type="too-costly",
    source="dkhealth-conformance: safety limits (default depth 100, --max-depth)",
    rationale="Deep nesting is a denial-of-service vector and never occurs in real FHIR resources.",
    example="[[[[[[ ... ]]]]]] (thousands of levels)",
    example_payload="[" * 150 + "]" * 150,
)
INTERNAL_ERROR = _R(
    "internal-error", FATAL, "The validator failed internally",
    issue_type="exception",
    source="dkhealth-conformance",
    rationale="A defect in the tool, not necessarily in the payload. The report keeps the error so "
    "that it can be reported to the project; the exit code is 3.",
    example="(an exception inside a validator)",
)
