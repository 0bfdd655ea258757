"""Business rules the schemas cannot express: codes that must agree, timestamps, identifiers.

The walk over the document is driven by the model, so every text element is known with its
simple type; the type's ``kind`` (``cpr``, ``gln`` …) selects the Danish identifier checks.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

from lxml import etree

from ... import dk
from ...payload import location_of
from ...report import Issue
from ...xmlmodel.model import ComplexType, Letter, Schema, SimpleType, walk
from . import rules as R

#: the schemas allow ten zeros where a CPR number is required but unknown
UNKNOWN_CPR = "0000000000"


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element: Any, name: str) -> Any:
    for child in element:
        if _local(child) == name:
            return child
    return None


def _text(element: Any, *names: str) -> str | None:
    node = element
    for name in names:
        node = _child(node, name) if node is not None else None
    return (node.text or "").strip() if node is not None else None


def _timestamp(element: Any) -> _dt.datetime | None:
    """``Date`` + ``Time``/``TimeWithSec`` children as a datetime, or None when not parseable."""
    if element is None:
        return None
    date, time = _text(element, "Date"), _text(element, "Time") or _text(element, "TimeWithSec")
    if not date or not time:
        return None
    try:
        return _dt.datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None


def letters_of(model: Schema, root: Any) -> Iterator[tuple[Any, Letter]]:
    """The letter elements of an Emessage root that the model knows, with their model."""
    for child in root:
        letter = model.letters.get(_local(child))
        if letter is not None:
            yield child, letter


def typed_values(model: Schema, element: Any, content: ComplexType) -> Iterator[tuple[Any, SimpleType]]:
    """Every text-valued descendant of ``element`` with its simple type, following the model."""
    declared = {e.name: e.type for e in walk(content.particles)}
    for child in element:
        declared_type = declared.get(_local(child))
        if declared_type is None:
            continue
        resolved = model.resolve(declared_type)
        if isinstance(resolved, SimpleType):
            yield child, resolved
        elif isinstance(resolved, ComplexType) and not resolved.mixed:
            yield from typed_values(model, child, resolved)


def _header_issues(letter_el: Any, letter: Letter, model: Schema, sent: _dt.datetime | None,
                   container: str | None) -> list[Issue]:
    issues: list[Issue] = []
    header = _child(letter_el, "Letter")
    if header is None:
        return issues
    where = lambda name: location_of(_child(header, name), container)  # noqa: E731
    version = _text(header, "VersionCode")
    if version is not None and version != letter.version_code:
        issues.append(R.VERSION_CODE.issue(
            f"{letter.element} in namespace {model.key} has VersionCode {letter.version_code}, not {version!r}",
            where("VersionCode")))
    type_code = _text(header, "TypeCode")
    if type_code is not None and type_code != letter.type_code:
        issues.append(R.TYPE_CODE.issue(
            f"{letter.element} is letter type {letter.type_code}, but TypeCode says {type_code!r}",
            where("TypeCode")))
    statistical = _text(header, "StatisticalCode")
    if statistical and statistical not in (letter.type_code, letter.type_code[1:]):
        issues.append(R.STATISTICAL_CODE.issue(
            f"StatisticalCode {statistical!r} does not name letter type {letter.type_code}",
            where("StatisticalCode")))
    status = _text(header, "StatusCode")
    if status and letter.status_codes and status not in letter.status_codes:
        issues.append(R.STATUS_CODE.issue(
            f"StatusCode {status!r} is not allowed for {letter.type_code}; allowed: "
            f"{', '.join(letter.status_codes)}", where("StatusCode")))
    authorised = _timestamp(_child(header, "Authorisation"))
    if sent and authorised and authorised > sent:
        issues.append(R.AUTHORISATION_AFTER_SENT.issue(
            f"the letter is authorised {authorised:%Y-%m-%d %H:%M}, after the envelope was sent "
            f"{sent:%Y-%m-%d %H:%M}", where("Authorisation")))
    return issues


def _identifier_issues(model: Schema, letter_el: Any, letter: Letter, container: str | None) -> list[Issue]:
    issues: list[Issue] = []
    for element, simple in typed_values(model, letter_el, letter.content):
        value = (element.text or "").strip()
        if not value:
            continue
        location = location_of(element, container)
        kind = simple.kind
        if _local(element) == "Identifier":
            code = _text(element.getparent(), "IdentifierCode")
            kind = {"lokationsnummer": "gln", "sorkode": "sor"}.get(code or "", kind)
        if kind == "cpr" and value != UNKNOWN_CPR:
            issues.extend(dk.check_cpr(value, location))
        elif kind == "gln":
            issues.extend(dk.check_gln(value, location))
        elif kind == "sor":
            issues.extend(dk.check_sor(value, location, max_digits=dk.sor.SOR_MAX_DIGITS))
    return issues


def business_issues(model: Schema, tree: Any, container: str | None = None) -> list[Issue]:
    """All business-rule issues of an Emessage in the namespace ``model``."""
    root = tree.getroot()
    sent = _timestamp(_child(_child(root, "Envelope"), "Sent")) if _child(root, "Envelope") is not None else None
    issues: list[Issue] = []
    seen: dict[str, Any] = {}
    for letter_el, letter in letters_of(model, root):
        issues.extend(_header_issues(letter_el, letter, model, sent, container))
        issues.extend(_identifier_issues(model, letter_el, letter, container))
        header = _child(letter_el, "Letter")
        identifier = _text(header, "Identifier") if header is not None else None
        if identifier:
            if identifier in seen:
                issues.append(R.LETTER_ID_DUPLICATE.issue(
                    f"letter identifier {identifier!r} is also used by the letter on line "
                    f"{seen[identifier].sourceline}", location_of(_child(header, "Identifier"), container)))
            else:
                seen[identifier] = header
    return issues
