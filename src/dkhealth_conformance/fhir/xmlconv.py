"""FHIR XML to the FHIR JSON form, using the base definitions' type information.

The XML form of a resource carries no type information of its own; which element repeats, which
is a primitive (and whether it is a JSON boolean, number or string), what a choice element such
as ``valueQuantity`` is and where a resource is nested all come from the StructureDefinitions
of hl7.fhir.r4.core. The result is the same dict the JSON form parses to, so XML and JSON input
take the same path afterwards:

- primitives: ``<birthDate value="1970"/>`` -> ``"birthDate": "1970"``; their ``id`` and
  ``extension`` go into ``"_birthDate"``; in repeating primitives both lists stay aligned, with
  ``null`` where one side has nothing;
- the ``id`` attribute of complex elements and the ``url`` attribute of extensions become
  properties;
- the narrative ``div`` (XHTML) becomes its serialised XML string;
- resources inside ``contained``, ``Bundle.entry.resource`` and the like become objects with
  ``resourceType``.

Elements that the definitions do not know raise :class:`XmlConversionError` with the line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

from .packages import PackageError

if TYPE_CHECKING:
    from .packages import Definitions

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_BOOLEAN = {"boolean"}
_INTEGER = {"integer", "positiveInt", "unsignedInt", "integer64"}
_DECIMAL = {"decimal"}
_SYSTEM = "http://hl7.org/fhirpath/System."
_INT_TEXT = re.compile(r"-?[0-9]+")
_DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class XmlConversionError(PackageError):
    """The XML is not FHIR XML the definitions can explain."""

    def __init__(self, message: str, line: int | None = None, path: str = "") -> None:
        self.line, self.path = line, path
        where = f" (line {line})" if line else ""
        super().__init__(f"{path + ': ' if path else ''}{message}{where}")


@dataclass(frozen=True)
class Problem:
    """What the lenient converter left out, and why (``kind``: namespace, repeated, empty,
    resource-count). Unknown FHIR-namespace elements are not left out but kept under their name,
    so that validation reports them as it does for JSON."""

    kind: str
    message: str
    path: str
    line: int | None


class _Info:
    """What the definitions say about one element: repeats, type codes, where children are."""

    __slots__ = ("choice_types", "content_ref", "repeats", "types")

    def __init__(self, element: dict[str, Any]) -> None:
        self.repeats = element.get("max") != "1" or element.get("base", {}).get("max", "1") != "1"
        if element.get("max") == "0":
            self.repeats = element.get("base", {}).get("max", "1") != "1"
        self.types = [str(t.get("code")) for t in element.get("type") or []]
        self.content_ref = str(element["contentReference"]).partition("#")[2] if element.get(
            "contentReference") else None
        self.choice_types: dict[str, str] = {}


class _TypeIndex:
    """Element paths of one type's snapshot, with choice names resolved."""

    def __init__(self, sd: dict[str, Any]) -> None:
        self.elements: dict[str, _Info] = {}
        self.kind = sd.get("kind")
        for element in sd.get("snapshot", {}).get("element", []):
            if element.get("sliceName"):
                continue
            path = str(element["path"])
            info = _Info(element)
            self.elements[path] = info
            if path.endswith("[x]"):
                stem = path[:-3]
                for code in info.types:
                    self.elements.setdefault(stem + code[:1].upper() + code[1:], _choice(info, code))


def _choice(info: _Info, code: str) -> _Info:
    one = _Info({})
    one.repeats, one.types = info.repeats, [code]
    return one


def _local(tag: Any) -> tuple[str | None, str]:
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return None, tag


def xhtml_string(el: Any) -> str:
    """The narrative ``div`` as a string, without namespace declarations it inherited."""
    div = copy.deepcopy(el)
    div.tail = None
    etree.cleanup_namespaces(div)
    return str(etree.tostring(div, encoding="unicode"))


def json_number(raw: str) -> int | float:
    """A decimal as :func:`json.loads` would give it (int without a fraction or exponent)."""
    raw = raw.strip()
    if _INT_TEXT.fullmatch(raw):
        return int(raw)
    return float(raw)


