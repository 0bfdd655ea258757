"""Hypothesis strategies derived from a message model: valid Emessages and near-miss mutants.

:func:`documents` draws whole ``Emessage`` documents (bytes with an XML declaration, UTF-8 or
windows-1252) that the model's schema accepts and that keep the business rules: the letter's
VersionCode, TypeCode and StatisticalCode, a StatusCode the letter allows, Authorisation not after
the Envelope's Sent, unique letter identifiers, valid CPR numbers and GLNs, and an ``Identifier``
that fits its ``IdentifierCode`` (a GLN for ``lokationsnummer``, digits for ``sorkode``).

:func:`mutants` draws documents that break exactly one thing, each tagged with the rule id that
must report it (:data:`OPERATORS` is the one table of those rule ids).

Everything is built from the model only (no letter is special-cased) out of small composite draws,
so failures shrink to short documents with few optional elements and simple values.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import functools
import random
import re
import re._constants as _sre  # the standard library's regex parser (Python 3.11+)
import re._parser as _sre_parse
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from hypothesis import reject
from hypothesis import strategies as st
from lxml import etree

from .model import AnyContent, ComplexType, Element, Letter, Particle, Schema, SimpleType, walk
from .xsd import LOCAL_ELEMENTS

__all__ = [
    "ENCODINGS",
    "OPERATORS",
    "STRUCTURAL_OPERATORS",
    "Mutant",
    "MutationCase",
    "Operator",
    "answers",
    "attachments",
    "documents",
    "mutants",
    "mutation_cases",
    "python_regex",
    "receipts",
]

#: encodings a generated document declares (MedCom letters are often windows-1252)
ENCODINGS = ("UTF-8", "windows-1252")
#: how many repetitions an unbounded particle gets at most (bounded ones go up to their maximum,
#: but not beyond this many above their minimum)
MAX_REPEAT = 3
MAX_BOUNDED = 10
#: repetitions of one particle drawn one by one; further ones copy them (so that a hundred
#: repetitions fit Hypothesis's budget of choices per example, and large counts stay cheap)
DRAWN_REPEATS = 4
#: element nesting depth after which optional content is left out (recursive types end here)
MAX_DEPTH = 12
#: longest free text drawn for a string type without maxLength
UNBOUNDED_TEXT = 200
#: attachments (base64 values): most are small (up to SMALL_ATTACHMENT bytes), one in
#: ATTACHMENT_ODDS is of a realistic size for a scanned letter or a PDF report (LARGE_ATTACHMENT)
SMALL_ATTACHMENT = 4096
LARGE_ATTACHMENT = (100_000, 600_000)
ATTACHMENT_ODDS = 20
#: namespace of the content generated inside ``Local_Elements`` (any well-formed content)
LOCAL_NAMESPACE = "urn:dkhealth-conformance:local-elements"
#: an element name no model uses
UNKNOWN_ELEMENT = "UnexpectedElement"

_DANISH = "æøåÆØÅ"
_PLAIN = string.ascii_letters + string.digits + " "
_ALNUM = string.ascii_uppercase + string.digits


class Operator(NamedTuple):
    """A mutation operator: the rule id its mutants must trigger and whether an XML schema (ours and
    the official one) rejects them (structural) or only a business rule does."""

    rule_id: str
    structural: bool
    summary: str


#: every mutation operator with the rule id it must trigger; keep in step with the pack's rules
OPERATORS: dict[str, Operator] = {
    "missing-element": Operator("oioxml.structure.missing-element", True, "drop a required element"),
    "unexpected-element": Operator("oioxml.structure.unexpected-element", True, "insert an unknown element"),
    "order": Operator("oioxml.structure.unexpected-element", True, "swap two sibling elements"),
    "enumeration": Operator("oioxml.value.enumeration", True, "a code outside its enumeration"),
    "length": Operator("oioxml.value.length", True, "a string longer or shorter than its type allows"),
    "pattern": Operator("oioxml.value.pattern", True, "a value that breaks its type's pattern"),
    "impossible-date": Operator("oioxml.value.type", True, "a date that is not in the calendar"),
    "version-code": Operator("oioxml.version-code-mismatch", False, "another letter's VersionCode"),
    "type-code": Operator("oioxml.type-code-mismatch", False, "another letter's TypeCode"),
    "status-code": Operator("oioxml.status-code-not-allowed", False, "a StatusCode the letter does not allow"),
    "cpr-date": Operator("dk.cpr.invalid-date", False, "a CPR number whose date does not exist"),
    "gln-check-digit": Operator("dk.gln.check-digit", False, "a GLN with a wrong check digit"),
    "authorisation-after-sent": Operator("oioxml.authorisation-after-sent", False,
                                         "a letter authorised after the envelope was sent"),
    "duplicate-letter-identifier": Operator("oioxml.letter-identifier-duplicate", False,
                                            "two letters with one identifier"),
}
STRUCTURAL_OPERATORS: tuple[str, ...] = tuple(name for name, op in OPERATORS.items() if op.structural)


# --------------------------------------------------------------------------------------------
# XSD regular expressions in Python
# --------------------------------------------------------------------------------------------

_CLASS_ESCAPES = {
    "d": "0-9",
    "s": " \\t\\n\\r",
    "i": "A-Za-z_:",
    "c": "A-Za-z0-9_:.\\-",
    "w": "A-Za-z0-9" + _DANISH,
}
_PROPERTIES = {
    "L": "A-Za-z" + _DANISH, "Lu": "A-Z" + _DANISH[3:], "Ll": "a-z" + _DANISH[:3],
    "N": "0-9", "Nd": "0-9", "IsBasicLatin": "\\x20-\\x7e",
}


def python_regex(pattern: str) -> str:
    """The XSD regular expression ``pattern`` as a Python one (to use with ``re.fullmatch``).

    XSD patterns are anchored and have no ``^``/``$`` anchors (they are plain characters there);
    ``.`` excludes line ends; ``\\d``, ``\\w``, ``\\i``, ``\\c`` and a few ``\\p{..}`` properties
    become ASCII/Danish classes (a subset of what XSD allows, which is what generation needs).
    Character class subtraction is not supported.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            code = pattern[i + 1]
            i += 2
            if code in "pP" and i < len(pattern) and pattern[i] == "{":
                end = pattern.index("}", i)
                name = pattern[i + 1:end]
                i = end + 1
                if name not in _PROPERTIES:
                    raise ValueError(f"XSD pattern {pattern!r}: property \\{code}{{{name}}} is not supported")
                body = _PROPERTIES[name]
                negate = code == "P"
            elif code.lower() in _CLASS_ESCAPES:
                body = _CLASS_ESCAPES[code.lower()]
                negate = code.isupper()
            else:
                out.append("\\" + code)
                continue
            if in_class:
                if negate:
                    raise ValueError(f"XSD pattern {pattern!r}: negated escape inside a class is not supported")
                out.append(body)
            else:
                out.append(f"[{'^' if negate else ''}{body}]")
            continue
        if in_class:
            if char == "[":
                raise ValueError(f"XSD pattern {pattern!r}: character class subtraction is not supported")
            if char == "]":
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
        elif char == ".":
            out.append("[^\\n\\r]")
        elif char in "^$":
            out.append("\\" + char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------------------------
# The generated tree
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """One element of a generated document, with the model particle it was generated from.

    ``spine`` is the position of the element's particle in its parent's plain sequence (not inside
    a choice or a repeated group, and the only particle of that name in the parent's type), or
    None: only spine elements are dropped or swapped by the structural mutations.
    """

    name: str
    type: SimpleType | ComplexType | AnyContent | None
    decl: Element | None = None
    spine: int | None = None
    text: str | None = None
    children: list[Node | str] = field(default_factory=list)
    namespace: str | None = None  # None: the schema's namespace

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def child(self, name: str) -> Node | None:
        return next((c for c in self.elements() if c.name == name), None)

    def find(self, *names: str) -> Node | None:
        node: Node | None = self
        for name in names:
            node = node.child(name) if node is not None else None
        return node


def _walk(node: Node, path: str = "") -> Iterator[tuple[Node, Node | None, str]]:
    """Every node below and including ``node``: (node, parent, path), not into any-content."""
    here = f"{path}/{node.name}"
    stack: list[tuple[Node, Node | None, str]] = [(node, None, here)]
    while stack:
        current, parent, where = stack.pop()
        yield current, parent, where
        if isinstance(current.type, AnyContent) or current.namespace is not None:
            continue
        for index, child in reversed(list(enumerate(current.elements()))):
            stack.append((child, current, f"{where}/{child.name}[{index}]"))


def serialize(root: Node, namespace: str, encoding: str, pretty: bool = False) -> bytes:
    """The document as bytes in ``encoding``, with an XML declaration naming it; ``pretty``
    indents element-only content (never mixed or any-content, where white space is data)."""

    def build(node: Node, parent: Any, depth: int) -> Any:
        tag = f"{{{node.namespace or namespace}}}{node.name}"
        nsmap: dict[Any, str] = {None: namespace}
        element = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag)
        if node.text is not None:
            element.text = node.text
        indent = pretty and node.namespace is None and (
            node.type is None or (isinstance(node.type, ComplexType) and not node.type.mixed))
        last = None
        for child in node.children:
            if isinstance(child, str):
                if last is None:
                    element.text = (element.text or "") + child
                else:
                    last.tail = (last.tail or "") + child
                continue
            if indent:
                if last is None:
                    element.text = "\n" + "  " * (depth + 1)
                else:
                    last.tail = "\n" + "  " * (depth + 1)
            last = build(child, element, depth + 1)
        if indent and last is not None:
            last.tail = "\n" + "  " * depth
        return element

    tree = build(root, None, 0)
    body = etree.tostring(tree, encoding=encoding, xml_declaration=False)
    assert isinstance(body, bytes)
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii") + body


