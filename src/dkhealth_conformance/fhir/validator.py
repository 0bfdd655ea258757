"""Instance validation of FHIR JSON against StructureDefinitions: structure, primitive formats
and cardinality.

The definitions are compiled once into a tree of :class:`Node` objects per type (children by
JSON name, choice names resolved, cardinality, repetition); a :class:`FhirValidator` keeps those
trees and walks an instance against them. Locations are FHIRPath-style with indices
(``Bundle.entry[3].resource.identifier[0].value``).
"""

from __future__ import annotations

import calendar
import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..dk import gln
from ..report import Issue, Severity
from ..rules import Rule
from . import rules as R
from .fhirpath import Env, Fallback, Invariant
from .fhirpath import parse as parse_fhirpath
from .narrative import check_div
from .packages import CoreMissing, Definitions
from .snapshot import _split
from .terminology import IN, UNKNOWN, Terminology

_SYSTEM = "http://hl7.org/fhirpath/System."
_INT32 = (-(2**31), 2**31 - 1)
_BOOLEAN = frozenset({"boolean"})
_INTEGERS = {"integer": _INT32[0], "positiveInt": 1, "unsignedInt": 0}
_NUMBERS = frozenset({"decimal", *_INTEGERS})
_MAX_STRING = 1024 * 1024
#: significant digits of a decimal that implementations must keep (FHIR R4 datatypes: decimal)
_DECIMAL_DIGITS = 18
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

def _rx(pattern: str) -> re.Pattern[str]:
    """A format pattern with the FHIR (Java/XML Schema) meaning of \\s: ASCII white space only."""
    return re.compile(pattern, re.ASCII)


