"""Business rules the schemas cannot express: codes that must agree, timestamps, identifiers.

The walk over the document is driven by the model, so every text element is known with its
simple type; the type's ``kind`` (``cpr``, ``gln`` …) selects the Danish identifier checks.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Iterator
from typing import Any

from ... import dk
from ...payload import location_of
from ...report import Issue
from ...xmlmodel.model import ComplexType, Letter, Schema, SimpleType, walk
from . import rules as R

#: the schemas allow ten zeros where a CPR number is required but unknown
UNKNOWN_CPR = "0000000000"


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child(element: Any, name: str) -> Any:
    """The first child ``name`` in the element's own namespace."""
    tag = element.tag
    wanted = tag[: tag.find("}") + 1] + name if tag.startswith("{") else name
    for child in element:
        if child.tag == wanted:
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


_CHECKED_KINDS = ("cpr", "gln", "sor")
_KIND_MAPS: dict[int, dict[str, str]] = {}


def kind_map(model: Schema) -> dict[str, str]:
    """Element name → identifier kind (``cpr``, ``gln``, ``sor``) for every element of the model
    whose simple type carries one (computed once per model)."""
    key = id(model)
    if key not in _KIND_MAPS:
        found: dict[str, str] = {}
        contents = [*model.complex.values(), *(letter.content for letter in model.letters.values())]
        while contents:
            content = contents.pop()
            for element in walk(content.particles):
                resolved = model.resolve(element.type)
                if isinstance(resolved, SimpleType) and resolved.kind in _CHECKED_KINDS:
                    found[element.name] = resolved.kind
                elif isinstance(resolved, ComplexType) and resolved.anonymous:
                    contents.append(resolved)
        _KIND_MAPS[key] = found
    return _KIND_MAPS[key]


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


@functools.lru_cache(maxsize=4096)
def _identifier_check(kind: str, value: str) -> tuple[Issue, ...]:
    """The dk.* issues of one identifier value (pure, so cached: the same CPR and GLN numbers recur
    in letter after letter)."""
    if kind == "cpr":
        return tuple(dk.check_cpr(value))
    if kind == "gln":
        return tuple(dk.check_gln(value))
    return tuple(dk.check_sor(value, max_digits=dk.sor.SOR_MAX_DIGITS))


def _identifier_issues(model: Schema, letter_el: Any, container: str | None) -> list[Issue]:
    """CPR, GLN and SOR checks on the elements whose type says so, and on ``Identifier`` by its
    ``IdentifierCode``. Only the matching elements are visited (lxml's C-level ``iter``)."""
    kinds = kind_map(model)
    namespace = model.namespace
    tags = [f"{{{namespace}}}{name}" for name in (*kinds, "Identifier")]
    issues: list[Issue] = []
    for element in letter_el.iter(*tags):
        value = (element.text or "").strip()
        name = element.tag.rpartition("}")[2]
        kind = kinds.get(name)
        if name == "Identifier":
            code = _text(element.getparent(), "IdentifierCode")
            kind = {"lokationsnummer": "gln", "sorkode": "sor"}.get(code or "", kind)
        if not value or kind is None or (kind == "cpr" and value == UNKNOWN_CPR):
            continue
        found = _identifier_check(kind, value)
        if found:
            location = location_of(element, container)
            issues.extend(dataclasses.replace(issue, location=location) for issue in found)
    return issues


def business_issues(model: Schema, tree: Any, container: str | None = None) -> list[Issue]:
    """All business-rule issues of an Emessage in the namespace ``model``."""
    root = tree.getroot()
    sent = _timestamp(_child(_child(root, "Envelope"), "Sent")) if _child(root, "Envelope") is not None else None
    issues: list[Issue] = []
    seen: dict[str, Any] = {}
    for letter_el, letter in letters_of(model, root):
        issues.extend(_header_issues(letter_el, letter, model, sent, container))
        issues.extend(_identifier_issues(model, letter_el, container))
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