# --------------------------------------------------------------------------------------------
# Values of simple types
# --------------------------------------------------------------------------------------------


def _text_alphabet(encoding: str) -> st.SearchStrategy[str]:
    """Any XML-safe character the encoding can carry (so that windows-1252 documents need no
    character references): no surrogates, no control characters but tab and line feed."""
    codec = "utf-8" if encoding.upper() == "UTF-8" else "cp1252"
    # no Ã or Â: they begin the doubly encoded forms of æøå (mojibake, which validators warn about)
    return st.characters(codec=codec, exclude_categories=("Cs", "Cc"),
                         exclude_characters="\ufffe\uffffÃÂ", include_characters="\t\n")


#: text styles of a document: free text of ASCII and Danish letters, of any character the
#: encoding can carry, or of the longest length each type allows
TEXT_STYLES = ("plain", "unicode", "longest")


@functools.cache
def _free_text(encoding: str, style: str, low: int, high: int) -> st.SearchStrategy[str]:
    """Free text of ``low`` to ``high`` characters in ``style`` (one string draw per value)."""
    if style == "longest":
        return st.text(_PLAIN + _DANISH, min_size=high, max_size=high)
    if style == "unicode":
        return st.text(_text_alphabet(encoding), min_size=low, max_size=high)
    return st.text(_PLAIN + _DANISH, min_size=low, max_size=high)


@st.composite
def _dates(draw: st.DrawFn, low: dt.date = dt.date(1900, 1, 1), high: dt.date = dt.date(2099, 12, 31)) -> dt.date:
    """Real calendar dates; 29 February of a leap year about one time in eight."""
    if draw(st.integers(0, 7)) == 7:
        leap_years = [y for y in range(low.year, high.year + 1) if calendar.isleap(y)]
        return dt.date(draw(st.sampled_from(leap_years)), 2, 29)
    return draw(st.dates(low, high))


def _ids() -> Any:
    # imported late: the public strategies package imports this module
    from ..strategies import identifiers

    return identifiers


def _bounds(simple: SimpleType, default_low: int, default_high: int) -> tuple[int, int]:
    low = simple.min_value if simple.min_value is not None else default_low
    high = simple.max_value if simple.max_value is not None else default_high
    return low, max(low, high)


def _simple_regex(regex: str) -> st.SearchStrategy[str] | None:
    """A fast strategy for a regex that is a plain series of literals and repeated character sets
    (``[0-9]{1,15}``, a UUID, ``[A-Z]{2}[0-9]{4}``): one text draw per piece, not per character.
    None for anything else (alternatives, groups, negated sets), which ``st.from_regex`` handles."""
    try:
        parsed = _sre_parse.parse(regex)
    except re.error:
        return None
    pieces: list[st.SearchStrategy[str]] = []
    for op, arg in parsed:
        if op is _sre.LITERAL:
            pieces.append(st.just(chr(arg)))
            continue
        low, high, item = 1, 1, (op, arg)
        if op is _sre.MAX_REPEAT:
            low, high, sub = arg
            if len(sub) != 1 or high is _sre.MAXREPEAT:
                return None
            item = sub[0]
        chars = _set_chars(*item)
        if chars is None:
            return None
        pieces.append(st.text(chars, min_size=low, max_size=high))
    return st.tuples(*pieces).map("".join) if pieces else None


def _set_chars(op: Any, arg: Any) -> str | None:
    """The characters of a literal or a (non-negated) set of literals and ranges, else None."""
    if op is _sre.LITERAL:
        return chr(arg)
    if op is not _sre.IN:
        return None
    chars: list[str] = []
    for kind, value in arg:
        if kind is _sre.LITERAL:
            chars.append(chr(value))
        elif kind is _sre.RANGE and value[1] - value[0] < 2000:
            chars.extend(chr(c) for c in range(value[0], value[1] + 1))
        else:
            return None
    return "".join(dict.fromkeys(chars)) or None


@functools.cache
def _clock_format(simple: SimpleType) -> str | None:
    """``"%H:%M"`` or ``"%H:%M:%S"`` when ``simple`` is a time pattern that accepts every time of
    day in that form (then times are drawn as one integer, much cheaper than a regex)."""
    if simple.kind != "time" or simple.pattern is None or simple.enumeration:
        return None
    regex = re.compile(python_regex(simple.pattern))
    minutes = [(h, m) for h in range(24) for m in range(60)]
    if all(regex.fullmatch(f"{h:02d}:{m:02d}") for h, m in minutes):
        return "%H:%M"
    if all(regex.fullmatch(f"{h:02d}:{m:02d}:{sec:02d}") for h, m in minutes for sec in (0, 1, 30, 59)):
        return "%H:%M:%S"
    return None


