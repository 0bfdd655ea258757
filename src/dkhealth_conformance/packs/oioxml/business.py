"""Business rules the schemas cannot express: codes that must agree, timestamps, identifiers.

The walk over the document is driven by the model, so every text element is known with its
simple type; the type's ``kind`` (``cpr``, ``gln`` …) selects the Danish identifier checks.

What the rules need of a namespace model (the Clark tags they look up, the identifier kind of each
element, what each child of an Emessage is) is worked out once per model in a :class:`Plan`; a
document is then read in as few passes as lxml allows, and element paths are only made for the
elements an issue is reported on.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from ... import dk
from ...payload import location_of
from ...report import Issue
from ...xmlmodel.model import ComplexType, Letter, Schema, SimpleType, walk
from ...xmlmodel.xsd import compiled
from . import rules as R
from .navigation import declared_children
from .receipts import RECEIPTS

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


def _timestamp(element: Any, tags: dict[str, str]) -> _dt.datetime | None:
    """``Date`` + ``Time``/``TimeWithSec`` children (``tags``: :attr:`Plan.tag`) as a datetime, or
    None when not parseable."""
    if element is None:
        return None
    kids = _children(element)
    date = _text(kids.get(tags["Date"]))
    time = _text(kids.get(tags["Time"])) or _text(kids.get(tags["TimeWithSec"]))
    if not date or not time:
        return None
    try:
        return _dt.datetime.fromisoformat(f"{date}T{time}")
    except ValueError:
        return None


_CHECKED_KINDS = ("cpr", "gln", "sor")
#: ``IdentifierCode`` values that make an ``Identifier`` a GLN or a SOR code
_IDENTIFIER_KINDS = {"lokationsnummer": "gln", "sorkode": "sor"}
#: element names the rules look up, as Clark tags in a model's namespace (:attr:`Plan.tag`)
_NAMES = ("Letter", "VersionCode", "TypeCode", "StatisticalCode", "StatusCode", "Authorisation", "Envelope", "Sent",
          "Date", "Time", "TimeWithSec", "Identifier", "IdentifierCode")
#: distinct child tags remembered per plan (a bound against documents made of ever new names)
_MAX_REMEMBERED = 4096


def kind_map(model: Schema) -> dict[str, str]:
    """Element tag (Clark notation) → identifier kind (``cpr``, ``gln``, ``sor``) for every element
    of the model whose simple type carries one (computed once per model)."""
    return plan_of(model).kinds


def _kinds(model: Schema) -> dict[str, str]:
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
    return found


class Plan:
    """What the rules need of one namespace model, worked out once."""

    def __init__(self, model: Schema) -> None:
        self.model = model
        ns = f"{{{model.namespace}}}"
        #: Clark tag of each name in :data:`_NAMES`
        self.tag = {name: ns + name for name in _NAMES}
        #: identifier kind by element tag
        self.kinds = _kinds(model)
        #: the tags :func:`_identifier_issues` visits (lxml matches them in C)
        self.identifier_tags = (self.tag["Identifier"], *self.kinds)
        self._children: dict[Any, tuple[Letter | None, str | None]] = {}

    @functools.cached_property
    def xsd(self) -> etree.XMLSchema:
        """The compiled schema generated from the model."""
        return compiled(self.model)

    @functools.cached_property
    def declared(self) -> Callable[[Any], dict[str, bool] | None]:
        """:func:`~.navigation.declared_children` of the model."""
        return functools.partial(declared_children, self.model)

    def child(self, tag: Any) -> tuple[Letter | None, str | None]:
        """What an Emessage child of tag ``tag`` is: the model's letter of that local name (in any
        namespace, as :func:`letters_of` finds it) and the receipt kind (its local name when it is
        one of :data:`~.receipts.RECEIPTS`). Remembered per tag."""
        found = self._children.get(tag)
        if found is None:
            name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
            found = (self.model.letters.get(name), name if name in RECEIPTS else None)
            if len(self._children) < _MAX_REMEMBERED:
                self._children[tag] = found
        return found

    def scan(self, root: Any) -> tuple[list[tuple[Any, Letter]], list[tuple[Any, str]]]:
        """The letters (with their model) and the receipts (with their kind) among the children of
        an Emessage root, in one pass."""
        letters: list[tuple[Any, Letter]] = []
        receipts: list[tuple[Any, str]] = []
        child_of = self.child
        for child in root:
            letter, receipt = child_of(child.tag)
            if letter is not None:
                letters.append((child, letter))
            if receipt is not None:
                receipts.append((child, receipt))
        return letters, receipts


_PLANS: dict[int, Plan] = {}


def plan_of(model: Schema) -> Plan:
    """The :class:`Plan` of ``model`` (made once per model object)."""
    plan = _PLANS.get(id(model))
    if plan is None or plan.model is not model:
        plan = _PLANS[id(model)] = Plan(model)
    return plan


def letters_of(model: Schema, root: Any) -> Iterator[tuple[Any, Letter]]:
    """The letter elements of an Emessage root that the model knows, with their model."""
    child_of = plan_of(model).child
    for child in root:
        letter = child_of(child.tag)[0]
        if letter is not None:
            yield child, letter


def _check(kind: str, text: str | None) -> tuple[Issue, ...]:
    """The dk.* issues of one identifier element's text. An empty value is left to the schema; a CPR
    number of ten zeros means "unknown"."""
    value = (text or "").strip()
    if not value or (kind == "cpr" and value == UNKNOWN_CPR):
        return ()
    if kind == "cpr":
        return tuple(dk.check_cpr(value))
    if kind == "gln":
        return tuple(dk.check_gln(value))
    return tuple(dk.check_sor(value, max_digits=dk.sor.SOR_MAX_DIGITS))


#: :func:`_check` results by kind and text (pure, so kept: the same CPR and GLN numbers recur in
#: letter after letter); a dictionary per kind is cheaper to consult than a cache keyed by both
_CHECKED: dict[str, dict[str | None, tuple[Issue, ...]]] = {kind: {} for kind in _CHECKED_KINDS}
_MAX_CHECKED = 4096


def _identifier_check(kind: str, text: str | None) -> tuple[Issue, ...]:
    """:func:`_check`, remembered."""
    checked = _CHECKED[kind]
    found = checked.get(text)
    if found is None:
        found = _check(kind, text)
        if len(checked) >= _MAX_CHECKED:
            checked.clear()
        checked[text] = found
    return found


def _identifier_issues(plan: Plan, letter_el: Any, container: str | None) -> list[Issue]:
    """CPR, GLN and SOR checks on the elements whose type says so, and on ``Identifier`` by its
    ``IdentifierCode``. Only the matching elements are visited (lxml's C-level ``iter``)."""
    kinds = plan.kinds
    identifier, identifier_code = plan.tag["Identifier"], plan.tag["IdentifierCode"]
    issues: list[Issue] = []
    for element in letter_el.iter(plan.identifier_tags):
        tag = element.tag  # lxml builds the string on each access
        if tag == identifier:
            code = next(element.getparent().iterchildren(identifier_code), None)
            kind = _IDENTIFIER_KINDS.get((code.text or "").strip() if code is not None else "", kinds.get(tag))
            if kind is None:
                continue
        else:
            kind = kinds[tag]
        text = element.text
        found = _CHECKED[kind].get(text)
        if found is None:
            found = _identifier_check(kind, text)
        if found:
            location = location_of(element, container)
            issues.extend(dataclasses.replace(issue, location=location) for issue in found)
    return issues


class _Sent:
    """The Envelope's ``Sent`` timestamp of one Emessage, read when a letter first needs it."""

    def __init__(self, root: Any, tags: dict[str, str]) -> None:
        self.root, self.tags = root, tags
        self.read = False
        self.value: _dt.datetime | None = None

    def get(self) -> _dt.datetime | None:
        if not self.read:
            tags = self.tags
            self.value = _timestamp(_child(_child(self.root, tags["Envelope"]), tags["Sent"]), tags)
            self.read = True
        return self.value


def _header_issues(fields: dict[Any, Any], plan: Plan, letter: Letter, sent: _Sent,
                   container: str | None) -> list[Issue]:
    """Rules on a letter's ``Letter`` header (``fields``: its children by tag, the first of each);
    ``sent``: the Envelope's ``Sent``."""
    issues: list[Issue] = []
    tags = plan.tag
    node = fields.get(tags["VersionCode"])
    if node is not None and (version := (node.text or "").strip()) != letter.version_code:
        issues.append(R.VERSION_CODE.issue(
            f"{letter.element} in namespace {plan.model.key} has VersionCode {letter.version_code}, not {version!r}",
            location_of(node, container)))
    node = fields.get(tags["TypeCode"])
    if node is not None and (type_code := (node.text or "").strip()) != letter.type_code:
        issues.append(R.TYPE_CODE.issue(
            f"{letter.element} is letter type {letter.type_code}, but TypeCode says {type_code!r}",
            location_of(node, container)))
    node = fields.get(tags["StatisticalCode"])
    statistical = (node.text or "").strip() if node is not None else None
    if statistical and statistical != letter.type_code and statistical != letter.type_code[1:]:
        issues.append(R.STATISTICAL_CODE.issue(
            f"StatisticalCode {statistical!r} does not name letter type {letter.type_code}",
            location_of(node, container)))
    node = fields.get(tags["StatusCode"])
    status = (node.text or "").strip() if node is not None else None
    if status and letter.status_codes and status not in letter.status_codes:
        issues.append(R.STATUS_CODE.issue(
            f"StatusCode {status!r} is not allowed for {letter.type_code}; allowed: "
            f"{', '.join(letter.status_codes)}", location_of(node, container)))
    authorisation = fields.get(tags["Authorisation"])
    if authorisation is None:
        return issues
    authorised = _timestamp(authorisation, tags)
    sent_at = sent.get() if authorised else None
    if sent_at and authorised and authorised > sent_at:
        issues.append(R.AUTHORISATION_AFTER_SENT.issue(
            f"the letter is authorised {authorised:%Y-%m-%d %H:%M}, after the envelope was sent "
            f"{sent_at:%Y-%m-%d %H:%M}", location_of(authorisation, container)))
    return issues


def business_issues(model: Schema, root: Any, letters: list[tuple[Any, Letter]],
                    container: str | None = None) -> list[Issue]:
    """All business-rule issues of an Emessage in the namespace ``model`` (``letters``: its
    :func:`letters_of`). Elements are looked up in the model's namespace."""
    plan = plan_of(model)
    letter_tag, identifier_tag = plan.tag["Letter"], plan.tag["Identifier"]
    sent = _Sent(root, plan.tag)
    issues: list[Issue] = []
    seen: dict[str, Any] = {}
    for letter_el, letter in letters:
        found = _identifier_issues(plan, letter_el, container)
        if found:
            issues.extend(found)
        for header in letter_el:  # the first child Letter: normally the first child
            if header.tag == letter_tag:
                break
        else:
            continue
        fields = {child.tag: child for child in reversed(header)}
        found = _header_issues(fields, plan, letter, sent, container)
        if found:
            issues.extend(found)
        identifier = fields.get(identifier_tag)
        value = (identifier.text or "").strip() if identifier is not None else ""
        if value in seen:
            issues.append(R.LETTER_ID_DUPLICATE.issue(
                f"letter identifier {value!r} is also used by the letter on line {seen[value].sourceline}",
                location_of(identifier, container)))
        elif value:
            seen[value] = header
    return issues
