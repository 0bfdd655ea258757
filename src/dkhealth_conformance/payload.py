"""Reading a payload safely: limits, sniffing of the format, decoding, hardened parsing.

A :class:`Payload` holds the original bytes (never modified), the sniffed format, the decoded
text and, for XML and JSON, the parsed document. Problems found here are fatal issues on the
payload; nothing in this module raises for bad input.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from . import core_rules as R
from .report import Issue, Location

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DEPTH = 100

#: sniffed formats
FHIR_JSON = "fhir-json"
FHIR_XML = "fhir-xml"
OIOXML = "oioxml"
CDA = "cda"
HL7V2 = "hl7v2"
EDIFACT = "edifact"
SOAP = "soap"
VANS = "vans"
XML = "xml"
JSON = "json"
TEXT = "text"
BINARY = "binary"
EMPTY = "empty"
UNREADABLE = "unreadable"

FHIR_NS = "http://hl7.org/fhir"
HL7V3_NS = "urn:hl7-org:v3"
VANS_NS = "urn:oio:medcom:vans-envelope:1.0.4"
SOAP_NAMESPACES = ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")

_XML_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
#: a DOCTYPE in the prolog (after the XML declaration, comments, processing instructions)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_:]")
#: lxml's ", line N, column M" after a parser message
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")
#: every byte but 0x80-0x9F (deleted by ``translate``, so that what is left are the C1 bytes: C speed)
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b <= 0x9F)
#: a C1 control character (U+0080-U+009F)
_C1_CHAR = re.compile("[\x80-\x9f]")
#: æ ø å Æ Ø Å é encoded as UTF-8 and read back as windows-1252 / ISO-8859-1 (the Danish letters
#: only: a lone "Â" before punctuation is too common in other text to be evidence)
_MOJIBAKE = re.compile("Ã[¦¸¥†˜…©]|Ã\u0086|Ã\u0098|Ã\u0085")


@dataclass(frozen=True)
class Limits:
    """Safety limits applied before and while parsing."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_json_depth: int = DEFAULT_MAX_DEPTH


@dataclass(init=False)
class Payload:
    """One input, read and sniffed. ``issues`` holds what went wrong while reading it."""

    name: str
    data: bytes
    format: str = TEXT
    encoding: str | None = None
    text: str | None = None
    xml: Any = None  # lxml ElementTree for XML formats
    json: Any = None  # parsed JSON for JSON formats
    root: str | None = None  # XML root local name
    namespace: str | None = None  # XML root namespace
    issues: list[Issue] = field(default_factory=list)
    #: where the payload came from when it was unwrapped from a transport envelope
    container: str | None = None
    #: what a pack learnt of the payload while recognising it, for its validator to reuse (by key)
    notes: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def __init__(self, name: str, data: bytes, format: str = TEXT, encoding: str | None = None,
                 text: str | None = None, xml: Any = None, json: Any = None, root: str | None = None,
                 namespace: str | None = None, issues: list[Issue] | None = None, container: str | None = None,
                 notes: dict[str, Any] | None = None) -> None:
        # the dataclass's own __init__, written out: one payload is made per document
        self.name, self.data, self.format, self.encoding, self.text = name, data, format, encoding, text
        self.xml, self.json, self.root, self.namespace = xml, json, root, namespace
        self.issues = [] if issues is None else issues
        self.container, self.notes = container, notes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def fatal(self) -> bool:
        return any(i.severity.value == "fatal" for i in self.issues)

    def describe(self) -> str:
        """A short human description of what was sniffed."""
        if self.root:
            ns = f" in namespace {self.namespace}" if self.namespace else " without a namespace"
            return f"{self.format} document with root element <{self.root}>{ns}"
        if self.format == FHIR_JSON and isinstance(self.json, dict):
            return f"FHIR JSON resource of type {self.json.get('resourceType')!r}"
        return f"{self.format} payload"


def xml_parser() -> etree.XMLParser:
    """A hardened lxml parser: no DTD loading, no entity expansion, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


_PARSERS = threading.local()


def _shared_parser() -> etree.XMLParser:
    """This thread's :func:`xml_parser`, made once: a parser costs more to build than a small letter to parse."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = xml_parser()
    return parser