def simple_values(simple: SimpleType, encoding: str = "UTF-8", style: str = "plain") -> st.SearchStrategy[str]:
    """Valid lexical values of ``simple``."""
    if simple.enumeration:
        return st.sampled_from(simple.enumeration)
    ids = _ids()
    kind = simple.kind
    if kind == "cpr":
        return ids.cpr_numbers()
    if kind == "gln":
        return ids.glns()
    if kind == "sor" and (simple.max_length or 18) >= 11:
        return ids.sor_codes(max_digits=min(18, simple.max_length or 18))
    if kind == "alternative-cpr" and (simple.max_length or 10) >= 10 and (simple.min_length or 0) <= 10:
        return ids.x_ecpr_numbers() | ids.d_ecpr_numbers()
    base = simple.base
    clock = _clock_format(simple)
    if clock is not None:
        return st.integers(0, 24 * 3600 - 1).map(lambda n: dt.time(n // 3600, n // 60 % 60, n % 60).strftime(clock))
    if simple.pattern is not None:
        plain = st.sampled_from(_PLAIN + _DANISH + string.punctuation)
        alphabet = _text_alphabet(encoding) if style == "unicode" else plain
        fast = _simple_regex(python_regex(simple.pattern))
        values = fast if fast is not None else st.from_regex(python_regex(simple.pattern), fullmatch=True,
                                                             alphabet=alphabet)
        if simple.min_length is not None or simple.max_length is not None:
            low, high = simple.min_length or 0, simple.max_length
            values = values.filter(lambda v: len(v) >= low and (high is None or len(v) <= high))
        return values
    if base == "date":
        return _dates().map(dt.date.isoformat)
    if base == "time":
        return st.times().map(lambda t: t.strftime("%H:%M:%S"))
    if base == "boolean":
        return st.sampled_from(("true", "false", "1", "0"))
    digits = getattr(simple, "total_digits", None)
    if base in ("integer", "positiveInteger", "nonNegativeInteger"):
        floor = {"integer": -10**6, "positiveInteger": 1, "nonNegativeInteger": 0}[base]
        low, high = _bounds(simple, floor, 10**9)
        if digits is not None:
            low, high = max(low, -(10**digits - 1)), min(high, 10**digits - 1)
        return st.integers(max(low, floor), high).map(str)
    if base == "decimal":
        places = 2 if digits is None or digits > 2 else 0
        bound = 10**6 if digits is None else 10 ** (digits - places) - 1
        low, high = _bounds(simple, -bound, bound)
        low, high = max(low, -bound), min(high, bound)
        if not places:
            return st.integers(low, high).map(str)
        return st.tuples(st.integers(low, max(low, high - 1)), st.integers(0, 99)).map(lambda p: f"{p[0]}.{p[1]:02d}")
    if base == "base64Binary" or kind == "base64":
        return st.binary(max_size=96).map(lambda b: base64.b64encode(b).decode("ascii"))
    low = simple.min_length or 0
    high = simple.max_length if simple.max_length is not None else max(low, UNBOUNDED_TEXT)
    if base == "token":
        return st.text(_ALNUM, min_size=low, max_size=high)
    return _free_text(encoding, style, low, high)


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------

_PDF_HEAD = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
             b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
             b"3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
             b"4 0 obj\n<< /Filter /FlateDecode >>\nstream\n")
_PDF_TAIL = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
#: the first bytes of files of some ObjectExtensionCodes (the rest is random)
_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "gif": b"GIF89a",
          "tiff": b"II*\x00", "bmp": b"BM", "zip": b"PK\x03\x04", "doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
          "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "dcm": b"\x00" * 128 + b"DICM", "rtf": b"{\\rtf1\\ansi "}
#: words of a text attachment (windows-1252, as Danish text files often are)
_WORDS = tuple(w.encode("cp1252") for w in ("patient", "blodtryk", "normalt", "kontrol", "prøve", "svar",
                                           "afdeling", "ingen", "bemærkninger"))


def attachment_bytes(extension: str | None, size: int, seed: int) -> bytes:
    """``size`` bytes of a file of the kind ``extension`` names (an ``ObjectExtensionCode``):
    a PDF-like byte string for ``pdf`` (and when no extension is given), text for ``txt``,
    random bytes behind the format's signature for the others. Deterministic in ``seed``."""
    rng = random.Random(seed)
    if extension == "txt":
        words: list[bytes] = []
        length = 0
        while length < size:
            word = _WORDS[rng.randrange(len(_WORDS))]
            words.append(word)
            length += len(word) + 1
        return b" ".join(words)[:size]
    if extension in (None, "pdf"):
        head, tail = _PDF_HEAD, _PDF_TAIL
    else:
        head, tail = _MAGIC.get(extension, b""), b""
    body = rng.randbytes(max(0, size - len(head) - len(tail)))
    return (head + body + tail)[:size]


@st.composite
def attachments(draw: st.DrawFn, extension: str | None = None) -> bytes:
    """Attachment contents (see :func:`attachment_bytes`): up to ``SMALL_ATTACHMENT`` bytes, and
    one time in ``ATTACHMENT_ODDS`` a large one of ``LARGE_ATTACHMENT`` bytes. A few draws
    whatever the size (size and seed), so large attachments cost no more than small ones and
    shrink to a one-byte file."""
    large = draw(st.integers(0, ATTACHMENT_ODDS - 1)) == ATTACHMENT_ODDS - 1
    size = draw(st.integers(*LARGE_ATTACHMENT)) if large else draw(st.integers(1, SMALL_ATTACHMENT))
    return attachment_bytes(extension, size, draw(st.integers(0, 2**32 - 1)))


def _base64(simple: SimpleType | None) -> bool:
    return isinstance(simple, SimpleType) and (simple.base == "base64Binary" or simple.kind == "base64")


def _attachments_fit(draw: st.DrawFn, root: Node) -> None:
    """Every base64 value carries an attachment of the kind its sibling ``ObjectExtensionCode``
    names, base64-encoded (in lines of 76 characters half of the time, as MIME writes it); a
    sibling ``OriginalObjectSize`` gets the attachment's size in bytes."""
    for node, _, _ in _walk(root):
        encoded = [c for c in node.elements() if _base64(c.type)]  # type: ignore[arg-type]
        if not encoded:
            continue
        extension = node.child("ObjectExtensionCode")
        size = node.child("OriginalObjectSize")
        codes = extension.type.enumeration if extension is not None and isinstance(extension.type, SimpleType) else ()
        if "pdf" in codes and draw(st.booleans()):
            extension.text = "pdf"  # type: ignore[union-attr]  # most attachments are PDF documents
        for target in encoded:
            data = draw(attachments(extension.text if extension is not None else None))
            if draw(st.booleans()):
                target.text = base64.encodebytes(data).decode("ascii")
            else:
                target.text = base64.b64encode(data).decode("ascii")
            if size is not None:
                size.text = str(len(data))



# --------------------------------------------------------------------------------------------
# Valid documents
# --------------------------------------------------------------------------------------------


def _spine(content: ComplexType) -> dict[int, int]:
    """Spine positions (see :class:`Node`) of the element particles of ``content``, by particle id."""
    names = [e.name for e in walk(content.particles)]
    positions: dict[int, int] = {}

    def visit(particles: tuple[Particle, ...]) -> None:
        for particle in particles:
            if isinstance(particle, Element):
                if names.count(particle.name) == 1:
                    positions[id(particle)] = len(positions)
            elif particle.kind == "sequence" and particle.min == particle.max == 1:
                visit(particle.particles)

    if not content.mixed:
        visit(content.particles)
    return positions


def _repeats(low: int, high: int | None, depth: int) -> tuple[int, int]:
    """The range of repetitions that are drawn one by one: up to the maximum, but no more than
    ``MAX_BOUNDED`` above the minimum (``MAX_REPEAT`` for an unbounded particle)."""
    if depth > MAX_DEPTH:
        return low, low
    if high is None:
        return low, low + MAX_REPEAT
    return low, min(high, low + MAX_BOUNDED)


def _count(draw: st.DrawFn, low: int, bound: int, maximum: int | None) -> int:
    """A repetition count of a particle that repeats from ``low`` to ``bound`` (drawn) or to
    ``maximum`` (its declared maximum, None when unbounded): ``low`` or one more three times in
    five, any count up to ``bound`` one time in five, exactly ``bound`` one time in ten and the
    declared maximum one time in ten (``bound`` when there is none). Shrinks towards ``low``."""
    mode = draw(st.integers(0, 9))
    if mode < 6:
        return draw(st.integers(low, min(bound, low + 1)))
    if mode < 8:
        return draw(st.integers(low, bound))
    if mode < 9 or maximum is None:
        return bound
    return maximum


def _copy(node: Node) -> Node:
    """A deep copy of a generated element (its model references shared)."""
    return Node(node.name, node.type, node.decl, node.spine, node.text,
                [_copy(c) if isinstance(c, Node) else c for c in node.children], node.namespace)


class _Generator:
    """Draws documents of one namespace model in one encoding and text style.

    The model is walked directly inside one composite draw (no strategy object per particle):
    the presence of all optional particles of a sequence is one bitmask draw, a repetition count
    one or two integer draws, a value one draw. That keeps a letter at some tens of draws, which
    is what makes hundreds of examples per letter cheap, and shrinking removes optional elements
    (the bitmask shrinks towards zero) and repetitions first.
    """

    _cache: ClassVar[dict[tuple[int, str, str], _Generator]] = {}

    @classmethod
    def for_schema(cls, schema: Schema, encoding: str, style: str) -> _Generator:
        key = (id(schema), encoding, style)
        found = cls._cache.get(key)
        if found is None or found.schema is not schema:
            found = cls._cache[key] = cls(schema, encoding, style)
        return found

    def __init__(self, schema: Schema, encoding: str, style: str) -> None:
        self.schema = schema
        self.encoding = encoding
        self.style = style
        self._values: dict[int, st.SearchStrategy[str]] = {}
        self._spines: dict[int, dict[int, int]] = {}

    # -- values -------------------------------------------------------------------------------
    def value(self, draw: st.DrawFn, simple: SimpleType) -> str:
        found = self._values.get(id(simple))
        if found is None:
            found = self._values[id(simple)] = simple_values(simple, self.encoding, self.style)
        return draw(found)

    def free_text(self, draw: st.DrawFn, low: int, high: int) -> str:
        return draw(_free_text(self.encoding, self.style, low, high))

    def any_content(self, draw: st.DrawFn) -> list[Node | str]:
        choice = draw(st.integers(0, 2))
        if choice == 0:
            return []
        if choice == 1:
            return [self.free_text(draw, 1, 20)]
        return [Node("Note", None, text=self.free_text(draw, 0, 20), namespace=LOCAL_NAMESPACE)]

    # -- elements and content -----------------------------------------------------------------
    def element(self, draw: st.DrawFn, decl: Element, depth: int, spine: int | None = None) -> Node:
        resolved = self.schema.resolve(decl.type)
        if isinstance(resolved, SimpleType):
            return Node(decl.name, resolved, decl, spine, text=self.value(draw, resolved))
        if isinstance(resolved, AnyContent):
            return Node(decl.name, resolved, decl, spine, children=self.any_content(draw))
        return Node(decl.name, resolved, decl, spine, children=self.content(draw, resolved, depth + 1))

    def content(self, draw: st.DrawFn, complex_type: ComplexType, depth: int) -> list[Node | str]:
        spine = self._spines.get(id(complex_type))
        if spine is None:
            spine = self._spines[id(complex_type)] = _spine(complex_type)
        nodes: list[Node] = []
        self.particles(draw, complex_type.particles, depth, spine, nodes)
        if not complex_type.mixed:
            return list(nodes)
        # text in the gaps of mixed content: which gaps have text is one bitmask draw
        gaps = draw(st.integers(0, 2 ** (len(nodes) + 1) - 1))
        out: list[Node | str] = []
        for index, node in enumerate([*nodes, None]):
            if gaps >> index & 1:
                out.append(self.free_text(draw, 1, 40))
            if node is not None:
                out.append(node)
        return out

    def counts(self, draw: st.DrawFn, particles: tuple[Particle, ...], depth: int) -> list[int]:
        ranges = [_repeats(p.min, p.max, depth) for p in particles]
        optional = [i for i, (low, high) in enumerate(ranges) if (low, high) == (0, 1)]
        present = draw(st.integers(0, 2 ** len(optional) - 1)) if optional else 0
        counts = []
        for index, ((low, high), particle) in enumerate(zip(ranges, particles, strict=True)):
            if low == high:
                counts.append(low)
            elif (low, high) == (0, 1):
                counts.append(present >> optional.index(index) & 1)
            elif high == low + 1 and particle.max == high:
                counts.append(draw(st.integers(low, high)))
            else:
                counts.append(_count(draw, low, high, particle.max))
        return counts

    def particles(self, draw: st.DrawFn, particles: tuple[Particle, ...], depth: int, spine: dict[int, int],
                  out: list[Node]) -> None:
        for particle, count in zip(particles, self.counts(draw, particles, depth), strict=True):
            drawn = min(count, DRAWN_REPEATS)
            repetitions: list[list[Node]] = []
            for _ in range(drawn):
                start = len(out)
                if isinstance(particle, Element):
                    out.append(self.element(draw, particle, depth, spine.get(id(particle))))
                elif particle.kind == "choice":
                    if particle.particles:
                        branch = draw(st.integers(0, len(particle.particles) - 1))
                        self.particles(draw, (particle.particles[branch],), depth, {}, out)
                else:
                    self.particles(draw, particle.particles, depth, {}, out)
                repetitions.append(out[start:])
            for index in range(count - drawn):
                out.extend(_copy(node) for node in repetitions[index % len(repetitions)])


def _letters_of(schema: Schema, letter_element: str | None) -> list[Letter]:
    if letter_element is None:
        return list(schema.letters.values())
    letter = schema.letters.get(letter_element)
    if letter is None:
        raise ValueError(f"namespace {schema.key} has no letter {letter_element!r}; "
                         f"it has {', '.join(schema.letters) or 'none'}")
    return [letter]


class _Model:
    """A namespace model passed to composite strategies: it shows as its key in Hypothesis's
    reports (the model's own repr runs to pages)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def __repr__(self) -> str:
        return f"<model {self.schema.key}>"


class _Document(NamedTuple):
    root: Node
    letters: list[tuple[Node, Letter]]
    encoding: str
    pretty: bool
    sent: dt.datetime


def _set_timestamp(node: Node | None, moment: dt.datetime) -> None:
    """Write ``moment`` into a Date/Time pair, keeping the time form (hh:mm or hh:mm:ss) of the
    type (a value that does not fit is truncated, never rounded up)."""
    if node is None:
        return
    date = node.child("Date")
    time = node.child("Time") or node.child("TimeWithSec")
    if date is not None:
        date.text = moment.date().isoformat()
    if time is not None:
        seconds = time.text is not None and len(time.text) == 8
        time.text = moment.strftime("%H:%M:%S" if seconds else "%H:%M")


def _time_resolution(node: Node | None) -> bool:
    """True when the Date/Time pair ``node`` has seconds."""
    time = node.child("Time") or node.child("TimeWithSec") if node is not None else None
    return time is not None and time.text is not None and len(time.text) == 8


def _max_length(node: Node, default: int) -> int:
    simple = node.type
    if isinstance(simple, SimpleType) and simple.max_length is not None:
        return simple.max_length
    return default


@st.composite
def _document(draw: st.DrawFn, model: _Model, letter_element: str | None, letters: tuple[int, int],
              local_elements: bool | None = None) -> _Document:
    schema = model.schema
    if local_elements is None:
        local_elements = bool(getattr(schema, "local_elements", True))
    encoding = draw(st.sampled_from(ENCODINGS))
    style = TEXT_STYLES[draw(st.integers(0, 7)) // 3]  # plain 3/8, unicode 3/8, longest 2/8
    generator = _Generator.for_schema(schema, encoding, style)
    kinds = _letters_of(schema, letter_element)
    envelope = generator.element(draw, Element("Envelope", schema.envelope), 1, spine=0)
    low, high = letters
    count = draw(st.integers(low, high)) if draw(st.integers(0, 2)) == 2 else low
    root = Node("Emessage", None, children=[envelope])
    placed: list[tuple[Node, Letter]] = []
    for _ in range(count):
        letter = kinds[draw(st.integers(0, len(kinds) - 1))] if len(kinds) > 1 else kinds[0]
        node = generator.element(draw, Element(letter.element, letter.content), 1)
        root.children.append(node)
        placed.append((node, letter))
        if local_elements and draw(st.integers(0, 5)) == 5:
            root.children.append(Node(LOCAL_ELEMENTS, AnyContent(), Element(LOCAL_ELEMENTS, AnyContent(), 0),
                                      children=generator.any_content(draw)))
    if count == 1:
        placed[0][0].spine = 1
    sent = _consistent(draw, root, placed)
    _one_route(placed)
    _original_letters_once(placed)
    _negative_receipts_give_a_reason(draw, schema, placed)
    _identifiers_fit_codes(draw, root)
    _attachments_fit(draw, root)
    return _Document(root, placed, encoding, draw(st.booleans()), sent)


def _gln(letter: Node, party: str) -> Node | None:
    node = letter.find(party, "EANIdentifier")
    return node if node is not None and isinstance(node.type, SimpleType) and node.type.kind == "gln" else None


def _one_route(placed: list[tuple[Node, Letter]]) -> None:
    """The letters of one Emessage go from one sender to one receiver: every letter gets the
    first letter's sender and receiver GLN (``EANIdentifier``)."""
    for party in ("Sender", "Receiver"):
        first = next((g for g in (_gln(node, party) for node, _ in placed) if g is not None), None)
        for node, _ in placed:
            target = _gln(node, party)
            if first is not None and target is not None:
                target.text = first.text


def _original_letters_once(placed: list[tuple[Node, Letter]]) -> None:
    """A receipt names each original letter once (rule oioxml.receipt.original-letter-duplicate):
    a repeated ``OriginalLetterIdentifier`` is given a numbered suffix."""
    for node, _ in placed:
        original = node.child("OriginalEmessage")
        if original is None:
            continue
        seen: set[str] = set()
        for letter in (o for o in original.elements() if o.name == "OriginalLetter"):
            identifier = letter.child("OriginalLetterIdentifier")
            if identifier is None or identifier.text is None:
                continue
            value, number = identifier.text, 1
            while value in seen:
                suffix = str(number)
                value = identifier.text[: max(1, _max_length(identifier, 14) - len(suffix))] + suffix
                number += 1
            identifier.text = value
            seen.add(value)


def _consistent(draw: st.DrawFn, root: Node, placed: list[tuple[Node, Letter]]) -> dt.datetime:
    """Make the header of every letter agree with the letter and the envelope; returns Sent."""
    sent_node = root.find("Envelope", "Sent")
    sent = dt.datetime.combine(draw(_dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31))),
                               draw(st.times()).replace(microsecond=0))
    if not _time_resolution(sent_node):
        sent = sent.replace(second=0)
    _set_timestamp(sent_node, sent)
    headers = [(node.child("Letter"), letter) for node, letter in placed]
    id_nodes = [n for n in (h.child("Identifier") for h, _ in headers if h is not None) if n is not None]
    if id_nodes:
        longest = min(_max_length(n, 14) for n in id_nodes)
        identifier = st.text(st.sampled_from(_ALNUM), min_size=1, max_size=max(1, longest))
        unique = draw(st.lists(identifier, min_size=len(id_nodes), max_size=len(id_nodes), unique=True))
        for node, value in zip(id_nodes, unique, strict=True):
            node.text = value
    for header, letter in headers:
        if header is None:
            continue
        for name, value in (("VersionCode", letter.version_code), ("TypeCode", letter.type_code),
                            ("StatisticalCode", letter.type_code)):
            target = header.child(name)
            if target is not None and len(value) <= _max_length(target, len(value)):
                target.text = value
        status = header.child("StatusCode")
        if status is not None and letter.status_codes:
            status.text = draw(st.sampled_from(letter.status_codes))
        authorisation = header.child("Authorisation")
        if authorisation is not None:
            before = dt.timedelta(seconds=draw(st.integers(0, 30 * 24 * 3600)))
            _set_timestamp(authorisation, sent - before)
    return sent