_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TZ = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_FORMATS: dict[str, tuple[re.Pattern[str], Rule]] = {
    "date": (_rx(rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"), R.PRIMITIVE_DATE),
    "dateTime": (_rx(rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T{_TIME}{_TZ})?)?)?"),
                 R.PRIMITIVE_DATETIME),
    "instant": (_rx(rf"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T{_TIME}{_TZ}"),
                R.PRIMITIVE_INSTANT),
    "time": (_rx(_TIME), R.PRIMITIVE_TIME),
    "id": (_rx(r"[A-Za-z0-9\-\.]{1,64}"), R.PRIMITIVE_ID),
    "code": (_rx(r"[^\s]+( [^\s]+)*"), R.PRIMITIVE_CODE),
    "uri": (_rx(r"\S*"), R.PRIMITIVE_URI),
    "url": (_rx(r"\S*"), R.PRIMITIVE_URI),
    "canonical": (_rx(r"\S*"), R.PRIMITIVE_URI),
    "oid": (_rx(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+"), R.PRIMITIVE_OID),
    "uuid": (_rx(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
             R.PRIMITIVE_UUID),
    "base64Binary": (_rx(r"(\s*([0-9a-zA-Z\+/=]){4}\s*)+"), R.PRIMITIVE_BASE64),
}
_DATE_PARTS = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _well_formed_string(pattern: re.Pattern[str], *, control_free: bool, dates: bool = False) -> Any:
    """The test that a string primitive is plainly well formed: a non-empty string of at most 1 MB
    without control characters or halves of surrogate pairs that matches ``pattern`` (the type's
    format, or one that also leaves those out: ``control_free``); for dates, a day no month lacks. True means
    :meth:`FhirValidator._primitive` has nothing to report; False only that it must look."""
    control, limit, match = _NOT_PLAIN.search, _MAX_STRING, pattern.fullmatch

    def check(value: Any) -> bool:
        if type(value) is not str or not value or len(value) > limit or match(value) is None:
            return False
        if not control_free and control(value):
            return False
        return not dates or len(value) < 10 or value[8:10] <= "28"
    return check


#: formats that also leave out control characters (and white space where the type's does)
_NO_CONTROL = "[^\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]+"
_NO_SPACE = "[^\x00-\x20\ud800-\udfff]+"  # \S in ASCII mode, less the control characters (and surrogates)
#: what a plain string holds none of: control characters and halves of surrogate pairs
_NOT_PLAIN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_PLAIN_FORMATS = {
    "string": _rx(_NO_CONTROL), "markdown": _rx(_NO_CONTROL),
    "uri": _rx(_NO_SPACE), "url": _rx(_NO_SPACE), "canonical": _rx(_NO_SPACE),
    "code": _rx(rf"{_NO_SPACE}( {_NO_SPACE})*"),
}
#: formats that admit no control character
_CONTROL_FREE_FORMATS = frozenset({"date", "dateTime", "instant", "time", "id", "oid", "uuid"})

#: per primitive type, the test that a value is plainly well formed (see _well_formed_string); types
#: not here (decimal) are always looked at in full
_WELL_FORMED: dict[str, Any] = {
    "boolean": lambda value: type(value) is bool,
    "integer": lambda value: type(value) is int and _INT32[0] <= value <= _INT32[1],
    "positiveInt": lambda value: type(value) is int and 1 <= value <= _INT32[1],
    "unsignedInt": lambda value: type(value) is int and 0 <= value <= _INT32[1],
    **{code: _well_formed_string(pattern, control_free=code in _CONTROL_FREE_FORMATS,
                                 dates=code in ("date", "dateTime", "instant"))
       for code, (pattern, _) in _FORMATS.items()},
    **{code: _well_formed_string(pattern, control_free=True) for code, pattern in _PLAIN_FORMATS.items()},
}


@dataclass(eq=False)
class Node:
    """One element definition, compiled."""

    path: str
    name: str  # JSON name without [x]
    min: int
    max: int | None  # None for *
    repeats: bool  # an array in JSON (from the base definition's max)
    types: list[str]
    choice: bool
    content_ref: str | None = None
    children: list[Node] = field(default_factory=list)
    by_name: dict[str, tuple[Node, str | None]] = field(default_factory=dict)
    id: str = ""
    slice_name: str | None = None
    #: (property name, value) of fixed[x] and pattern[x]
    fixed: tuple[str, Any] | None = None
    pattern: tuple[str, Any] | None = None
    slicing: dict[str, Any] | None = None
    slices: list[Node] = field(default_factory=list)
    #: type profiles (canonical URLs) when the element has exactly one type
    type_profiles: list[str] = field(default_factory=list)
    #: (strength, value set canonical) of a binding with a value set
    binding: tuple[str, str] | None = None
    #: target profiles of a Reference element
    target_profiles: list[str] = field(default_factory=list)
    #: invariants evaluated with FHIRPath: (key, severity, human, expression)
    constraints: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: invariants evaluated natively: (key, severity, human)
    natives: list[tuple[str, str, str]] = field(default_factory=list)
    #: aggregation modes of a Reference element (contained, referenced, bundled); empty: any
    aggregation: frozenset[str] = frozenset()
    #: the position among its parent's children (issues come in the definition's order)
    order: int = 0
    #: the children whose minimum (or a slice's minimum) must be checked
    cardinalities: list[Node] = field(default_factory=list)
    #: JSON name -> what the walk of that child needs, made by the validator on first use
    #: (FhirValidator._dispatch)
    dispatch: dict[str, Any] | None = None
    #: per type code, what the walk of a (non-primitive) value works out from the definitions
    plans: dict[str, Any] = field(default_factory=dict)
    #: the FHIRPath invariants, compiled on first use: (key, severity, human, invariant, whether the
    #: expression reads ``value``, native answer where plain: _SHORTCUTS)
    checks: list[tuple[str, str, str, Invariant, bool, Any]] | None = None
    #: the native invariants with their tests, made on first use: (all, those that can fail
    #: without contained resources)
    native_checks: tuple[list[tuple[str, str, str, Any]], list[tuple[str, str, str, Any]]] | None = None
    #: the children whose maximum must be checked (a repeating, prohibited or choice element)
    capped: list[Node] = field(default_factory=list)
    #: below this count the minimum of the element or of one of its slices is not met
    min_checked: int = 0

    def index_children(self) -> None:
        self.cardinalities = [c for c in self.children if c.min > 0 or any(sl.min > 0 for sl in c.slices)]
        for child in self.cardinalities:
            child.min_checked = max(child.min, 1 if any(sl.min > 0 for sl in child.slices) else 0)
        self.capped = [c for c in self.children if c.max is not None and (c.repeats or c.max == 0 or c.choice)]
        for order, child in enumerate(self.children):
            child.order = order
            if child.choice:
                for code in child.types:
                    self.by_name[child.name + code[:1].upper() + code[1:]] = (child, code)
            else:
                self.by_name[child.name] = (child, child.types[0] if len(child.types) == 1 else None)


_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"


def _type_code(type_: dict[str, Any]) -> str:
    """The type code; for ``System.String`` elements such as ``Resource.id`` the FHIR type the
    definitions name in the fhir-type extension (``id``, ``uri``, ``string``)."""
    code = str(type_.get("code"))
    if code.startswith(_SYSTEM):
        for ext in type_.get("extension") or []:
            if ext.get("url") == _FHIR_TYPE and isinstance(ext.get("valueUrl"), str):
                return str(ext["valueUrl"])
    return code


def _max(value: Any) -> int | None:
    return None if value in (None, "*") else int(value)


class TypeTree:
    """The compiled snapshot of one StructureDefinition."""

    def __init__(self, sd: dict[str, Any]) -> None:
        self.url = str(sd.get("url"))
        self.kind = sd.get("kind")
        self.type = str(sd.get("type"))
        self.base = sd.get("baseDefinition")
        #: where an extension definition may be used: (context type, expression)
        self.context = [(str(c.get("type")), str(c.get("expression"))) for c in sd.get("context") or []
                        if isinstance(c, dict)]
        self.nodes: dict[str, Node] = {}  # by element id (the path, outside slices)
        root: Node | None = None
        for element in sd["snapshot"]["element"]:
            node = _compile(element)
            eid = node.id
            self.nodes.setdefault(eid, node)
            if root is None:
                root = node
                continue
            segments = _split(eid)
            last = segments[-1]
            if node.slice_name and ":" in last:
                head = last.rsplit("/", 1)[0] if "/" in last.partition(":")[2] else last.partition(":")[0]
                sliced = self.nodes.get(".".join([*segments[:-1], head]))
                if sliced is not None and sliced is not node:
                    sliced.slices.append(node)
                    continue
            parent = self.nodes.get(".".join(segments[:-1]))
            if parent is not None:
                parent.children.append(node)
        if root is None:
            raise ValueError(f"{self.url}: empty snapshot")
        self.root = root
        for node in self.nodes.values():
            node.index_children()


#: invariants not evaluated with FHIRPath: ele-1 (empty elements), ext-1, txt-1/txt-2 (XHTML) are
#: checked where the element is; dom-2..dom-6, ref-1, bdl-* and que-7 by the functions in _NATIVE (faster,
#: and fhirpathpy cannot evaluate the R4 text of dom-3 and disagrees with the specification on que-7)
_NATIVE_INVARIANTS = frozenset({"ele-1", "ext-1", "txt-1", "txt-2"})


def _strings(obj: Any, out: set[str]) -> set[str]:
    """Every string value inside a JSON value (for dom-3: references, canonicals, uris, urls)."""
    if isinstance(obj, str):
        out.add(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            _strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _strings(v, out)
    return out


def _contained(resource: Any) -> list[dict[str, Any]]:
    items = resource.get("contained") if isinstance(resource, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def _meta_of(resource: dict[str, Any]) -> dict[str, Any]:
    meta = resource.get("meta")
    return meta if isinstance(meta, dict) else {}


def _dom3(resource: Any, root: Any) -> bool:
    """dom-3: each contained resource is referenced from elsewhere in the resource (any reference,
    canonical, uri or url value ``#id``) or refers to its container (``#``)."""
    contained = [c for c in _contained(resource) if isinstance(c.get("id"), str)]
    if not contained:
        return True
    values = _strings(resource, set())
    return all("#" + c["id"] in values or "#" in _strings(c, set()) for c in contained)


def _ref1(reference: Any, root: Any) -> bool:
    """ref-1: a local reference (``#id``) names a contained resource of the root resource."""
    ref = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#") or len(ref) == 1:
        return True
    return any(c.get("id") == ref[1:] for c in _contained(root))


def _contained_at(path: str) -> bool:
    """Whether ``path`` is that of a contained resource (whose container's narrative covers it: dom-6)."""
    return ".contained[" in path and path.endswith("]")


def _local_reference(value: Any) -> bool:
    """Whether a Reference (JSON) names a contained resource (``#id``): where ref-1 can fail."""
    return type(value) is dict and str(value.get("reference", ""))[:1] == "#"


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    items = bundle.get("entry")
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def _first_resource_type(bundle: dict[str, Any]) -> Any:
    entries = _entries(bundle)
    resource = entries[0].get("resource") if entries else None
    return resource.get("resourceType") if isinstance(resource, dict) else None


def _bdl7(bundle: dict[str, Any], root: Any) -> bool:
    """bdl-7: fullUrl (with the resource's versionId) is unique, except in a history Bundle."""
    if bundle.get("type") == "history":
        return True
    keys = []
    for entry in _entries(bundle):
        if entry.get("fullUrl") is None:
            continue
        resource = entry.get("resource")
        version = _meta_of(resource).get("versionId", "") if isinstance(resource, dict) else ""
        keys.append(f"{entry['fullUrl']}{version}")
    return len(keys) == len(set(keys))


#: natively evaluated invariants: key -> (focus, root resource) -> holds
_NATIVE: dict[str, Any] = {
    "dom-2": lambda r, root: not any(c.get("contained") is not None for c in _contained(r)),
    "dom-3": _dom3,
    "dom-4": lambda r, root: not any("versionId" in _meta_of(c) or "lastUpdated" in _meta_of(c)
                                     for c in _contained(r)),
    "dom-5": lambda r, root: not any(_meta_of(c).get("security") for c in _contained(r)),
    "dom-6": lambda r, root: isinstance(r.get("text"), dict) and r["text"].get("div") is not None,
    "ref-1": _ref1,
    "que-7": lambda w, root: not isinstance(w, dict) or w.get("operator") != "exists" or "answerBoolean" in w,
    "bdl-1": lambda b, root: "total" not in b or b.get("type") in ("searchset", "history"),
    "bdl-2": lambda b, root: b.get("type") == "searchset" or not any("search" in e for e in _entries(b)),
    "bdl-3": lambda b, root: all(("request" in e) == (b.get("type") in ("batch", "transaction", "history"))
                                 for e in _entries(b)),
    "bdl-4": lambda b, root: all(("response" in e) == (b.get("type") in ("batch-response", "transaction-response",
                                                                          "history")) for e in _entries(b)),
    "bdl-5": lambda e, root: any(k in e for k in ("resource", "request", "response")),
    "bdl-7": _bdl7,
    "bdl-8": lambda e, root: "/_history/" not in str(e.get("fullUrl", "")),
    "bdl-9": lambda b, root: b.get("type") != "document" or (
        isinstance(b.get("identifier"), dict) and "system" in b["identifier"] and "value" in b["identifier"]),
    "bdl-10": lambda b, root: b.get("type") != "document" or b.get("timestamp") is not None,
    "bdl-11": lambda b, root: b.get("type") != "document" or _first_resource_type(b) == "Composition",
    "bdl-12": lambda b, root: b.get("type") != "message" or _first_resource_type(b) == "MessageHeader",
}
def _ascii_digits(value: Any, least: int) -> bool:
    return type(value) is str and len(value) >= least and value.isascii() and value.isdigit()


def _gln_check_digit(value: Any) -> bool | None:
    """DK Core gln-modulus-10 for 13 ASCII digits or more (the expression reads the first 13)."""
    if type(value) is not str or len(value) < 13 or not (head := value[:13]).isascii() or not head.isdigit():
        return None
    return int(head[12]) == gln.check_digit(head[:12])


#: invariants answered natively where the answer is plain (the value of the element: None means the
#: published expression decides): key -> (expression, answer). Only the exact expression is replaced.
_SHORTCUTS: dict[str, tuple[str, Any]] = {
    "gln-length": ("value.matches('^[0-9]{13}$')",
                   lambda value: True if _ascii_digits(value, 13) and len(value) == 13 else None),
    "gln-modulus-10": (
        "((10-(" + "+".join(f"(value.substring({i},1).toInteger()*{3 if i % 2 else 1})" for i in range(12))
        + ")mod(10))mod(10))=value.substring(12,1).toInteger()", _gln_check_digit),
    "min-digits-sor": ("matches('^([0-9]){11,}$')", lambda value: True if _ascii_digits(value, 11) else None),
}

#: native invariants about contained resources, which hold for a resource that contains none
_HOLD_WITHOUT_CONTAINED = frozenset({"dom-2", "dom-3", "dom-4", "dom-5"})
#: the R4 texts of the native invariants: a profile that gives a key another expression is
#: evaluated with FHIRPath
_NATIVE_EXPRESSIONS = {
    "dom-2": "contained.contained.empty()",
    "dom-4": "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
    "dom-5": "contained.meta.security.empty()",
    "dom-6": "text.`div`.exists()",
    "ref-1": "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
             "%rootResource.contained.id.trace('ids'))",
    "que-7": "operator = 'exists' implies (answer is Boolean)",
    "bdl-1": "total.empty() or (type = 'searchset') or (type = 'history')",
    "bdl-2": "entry.search.empty() or (type = 'searchset')",
    "bdl-3": "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction' or "
             "%resource.type = 'history'))",
    "bdl-4": "entry.all(response.exists() = (%resource.type = 'batch-response' or %resource.type = "
             "'transaction-response' or %resource.type = 'history'))",
    "bdl-5": "resource.exists() or request.exists() or response.exists()",
    "bdl-7": "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId)"
             ".isDistinct()",
    "bdl-8": "fullUrl.contains('/_history/').not()",
    "bdl-9": "type = 'document' implies (identifier.system.exists() and identifier.value.exists())",
    "bdl-10": "type = 'document' implies (timestamp.hasValue())",
    "bdl-11": "type = 'document' implies entry.first().resource.is(Composition)",
    "bdl-12": "type = 'message' implies entry.first().resource.is(MessageHeader)",
}


def _compile(element: dict[str, Any]) -> Node:
    path = str(element["path"])
    name = path.rsplit(".", 1)[-1]
    choice = name.endswith("[x]")
    base_max = (element.get("base") or {}).get("max", element.get("max"))
    ref = element.get("contentReference")
    types = element.get("type") or []
    node = Node(
        path=path, name=name[:-3] if choice else name, min=int(element.get("min") or 0),
        max=_max(element.get("max")), repeats=base_max not in ("0", "1"),
        types=[_type_code(t) for t in types], choice=choice,
        content_ref=str(ref).partition("#")[2] if ref else None,
        id=str(element.get("id") or path), slice_name=element.get("sliceName"),
        slicing=element.get("slicing"),
    )
    if (element.get("base") or {}).get("path") == "Resource.id":
        node.types = ["id"]  # R4 declares it as a string; the specification's type is id
    if len(types) == 1:
        node.type_profiles = [str(u) for u in types[0].get("profile") or []]
    node.target_profiles = [str(u) for t in types for u in t.get("targetProfile") or []]
    for c in element.get("constraint") or []:
        key, expression = c.get("key"), c.get("expression")
        if not isinstance(key, str) or key in _NATIVE_INVARIANTS:
            continue
        if key in _NATIVE and expression == _NATIVE_EXPRESSIONS.get(key, expression):
            node.natives.append((key, str(c.get("severity", "error")), str(c.get("human", ""))))
        elif isinstance(expression, str):
            node.constraints.append((key, str(c.get("severity", "error")), str(c.get("human", "")), expression))
    node.aggregation = frozenset(str(a) for t in types for a in t.get("aggregation") or [])
    binding = element.get("binding") or {}
    if isinstance(binding.get("valueSet"), str) and binding.get("strength"):
        node.binding = (str(binding["strength"]), str(binding["valueSet"]))
    for key, value in element.items():
        if key.startswith("fixed"):
            node.fixed = (key, value)
        elif key.startswith("pattern"):
            node.pattern = (key, value)
    return node


_SYSTEM_VALUE, _XHTML, _RESOURCE, _OBJECT = "system", "xhtml", "resource", "object"


@dataclass(eq=False)
class _Plan:
    """What the walk of a value of one element with one (non-primitive) type works out from the
    definitions alone: the kind of value, the node its children come from and paths."""

    tree: TypeTree
    code: str
    kind: str  # _SYSTEM_VALUE, _XHTML, _RESOURCE or _OBJECT
    target: tuple[Node, TypeTree] | None
    own: Node | None  # the root of the target's type when it has invariants of its own
    own_ref1: bool  # own has ref-1 alone (a Reference's), which holds but for a local reference
    local: str  # the element's path in its tree (for a contentReference: the referenced path)
    suffix: str  # local without the root of its tree (the definition path is the parent's plus this)
    extension: bool
    own_definition: bool  # an extension outside any slice: checked against its own definition
    reference: bool
    type_path: str


def _own_invariants(node: Node, target: tuple[Node, TypeTree] | None) -> Node | None:
    """The node whose invariants a value of ``node`` also has: the root of the type (or type
    profile) its children come from, when that is another node and has invariants."""
    if target is None or target[0] is node or target[0] is not target[1].root:
        return None
    return target[0] if target[0].constraints or target[0].natives else None


#: ("_" + name, child, type code, primitive, well-formed test, counted, single, direct plan):
#: FhirValidator._dispatch
_Dispatch = tuple[str, Node, str | None, bool, Any, bool, bool, "_Plan | None"]


@dataclass(slots=True)
class _Deferred:
    """A reference whose target must conform to one of the candidate profiles."""

    target: dict[str, Any]
    candidates: list[TypeTree]
    reference: str
    path: str
    #: the walks (resource, profile) the reference is part of
    segments: tuple[tuple[int, str], ...]
    #: a failure is reported (False: a check made inside another check, repeated only for its effect)
    report: bool = True

    def issue(self) -> Issue:
        return R.REFERENCE_TARGET_PROFILE.issue(
            f"{self.reference} does not conform to {' or '.join(p.url for p in self.candidates)}", self.path)


class FhirValidator:
    """Validates FHIR JSON resources against the loaded definitions (base R4 types)."""

    def __init__(self, defs: Definitions, *, invariants: bool = True) -> None:
        self.defs = defs
        #: evaluate the definitions' FHIRPath invariants (the slowest part of validation)
        self.invariants = invariants
        self.terminology = Terminology(defs)
        self._trees: dict[str, TypeTree | None] = {}
        self._kinds: dict[str, str] = {}  # type code -> kind of its definition
        self._noted: set[str] = set()  # external systems already reported in this validation
        self._fhirpath: dict[str, Any] = {}  # compiled invariants by expression (None: not compilable)
        self._containers: list[dict[str, Any]] = []  # the resources being walked, outermost first
        self._bundles: list[dict[str, dict[str, Any]]] = []  # fullUrl and Type/id -> entry resource
        #: the objects being walked, innermost last: (definition path, type, value, definition path
        #: of the root of the tree its children come from, path in the definition of its type)
        self._where: list[tuple[str, str, Any, str, str]] = []
        self._ancestry: dict[str, tuple[str, ...]] = {}
        self._conforms: dict[tuple[int, str], bool] = {}  # (id of a resource, profile) -> conforms
        #: the constants and answers of invariant evaluations by (resource, root resource), kept for
        #: one validation: (resource, root, context, env)
        self._envs: dict[tuple[int, int], tuple[Any, Any, dict[str, Any], Env]] = {}
        #: the (resource, profile) walks in progress, innermost last
        self._segments: list[tuple[int, str]] = []
        #: per Bundle being walked, the target-profile checks of references to its entries, done
        #: once its entries have been walked (None: checks are done at once, as inside a check)
        self._deferred: list[list[_Deferred] | None] = []
        self._walked: dict[int, list[str]] = {}  # id of a resource -> the profiles it was walked against
        self._lineages: dict[str, frozenset[str]] = {}
        #: what slicing works out from the definitions alone, by (what, id of the slice, path, type, id
        #: of the tree): the nodes at a discriminator path, the values it compares with (trees are
        #: kept for the validator's life, so the ids stay theirs)
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._fhirpath_options: dict[str, Any] = {
            "userInvocationTable": {
                "hasValue": {"fn": _has_value, "arity": {0: []}},
                "resolve": {"fn": self._fhirpath_resolve, "arity": {0: []}},
            },
            "traceFn": lambda *args, **kwargs: None,
        }

    @classmethod
    def for_core(cls, cache: Any = None) -> FhirValidator:
        return cls(Definitions.for_core(cache))

    def tree(self, type_or_url: str) -> TypeTree | None:
        if type_or_url not in self._trees:
            sd = self.defs.snapshot(type_or_url)
            self._trees[type_or_url] = TypeTree(sd) if sd is not None else None
        return self._trees[type_or_url]

    # ------------------------------------------------------------------------------ entry

    def validate(self, resource: Any, path: str | None = None, profiles: Sequence[str] = ()) -> list[Issue]:
        """Every issue of one JSON resource (a parsed dict), against the base definition of its
        type, every profile in its ``meta.profile`` that is loaded, and ``profiles``."""
        return list(self.iter_issues(resource, path, profiles))

    def iter_issues(self, resource: Any, path: str | None = None, profiles: Sequence[str] = ()) -> Iterator[Issue]:
        seen: set[tuple[str, str, str]] = set()
        self._noted = set()
        self._conforms = {}
        self._envs = {}
        self._segments, self._deferred, self._walked = [], [], {}
        found: list[Issue] = []
        self._resource(found, resource, path, tuple(profiles))
        for issue in found:
            key = (issue.rule_id, issue.location.path, issue.message)
            if key not in seen:  # several profiles can find the same problem
                seen.add(key)
                yield issue

    def validate_json_text(self, text: str, profiles: Sequence[str] = ()) -> list[Issue]:
        """Issues of a FHIR JSON text, with the line and column of each located issue."""
        from .positions import json_positions

        resource = json.loads(text, parse_float=Decimal)  # decimals exactly as written (precision kept)
        issues = list(self.iter_issues(resource, None, profiles))
        if not issues:
            return issues
        positions = json_positions(text)  # looked up for the issues' paths only
        positions["(resource)"] = (1, 1)
        return [place_issue(issue, positions) for issue in issues]

    def validate_xml(self, data: bytes | str, profiles: Sequence[str] = ()) -> list[Issue]:
        """Issues of a FHIR XML document (converted with the definitions' types to the JSON form,
        so the same content gives the same issues), with the line of each located issue."""
        from .xmlconv import XmlConversionError, XmlToJson

        converter = XmlToJson(self.defs, strict=False, decimal=_xml_decimal)
        try:
            resource = converter.convert(data.encode("utf-8") if isinstance(data, str) else data)
        except XmlConversionError as exc:
            return [R.RESOURCE_TYPE.issue(str(exc), exc.path or "(resource)", line=exc.line)]
        positions: dict[str, tuple[int, int | None]] = {
            path: (line, None) for path, line in converter.lines.items() if line}
        issues = [XML_PROBLEMS[p.kind].issue(p.message, p.path, line=p.line) for p in converter.problems]
        issues += [place_issue(issue, positions) for issue in self.iter_issues(resource, None, profiles)]
        return issues

    # ---------------------------------------------------------------------------- walking

    def _resource(self, out: list[Issue], obj: Any, path: str | None, profiles: Sequence[str] = (),
                  only_profiles: bool = False) -> None:
        where = path or "(resource)"
        if not isinstance(obj, dict):
            out.append(R.JSON_TYPE.issue(f"a resource must be a JSON object, not {_json_kind(obj)}", where))
            return
        rtype = obj.get("resourceType")
        if not isinstance(rtype, str):
            out.append(R.RESOURCE_TYPE.issue("the resource has no resourceType", where))
            return
        tree = self.tree(rtype) if rtype[:1].isupper() else None
        if tree is None or tree.kind != "resource" or tree.type != rtype:
            out.append(R.RESOURCE_TYPE.issue(f"{rtype!r} is not a FHIR R4 resource type", where))
            return
        here = path or rtype
        walks: list[TypeTree] = []
        claimed = (obj.get("meta") or {}).get("profile") if isinstance(obj.get("meta"), dict) else None
        wanted = [] if only_profiles else [
            (url, f"{here}.meta.profile[{i}]") for i, url in enumerate(claimed or []) if isinstance(url, str)]
        wanted += [(url, here) for url in profiles]
        for url, where_claimed in wanted:
            if url.partition("|")[0] == tree.url:
                continue
            profile = self.tree(url)
            if profile is None:
                out.append(R.PROFILE_UNKNOWN.issue(f"profile {url} is not loaded, so it is not checked", where_claimed))
            elif profile.type != rtype:
                out.append(R.PROFILE_NOT_APPLICABLE.issue(
                    f"profile {url} is for {profile.type}, not {rtype}", where_claimed))
            elif profile not in walks:
                walks.append(profile)
        self._containers.append(obj)
        self._where.append((rtype, rtype, obj, rtype, rtype))
        if rtype == "Bundle":
            self._bundles.append(_bundle_index(obj))
        try:
            for walk in walks or [tree]:
                start, segment = len(out), (id(obj), walk.url)
                self._segments.append(segment)
                self._walked.setdefault(id(obj), []).append(walk.url)
                if rtype == "Bundle":
                    self._deferred.append([])
                try:
                    self._object(out, obj, walk.root, walk, here, resource=True)
                    if rtype == "Bundle":  # before the Bundle's invariants: conformsTo() sees the outcome
                        self._resolve_deferred(out, self._deferred[-1] or [])
                    self._invariants(out, walk.root, obj, rtype, here)
                finally:
                    self._segments.pop()
                    if rtype == "Bundle":
                        self._deferred.pop()
                # what a reference to this resource with this target profile needs to know later
                conforms = not any(i.severity.at_least(Severity.ERROR) for i in out[start:])
                self._conforms[segment] = self._conforms.get(segment, True) and conforms
        finally:
            self._containers.pop()
            self._where.pop()
            if rtype == "Bundle":
                self._bundles.pop()

    def _children_of(self, node: Node, tree: TypeTree, code: str | None) -> tuple[Node, TypeTree] | None:
        """The node whose children describe the content of ``node`` (for type ``code``)."""
        if node.children:
            return node, tree
        if node.content_ref:
            target = tree.nodes.get(node.content_ref)
            return (target, tree) if target is not None else None
        if code is None:
            return None
        if len(node.type_profiles) == 1:
            profiled = self.tree(node.type_profiles[0])
            if profiled is not None and profiled.type == code:
                return profiled.root, profiled
        sub = self.tree(code)
        return (sub.root, sub) if sub is not None else None

    def _object(self, out: list[Issue], obj: dict[str, Any], node: Node, tree: TypeTree, path: str, *,
                resource: bool = False, primitive_meta: bool = False) -> None:
        counts: dict[Node, int] = {}
        by_name = node.by_name
        dispatch = node.dispatch
        if dispatch is None:
            dispatch = node.dispatch = self._dispatch(node, tree)
        if primitive_meta:
            dispatch = {}
        for key, value in obj.items():
            entry = dispatch.get(key)
            if entry is not None and value is not None and entry[0] not in obj:
                _, child, code, primitive, plain, counted, single, direct = entry
                if plain is not None:  # a primitive whose well-formed values need nothing more
                    if single:
                        if plain(value):
                            if counted:
                                counts[child] = counts.get(child, 0) + 1
                            continue
                    elif type(value) is list and value and all(map(plain, value)):
                        if counted:
                            counts[child] = counts.get(child, 0) + len(value)
                        continue
                if direct is not None:  # objects as _item walks them
                    if single:
                        if type(value) is dict and value:
                            if counted:
                                counts[child] = counts.get(child, 0) + 1
                            if direct.kind is _RESOURCE:
                                self._resource(out, value, f"{path}.{key}")
                            else:
                                self._walk_object(out, value, child, direct, f"{path}.{key}", direct.target)
                            continue
                    elif type(value) is list and value:  # as _element gives them to _item
                        if counted:
                            counts[child] = counts.get(child, 0) + _count(value, None)
                        for i, item in enumerate(value):
                            if type(item) is dict and item:
                                self._walk_object(out, item, child, direct, f"{path}.{key}[{i}]", direct.target)
                            else:
                                self._item(out, item, None, child, code, tree, f"{path}.{key}[{i}]", primitive)
                        continue
                if single and type(value) is not list:  # one value, as such
                    if counted:
                        counts[child] = counts.get(child, 0) + 1
                    self._item(out, value, None, child, code, tree, f"{path}.{key}", primitive)
                    continue
                if counted:
                    counts[child] = counts.get(child, 0) + _count(value, None)
                self._element(out, value, None, child, code, tree, f"{path}.{key}")
                continue
            if key.startswith("_") and not primitive_meta:
                if not (resource and key == "_resourceType"):
                    self._primitive_meta(out, obj, key, value, node, tree, path, counts)
                continue  # checked with its primitive
            if resource and key == "resourceType":
                continue
            hit = by_name.get(key)
            if hit is None or (primitive_meta and key == "value"):
                out.append(R.UNKNOWN_ELEMENT.issue(f"unknown element {key!r} in {_type_name(node, tree)}",
                                              f"{path}.{key}"))
                continue
            child, code = hit
            meta = obj.get("_" + key)
            counts[child] = counts.get(child, 0) + (1 if meta is None and value is not None and not isinstance(
                value, list) else _count(value, meta))  # null alone is no value
            self._element(out, value, meta, child, code, tree, f"{path}.{key}")
        problems: list[tuple[int, Issue]] = []
        for child in node.cardinalities:  # children (or their slices) with a minimum
            n = counts.get(child, 0)
            if n < child.min_checked:
                shown = child.name + ("[x]" if child.choice else "")
                if n == 0:
                    for sl in child.slices:
                        if sl.min > 0:
                            problems.append((child.order, R.CARDINALITY_MIN.issue(
                                f"{shown}:{sl.slice_name}: minimum cardinality {sl.min}, found 0", path)))
                if n < child.min:
                    problems.append((child.order, R.CARDINALITY_MIN.issue(
                        f"{shown}: minimum cardinality {child.min}, found {n}", path)))
        for child in node.capped:  # children with a maximum that the JSON form does not keep
            n = counts.get(child, 0)
            if n > child.max:  # type: ignore[operator]
                shown = child.name + ("[x]" if child.choice else "")
                problems.append((child.order, R.CARDINALITY_MAX.issue(
                    f"{shown}: maximum cardinality {child.max}, found {n}", f"{path}.{shown}")))
        if problems:
            problems.sort(key=lambda p: p[0])  # in the order of the definition
            out.extend(issue for _, issue in problems)

    def _dispatch(self, node: Node, tree: TypeTree) -> dict[str, _Dispatch]:
        """Per JSON name of a child of ``node``: (name of its id and extensions, child, type code,
        primitive, test, counted, single, direct). The test (:meth:`_plain_test`) is set where one
        call can tell that a value needs nothing more; counted:
        the child has a cardinality to check; single: one value, neither repeating nor sliced;
        direct: for a child without slices, the plan of an object whose walk needs nothing of
        :meth:`_item` but the walk of its children, its reference and its invariants
        (:meth:`_walk_object`)."""
        found: dict[str, _Dispatch] = {}
        counted = {id(c) for c in (*node.cardinalities, *node.capped)}
        for key, (child, code) in node.by_name.items():
            primitive = code is not None and self._is_primitive(code)
            test = self._plain_test(child, code, primitive)
            single = not child.repeats and not child.slices
            direct = None
            as_object = code if code is not None else "BackboneElement" if child.content_ref or child.children else None
            if not child.slices and not primitive and as_object is not None and child.fixed is None \
                    and child.pattern is None \
                    and as_object != "Coding" and not (child.binding is not None and as_object == "CodeableConcept"):
                plan = child.plans.get(as_object)
                if plan is None or plan.tree is not tree:
                    plan = child.plans[as_object] = self._plan(child, as_object, tree)
                if (plan.kind is _OBJECT and plan.target is not None and not plan.extension) or \
                        (plan.kind is _RESOURCE and single):
                    direct = plan
            found[key] = ("_" + key, child, code, primitive, test, id(child) in counted, single, direct)
        return found

    def _plain_test(self, child: Node, code: str | None, primitive: bool) -> Callable[[Any], bool] | None:
        """A test that is true only for values of ``child`` in which :meth:`_item` would find
        nothing: a plainly well-formed primitive (:data:`_WELL_FORMED`) that is also, where the
        child asks for it, its fixed string or a code of its required or extensible value set; or a
        narrative ``div`` that :func:`check_div` finds plain and not empty. None where the child has
        slices, a pattern, invariants (but a ``div``'s, which :func:`check_div` covers) or a check
        the test does not make: then :meth:`_item` looks at every value."""
        if child.slices or child.pattern is not None or code is None:
            return None
        if code == "xhtml":
            return _plain_xhtml if child.fixed is None else None
        well_formed = _WELL_FORMED.get(code) if primitive else None
        if well_formed is None or child.constraints:
            return None
        test: Callable[[Any], bool] = well_formed
        if child.binding is not None and code == "code" and child.binding[0] in ("required", "extensible"):
            expansion = self.terminology.expand(child.binding[1])
            codes = frozenset().union(*expansion.codes.values()) if expansion is not None else frozenset()
            if not codes:
                return None
            test = _one_of(codes, test)
        if child.fixed is not None:
            if type(child.fixed[1]) is not str:
                return None
            test = _one_of(frozenset({child.fixed[1]}), test)
        return test

    def _walk_object(self, out: list[Issue], value: dict[str, Any], node: Node, plan: _Plan, path: str,
                     target: tuple[Node, TypeTree] | None) -> None:
        """A non-empty object of an element: its children (against ``target``: the plan's, or an
        extension's own definition), its reference, ext-1 for an extension, and its invariants."""
        if target is not None:
            where = self._where
            local = plan.local
            if target is plan.target:
                full = where[-1][3] + plan.suffix if where else local
            else:
                full = self._definition_path(local, plan.tree)
            where.append((full, plan.code, value, where[-1][3] if where and target[1] is plan.tree else full, local))
            try:
                self._object(out, value, target[0], target[1], path)
            finally:
                where.pop()
        if plan.reference and isinstance(value.get("reference"), str):
            self._reference(out, value["reference"], node, path)
        if plan.extension and bool(value.get("extension")) == any(k.startswith(("value", "_value")) for k in value):
            out.append(R.INVARIANT.issue("ext-1: an extension has either extensions or a value, not both and "
                                         "not neither", path, key="ext-1"))
        if self.invariants:
            if node.constraints or node.natives:
                self._invariants(out, node, value, plan.type_path, path)
            own = plan.own if target is plan.target else _own_invariants(node, target)
            if own is not None and (not plan.own_ref1 or own is not plan.own or _local_reference(value)):
                self._invariants(out, own, value, plan.type_path, path)  # the data type's own

    def _primitive_meta(self, out: list[Issue], obj: dict[str, Any], key: str, meta: Any, node: Node,
                        tree: TypeTree, path: str, counts: dict[Node, int]) -> None:
        """A ``_name`` property: unknown, or the id and extensions of a primitive with no value."""
        name = key[1:]
        hit = node.by_name.get(name)
        if hit is None:
            out.append(R.UNKNOWN_ELEMENT.issue(f"unknown element {key!r} in {_type_name(node, tree)}", f"{path}.{key}"))
            return
        child, code = hit
        if name not in obj:
            counts[child] = counts.get(child, 0) + _count(None, meta)
            self._element(out, None, meta, child, code, tree, f"{path}.{name}")

    def _element(self, out: list[Issue], value: Any, meta: Any, node: Node, code: str | None, tree: TypeTree,
                 path: str) -> None:
        primitive = code is not None and self._is_primitive(code)
        if meta is not None and not primitive:
            out.append(R.PRIMITIVE_EXTENSION.issue(
                f"_{node.name} is only for primitive elements; {path.rsplit('.', 1)[-1]} is not one", path))
            meta = None
        if node.repeats:
            if value is not None and not isinstance(value, list):
                out.append(R.ARRAY_EXPECTED.issue(f"{path.rsplit('.', 1)[-1]} repeats, so it must be an array", path))
                value = [value]
            if isinstance(meta, dict):
                out.append(R.PRIMITIVE_EXTENSION.issue(f"_{node.name} must be an array aligned with the values", path))
                meta = [meta]
            values = value if value is not None else [None] * (len(meta) if isinstance(meta, list) else 0)
            metas = meta if isinstance(meta, list) else [None] * len(values)
            if value is not None and len(values) == 0:
                out.append(R.EMPTY.issue("an empty array is not allowed; leave the element out", path))
            if meta is not None and isinstance(meta, list) and len(meta) != len(values):
                out.append(R.PRIMITIVE_EXTENSION.issue(
                    f"_{node.name} has {len(meta)} items for {len(values)} values", path))
            if node.slices:
                self._sliced(out, values, metas, node, code, tree, path, primitive)
                return
            for i, item in enumerate(values):
                m = metas[i] if i < len(metas) else None
                self._item(out, item, m, node, code, tree, f"{path}[{i}]", primitive)
        else:
            if isinstance(value, list):
                out.append(R.ARRAY_UNEXPECTED.issue(
                    f"{path.rsplit('.', 1)[-1]} is single-valued, so it must not be an array", path))
                for i, item in enumerate(value):
                    self._item(out, item, None, node, code, tree, f"{path}[{i}]", primitive)
                return
            if isinstance(meta, list):
                out.append(R.PRIMITIVE_EXTENSION.issue(f"_{node.name} must be an object, not an array", path))
                meta = None
            if node.slices and value is not None:
                self._sliced(out, [value], [meta], node, code, tree, path, primitive, single=True)
                return
            self._item(out, value, meta, node, code, tree, path, primitive)

    def _sliced(self, out: list[Issue], values: list[Any], metas: list[Any], node: Node, code: str | None,
                tree: TypeTree, path: str, primitive: bool, single: bool = False) -> None:
        """Items of a sliced element: each is checked against the slice it belongs to (or the
        element when it belongs to none); then slice cardinality and closed slicing."""
        slices = node.slices
        counts = [0] * len(slices)  # items per slice, by position
        rules = (node.slicing or {}).get("rules", "open")
        ordered = (node.slicing or {}).get("ordered") is True
        key = path.rsplit(".", 1)[-1]
        last, unmatched_at = -1, None  # the highest slice seen so far; the first item in no slice
        for i, item in enumerate(values):
            here = path if single else f"{path}[{i}]"
            m = metas[i] if i < len(metas) else None
            target = self._slice_of(item, key, node, code, tree) if item is not None else None
            if target is not None:
                position = slices.index(target)
                counts[position] += 1
                if ordered and position < last:
                    out.append(R.SLICE_ORDER.issue(
                        f"{key}:{target.slice_name} comes after {key}:{node.slices[last].slice_name}; the slicing "
                        "is ordered", here))
                last = max(last, position)
                if rules == "openAtEnd" and unmatched_at is not None:
                    out.append(R.SLICE_OPEN_AT_END.issue(
                        f"{key}:{target.slice_name} comes after {key}[{unmatched_at}], which is in no slice; "
                        "the slicing is openAtEnd", here))
            elif rules == "closed" and item is not None:
                out.append(R.SLICE_UNMATCHED.issue(
                    f"{key} matches none of the slices {', '.join(str(sl.slice_name) for sl in node.slices)} "
                    "and the slicing is closed", here))
            elif item is not None and unmatched_at is None:
                unmatched_at = i
            self._item(out, item, m, target or node, code, tree, here, primitive)
        shown = node.name + ("[x]" if node.choice else "")
        for sl, n in zip(slices, counts, strict=True):
            if n < sl.min:
                out.append(R.CARDINALITY_MIN.issue(
                    f"{shown}:{sl.slice_name}: minimum cardinality {sl.min}, found {n}", path.rsplit(".", 1)[0]))
            elif sl.max is not None and n > sl.max:
                out.append(R.CARDINALITY_MAX.issue(
                    f"{shown}:{sl.slice_name}: maximum cardinality {sl.max}, found {n}", path))

    def _slice_of(self, item: Any, key: str, node: Node, code: str | None, tree: TypeTree) -> Node | None:
        """The slice an item belongs to, by the slicing's discriminators (None: no slice)."""
        if node.choice:  # type slices of a choice: the JSON name says the type
            return next((sl for sl in node.slices if sl.slice_name == key), None)
        discriminators = (node.slicing or {}).get("discriminator") or []
        if not discriminators:
            return None
        index = self._slice_index(node, discriminators, code, tree)
        if index is not None:  # one value discriminator, strings to compare with: looked up
            dpath, table = index
            steps = _steps(dpath)
            if len(steps) == 1 and steps[0][1] is None and type(item) is dict:  # one element: its string
                value = item.get(steps[0][0])
                if type(value) is str:
                    hit = table.get(value)
                    return hit[1] if hit is not None else None
            found: tuple[int, Node] | None = None
            for value in _values_at(item, dpath):
                if type(value) is not str:
                    break  # compared the general way below
                hit = table.get(value)
                if hit is not None and (found is None or hit[0] < found[0]):
                    found = hit
            else:
                return found[1] if found is not None else None
        for sl in node.slices:
            if all(self._discriminates(item, sl, d, code, tree) for d in discriminators):
                return sl
        return None

    def _slice_index(self, node: Node, discriminators: list[dict[str, Any]], code: str | None, tree: TypeTree
                     ) -> tuple[str, dict[str, tuple[int, Node]]] | None:
        """For slicing by one value (or pattern) discriminator whose slices all compare with strings:
        the path and, per string, the first slice (and its position) that has it. None otherwise.
        Made once per slicing."""
        key = ("index", node, code, tree)
        if key not in self._memo:
            found: tuple[str, dict[str, tuple[int, Node]]] | None = None
            d = discriminators[0]
            if len(discriminators) == 1 and d.get("type") in ("value", "pattern"):
                dpath = str(d.get("path") or "$this")
                table: dict[str, tuple[int, Node]] = {}
                for position, sl in enumerate(node.slices):
                    fixed, patterns = self._expected_values(sl, dpath, code, tree)
                    if any(type(v) is not str for v in (*fixed, *patterns)):
                        table = {}
                        break
                    for v in (*fixed, *patterns):
                        table.setdefault(v, (position, sl))
                else:
                    found = (dpath, table)
            self._memo[key] = found
        index: tuple[str, dict[str, tuple[int, Node]]] | None = self._memo[key]
        return index

    def _discriminates(self, item: Any, sl: Node, d: dict[str, Any], code: str | None, tree: TypeTree) -> bool:
        kind, dpath = d.get("type"), str(d.get("path") or "$this")
        targets = self._nodes_at(sl, dpath, code, tree)
        if kind in ("value", "pattern"):
            fixed, patterns = self._expected_values(sl, dpath, code, tree)
            if not fixed and not patterns:
                return False
            values = _values_at(item, dpath)
            return any(_equal(v, f) for v in values for f in fixed) or any(
                _contains(v, p) for v in values for p in patterns)
        if kind == "exists":
            if not targets:
                return False
            present = bool(_values_at(item, dpath))
            target = targets[0]
            return not ((target.min > 0 and not present) or (target.max == 0 and present))
        if kind == "type":
            wanted = {code for t in targets for code in t.types}
            return any(typed in wanted for typed in _types_at(item, dpath))
        if kind == "profile":
            for url in (u for t in targets for u in t.type_profiles):
                profiled = self.tree(url)
                if profiled is None:
                    continue
                for v in _values_at(item, dpath):
                    noted, in_progress = set(self._noted), self._segments
                    self._segments = []  # a trial walk: its failures are not those of the walks in progress
                    self._deferred.append(None)  # references inside are checked at once
                    try:
                        if isinstance(v, dict):
                            issues: list[Issue] = []
                            self._object(issues, v, profiled.root, profiled, "x")
                            if not any(i.severity.at_least(Severity.ERROR) for i in issues):
                                return True
                    finally:
                        self._deferred.pop()
                        self._noted, self._segments = noted, in_progress
        return False

    def _expected_values(self, sl: Node, dpath: str, code: str | None, tree: TypeTree
                         ) -> tuple[list[Any], list[Any]]:
        """The fixed values and patterns a value or pattern discriminator compares with (made once
        per slice and path)."""
        key = ("values", id(sl), dpath, code, id(tree))
        if key not in self._memo:
            targets = self._nodes_at(sl, dpath, code, tree)
            fixed = [t.fixed[1] for t in targets if t.fixed is not None]
            patterns = [t.pattern[1] for t in targets if t.pattern is not None]
            segments = _path_segments(dpath)
            for cut in range(len(segments) - 1, 0, -1):  # a pattern on an element above the path
                if fixed or patterns:
                    break
                rest = ".".join(segments[cut:])
                for above in self._nodes_at(sl, ".".join(segments[:cut]), code, tree):
                    for _, value in (x for x in (above.fixed, above.pattern) if x is not None):
                        patterns += _values_at(value, rest)
            self._memo[key] = (fixed, patterns)
        found: tuple[list[Any], list[Any]] = self._memo[key]
        return found

    def _nodes_at(self, start: Node, dpath: str, code: str | None, tree: TypeTree) -> list[Node]:
        """The element definitions at a discriminator path below a slice: where an element on the
        way is sliced in turn, its slices are followed too (the fixed values often sit there).
        Made once per (slice, path)."""
        key = ("nodes", id(start), dpath, code, id(tree))
        if key not in self._memo:
            self._memo[key] = self._find_nodes(start, dpath, code, tree)
        found: list[Node] = self._memo[key]
        return found

    def _find_nodes(self, start: Node, dpath: str, code: str | None, tree: TypeTree) -> list[Node]:
        frontier: list[tuple[Node, TypeTree, str | None]] = [(start, tree, code)]
        for segment in _path_segments(dpath):
            if segment == "$this":
                continue
            ext = _EXTENSION_CALL.fullmatch(segment)
            nxt: list[tuple[Node, TypeTree, str | None]] = []
            for node, current, cur_code in frontier:
                found = self._children_of(node, current, cur_code)
                if found is None:
                    continue
                parent, sub = found
                if ext:
                    hit = parent.by_name.get("extension")
                    if hit is not None:
                        nxt += [(sl, sub, "Extension") for sl in hit[0].slices if ext.group(1) in sl.type_profiles]
                    continue
                hits = [parent.by_name[segment]] if segment in parent.by_name else [
                    (c, t) for c in parent.children if c.choice and c.name == segment for t in c.types]
                for child, child_code in hits:  # a choice (value) stands for each of its types
                    nxt += [(child, sub, child_code)] + [(sl, sub, child_code) for sl in child.slices]
            frontier = nxt
        return [node for node, _, _ in frontier]


    def _item(self, out: list[Issue], value: Any, meta: Any, node: Node, code: str | None, tree: TypeTree, path: str,
              primitive: bool) -> None:
        if meta is not None:
            if not isinstance(meta, dict):
                out.append(R.PRIMITIVE_EXTENSION.issue(
                    f"the id and extensions of a primitive go in an object, not {_json_kind(meta)}", path))
            elif not meta:
                out.append(R.EMPTY.issue("an empty object is not allowed", path))
            else:
                sub = self.tree(code) if code else None
                if sub is not None:
                    full = self._definition_path(node.path, tree)
                    self._where.append((full, str(code), None, full, node.path))
                    try:
                        self._object(out, meta, sub.root, sub, path, primitive_meta=True)
                    finally:
                        self._where.pop()
        if value is None:
            if meta is None:
                out.append(R.NULL.issue("null is not a value", path))
            return
        if code is None:
            if node.content_ref or node.children:
                code = "BackboneElement"
            else:
                return
        if node.fixed is not None and not _equal(value, node.fixed[1]):
            out.append(R.FIXED.issue(f"the value must be exactly {_short(json.dumps(node.fixed[1]))} "
                                f"({node.fixed[0]})", path))
        if node.pattern is not None and not _contains(value, node.pattern[1]):
            out.append(R.PATTERN.issue(f"the value must contain {_short(json.dumps(node.pattern[1]))} "
                                  f"({node.pattern[0]})", path))
        if code == "Coding" and isinstance(value, dict):
            self._coding(out, value, path)
        if primitive:
            before = len(out)
            self._primitive(out, value, code, path)
            if len(out) == before:  # a well-formed value
                if node.binding is not None and code == "code":
                    self._binding(out, value, code, node.binding, path)
                if node.constraints and self.invariants:
                    self._invariants(out, node, value, code, path, primitive=True)
            return
        if node.binding is not None and code in ("Coding", "CodeableConcept"):
            self._binding(out, value, code, node.binding, path)
        plan = node.plans.get(code)
        if plan is None or plan.tree is not tree:
            plan = node.plans[code] = self._plan(node, code, tree)
        kind = plan.kind
        if kind is _SYSTEM_VALUE:
            if not isinstance(value, str):
                out.append(R.JSON_TYPE.issue(f"expected a string, found {_json_kind(value)}", path))
            elif not value:
                out.append(R.EMPTY.issue("an empty string is not allowed", path))
            return
        if kind is _XHTML:
            if not isinstance(value, str):
                out.append(R.JSON_TYPE.issue(f"expected an XHTML string, found {_json_kind(value)}", path))
                return
            problems, has_content = check_div(value)
            for problem in problems:
                out.append(R.NARRATIVE_XHTML.issue(problem, path))
            if not has_content:
                out.append(R.NARRATIVE_EMPTY.issue("the narrative has no content", path))
            return
        if kind is _RESOURCE:
            self._resource(out, value, path)
            return
        if not isinstance(value, dict):
            out.append(R.JSON_TYPE.issue(f"expected an object ({code}), found {_json_kind(value)}", path))
            return
        if not value:
            out.append(R.EMPTY.issue("an empty object is not allowed", path))
            return
        target = plan.target
        if plan.extension:
            url = value.get("url")
            if plan.own_definition and isinstance(url, str) and ":" in url:
                definition = self.tree(url)  # an extension outside any slice: its own definition
                if definition is not None and definition.type == "Extension":
                    target = (definition.root, definition)
                elif definition is None:
                    out.append(R.EXTENSION_UNKNOWN.issue(
                        f"extension {url} is not loaded, so its content is not checked", path))
            if target is not None and target[1].context and target[0] is target[1].root:
                self._extension_context(out, target[1], path)
        self._walk_object(out, value, node, plan, path, target)

    def _plan(self, node: Node, code: str, tree: TypeTree) -> _Plan:
        """What the walk of a value of ``node`` with type ``code`` (not a primitive) works out
        from the definitions alone."""
        if code.startswith(_SYSTEM):
            kind = _SYSTEM_VALUE
        elif code == "xhtml":
            kind = _XHTML
        elif code in ("Resource", "DomainResource") or self._is_resource(code):
            kind = _RESOURCE
        else:
            kind = _OBJECT
        target = self._children_of(node, tree, code) if kind is _OBJECT else None
        local = target[0].path if target is not None and node.content_ref else node.path  # contentReference
        own = _own_invariants(node, target)
        return _Plan(tree=tree, code=code, kind=kind, target=target, own=own,
                     own_ref1=own is not None and not own.constraints and [n[0] for n in own.natives] == ["ref-1"],
                     local=local, suffix=local[len(tree.root.path):],
                     extension=code == "Extension",
                     own_definition=code == "Extension" and not node.children and not node.type_profiles,
                     reference=code == "Reference",
                     type_path=node.path if code in ("BackboneElement", "Element") else code)

    # ------------------------------------------------------------------------- invariants

    def _invariants(self, out: list[Issue], node: Node, value: Any, type_path: str, path: str, primitive: bool = False
                    ) -> None:
        if not self.invariants or not (node.constraints or node.natives):
            return
        root: Any = None
        if node.natives:
            natives = node.native_checks
            if natives is None:
                natives = node.native_checks = (
                    [(key, severity, human, _NATIVE[key]) for key, severity, human in node.natives],
                    [(key, severity, human, _NATIVE[key]) for key, severity, human in node.natives
                     if key not in _HOLD_WITHOUT_CONTAINED])
            for key, severity, human, holds in natives[1 if type(value) is dict and "contained" not in value else 0]:
                if key == "dom-6" and _contained_at(path):
                    continue
                if key == "ref-1":  # the only one that reads the root resource
                    if not _local_reference(value):
                        continue  # not a local reference: holds
                    if root is None:
                        root = self._root_of(value, path)
                if not holds(value, root):
                    level = Severity.WARNING if severity == "warning" else None
                    out.append(R.INVARIANT.issue(f"{key}: {human}", path, severity=level, key=key))
        if not node.constraints:
            return
        checks = node.checks
        if checks is None:
            checks = node.checks = [
                (key, severity, human, invariant, bool(_VALUE_PATH.search(expression)),
                 shortcut[1] if primitive and (shortcut := _SHORTCUTS.get(key)) and shortcut[0] == expression else None)
                for key, severity, human, expression in node.constraints
                if (invariant := self._fhirpath_fn(expression)) is not None]
        env: Env | None = None  # made for the first expression to evaluate
        for key, severity, human, invariant, value_path, shortcut in checks:
            if key == "dom-6" and _contained_at(path):
                continue  # the narrative of the container covers its contained resources
            if shortcut is not None and (answer := shortcut(value)) is not None:
                if not answer:
                    level = Severity.WARNING if severity == "warning" else None
                    out.append(R.INVARIANT.issue(f"{key}: {human}", path, severity=level, key=key))
                continue
            if env is None:
                resource = self._containers[-1] if self._containers else value
                if root is None:
                    root = self._root_of(value, path)
                cached = self._envs.get((id(resource), id(root)))
                if cached is None or cached[0] is not resource or cached[1] is not root:
                    context = {"resource": resource, "rootResource": root}
                    cached = self._envs[(id(resource), id(root))] = (
                        resource, root, context, Env(context, self._resolve_json, self._conforms_json,
                                                     self._member_of, _html_ok))
                context, env = cached[2], cached[3]
                as_such = primitive or (isinstance(value, dict) and value.get("resourceType") == type_path)
                as_value: Any = None  # `value` of a primitive is its value (as for the Java engine)
                value_node: Any = None
                # a resource as such: an expression may start with its type (Bundle.entry...)
                as_node: Any = (lambda: value) if as_such else (lambda: _fhirpath_node(value, type_path))
            if primitive and value_path:
                if as_value is None:
                    as_value = {"value": value}
                    value_node = (lambda here=as_value: here)  # noqa: E731
                here: Any = as_value
                make_node: Any = value_node
            else:
                here, make_node = value, as_node
            try:
                result = invariant.evaluate(here, make_node, context, env)
            except Exception:
                continue
            if result == [False]:
                level = Severity.WARNING if severity == "warning" else None
                out.append(R.INVARIANT.issue(f"{key}: {human}", path, severity=level, key=key))

    def _root_of(self, value: Any, path: str) -> Any:
        """%rootResource of an invariant at ``path``: the resource being walked, or for a contained
        resource (also when walked on its own against a target profile) its container."""
        resource = self._containers[-1] if self._containers else value
        outer = self._containers[-2] if len(self._containers) > 1 else None
        inside = outer is not None and (".contained[" in path or (
            "contained" in outer and any(c is resource for c in _contained(outer))))
        return outer if inside else resource

    def _fhirpath_fn(self, expression: str) -> Invariant | None:
        if expression not in self._fhirpath:
            import fhirpathpy
            from fhirpathpy.engine.util import set_paths
            from fhirpathpy.models import models

            try:
                tree = parse_fhirpath(expression)
                reference = set_paths(fhirpathpy.apply_parsed_path, parsedPath=tree, model=models["r4"],
                                      options=self._fhirpath_options)
                self._fhirpath[expression] = Invariant(expression, tree, reference)
            except Exception:
                self._fhirpath[expression] = None
        return self._fhirpath[expression]

    # ------------------------------------------------------------------------- references

    def resolve_reference(self, reference: str) -> dict[str, Any] | None:
        """The resource a reference points to inside the payload being validated: a contained
        resource (``#id``) or a Bundle entry (by fullUrl, or by ``Type/id``); None otherwise."""
        if reference.startswith("#"):
            for container in reversed(self._containers):
                for res in container.get("contained") or []:
                    if isinstance(res, dict) and res.get("id") == reference[1:]:
                        return res
            return None
        for index in reversed(self._bundles):
            found = index.get(reference)
            if found is None and "/_history/" in reference:
                found = index.get(reference.split("/_history/")[0])
            if found is not None:
                return found
        return None

    def _reference(self, out: list[Issue], reference: str, node: Node, path: str) -> None:
        target = self.resolve_reference(reference)
        if target is None:
            if reference.startswith(("urn:uuid:", "urn:oid:")) and self._bundles:
                out.append(R.REFERENCE_UNRESOLVED.issue(f"no entry of the Bundle has the fullUrl {reference}", path))
            rtype = _literal_type(reference)
        else:
            rtype = target.get("resourceType") if isinstance(target.get("resourceType"), str) else None
        if node.aggregation:
            kind = "contained" if reference.startswith("#") else "bundled" if target is not None else "remote"
            if not (kind in node.aggregation or (kind != "contained" and "referenced" in node.aggregation)):
                where = {"contained": "a contained resource", "bundled": "an entry of the Bundle",
                         "remote": "outside the payload (not an entry of the Bundle)"}[kind]
                out.append(R.REFERENCE_AGGREGATION.issue(
                    f"{reference} points to {where}; aggregation allows {', '.join(sorted(node.aggregation))}",
                    f"{path}.reference"))
        if rtype is None or not node.target_profiles or not self._is_resource(rtype):
            return
        allowed, candidates, enough = self._targets(node, rtype)
        if "Resource" not in allowed and rtype not in allowed:
            out.append(R.REFERENCE_TARGET_TYPE.issue(
                f"{reference} is a {rtype}; allowed: {', '.join(sorted(allowed))}", f"{path}.reference"))
            return
        if target is None or not candidates or enough:
            return  # not resolved, or a base type among the target profiles: the type is enough
        check = _Deferred(target, candidates, reference, f"{path}.reference", tuple(self._segments))
        pending = self._deferred[-1] if self._deferred else None
        if pending is not None and reference in self._bundles[-1]:
            pending.append(check)  # an entry of the Bundle: checked once the entries have been walked
        elif not self._check_target(check):
            out.append(check.issue())
        else:
            # met now, but a walk of an entry can still fail (once the Bundle's references are
            # checked): checked again with those references, failing the walks it is part of
            later = next((d for d in reversed(self._deferred) if d is not None), None)
            if later is not None:
                later.append(dataclasses.replace(check, report=pending is not None))

    def _targets(self, node: Node, rtype: str) -> tuple[set[str], list[TypeTree], bool]:
        """For a reference of ``node`` to a ``rtype``: the types its target profiles allow, those
        profiles that apply to ``rtype``, and whether one of them is a base type (the type is
        enough). Made once per element and type."""
        key = ("targets", node, rtype)
        found = self._memo.get(key)
        if found is None:
            allowed: set[str] = set()
            candidates: list[TypeTree] = []
            for url in node.target_profiles:
                profile = self.tree(url)
                allowed.add(profile.type if profile is not None else url.rsplit("/", 1)[-1])
                if profile is not None and profile.type in (rtype, "Resource"):
                    candidates.append(profile)
            found = self._memo[key] = (allowed, candidates, any(p.url == _CORE_SD + p.type for p in candidates))
        targets: tuple[set[str], list[TypeTree], bool] = found
        return targets

    def _check_target(self, check: _Deferred) -> bool:
        """Whether the target of a reference conforms to one of its candidate profiles; when it does
        not, the walks the reference is part of do not conform either."""
        if any(self._target_conforms(check.target, p) for p in check.candidates):
            return True
        for segment in check.segments:
            self._conforms[segment] = False
        return False

    def _resolve_deferred(self, out: list[Issue], checks: list[_Deferred]) -> None:
        """The target-profile checks of references between the entries of a Bundle, after the
        entries were walked (their walks answer most checks). A failing check makes the walks it is
        part of fail, which can make other checks fail: repeated until nothing changes."""
        failed: set[int] = set()
        changed = True
        while changed:
            changed = False
            for i, check in enumerate(checks):
                if i not in failed and not self._check_target(check):
                    failed.add(i)
                    changed = True
        out.extend(checks[i].issue() for i in sorted(failed) if checks[i].report)

    def _target_conforms(self, target: dict[str, Any], profile: TypeTree) -> bool:
        """Whether a resolved resource has no errors against a (constraint) profile; cached per
        validation, and assumed while being checked (references in a cycle)."""
        key = (id(target), profile.url)
        if key not in self._conforms:
            for walked in self._walked.get(id(target), ()):
                # conforming to a profile derived from this one is conforming to this one (asked
                # each time, not kept: a later failure of the derived walk must count)
                if self._conforms.get((id(target), walked)) and profile.url in self._lineage(walked):
                    return True
            self._conforms[key] = True
            noted, where, segments = set(self._noted), self._where, self._segments
            # a walk of its own: its failures are not those of the walks in progress (the reference
            # may have another candidate profile)
            self._where, self._segments = [], []
            self._deferred.append(None)  # inside a check, references are checked at once
            try:
                issues: list[Issue] = []
                self._resource(issues, target, None, (profile.url,), only_profiles=True)
                self._conforms[key] = self._conforms.get(key, True) and not any(
                    i.severity.at_least(Severity.ERROR) for i in issues)
            finally:
                self._deferred.pop()
                self._noted, self._where, self._segments = noted, where, segments
        return self._conforms[key]

    def _lineage(self, url: str) -> frozenset[str]:
        """The profiles a profile is derived from (its baseDefinition chain, itself excluded)."""
        if url not in self._lineages:
            found: set[str] = set()
            tree = self.tree(url)
            while tree is not None and tree.base:
                base = str(tree.base).partition("|")[0]
                if base in found:
                    break
                found.add(base)
                tree = self.tree(base)
            self._lineages[url] = frozenset(found)
        return self._lineages[url]

    def _extension_context(self, out: list[Issue], definition: TypeTree, path: str) -> None:
        """The extension's definition allows the element it is on (StructureDefinition.context)."""
        if not self._where:
            return
        full, code, value, _, local = self._where[-1]
        contexts = definition.context + _CONTEXT_FIXES.get(definition.url, [])
        for kind, expression in contexts:
            if kind == "fhirpath" or "#" in expression or ("/" in expression and kind == "element"):
                return  # not checked
            if kind == "extension":
                url = value.get("url") if code == "Extension" and isinstance(value, dict) else None
                if isinstance(url, str) and url == expression.partition("|")[0]:
                    return
                continue
            if expression in ("Element", full, local) or expression in self._ancestors(code) or (
                    expression == "Resource" and self._is_resource(code)):
                return
            head, _, rest = expression.partition(".")
            for candidate in (full, local):
                chead, _, crest = candidate.partition(".")
                if rest and rest == crest and head in self._ancestors(chead):
                    return
        shown = ", ".join(e for _, e in definition.context)
        out.append(R.EXTENSION_CONTEXT.issue(f"extension {definition.url} is not allowed on {full} (context: {shown})",
                                        path))

    def _ancestors(self, code: str) -> tuple[str, ...]:
        """A type and the types it specialises or constrains (Age: Age, Quantity, Element)."""
        if code not in self._ancestry:
            out, tree, seen = [code], self.tree(code) if code[:1].isalpha() else None, set()
            while tree is not None and tree.base and tree.base not in seen:
                seen.add(tree.base)
                tree = self.tree(str(tree.base))
                if tree is not None:
                    out.append(tree.type)
            self._ancestry[code] = tuple(out)
        return self._ancestry[code]

    def _definition_path(self, local: str, tree: TypeTree) -> str:
        """The path of an element as definitions and extension contexts name it
        (``Patient.name.period`` for the period of a Patient's name; ``local`` is its path in its
        tree, ``HumanName.period``)."""
        if not self._where:
            return local
        return self._where[-1][3] + local[len(tree.root.path):]

    def _resolve_json(self, inputs: list[Any]) -> list[Any]:
        """resolve() for compiled expressions: the resources (JSON) the references point to."""
        out = []
        for item in inputs:
            ref = item.get("reference") if isinstance(item, dict) else item
            if isinstance(ref, str):
                found = self.resolve_reference(ref)
                if found is not None and isinstance(found.get("resourceType"), str):
                    out.append(found)
        return out

    def _conforms_json(self, resource: Any, url: str) -> bool:
        """conformsTo() for compiled expressions."""
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise Fallback
        profile = self.tree(url)
        if profile is None:
            raise Fallback  # not loaded: the invariant is not evaluated
        return profile.type == resource["resourceType"] and self._target_conforms(resource, profile)

    def _member_of(self, value: Any, url: str) -> bool:
        """memberOf() for compiled expressions: a code, Coding or CodeableConcept in a value set
        expanded offline (an unknown value set or external system: not evaluated)."""
        expansion = self.terminology.expand(url)
        if expansion is None:
            raise Fallback
        pairs: list[tuple[Any, Any]]
        if isinstance(value, str):
            pairs = [(None, value)]
        elif isinstance(value, dict) and "coding" in value:
            pairs = [(c.get("system"), c.get("code")) for c in value.get("coding") or [] if isinstance(c, dict)]
        elif isinstance(value, dict):
            pairs = [(value.get("system"), value.get("code"))]
        else:
            raise Fallback
        answers = [expansion.contains(s, c) for s, c in pairs if isinstance(c, str)]
        if IN in answers:
            return True
        if UNKNOWN in answers or not answers:
            raise Fallback
        return False

    def _fhirpath_resolve(self, inputs: list[Any]) -> list[Any]:
        """resolve() for fhirpathpy: the same resources as fhirpathpy nodes."""
        from fhirpathpy.engine.nodes import ResourceNode

        return [ResourceNode.create_node(found, found["resourceType"]) for found in self._resolve_json(inputs)]

    # ------------------------------------------------------------------------ terminology

    def _note_external(self, out: list[Issue], system: str, path: str) -> None:
        if system not in self._noted:
            self._noted.add(system)
            out.append(R.NOT_CHECKED.issue(f"codes of {system} are not checked offline", path))

    def _coding(self, out: list[Issue], coding: dict[str, Any], path: str) -> None:
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            return
        cs = self.terminology.code_system(system)
        if cs is None or not cs.complete:
            self._note_external(out, system, path)
        elif not cs.has(code):
            out.append(R.UNKNOWN_CODE.issue(f"{code!r} is not a code of {system}", f"{path}.code"))

    def _binding(self, out: list[Issue], value: Any, code: str, binding: tuple[str, str], path: str) -> None:
        strength, vs_url = binding
        if strength not in ("required", "extensible"):
            return
        if _binding_met(self.terminology.expand(vs_url), value, code):
            return
        pairs: list[tuple[Any, Any]]
        if code == "code":
            pairs = [(None, value)] if isinstance(value, str) else []
        elif code == "Coding":
            pairs = [(value.get("system"), value.get("code"))] if isinstance(value, dict) else []
        else:
            codings = value.get("coding") if isinstance(value, dict) else None
            pairs = [(c.get("system"), c.get("code")) for c in codings or [] if isinstance(c, dict)]
        pairs = [(s, c) for s, c in pairs if isinstance(c, str) and (s is None or isinstance(s, str))]
        if not pairs:
            return
        expansion = self.terminology.expand(vs_url)
        if expansion is None:
            out.append(R.BINDING_UNKNOWN_VALUESET.issue(
                f"value set {vs_url} is not loaded; the code is not checked", path))
            return
        answers = [expansion.contains(s, c) for s, c in pairs]
        if IN in answers:
            return
        if UNKNOWN in answers:
            for (system, _), answer in zip(pairs, answers, strict=True):
                if answer == UNKNOWN and system:
                    self._note_external(out, system, path)
            return
        shown = ", ".join(f"{s}#{c}" if s else repr(c) for s, c in pairs)
        if strength == "required":
            out.append(R.BINDING_REQUIRED.issue(f"{shown} is not in the required value set {vs_url}", path))
        else:
            out.append(R.BINDING_EXTENSIBLE.issue(f"{shown} is not in the extensible value set {vs_url}", path))

    def _is_primitive(self, code: str) -> bool:
        known = self._kinds.get(code)
        if known is None:
            known = self._kinds[code] = self._kind(code)
        return known == "primitive-type"

    def _is_resource(self, code: str) -> bool:
        known = self._kinds.get(code)
        if known is None:
            known = self._kinds[code] = self._kind(code)
        return known == "resource"

    def _kind(self, code: str) -> str:
        """The kind of a type code: primitive-type, complex-type, resource, or '' (System types,
        xhtml, unknown codes)."""
        if code.startswith(_SYSTEM) or code == "xhtml":
            return ""
        sub = self.tree(code) if code[:1].isalpha() else None
        return str(sub.kind or "") if sub is not None else ""

    # ------------------------------------------------------------------------- primitives

    def _primitive(self, out: list[Issue], value: Any, code: str, path: str) -> None:
        plain = _WELL_FORMED.get(code)
        if plain is not None and plain(value):
            return
        if code in _BOOLEAN:
            if not isinstance(value, bool):
                out.append(R.JSON_TYPE.issue(f"expected true or false, found {_json_kind(value)}", path))
            return
        if code in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                out.append(R.JSON_TYPE.issue(f"expected a number ({code}), found {_json_kind(value)}", path))
                return
            if code == "decimal":
                if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
                    out.append(R.PRIMITIVE_DECIMAL.issue(f"{value} is not a finite decimal", path))
                elif isinstance(value, Decimal) and len(value.as_tuple().digits) > _DECIMAL_DIGITS:
                    out.append(R.PRIMITIVE_DECIMAL.issue(
                        f"{value} has {len(value.as_tuple().digits)} significant digits; receivers are only "
                        f"required to keep {_DECIMAL_DIGITS}", path, severity=Severity.WARNING))
                return
            low = _INTEGERS[code]
            if isinstance(value, float | Decimal):  # a fraction or an exponent: 1.0 and 1e2 are not integers
                out.append(R.PRIMITIVE_INTEGER.issue(f"{value} is not an integer (no decimal point or exponent)", path))
            elif not low <= value <= _INT32[1]:
                out.append(R.PRIMITIVE_INTEGER.issue(
                    f"{value} is outside the range of {code} ({low} to {_INT32[1]})", path))
            return
        if not isinstance(value, str):
            out.append(R.JSON_TYPE.issue(f"expected a string ({code}), found {_json_kind(value)}", path))
            return
        if not value:
            out.append(R.EMPTY.issue("an empty string is not allowed", path))
            return
        if _CONTROL.search(value):
            out.append(R.PRIMITIVE_STRING.issue("control characters are not allowed", path))
        elif _SURROGATE.search(value):  # a JSON \ud800 escape alone: no character at all
            out.append(R.PRIMITIVE_STRING.issue("half of a surrogate pair is not a character", path))
        elif len(value) > _MAX_STRING:
            out.append(R.PRIMITIVE_STRING.issue(f"{len(value)} characters, more than 1 MB", path))
        fmt = _FORMATS.get(code)
        if fmt is None:
            return
        pattern, rule = fmt
        if not pattern.fullmatch(value):
            out.append(rule.issue(f"{_short(value)!r} is not a valid {code}", path))
            return
        if code in ("date", "dateTime", "instant"):
            parts = _DATE_PARTS.match(value)
            if parts:
                year, month, day = (int(p) for p in parts.groups())
                if day > calendar.monthrange(year, month)[1]:
                    out.append(rule.issue(f"{value[:10]} is not a day of the calendar", path))


#: what the lenient XML conversion leaves out, by kind, and the rule that reports it
XML_PROBLEMS: dict[str, Rule] = {
    "namespace": R.UNKNOWN_ELEMENT,
    "repeated": R.ARRAY_UNEXPECTED,
    "empty": R.EMPTY,
    "resource-count": R.RESOURCE_TYPE,
}


def place_issue(issue: Issue, positions: dict[str, tuple[int, int | None]]) -> Issue:
    """The issue with the line (and column) of its path, or of the nearest enclosing element
    (``positions``: FHIRPath → (line, column) of the payload); an issue already placed is kept."""
    if issue.location.line is not None:
        return issue
    path = issue.location.path
    while path:
        found = positions.get(path)
        if found is None:  # inside a primitive's "_name" object
            parts = path.split(".")
            for i in range(len(parts) - 1, 0, -1):
                found = positions.get(".".join([*parts[:i], "_" + parts[i], *parts[i + 1:]]))
                if found is not None:
                    break
        if found is not None:
            location = dataclasses.replace(issue.location, line=found[0], column=found[1])
            return dataclasses.replace(issue, location=location)
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return issue


def _html_ok(div: Any) -> bool:
    """htmlChecks() for compiled expressions."""
    if not isinstance(div, str):
        raise Fallback
    problems, _ = check_div(div)
    return not problems


def _binding_met(expansion: Any, value: Any, code: str) -> bool:
    """Whether a code, Coding or CodeableConcept plainly has a code of an expanded value set (False:
    :meth:`FhirValidator._binding` looks at it in full)."""
    if expansion is None:
        return False
    if code == "code":
        return type(value) is str and expansion.contains(None, value) == IN
    if type(value) is not dict:
        return False
    codings = [value] if code == "Coding" else value.get("coding")
    if type(codings) is not list:
        return False
    for coding in codings:
        if type(coding) is dict:
            system, found = coding.get("system"), coding.get("code")
            if type(found) is str and (system is None or type(system) is str) and \
                    expansion.contains(system, found) == IN:
                return True
    return False


def _one_of(values: frozenset[str], well_formed: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A plain test (see :meth:`FhirValidator._plain_test`) that also wants one of ``values``."""
    return lambda value: well_formed(value) and value in values


def _plain_xhtml(value: Any) -> bool:
    """A narrative ``div`` with nothing to report: well formed, allowed content, not empty."""
    if type(value) is not str:
        return False
    problems, has_content = check_div(value)
    return has_content and not problems


def _fhirpath_node(value: Any, type_path: str) -> Any:
    """fhirpathpy's node of a JSON value of a type (for the expressions fhirpathpy evaluates)."""
    from fhirpathpy.engine.nodes import ResourceNode

    return ResourceNode.create_node(value, type_path)


def _has_value(inputs: list[Any]) -> list[bool]:
    return [len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], dict | list)]


_VALUE_PATH = re.compile(r"(?<![\w.%$])value\b(?!\s*\()")
_LITERAL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-\.]{1,64}(?:/_history/[A-Za-z0-9\-\.]{1,64})?$")


def _literal_type(reference: str) -> str | None:
    """The resource type of a literal reference (``Patient/1``, ``http://x/fhir/Patient/1``)."""
    found = _LITERAL.search(reference)
    return found.group(1) if found else None


def _bundle_index(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A Bundle's entry resources by fullUrl and by ``Type/id`` (built once per Bundle)."""
    index: dict[str, dict[str, Any]] = {}
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        res = entry["resource"]
        if isinstance(entry.get("fullUrl"), str):
            index.setdefault(entry["fullUrl"], res)
        if isinstance(res.get("resourceType"), str) and isinstance(res.get("id"), str):
            index.setdefault(f"{res['resourceType']}/{res['id']}", res)
    return index


_CORE_SD = "http://hl7.org/fhir/StructureDefinition/"
#: contexts of core R4 extensions that the specification's own content (and the reference
#: validator) uses beyond what their definitions say (FHIR-13328 and others)
_CONTEXT_FIXES: dict[str, list[tuple[str, str]]] = {
    _CORE_SD + "structuredefinition-fhir-type": [("element", "ElementDefinition.type")],
    _CORE_SD + "regex": [("element", "ElementDefinition.type")],
    _CORE_SD + "structuredefinition-normative-version": [("element", "Element")],
    _CORE_SD + "capabilitystatement-expectation": [("element", "Element")],
    _CORE_SD + "capabilitystatement-prohibited": [("element", "Element")],
}
_EXTENSION_CALL = re.compile(r"""extension\(['"]([^'"]+)['"]\)""")


_SEGMENTS: dict[str, list[str]] = {}


def _path_segments(dpath: str) -> list[str]:
    """``code.coding.system`` -> segments; ``extension('http://x.y/z').value`` keeps the call
    (made once per path; the list is shared, not to be changed)."""
    found = _SEGMENTS.get(dpath)
    if found is None:
        found = _SEGMENTS[dpath] = _split_path(dpath)
    return found


def _split_path(dpath: str) -> list[str]:
    out, depth, current = [], 0, ""
    for ch in dpath:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "." and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    out.append(current)
    return out


_STEPS: dict[str, list[tuple[str, str | None]]] = {}


def _steps(dpath: str) -> list[tuple[str, str | None]]:
    """The segments of a discriminator path with the url of each ``extension('url')`` call, $this
    left out (made once per path)."""
    found = _STEPS.get(dpath)
    if found is None:
        found = _STEPS[dpath] = [
            (segment, ext.group(1) if (ext := _EXTENSION_CALL.fullmatch(segment)) else None)
            for segment in _path_segments(dpath) if segment != "$this"]
    return found


def _values_at(item: Any, dpath: str) -> list[Any]:
    values = [item]
    for segment, url in _steps(dpath):
        nxt: list[Any] = []
        for v in values:
            if not isinstance(v, dict):
                continue
            found: list[Any]
            if url is not None:
                found = [e for e in v.get("extension") or [] if isinstance(e, dict) and e.get("url") == url]
            else:
                got = v.get(segment)
                if got is None:  # a choice element: value stands for valueCoding, valueString, ...
                    got = next((x for k, x in v.items() if k.startswith(segment) and k[len(segment):][:1].isupper()),
                               None)
                found = got if isinstance(got, list) else [got]
            nxt.extend(f for f in found if f is not None)
        values = nxt
    return values


def _types_at(item: Any, dpath: str) -> list[str]:
    """The types of the values at a discriminator path: the resourceType of resources, the type
    suffix of choice elements (``content`` given as ``contentAttachment``: Attachment)."""
    segments = _path_segments(dpath)
    *head, last = segments
    parents = _values_at(item, ".".join(head)) if head else [item]
    if last == "$this":
        return [v["resourceType"] for v in parents if isinstance(v, dict) and isinstance(v.get("resourceType"), str)]
    out: list[str] = []
    for parent in parents:
        if not isinstance(parent, dict):
            continue
        if last in parent:
            values = parent[last] if isinstance(parent[last], list) else [parent[last]]
            out += [v["resourceType"] for v in values if isinstance(v, dict) and isinstance(v.get("resourceType"), str)]
            continue
        for key in parent:
            suffix = key[len(last):]
            if key.startswith(last) and suffix[:1].isupper():
                out += [suffix, suffix[:1].lower() + suffix[1:]]  # Attachment; string for String
    return out


def _xml_decimal(raw: str) -> Any:
    """A decimal of FHIR XML as the JSON text reader gives it: int, or Decimal (precision kept)."""
    raw = raw.strip()
    return int(raw) if re.fullmatch(r"-?[0-9]+", raw) else Decimal(raw)


def _equal(value: Any, fixed: Any) -> bool:
    if isinstance(value, bool) or isinstance(fixed, bool):
        return type(value) is type(fixed) and value == fixed
    if isinstance(value, Decimal) and isinstance(fixed, float):
        return value == Decimal(repr(fixed))
    return bool(value == fixed)


def _contains(value: Any, pattern: Any) -> bool:
    """``value`` carries everything in ``pattern`` (FHIR pattern[x] matching)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _contains(value[k], v) for k, v in pattern.items())
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(_contains(item, p) for item in items) for p in pattern)
    return _equal(value, pattern)


def _count(value: Any, meta: Any) -> int:
    if isinstance(value, list):
        metas = meta if isinstance(meta, list) else []
        return sum(1 for i, v in enumerate(value) if v is not None or (i < len(metas) and metas[i]))
    if value is None:
        if isinstance(meta, list):
            return sum(1 for m in meta if m)
        return 1 if meta else 0
    return 1


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _type_name(node: Node, tree: TypeTree) -> str:
    return node.path if node is not tree.root else tree.type


def validate_resource(resource: Any, defs: Definitions | None = None) -> list[Issue]:
    """Issues of one FHIR JSON resource against the base R4 definitions; when the core package is
    missing, the single issue ``fhir.setup.core-missing`` naming ``dkconform fhir setup``."""
    if defs is None:
        try:
            defs = Definitions.for_core()
        except CoreMissing as exc:
            return [R.CORE_MISSING.issue(str(exc))]
    return FhirValidator(defs).validate(resource)