def read_source(source: Any, name: str | None, limits: Limits) -> tuple[str, bytes | None, list[Issue]]:
    """Turn a path, bytes, str or parsed dict into ``(name, bytes)``; never raises."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return name or "<bytes>", bytes(source), []
    if isinstance(source, dict | list):
        return name or "<object>", json.dumps(source, ensure_ascii=False).encode("utf-8"), []
    if isinstance(source, str) and not _is_existing_path(source) and _looks_like_content(source):
        return name or "<string>", source.encode("utf-8"), []
    label = name or str(source)
    try:
        path = Path(source)
        size = path.stat().st_size
        if size > limits.max_bytes:
            return label, None, [_too_large(size, limits)]
        with path.open("rb") as handle:  # read only; the input is never written to
            return label, handle.read(limits.max_bytes + 1), []
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return label, None, [R.PAYLOAD_UNREADABLE.issue(f"cannot read {label}: {reason}")]
    except (TypeError, ValueError) as exc:  # not a path at all: an embedded NUL, an int, ...
        return label, None, [R.PAYLOAD_UNREADABLE.issue(f"cannot read {label!r}: {exc}")]


def _is_existing_path(text: str) -> bool:
    try:
        return len(text) < 4096 and "\n" not in text and Path(text).exists()
    except (OSError, ValueError):
        return False


def _looks_like_content(text: str) -> bool:
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped or stripped[0] in "<{[" or "\n" in text:
        return True
    return stripped.startswith(("MSH|", "UNA", "UNB+"))


def _too_large(size: int, limits: Limits) -> Issue:
    return R.PAYLOAD_TOO_LARGE.issue(
        f"payload is {size} bytes, above the limit of {limits.max_bytes} bytes (raise it with --max-size)"
    )


_DEFAULT_LIMITS = Limits()


def load(source: Any, name: str | None = None, limits: Limits | None = None) -> Payload:
    """Read, sniff, decode and parse ``source``. Problems become fatal issues on the payload."""
    limits = limits or _DEFAULT_LIMITS
    if type(source) is bytes:  # the common case, without the other questions read_source() asks
        return from_bytes(name or "<bytes>", source, limits)
    label, data, issues = read_source(source, name, limits)
    if data is None:
        return Payload(label, b"", UNREADABLE, issues=issues)
    return from_bytes(label, data, limits)


def from_bytes(name: str, data: bytes, limits: Limits | None = None, container: str | None = None) -> Payload:
    """Sniff and parse bytes already in memory."""
    limits = limits or _DEFAULT_LIMITS
    payload = Payload(name, data, container=container)
    if len(data) > limits.max_bytes:
        payload.format = BINARY
        payload.issues.append(_too_large(len(data), limits))
        return payload
    if data[:1] == b"<":  # the common case: no BOM or blanks to skip, so neither empty nor UTF-16
        head = data
    else:
        head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head:
            payload.format = EMPTY
            payload.issues.append(R.PAYLOAD_EMPTY.issue("the payload is empty"))
            return payload
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return _sniff_text(payload, "utf-16", limits)
    if data.find(b"\x00", 0, 8192) >= 0:
        payload.format = BINARY
        message = "the payload contains NUL bytes: it is binary, not a text message"
        payload.issues.append(R.PAYLOAD_BINARY.issue(message))
        return payload
    encoding = "utf-8"
    if head[:1] == b"<":
        encoding = _declared_encoding(head) or encoding
    return _sniff_text(payload, encoding, limits)


#: XML declarations seen (the text up to the first ``>``) and the encoding they declare
_DECLARATIONS: dict[bytes, str | None] = {}


def _declared_encoding(head: bytes) -> str | None:
    """The encoding named in the XML declaration at the start of ``head``, or None. The answer
    depends only on the text up to the first ``>``, and senders use a handful of declarations, so
    they are remembered."""
    end = head.find(b">", 0, 512)
    key = head[: end + 1] if end >= 0 else None
    if key is not None and key in _DECLARATIONS:
        return _DECLARATIONS[key]
    match = _XML_DECL.match(head)
    encoding = match.group(1).decode("ascii") if match else None
    if key is not None and len(_DECLARATIONS) < 256:
        _DECLARATIONS[key] = encoding
    return encoding


def _sniff_text(payload: Payload, encoding: str, limits: Limits) -> Payload:
    data = payload.data
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        payload.format = TEXT
        message = f"unknown character encoding {encoding!r} declared"
        payload.issues.append(R.PAYLOAD_UNDECODABLE.issue(message))
        return payload
    name = codec.name
    try:
        if name != "utf-8":
            text = data.decode(name)
        elif data[:3] == codecs.BOM_UTF8:
            text = data.decode("utf-8-sig")
        else:  # the same text as "utf-8-sig" gives without a BOM, by the C decoder
            text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        payload.format = TEXT
        payload.issues.append(
            R.PAYLOAD_UNDECODABLE.issue(
                f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid {encoding}",
                line=line,
            )
        )
        return payload
    payload.encoding, payload.text = name, text
    if "Ã" in text:  # every mojibake pattern starts with it; this scan costs less than the search
        _check_mojibake(payload)
    if name != "cp1252" and _may_hold_c1(name, data):  # windows-1252 gives 0x80-0x9F printable characters
        _check_c1_controls(payload)
    if text[:1] == "<":
        _parse_xml(payload)
        return payload
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        _parse_xml(payload)
    elif stripped.startswith(("{", "[")):
        _parse_json(payload, limits)
    elif stripped.startswith(("MSH|", "FHS|", "BHS|")):
        payload.format = HL7V2
    elif stripped.startswith(("UNA", "UNB+")):
        payload.format = EDIFACT
    else:
        payload.format = TEXT
    return payload


def _check_mojibake(payload: Payload) -> None:
    assert payload.text is not None
    match = _MOJIBAKE.search(payload.text)
    if match:
        line = payload.text.count("\n", 0, match.start()) + 1
        payload.issues.append(
            R.PAYLOAD_MOJIBAKE.issue(
                f"{match.group(0)!r} looks like a Danish letter encoded twice (declared {payload.encoding})",
                line=line,
            )
        )


def _may_hold_c1(codec: str, data: bytes) -> bool:
    """Whether text decoded from ``data`` by ``codec`` may hold a C1 control character (a quick look at
    the bytes: in UTF-8 they follow the byte 0xC2, in ISO-8859 they are the bytes 0x80-0x9F)."""
    if codec == "utf-8":
        return b"\xc2" in data
    if data.isascii():
        return False
    return not codec.startswith("iso8859") or bool(data.translate(None, _NOT_C1))


#: windows-1252 leaves these bytes undefined
_CP1252_UNDEFINED = frozenset((0x81, 0x8D, 0x8F, 0x90, 0x9D))


def _check_c1_controls(payload: Payload) -> None:
    """A warning for the first C1 control character (U+0080-U+009F) of the text, unless it is part of
    the mojibake already reported. After a character that would be a UTF-8 lead byte it is UTF-8 read
    in another encoding; otherwise most likely windows-1252 read as ISO-8859-1 or Unicode."""
    text = payload.text
    assert text is not None
    if any(issue.rule_id == R.PAYLOAD_MOJIBAKE.id for issue in payload.issues):
        return
    match = _C1_CHAR.search(text)
    if match is None:
        return
    code = ord(match.group(0))
    before = text[match.start() - 1] if match.start() else ""
    if "\u00c2" <= before <= "\u00f4":
        cause = f"with the character before it, it reads as UTF-8: the text is probably UTF-8 read as " \
            f"{payload.encoding}"
    elif code in _CP1252_UNDEFINED:
        cause = "windows-1252 leaves its byte undefined too: the text is probably in another encoding than the one read"
    else:
        meant = bytes([code]).decode("cp1252")
        cause = f"in windows-1252 its byte is {meant!r}: the text is probably windows-1252 read as {payload.encoding}"
    line = text.count("\n", 0, match.start()) + 1
    payload.issues.append(
        R.PAYLOAD_C1_CONTROL.issue(f"U+{code:04X} is an invisible control character; {cause}", line=line)
    )


def _has_doctype(text: str) -> bool:
    """A DOCTYPE declaration in the prolog (before the root element's start tag). Linear time."""
    where = text.find("<!DOCTYPE")
    if where < 0:
        return False
    first = _FIRST_ELEMENT.search(text)
    return first is None or where < first.start()


def _parse_xml(payload: Payload) -> None:
    payload.format = XML
    text = payload.text
    if text is not None and "<!DOCTYPE" in text and _has_doctype(text):
        # refused before parsing, so that entity declarations (billion laughs) are never expanded
        line = text.count("\n", 0, text.find("<!DOCTYPE")) + 1
        payload.issues.append(_dtd_forbidden(line))
        return
    parser = getattr(_PARSERS, "parser", None) or _shared_parser()
    try:
        root = etree.fromstring(payload.data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        message = _POSITION_SUFFIX.sub("", str(exc.msg or exc))  # the position is in the issue's location
        payload.issues.append(R.XML_MALFORMED.issue(message, line=line, column=column))
        return
    tree = root.getroottree()
    info = tree.docinfo
    if info.internalDTD is not None or info.doctype:
        payload.issues.append(_dtd_forbidden(1))
        return
    tag = root.tag  # Clark notation: {namespace}local
    namespace, _, local = tag[1:].partition("}") if tag[:1] == "{" else (None, "", tag)
    payload.xml, payload.root, payload.namespace = tree, local, namespace
    payload.format = _xml_format(local, namespace)


def _dtd_forbidden(line: int) -> Issue:
    return R.XML_DTD_FORBIDDEN.issue(
        "the document has a DOCTYPE declaration; DTDs and entities are never loaded or expanded",
        line=line,
    )


def _xml_format(root: str, namespace: str | None) -> str:
    if namespace == FHIR_NS:
        return FHIR_XML
    if root == "Emessage":
        return OIOXML
    if root == "ClinicalDocument" and namespace == HL7V3_NS:
        return CDA
    if root == "VANSEnvelope":
        return VANS
    if root == "Envelope" and namespace in SOAP_NAMESPACES:
        return SOAP
    return XML


def _parse_json(payload: Payload, limits: Limits) -> None:
    payload.format = JSON
    assert payload.text is not None
    plain_utf8 = payload.encoding == "utf-8" and payload.data[:3] != codecs.BOM_UTF8  # the bytes of the text
    depth = _json_depth(payload.data if plain_utf8 else payload.text, limits.max_json_depth)
    if depth > limits.max_json_depth:
        payload.issues.append(
            R.JSON_TOO_DEEP.issue(f"the JSON nests more than {limits.max_json_depth} levels deep")
        )
        return
    try:
        document = json.loads(payload.text)
    except json.JSONDecodeError as exc:
        payload.issues.append(R.JSON_MALFORMED.issue(exc.msg, line=exc.lineno, column=exc.colno))
        return
    except (RecursionError, ValueError) as exc:
        payload.issues.append(R.JSON_MALFORMED.issue(str(exc)))
        return
    payload.json = document
    if isinstance(document, dict) and isinstance(document.get("resourceType"), str):
        payload.format = FHIR_JSON


_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_JSON_STRING = re.compile(rb'"[^"]*"')
#: every byte but the quote and the brackets
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
#: per byte, the change of depth
_STEP = [1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256)]


def _json_depth(text: str | bytes, limit: int) -> int:
    """Maximum bracket depth outside strings, at C speed whatever the text (a hostile payload costs
    linear time): on the UTF-8 bytes (``text`` itself when given as bytes; the bytes of quotes,
    brackets and backslashes are never part of another character), escapes are cut out, then
    everything but quotes and brackets, then the strings (as pairs of quotes when no string holds a
    bracket); the depth is summed by ``accumulate``."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = _JSON_ESCAPE.sub(b"", data)
    structure = data.translate(None, _NOT_STRUCTURE)
    brackets = structure.replace(b'""', b"")  # strings without brackets, the usual case
    if b'"' in brackets:  # a string with a bracket in it (its opening quote is left)
        brackets = _JSON_STRING.sub(b"", structure)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def local_name(element: Any) -> str:
    """The local name of an lxml element; "" for comments and processing instructions."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def element_path(element: Any) -> str:
    """``/Emessage/ClinicalEmail/Patient``-style path of an lxml element (local names)."""
    parts: list[str] = []
    node = element
    while node is not None:
        parent = node.getparent()
        name = local_name(node)
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def location_of(element: Any, container: str | None = None) -> Location:
    """The :class:`Location` of an lxml element."""
    return Location(element_path(element), element.sourceline, None, container)