#: receipts that refuse: they must give a RefuseCode (rule oioxml.receipt.refuse-missing)
_NEGATIVE_RECEIPTS = ("NegativeReceipt", "NegativeVansReceipt")


def _negative_receipts_give_a_reason(draw: st.DrawFn, schema: Schema, placed: list[tuple[Node, Letter]]) -> None:
    """A negative receipt without any RefuseCode gets one for the whole Emessage."""
    for node, letter in placed:
        original = node.child("OriginalEmessage") if letter.element in _NEGATIVE_RECEIPTS else None
        if original is None or not isinstance(original.type, ComplexType) or original.child("RefuseCode"):
            continue
        if all(o.child("RefuseCode") for o in original.elements() if o.name == "OriginalLetter") and any(
                o.name == "OriginalLetter" for o in original.elements()):
            continue
        declared = next((e for e in walk(original.type.particles) if e.name == "RefuseCode"), None)
        if declared is None:
            continue
        simple = schema.resolve(declared.type)
        if not isinstance(simple, SimpleType) or not simple.enumeration:
            continue
        names = [e.name for e in walk(original.type.particles)]
        after = names[: names.index("RefuseCode")]
        position = max((i + 1 for i, c in enumerate(original.children)
                        if isinstance(c, Node) and c.name in after), default=0)
        original.children.insert(position, Node("RefuseCode", simple, declared,
                                                text=draw(st.sampled_from(simple.enumeration))))


