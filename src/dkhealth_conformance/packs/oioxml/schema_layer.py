"""Structure layer: the XSD generated from the model, run by lxml, errors mapped to rule ids."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from ...payload import local_name, location_of
from ...report import Issue, Location
from ...rules import Rule
from . import rules as R

_BY_TYPE: dict[str, Rule] = {
    "SCHEMAV_CVC_PATTERN_VALID": R.VALUE_PATTERN,
    "SCHEMAV_CVC_ENUMERATION_VALID": R.VALUE_ENUMERATION,
    "SCHEMAV_CVC_MINLENGTH_VALID": R.VALUE_LENGTH,
    "SCHEMAV_CVC_MAXLENGTH_VALID": R.VALUE_LENGTH,
    "SCHEMAV_CVC_LENGTH_VALID": R.VALUE_LENGTH,
    "SCHEMAV_CVC_MININCLUSIVE_VALID": R.VALUE_RANGE,
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": R.VALUE_RANGE,
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": R.VALUE_TYPE,
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": R.MISSING_ELEMENT,
    "SCHEMAV_CVC_COMPLEX_TYPE_2_1": R.CONTENT,
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": R.CONTENT,
    "SCHEMAV_CVC_TYPE_3_1_2": R.CONTENT,
    "SCHEMAV_CVC_ELT_1": R.ROOT,
}
#: generic follow-up errors libxml2 reports after a facet error on the same element
_FOLLOW_UPS = {"SCHEMAV_CVC_DATATYPE_VALID_1_2_1"}
_FACETS = {t for t, rule in _BY_TYPE.items() if rule in (R.VALUE_PATTERN, R.VALUE_ENUMERATION, R.VALUE_LENGTH,
                                                          R.VALUE_RANGE)}
_QNAME = re.compile(r"\{(?:https?|urn):[^}]*\}")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*': ")
#: a step of a libxml2 error path that names an element by prefix (``m:Patient``)
_PREFIXED_STEP = re.compile(r"(?<=/)[A-Za-z_][\w.-]*:([A-Za-z_][\w.-]*)")


#: ``declared(parent) -> {child name: required?}`` or None when the parent's content is unknown
Declared = Callable[[Any], "dict[str, bool] | None"]


def _rule_for(error: Any, element: Any, declared: Declared | None) -> tuple[Rule, list[str]]:
    """The rule of a libxml2 schema error, and the required elements missing before ``element`` when
    the error is on an element found where an absent required one belongs."""
    rule = _BY_TYPE.get(error.type_name)
    if error.type_name == "SCHEMAV_CVC_COMPLEX_TYPE_2_1" and "Element content is not allowed" in error.message:
        return R.UNEXPECTED_ELEMENT, []  # a child element inside an element that must stay empty
    if rule is not None:
        return rule, []
    if error.type_name == "SCHEMAV_ELEMENT_CONTENT":
        if "Missing child element" in error.message:
            return R.MISSING_ELEMENT, []
        missing = _missing_before(error.message, element, declared)
        return (R.MISSING_ELEMENT, missing) if missing else (R.UNEXPECTED_ELEMENT, [])
    return R.SCHEMA_OTHER, []


def _missing_before(message: str, element: Any, declared: Declared | None) -> list[str]:
    """The elements the schema expected before ``element`` that are required and absent, when the
    element found is a declared child of its parent: then the fault is the missing element, not this
    one. Without a model (``declared`` None) one absent expected element counts as missing."""
    match = _EXPECTED.search(_QNAME.sub("", message))
    if match is None or element is None or element.getparent() is None:
        return []
    parent = element.getparent()
    present = {local_name(c) for c in parent if isinstance(c.tag, str)}
    wanted = [name.strip() for name in match.group(1).split(",") if name.strip()]
    if declared is None:
        return wanted if len(wanted) == 1 and wanted[0] not in present else []
    children = declared(parent)
    if children is None or local_name(element) not in children:
        return []
    return [name for name in wanted if children.get(name) and name not in present]


def readable(message: str) -> str:
    """An lxml schema message without Clark-notation namespaces and the leading element name."""
    text = _QNAME.sub("", message)
    return _ELEMENT_PREFIX.sub("", text).strip()


def _element_at(tree: Any, path: str | None, prefixes: dict[str, str]) -> Any:
    """The element at libxml2's path of an error. The path names elements by the document's own
    prefixes (``/m:Emessage/m:Envelope``): those are resolved with ``prefixes``, filled from the
    document the first time a path needs them."""
    if not path:
        return None
    try:
        found = tree.xpath(path, namespaces=prefixes) if prefixes else tree.xpath(path)
    except etree.XPathEvalError:
        if not prefixes and _prefixes_of(tree, prefixes):
            return _element_at(tree, path, prefixes)
        found = None
    except etree.XPathError:
        return None
    if not found and ":" in path:  # a prefix bound to several namespaces in the document: by local names
        try:
            found = tree.xpath(_PREFIXED_STEP.sub(r"*[local-name()='\1']", path))
        except etree.XPathError:
            return None
    return found[0] if found and isinstance(found, list) else None


def _prefixes_of(tree: Any, into: dict[str, str]) -> dict[str, str]:
    """Every namespace prefix declared in the document (the first binding of each), added to ``into``."""
    for element in tree.iter(etree.Element):
        for prefix, uri in element.nsmap.items():
            if prefix:
                into.setdefault(prefix, uri)
    return into


def schema_issues(schema: etree.XMLSchema, tree: Any, container: str | None = None,
                  declared: Declared | None = None) -> list[Issue]:
    """Validate ``tree`` with ``schema``; every error becomes an issue with an element path.
    ``declared`` (from the model) tells missing elements from unexpected ones precisely."""
    if schema.validate(tree):
        return []
    issues: list[Issue] = []
    errors: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
    facet_lines = {(e.line, e.path or "") for e in errors if e.type_name in _FACETS}
    prefixes: dict[str, str] = {}
    root_tag = tree.getroot().tag
    own = root_tag[: root_tag.find("}") + 1] if root_tag[:1] == "{" else ""  # "{namespace}" of the document
    for error in errors:
        if error.type_name in _FOLLOW_UPS and (error.line, error.path or "") in facet_lines:
            continue
        element = _element_at(tree, error.path, prefixes)
        rule, missing = _rule_for(error, element, declared)
        message = readable(error.message)
        if missing and declared is not None:  # the model says it is required: reported on the parent
            message = f"{' / '.join(missing)} is required here, before {local_name(element)}, but missing"
            location = location_of(element.getparent(), container)
        elif element is not None:
            location = location_of(element, container)
            if isinstance(element.tag, str) and element.tag[:len(own)] != own:
                namespace = element.tag[1:].partition("}")[0] if element.tag[:1] == "{" else "no namespace"
                message += f" ({local_name(element)} is in {namespace!r}, not in the Emessage's namespace)"
        else:
            location = Location(error.path or "", error.line or None, None, container)
        issues.append(rule.issue(message, location))
    return issues