def parse_xml(data: bytes | bytearray | str) -> Any:
    from ..payload import xml_parser

    try:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        root = etree.fromstring(raw, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlConversionError(f"not well-formed XML: {exc.msg}", exc.lineno) from exc
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlConversionError("a DTD (<!DOCTYPE>) is not allowed in FHIR XML", 1)
    return root


class XmlToJson:
    """A converter bound to a set of definitions (type indexes are built once and kept)."""

    def __init__(self, defs: Definitions, *, decimal: Callable[[str], Any] = json_number,
                 strict: bool = True) -> None:
        self.defs = defs
        self.decimal = decimal
        #: strict: raise on the first problem; otherwise record it in :attr:`problems`, leave the
        #: element out and go on (for validation, which reports every problem)
        self.strict = strict
        self.problems: list[Problem] = []
        self._types: dict[str, _TypeIndex] = {}
        #: FHIRPath-style path -> source line of the last conversion
        self.lines: dict[str, int] = {}

    def index(self, type_code: str) -> _TypeIndex | None:
        found = self._types.get(type_code)
        if found is None:
            sd = self.defs.snapshot(type_code)
            if sd is None:
                return None
            found = self._types[type_code] = _TypeIndex(sd)
        return found

    def convert(self, xml: bytes | Any) -> dict[str, Any]:
        root = parse_xml(xml) if isinstance(xml, bytes | bytearray | str) else xml
        if hasattr(root, "getroot"):
            root = root.getroot()
        self.lines = {"(resource)": root.sourceline}
        self.problems = []
        return self.resource(root, "")

    def problem(self, kind: str, message: str, line: int | None, path: str) -> None:
        if self.strict:
            raise XmlConversionError(message, line, path)
        self.problems.append(Problem(kind, message, path, line))

    # ------------------------------------------------------------------------------ pieces

    def resource(self, el: Any, where: str) -> dict[str, Any]:
        ns, rtype = _local(el.tag)
        self.lines[where or rtype] = el.sourceline
        out: dict[str, Any] = {"resourceType": rtype}
        if ns != FHIR_NS:
            self.problem("namespace", f"<{rtype}> is not in the FHIR namespace", el.sourceline, where or rtype)
        index = self.index(rtype)
        if index is None or index.kind != "resource":
            if self.strict:
                raise XmlConversionError(f"unknown resource type {rtype}", el.sourceline, where)
            for child in el:  # keep the id, which references to the resource use
                if isinstance(child.tag, str) and _local(child.tag) == (FHIR_NS, "id") and child.get("value"):
                    out["id"] = child.get("value")
            return out  # the validator reports the unknown resourceType
        self.children(el, rtype, index, out, where or rtype)
        return out

    def children(self, el: Any, def_path: str, index: _TypeIndex, out: dict[str, Any], jpath: str) -> None:
        counts: dict[str, int] = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            ns, name = _local(child.tag)
            info = index.elements.get(f"{def_path}.{name}")
            if name == "div" and ns == XHTML_NS and info is not None:
                out["div"] = xhtml_string(child)
                self.lines[f"{jpath}.div"] = child.sourceline
                continue
            if ns != FHIR_NS:
                self.problem("namespace", f"<{name}> is not in the FHIR namespace", child.sourceline,
                             f"{jpath}.{name}")
                continue
            if info is None:
                if self.strict:
                    raise XmlConversionError(f"unknown element {name}", child.sourceline, f"{jpath}.{name}")
                # kept (as its value attribute, or {}) so that validation reports it as for JSON
                self.lines.setdefault(f"{jpath}.{name}", child.sourceline)
                if name not in out:
                    out[name] = child.get("value") if child.get("value") is not None else {}
                continue
            n = counts.get(name, 0)
            counts[name] = n + 1
            cpath = f"{jpath}.{name}[{n}]" if info.repeats else f"{jpath}.{name}"
            if not info.repeats and n:
                self.problem("repeated", f"{name} appears more than once", child.sourceline, cpath)
                continue
            self.lines.setdefault(cpath, child.sourceline)
            before = len(self.problems)
            value, meta = self.value(child, info, f"{def_path}.{name}", index, cpath)
            if value is None and meta is None and len(self.problems) == before:
                self.problem("empty", f"<{name}> has neither a value nor content", child.sourceline, cpath)
            if info.repeats:
                out.setdefault(name, []).append(value)
                out.setdefault("_" + name, []).append(meta)
            else:
                if value is not None:
                    out[name] = value
                if meta is not None:
                    out["_" + name] = meta
        for name in counts:
            for key in (name, "_" + name):
                if isinstance(out.get(key), list) and all(v is None for v in out[key]):
                    del out[key]

    def value(self, el: Any, info: _Info, def_path: str, index: _TypeIndex, jpath: str) -> tuple[Any, Any]:
        """(value, primitive metadata or None) of one element."""
        if info.content_ref:
            target = info.content_ref
            obj = self.complex_attrs(el)
            self.children(el, target, index, obj, jpath)
            return obj, None
        if len(info.types) != 1:
            raise XmlConversionError(f"cannot tell the type of {def_path}", el.sourceline, jpath)
        code = info.types[0]
        if code.startswith(_SYSTEM):
            return el.get("value"), None
        if code in ("Resource", "DomainResource") or (self.index(code) or _NOKIND).kind == "resource":
            inner = [c for c in el if isinstance(c.tag, str)]
            if len(inner) != 1:
                self.problem("resource-count", f"{def_path} must hold exactly one resource", el.sourceline, jpath)
                return None, None
            return self.resource(inner[0], jpath), None
        type_index = self.index(code)
        if type_index is None:
            raise XmlConversionError(f"unknown type {code} of {def_path}", el.sourceline, jpath)
        if type_index.kind == "primitive-type":
            raw = el.get("value")
            meta: dict[str, Any] = {}
            if el.get("id") is not None:
                meta["id"] = el.get("id")
            self.children(el, code, type_index, meta, jpath)
            meta.pop("value", None)
            return (None if raw is None else self.primitive(code, raw, el, jpath)), (meta or None)
        obj = self.complex_attrs(el)
        if code in ("BackboneElement", "Element") and f"{def_path}.id" in index.elements:
            self.children(el, def_path, index, obj, jpath)
        else:
            self.children(el, code, type_index, obj, jpath)
        return obj, None

    @staticmethod
    def complex_attrs(el: Any) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        if el.get("id") is not None:
            obj["id"] = el.get("id")
        if el.get("url") is not None:
            obj["url"] = el.get("url")
        return obj

    def primitive(self, code: str, raw: str, el: Any, jpath: str) -> Any:
        if code in _BOOLEAN:
            if raw in ("true", "false"):
                return raw == "true"
            return raw
        if code in _INTEGER:
            try:
                return int(raw)
            except ValueError:
                if _DECIMAL_TEXT.fullmatch(raw.strip()):
                    return self.decimal(raw)  # a number, but not an integer (as JSON 1.0 or 1e2 is)
                return raw
        if code in _DECIMAL:
            try:
                return self.decimal(raw)
            except (ValueError, ArithmeticError):
                return raw
        return raw


class _NoKind:
    kind = None


_NOKIND = _NoKind()


def xml_to_json(data: bytes | Any, defs: Definitions) -> dict[str, Any]:
    """The JSON form of a FHIR XML resource (bytes, or a parsed lxml element)."""
    return XmlToJson(defs).convert(data)