def _identifiers_fit_codes(draw: st.DrawFn, root: Node) -> None:
    """An ``Identifier`` beside an ``IdentifierCode`` gets a value of that kind."""
    ids = _ids()
    for node, _, _ in _walk(root):
        identifier, code = node.child("Identifier"), node.child("IdentifierCode")
        if identifier is None or code is None:
            continue
        longest = _max_length(identifier, 17)
        if code.text == "lokationsnummer" and longest >= 13:
            identifier.text = draw(ids.glns())
        elif code.text == "sorkode" and longest >= 11:
            identifier.text = draw(ids.sor_codes(max_digits=min(18, longest)))
        elif code.text == "ydernummer" and longest >= 6:
            identifier.text = draw(ids.ydernumre())


def documents(schema: Schema, letter_element: str | None = None, *, letters: tuple[int, int] = (1, 3),
              local_elements: bool | None = None) -> st.SearchStrategy[bytes]:
    """Valid ``Emessage`` documents of ``schema``: ``letters`` letters (min, max) of the type
    ``letter_element`` (any letter of the namespace when None), as bytes with an XML declaration.

    ``local_elements`` says whether a ``Local_Elements`` may follow a letter (by default the
    model's ``local_elements`` attribute when it has one, else yes).
    """
    _letters_of(schema, letter_element)
    return _document(_Model(schema), letter_element, letters, local_elements).map(
        lambda d: serialize(d.root, schema.namespace, d.encoding, d.pretty))


