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
from ...payload import local_name, location_of
from ...report import Issue
from ...xmlmodel.model import ComplexType, Letter, Schema, SimpleType, walk
from . import rules as R

#: the schemas allow ten zeros where a CPR number is required but unknown
UNKNOWN_CPR = "0000000000"


def _children(element: Any) -> dict[Any, Any]:
    """The children of ``element`` by tag (Clark notation), the first of each tag. One pass over the
    children: cheaper than a search per name."""
    return {child.tag: child for child in reversed(element)}


def _child(element: Any, tag: str) -> Any:
    """The first child ``tag`` (Clark notation) of ``element``, or None (also for a None element)."""
    return next(element.iterchildren(tag), None) if element is not None else None


def _text(node: Any) -> str | None:
    return (node.text or "").strip() if node is not None else None


def _timestamp(element: Any, ns: str) -> _dt.datetime | None:
    """``Date`` + ``Time``/``TimeWithSec`` children (``ns``: ``{namespace}``) as a datetime, or None
    when not parseable."""
    if element is None:
        return None
    kids = _children(element)
    date, time = _text(kids.get(ns + "Date")), _text(kids.get(ns + "Time")) or _text(kids.get(ns + "TimeWithSec"))
    if not date or not time:
        return None
    try:
        return _dt.datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None


def letters_of(model: Schema, root: Any) -> Iterator[tuple[Any, Letter]]:
    """The letter elements of an Emessage root that the model knows, with their model."""
    for child in root:
        letter = model.letters.get(local_name(child))
        if letter is not None:
            yield child, letter


_CHECKED_KINDS = ("cpr", "gln", "sor")
#: ``IdentifierCode`` values that make an ``Identifier`` a GLN or a SOR code
_IDENTIFIER_KINDS = {"lokationsnummer": "gln", "sorkode": "sor"}
_KIND_MAPS: dict[int, dict[str, str]] = {}


def kind_map(model: Schema) -> dict[str, str]:
    """Element tag (Clark notation) → identifier kind (``cpr``, ``gln``, ``sor``) for every element
    of the model whose simple type carries one (computed once per model)."""
    key = id(model)
    if key not in _KIND_MAPS:
        found: dict[str, str] = {}
        contents = [*model.complex.values(), *(letter.content for letter in model.letters.values())]
        while contents:
            content = contents.pop()
            for element in walk(content.particles):
                resolved = model.resolve(element.type)
                if isinstance(resolved, SimpleType) and resolved.kind in _CHECKED_KINDS:
                    found[f"{{{model.namespace}}}{element.name}"] = resolved.kind
                elif isinstance(resolved, ComplexType) and resolved.anonymous:
                    contents.append(resolved)
        _KIND_MAPS[key] = found
    return _KIND_MAPS[key]


def _header_issues(fields: dict[Any, Any], ns: str, letter: Letter, model: Schema, root: Any,
                   container: str | None) -> list[Issue]:
    """Rules on a letter's ``Letter`` header (``fields``: its :func:`_children`; ``ns``:
    ``{namespace}``); ``root`` is the Emessage, for the Envelope's ``Sent``."""
    issues: list[Issue] = []
    where = lambda name: location_of(fields[ns + name], container)  # noqa: E731
    version = _text(fields.get(ns + "VersionCode"))
    if version is not None and version != letter.version_code:
        issues.append(R.VERSION_CODE.issue(
            f"{letter.element} in namespace {model.key} has VersionCode {letter.version_code}, not {version!r}",
            where("VersionCode")))
    type_code = _text(fields.get(ns + "TypeCode"))
    if type_code is not None and type_code != letter.type_code:
        issues.append(R.TYPE_CODE.issue(
            f"{letter.element} is letter type {letter.type_code}, but TypeCode says {type_code!r}",
            where("TypeCode")))
    statistical = _text(fields.get(ns + "StatisticalCode"))
    if statistical and statistical not in (letter.type_code, letter.type_code[1:]):
        issues.append(R.STATISTICAL_CODE.issue(
            f"StatisticalCode {statistical!r} does not name letter type {letter.type_code}",
            where("StatisticalCode")))
    status = _text(fields.get(ns + "StatusCode"))
    if status and letter.status_codes and status not in letter.status_codes:
        issues.append(R.STATUS_CODE.issue(
            f"StatusCode {status!r} is not allowed for {letter.type_code}; allowed: "
            f"{', '.join(letter.status_codes)}", where("StatusCode")))
    authorised = _timestamp(fields.get(ns + "Authorisation"), ns)
    sent_at = _timestamp(_child(_child(root, ns + "Envelope"), ns + "Sent"), ns) if authorised else None
    if sent_at and authorised and authorised > sent_at:
        issues.append(R.AUTHORISATION_AFTER_SENT.issue(
            f"the letter is authorised {authorised:%Y-%m-%d %H:%M}, after the envelope was sent "
            f"{sent_at:%Y-%m-%d %H:%M}", where("Authorisation")))
    return issues


@functools.lru_cache(maxsize=4096)
def _identifier_check(kind: str, text: str | None) -> tuple[Issue, ...]:
    """The dk.* issues of one identifier element's text (pure, so cached: the same CPR and GLN numbers
    recur in letter after letter). An empty value is left to the schema; a CPR number of ten zeros
    means "unknown"."""
    value = (text or "").strip()
    if not value or (kind == "cpr" and value == UNKNOWN_CPR):
        return ()
    if kind == "cpr":
        return tuple(dk.check_cpr(value))
    if kind == "gln":
        return tuple(dk.check_gln(value))
    return tuple(dk.check_sor(value, max_digits=dk.sor.SOR_MAX_DIGITS))


def _identifier_issues(model: Schema, letter_el: Any, container: str | None) -> list[Issue]:
    """CPR, GLN and SOR checks on the elements whose type says so, and on ``Identifier`` by its
    ``IdentifierCode``. Only the matching elements are visited (lxml's C-level ``iter``)."""
    kinds = kind_map(model)
    ns = f"{{{model.namespace}}}"
    identifier = ns + "Identifier"
    issues: list[Issue] = []
    for element in letter_el.iter(identifier, *kinds):
        tag = element.tag  # lxml builds the string on each access
        kind = kinds.get(tag)
        if tag == identifier:
            code = _text(_child(element.getparent(), ns + "IdentifierCode"))
            kind = _IDENTIFIER_KINDS.get(code or "", kind)
        if kind is None:
            continue
        found = _identifier_check(kind, element.text)
        if found:
            location = location_of(element, container)
            issues.extend(dataclasses.replace(issue, location=location) for issue in found)
    return issues


def business_issues(model: Schema, root: Any, letters: list[tuple[Any, Letter]],
                    container: str | None = None) -> list[Issue]:
    """All business-rule issues of an Emessage in the namespace ``model`` (``letters``: its
    :func:`letters_of`). Elements are looked up in the model's namespace."""
    ns = f"{{{model.namespace}}}"
    issues: list[Issue] = []
    seen: dict[str, Any] = {}
    for letter_el, letter in letters:
        issues.extend(_identifier_issues(model, letter_el, container))
        header = _child(letter_el, ns + "Letter")
        if header is None:
            continue
        fields = _children(header)
        issues.extend(_header_issues(fields, ns, letter, model, root, container))
        identifier = fields.get(ns + "Identifier")
        value = _text(identifier) or ""
        if value in seen:
            issues.append(R.LETTER_ID_DUPLICATE.issue(
                f"letter identifier {value!r} is also used by the letter on line {seen[value].sourceline}",
                location_of(identifier, container)))
        elif value:
            seen[value] = header
    return issues
