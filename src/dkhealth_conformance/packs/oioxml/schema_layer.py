"""Structure layer: the XSD generated from the model, run by lxml, errors mapped to rule ids."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ...payload import location_of
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
_EXPECTED = re.compile(r"Expected is \( ([^ ,)]+) \)")
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*': ")


def _rule_for(error: Any, element: Any) -> Rule:
    rule = _BY_TYPE.get(error.type_name)
    if rule is not None:
        return rule
    if error.type_name == "SCHEMAV_ELEMENT_CONTENT":
        if "Missing child element" in error.message:
            return R.MISSING_ELEMENT
        return R.MISSING_ELEMENT if _skipped_required(error.message, element) else R.UNEXPECTED_ELEMENT
    return R.SCHEMA_OTHER


def _skipped_required(message: str, element: Any) -> bool:
    """True when the one element the schema expected is absent from the parent altogether: the
    element found is fine, the one before it is missing."""
    match = _EXPECTED.search(_QNAME.sub("", message))
    if match is None or element is None or element.getparent() is None:
        return False
    wanted = match.group(1)
    return not any(etree.QName(c).localname == wanted for c in element.getparent() if isinstance(c.tag, str))


def readable(message: str) -> str:
    """An lxml schema message without Clark-notation namespaces and the leading element name."""
    text = _QNAME.sub("", message)
    return _ELEMENT_PREFIX.sub("", text).strip()


def _element_at(tree: Any, path: str | None) -> Any:
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found, list) else None


def schema_issues(schema: etree.XMLSchema, tree: Any, container: str | None = None) -> list[Issue]:
    """Validate ``tree`` with ``schema``; every error becomes an issue with an element path."""
    if schema.validate(tree):
        return []
    issues: list[Issue] = []
    facet_lines: set[tuple[int, str]] = set()
    for error in schema.error_log:
        if error.type_name in _FACETS:
            facet_lines.add((error.line, error.path or ""))
    for error in schema.error_log:
        if error.type_name in _FOLLOW_UPS and (error.line, error.path or "") in facet_lines:
            continue
        element = _element_at(tree, error.path)
        if element is not None:
            location = location_of(element, container)
        else:
            location = Location(error.path or "", error.line or None, None, container)
        issues.append(_rule_for(error, element).issue(readable(error.message), location))
    return issues