class _Answered(NamedTuple):
    """What a receipt repeats of the Emessage it answers."""

    envelope_identifier: str
    sent: dt.datetime
    sender: str | None  # GLN
    receiver: str | None  # GLN
    letters: list[tuple[str, str]]  # (Identifier, VersionCode) of each letter


def _answered(emessage: bytes) -> _Answered:
    """Read the envelope, the parties and the letters of an Emessage (namespace left aside)."""
    root = etree.fromstring(emessage, etree.XMLParser(resolve_entities=False, no_network=True))

    def text(node: Any, *path: str) -> str | None:
        """The text of the element at ``path`` below ``node`` as it stands (None when absent)."""
        for name in path:
            node = next((c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == name), None)
            if node is None:
                return None
        return node.text or ""

    envelope = text(root, "Envelope", "Identifier")
    if not (envelope or "").strip():
        raise ValueError("the Emessage has no Envelope/Identifier to answer")
    date = (text(root, "Envelope", "Sent", "Date") or "2000-01-01").strip()
    time = (text(root, "Envelope", "Sent", "Time") or text(root, "Envelope", "Sent", "TimeWithSec") or "00:00").strip()
    try:
        sent = dt.datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        sent = dt.datetime(2000, 1, 1)
    letters: list[tuple[str, str]] = []
    sender = receiver = None
    for letter in root:
        if not isinstance(letter.tag, str) or text(letter, "OriginalEmessage") is not None:
            continue
        identifier = text(letter, "Letter", "Identifier")
        if identifier is None:
            continue
        letters.append((identifier, text(letter, "Letter", "VersionCode") or ""))
        sender = sender or text(letter, "Sender", "EANIdentifier")
        receiver = receiver or text(letter, "Receiver", "EANIdentifier")
    if not letters:
        raise ValueError("the Emessage has no letter (with a Letter/Identifier) to answer")
    return _Answered(envelope or "", sent, sender, receiver, letters)


def _set_text(node: Node | None, value: str | None) -> None:
    if node is not None and value is not None and len(value) <= _max_length(node, len(value)):
        node.text = value


@st.composite
def _receipt(draw: st.DrawFn, model: _Model, receipt_element: str, answered: _Answered) -> bytes:
    schema = model.schema
    doc = draw(_document(model, receipt_element, (1, 1), local_elements=False))
    node, _ = doc.letters[0]
    original = node.child("OriginalEmessage")
    if original is None or not isinstance(original.type, ComplexType):
        raise ValueError(f"{receipt_element} in {schema.key} has no OriginalEmessage")
    _set_text(original.child("OriginalEnvelopeIdentifier"), answered.envelope_identifier)
    _set_text(original.find("OriginalSender", "EANIdentifier"), answered.sender)
    _set_text(original.find("OriginalReceiver", "EANIdentifier"), answered.receiver)
    # the receipt goes back: from the receiver of the Emessage to its sender
    _set_text(node.find("Sender", "EANIdentifier"), answered.receiver)
    _set_text(node.find("Receiver", "EANIdentifier"), answered.sender)
    # one OriginalLetter per letter, in the Emessage's order
    declared = next((e for e in walk(original.type.particles) if e.name == "OriginalLetter"), None)
    if declared is not None:
        if declared.max is not None and len(answered.letters) > declared.max:
            raise ValueError(f"{receipt_element} names at most {declared.max} letters; "
                             f"the Emessage has {len(answered.letters)}")
        position = next((i for i, c in enumerate(original.children)
                         if isinstance(c, Node) and c.name == "OriginalLetter"), None)
        kept = [c for c in original.children if not (isinstance(c, Node) and c.name == "OriginalLetter")]
        if position is None:
            names = [e.name for e in walk(original.type.particles)]
            before = names[: names.index("OriginalLetter")]
            position = max((i + 1 for i, c in enumerate(kept) if isinstance(c, Node) and c.name in before), default=0)
        generator = _Generator.for_schema(schema, doc.encoding, "plain")
        answers: list[Node | str] = []
        for identifier, version in answered.letters:
            answer = generator.element(draw, declared, 3)
            _set_text(answer.child("OriginalLetterIdentifier"), identifier)
            _set_text(answer.child("OriginalVersionCode"), version)
            answers.append(answer)
        original.children = kept[:position] + answers + kept[position:]
    _negative_receipts_give_a_reason(draw, schema, doc.letters)
    # sent after the Emessage it answers (within a day)
    sent = answered.sent + dt.timedelta(seconds=draw(st.integers(0, 24 * 3600)))
    if not _time_resolution(doc.root.find("Envelope", "Sent")):
        sent = sent.replace(second=0)
    _set_timestamp(doc.root.find("Envelope", "Sent"), sent)
    header = node.child("Letter")
    if header is not None:
        _set_timestamp(header.child("Authorisation"), sent)
    return serialize(doc.root, schema.namespace, doc.encoding, doc.pretty)


def _fits(simple: Any, value: str) -> bool:
    """True when ``value`` is a valid value of the simple type ``simple`` (as far as generation
    needs: enumeration, length and pattern)."""
    if not isinstance(simple, SimpleType):
        return True
    if simple.enumeration:
        return value in simple.enumeration
    if len(value) < (simple.min_length or 0) or (simple.max_length is not None and len(value) > simple.max_length):
        return False
    return simple.pattern is None or re.fullmatch(python_regex(simple.pattern), value) is not None


def answers(schema: Schema, receipt_element: str, version_codes: Iterable[str]) -> bool:
    """True when the receipt ``receipt_element`` of ``schema`` can name letters of these
    VersionCodes (an older namespace lists the version codes it knows)."""
    content = schema.letters[receipt_element].content
    declared = {e.name: e for e in walk(content.particles)}
    original = schema.resolve(declared["OriginalEmessage"].type) if "OriginalEmessage" in declared else None
    if not isinstance(original, ComplexType):
        return False
    letter = next((e for e in walk(original.particles) if e.name == "OriginalLetter"), None)
    letter_type = schema.resolve(letter.type) if letter is not None else None
    if not isinstance(letter_type, ComplexType):
        return True
    version = next((e for e in walk(letter_type.particles) if e.name == "OriginalVersionCode"), None)
    simple = schema.resolve(version.type) if version is not None else None
    return all(_fits(simple, code) for code in version_codes)


def receipts(schema: Schema, receipt_element: str, emessage: bytes) -> st.SearchStrategy[bytes]:
    """Receipts (``receipt_element`` of ``schema``, e.g. ``PositiveReceipt``) that answer the
    Emessage ``emessage``: its envelope identifier as ``OriginalEnvelopeIdentifier``, its sender
    and receiver GLN as ``OriginalSender`` and ``OriginalReceiver``, sent by its receiver to its
    sender after it, with one ``OriginalLetter`` per letter (identifier and VersionCode, in order);
    a negative receipt gives a ``RefuseCode``. Such a receipt correlates clean with the Emessage
    (rules ``oioxml.receipt.*``)."""
    letter = _letters_of(schema, receipt_element)[0]
    if not letter.receipt:
        raise ValueError(f"{receipt_element} of {schema.key} is not a receipt")
    answered = _answered(emessage)
    if not answers(schema, receipt_element, [version for _, version in answered.letters]):
        raise ValueError(f"{receipt_element} of {schema.key} cannot name the letters' VersionCodes "
                         f"{', '.join(sorted({v for _, v in answered.letters}))}")
    return _receipt(_Model(schema), receipt_element, answered)



# --------------------------------------------------------------------------------------------
# Mutants
# --------------------------------------------------------------------------------------------


class Mutant(NamedTuple):
    """A near-miss invalid document and the rule id that must report it."""

    document: bytes
    rule_id: str
    description: str


class MutationCase(NamedTuple):
    """A mutant with the valid document it was made from and the operator that made it."""

    original: bytes
    mutant: Mutant
    operator: str

    @property
    def structural(self) -> bool:
        return OPERATORS[self.operator].structural


#: a site is something an operator can change: ``apply(draw)`` changes the tree and describes it
_Site = Callable[[st.DrawFn], str]


def _simple_nodes(doc: _Document) -> Iterator[tuple[Node, Node | None, str, SimpleType]]:
    for node, parent, path in _walk(doc.root):
        if isinstance(node.type, SimpleType) and node.text is not None:
            yield node, parent, path, node.type


#: identifier kinds whose own rules (dk.*) report a malformed value instead of the schema facets
_IDENTIFIER_KINDS = ("cpr", "gln", "sor", "alternative-cpr")
_IDENTIFIER_CODES = ("lokationsnummer", "sorkode", "ydernummer")


def _identifier_like(node: Node, parent: Node | None, simple: SimpleType) -> bool:
    """True for values that Danish identifier rules judge (so a facet mutation there would be
    reported under the identifier's rule rather than the facet's)."""
    if simple.kind in _IDENTIFIER_KINDS:
        return True
    code = parent.child("IdentifierCode") if parent is not None and node.name == "Identifier" else None
    return code is not None and code.text in _IDENTIFIER_CODES


def _set(node: Node, value: str, path: str) -> str:
    before, node.text = node.text, value
    return f"{path}: {before!r} -> {value!r}"


def _sites_missing(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, parent, path in _walk(doc.root):
        if parent is None or node.spine is None or node.decl is None or node.decl.min < 1:
            continue
        if sum(1 for c in parent.elements() if c.name == node.name) != node.decl.min:
            continue

        def drop(draw: st.DrawFn, node: Node = node, parent: Node = parent, path: str = path) -> str:
            parent.children.remove(node)
            return f"dropped required element {path}"

        sites.append(drop)
    return sites


def _sites_unexpected(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, _, path in _walk(doc.root):
        if node.namespace is not None or not (node.type is None or isinstance(node.type, ComplexType)):
            continue

        def insert(draw: st.DrawFn, node: Node = node, path: str = path) -> str:
            index = draw(st.integers(0, len(node.children)))
            node.children.insert(index, Node(UNKNOWN_ELEMENT, None, text="x"))
            return f"inserted <{UNKNOWN_ELEMENT}> into {path} at child {index}"

        sites.append(insert)
    return sites


def _sites_order(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, _, path in _walk(doc.root):
        children = node.children
        for i in range(len(children) - 1):
            first, second = children[i], children[i + 1]
            if not (isinstance(first, Node) and isinstance(second, Node)):
                continue
            if first.spine is None or second.spine is None or first.spine == second.spine:
                continue

            def swap(draw: st.DrawFn, children: list[Node | str] = children, i: int = i, path: str = path) -> str:
                a, b = children[i], children[i + 1]
                children[i], children[i + 1] = b, a
                return f"swapped {path}/{a.name} and {b.name}"  # type: ignore[union-attr]

            sites.append(swap)
    return sites


def _sites_enumeration(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, parent, path, simple in _simple_nodes(doc):
        if len(simple.enumeration) < 2:
            continue
        if node.name == "StatusCode" and parent is not None and parent.name == "Letter":
            continue  # the letter's StatusCode is judged by oioxml.status-code-not-allowed
        candidates = [c for c in ("ukendt", simple.enumeration[0] + "x", simple.enumeration[0].upper())
                      if c not in simple.enumeration]

        def outside(draw: st.DrawFn, node: Node = node, path: str = path, c: list[str] = candidates) -> str:
            return _set(node, draw(st.sampled_from(c)), path)

        sites.append(outside)
    return sites


def _sites_length(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, parent, path, simple in _simple_nodes(doc):
        if simple.base != "string" or simple.pattern or simple.enumeration or _identifier_like(node, parent, simple):
            continue
        options: list[str] = []
        if simple.max_length is not None:
            options.append(("Øx" * (simple.max_length + 1))[: simple.max_length + 1])
        if simple.min_length:
            options.append("")
        if not options:
            continue

        def wrong_length(draw: st.DrawFn, node: Node = node, path: str = path, options: list[str] = options) -> str:
            return _set(node, draw(st.sampled_from(options)), path)

        sites.append(wrong_length)
    return sites


def _breaks_pattern(simple: SimpleType, value: str) -> list[str]:
    regex = re.compile(python_regex(simple.pattern or ""))
    low, high = simple.min_length or 0, simple.max_length
    if simple.base == "boolean":
        candidates = ["true", "false", "1", "0"]
    else:
        candidates = [value[:i] + ("X" if value[i] != "X" else "Y") + value[i + 1:] for i in range(len(value))]
        candidates += [value + "X", "X" * max(1, low)]
    return [c for c in dict.fromkeys(candidates)
            if not regex.fullmatch(c) and len(c) >= low and (high is None or len(c) <= high)]


def _sites_pattern(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, parent, path, simple in _simple_nodes(doc):
        if not simple.pattern or simple.enumeration or simple.base not in ("string", "token", "boolean"):
            continue
        if _identifier_like(node, parent, simple):
            continue
        candidates = _breaks_pattern(simple, node.text or "")
        if not candidates:
            continue

        def broken(draw: st.DrawFn, node: Node = node, path: str = path, c: list[str] = candidates) -> str:
            return _set(node, draw(st.sampled_from(c)), path)

        sites.append(broken)
    return sites


_IMPOSSIBLE_DATES = ("2023-02-29", "1900-02-29", "2021-04-31", "2019-02-30", "2022-06-31")


def _sites_date(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, _, path, simple in _simple_nodes(doc):
        if simple.base != "date" or simple.pattern or simple.enumeration:
            continue

        def impossible(draw: st.DrawFn, node: Node = node, path: str = path) -> str:
            return _set(node, draw(st.sampled_from(_IMPOSSIBLE_DATES)), path)

        sites.append(impossible)
    return sites


def _bumped(code: str) -> str:
    """``code`` with its two-digit number changed (XD9134L -> XD9135L, XDIS91 -> XDIS92)."""
    match = re.search(r"(\d\d)(\D*)$", code)
    if match is None:
        return code + "X"
    number = (int(match.group(1)) + 1) % 100
    return f"{code[:match.start(1)]}{number:02d}{match.group(2)}"


def _header_sites(doc: _Document, name: str, other: Callable[[Letter], list[str]]) -> list[_Site]:
    sites: list[_Site] = []
    for index, (node, letter) in enumerate(doc.letters):
        target = node.find("Letter", name)
        if target is None:
            continue
        values = [v for v in other(letter) if v != target.text]
        if not values:
            continue
        path = f"/Emessage/{node.name}[{index}]/Letter/{name}"

        def change(draw: st.DrawFn, target: Node = target, values: list[str] = values, path: str = path) -> str:
            return _set(target, draw(st.sampled_from(values)), path)

        sites.append(change)
    return sites


def _sites_version(doc: _Document, schema: Schema) -> list[_Site]:
    others = sorted({x.version_code for x in schema.letters.values()})
    return _header_sites(doc, "VersionCode", lambda letter: [*others, _bumped(letter.version_code)])


def _sites_type(doc: _Document, schema: Schema) -> list[_Site]:
    others = sorted({x.type_code for x in schema.letters.values()})
    return _header_sites(doc, "TypeCode", lambda letter: [*others, _bumped(letter.type_code)])


def _sites_status(doc: _Document, schema: Schema) -> list[_Site]:
    def not_allowed(letter: Letter) -> list[str]:
        if not letter.status_codes:
            return []
        pool = ("nytbrev", "rettetbrev", "annulleretbrev")
        return [v for v in pool if v not in letter.status_codes]

    return _header_sites(doc, "StatusCode", not_allowed)


def _sites_cpr(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, _, path, simple in _simple_nodes(doc):
        if simple.kind != "cpr":
            continue

        def bad_date(draw: st.DrawFn, node: Node = node, path: str = path) -> str:
            return _set(node, draw(_ids().cpr_numbers_with_invalid_date()), path)

        sites.append(bad_date)
    return sites


def _sites_gln(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for node, parent, path, simple in _simple_nodes(doc):
        by_code = (node.name == "Identifier" and parent is not None and parent.child("IdentifierCode") is not None
                   and parent.child("IdentifierCode").text == "lokationsnummer")  # type: ignore[union-attr]
        if simple.kind != "gln" and not by_code:
            continue
        if (simple.max_length or 13) < 13:
            continue

        def bad_check(draw: st.DrawFn, node: Node = node, path: str = path) -> str:
            return _set(node, draw(_ids().glns_with_bad_check_digit()), path)

        sites.append(bad_check)
    return sites


def _sites_authorisation(doc: _Document) -> list[_Site]:
    sites: list[_Site] = []
    for index, (node, _letter) in enumerate(doc.letters):
        authorisation = node.find("Letter", "Authorisation")
        if authorisation is None:
            continue

        def late(draw: st.DrawFn, authorisation: Node = authorisation, index: int = index,
                 name: str = node.name) -> str:
            after = dt.timedelta(minutes=draw(st.integers(1, 7 * 24 * 60)))
            _set_timestamp(authorisation, doc.sent + after)
            return f"/Emessage/{name}[{index}]/Letter/Authorisation set {after} after Envelope/Sent {doc.sent}"

        sites.append(late)
    return sites


def _sites_duplicate(doc: _Document) -> list[_Site]:
    found = [(i, node.find("Letter", "Identifier")) for i, (node, _) in enumerate(doc.letters)]
    ids = [(i, n) for i, n in found if n is not None]
    sites: list[_Site] = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            (i, first), (j, second) = ids[a], ids[b]
            if len(first.text or "") > _max_length(second, 14):
                continue

            def duplicate(draw: st.DrawFn, first: Node = first, second: Node = second, i: int = i, j: int = j) -> str:
                second.text = first.text
                return f"letter {j} reuses the identifier {first.text!r} of letter {i}"

            sites.append(duplicate)
    return sites


def _sites(operator: str, doc: _Document, schema: Schema) -> list[_Site]:
    finders: dict[str, Callable[[], list[_Site]]] = {
        "missing-element": lambda: _sites_missing(doc),
        "unexpected-element": lambda: _sites_unexpected(doc),
        "order": lambda: _sites_order(doc),
        "enumeration": lambda: _sites_enumeration(doc),
        "length": lambda: _sites_length(doc),
        "pattern": lambda: _sites_pattern(doc),
        "impossible-date": lambda: _sites_date(doc),
        "version-code": lambda: _sites_version(doc, schema),
        "type-code": lambda: _sites_type(doc, schema),
        "status-code": lambda: _sites_status(doc, schema),
        "cpr-date": lambda: _sites_cpr(doc),
        "gln-check-digit": lambda: _sites_gln(doc),
        "authorisation-after-sent": lambda: _sites_authorisation(doc),
        "duplicate-letter-identifier": lambda: _sites_duplicate(doc),
    }
    return finders[operator]()


@st.composite
def _mutation_cases(draw: st.DrawFn, model: _Model, letter_element: str | None, operators: tuple[str, ...],
                    letters: tuple[int, int], local_elements: bool | None) -> MutationCase:
    schema = model.schema
    names = operators
    wanted = draw(st.sampled_from(names))
    if wanted == "duplicate-letter-identifier":
        letters = (max(2, letters[0]), max(2, letters[1]))
    doc = draw(_document(model, letter_element, letters, local_elements))
    original = serialize(doc.root, schema.namespace, doc.encoding, doc.pretty)
    sites = _sites(wanted, doc, schema)
    operator = wanted
    if not sites:
        usable = [n for n in names if n != wanted and _sites(n, doc, schema)]
        if not usable:
            reject()
        operator = draw(st.sampled_from(usable))
        sites = _sites(operator, doc, schema)
    site = draw(st.sampled_from(sites))
    description = site(draw)
    document = serialize(doc.root, schema.namespace, doc.encoding, doc.pretty)
    mutant = Mutant(document, OPERATORS[operator].rule_id, f"{OPERATORS[operator].summary}: {description}")
    return MutationCase(original, mutant, operator)


def mutation_cases(schema: Schema, letter_element: str | None = None, *, operators: Iterable[str] | None = None,
                   letters: tuple[int, int] = (1, 3),
                   local_elements: bool | None = None) -> st.SearchStrategy[MutationCase]:
    """A valid document (as :func:`documents` draws it) and a mutant of it that breaks one thing
    (one of ``operators``, by default all of :data:`OPERATORS`)."""
    names = tuple(OPERATORS) if operators is None else tuple(operators)
    unknown = [n for n in names if n not in OPERATORS]
    if unknown or not names:
        raise ValueError(f"unknown mutation operators {unknown}; known: {', '.join(OPERATORS)}")
    _letters_of(schema, letter_element)
    return _mutation_cases(_Model(schema), letter_element, names, letters, local_elements)


def mutants(schema: Schema, letter_element: str | None = None, *,
            operators: Iterable[str] | None = None) -> st.SearchStrategy[Mutant]:
    """Near-miss invalid documents ``(document, rule_id, description)`` of ``schema``: a valid
    document changed by one operator of :data:`OPERATORS` (all by default)."""
    return mutation_cases(schema, letter_element, operators=operators).map(lambda case: case.mutant)
