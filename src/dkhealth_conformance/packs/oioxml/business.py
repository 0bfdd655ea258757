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
import operator
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


def _child(element: Any, tag: str) -> Any:
    """The first child ``tag`` (Clark notation) of ``element``, or None (also for a None element)."""
    return next(element.iterchildren(tag), None) if element is not None else None


def _text(node: Any) -> str | None:
    return (node.text or "").strip() if node is not None else None


def _timestamp(element: Any, tags: dict[str, str]) -> _dt.datetime | None:
    """``Date`` + ``Time``/``TimeWithSec`` children (``tags``: :attr:`Plan.tag`) as a datetime, or
    None when not parseable. The first child of each name counts."""
    if element is None:
        return None
    children = element[:]
    if len(children) == 2:  # the usual form, Date then Time: no other child to look through
        date, time = children
        if date.tag == tags["Date"] and time.tag == tags["Time"]:
            return _combined((date.text or "").strip(), (time.text or "").strip())
    date_tag, time_tag, seconds_tag = tags["Date"], tags["Time"], tags["TimeWithSec"]
    date = time = seconds = None
    for child in children:
        tag = child.tag
        if tag == date_tag:
            date = child if date is None else date
        elif tag == time_tag:
            time = child if time is None else time
        elif tag == seconds_tag:
            seconds = child if seconds is None else seconds
    return _combined(_text(date), _text(time) or _text(seconds))


def _combined(day: str | None, clock: str | None) -> _dt.datetime | None:
    """A date and a time of day as one datetime, or None when either is missing or not parseable."""
    if not day or not clock:
        return None
    try:
        return _dt.datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:
        return None


def _first_child(element: Any, tag: str) -> Any:
    """:func:`_child`, looking at the first child before searching (the usual place of the child
    the rules ask for: ``Envelope`` in an Emessage, ``Sent`` in the Envelope)."""
    if element is None:
        return None
    try:
        first = element[0]
    except IndexError:
        return None
    return first if first.tag == tag else next(element.iterchildren(tag), None)


def _identifier_code(element: Any, tag: str) -> Any:
    """The first child ``tag`` (``IdentifierCode``) of the parent of ``element`` (an ``Identifier``).
    Usually the element right after it: then only the siblings before it are looked at (in all, no
    more than once each per run of siblings); otherwise lxml searches the parent's children."""
    following = element.getnext()
    if following is not None and following.tag == tag:
        before = element.getprevious()
        while before is not None and before.tag != tag:
            before = before.getprevious()
        if before is None:
            return following
    return next(element.getparent().iterchildren(tag), None)


_CHECKED_KINDS = ("cpr", "gln", "sor")
_TAG = operator.attrgetter("tag")
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
        self.identifier, self.identifier_code = self.tag["Identifier"], self.tag["IdentifierCode"]
        self.version_code, self.type_code = self.tag["VersionCode"], self.tag["TypeCode"]
        self.statistical_code, self.status_code = self.tag["StatisticalCode"], self.tag["StatusCode"]
        self.authorisation = self.tag["Authorisation"]
        #: the remembered check results (:data:`_CHECKED`) of each tag's kind
        self.checked_of = {tag: _CHECKED[kind] for tag, kind in self.kinds.items()}
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
        known = self._children
        for child in root:
            tag = child.tag
            letter, receipt = known.get(tag) or self.child(tag)
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


def _identifier_issues(plan: Plan, letter_el: Any, container: str | None, header: Any = None,
                       fields: dict[Any, Any] | None = None, issues: list[Issue] | None = None) -> list[Issue]:
    """CPR, GLN and SOR checks on the elements whose type says so, and on ``Identifier`` by its
    ``IdentifierCode``. Only the matching elements are visited (lxml's C-level ``iter``). ``header``
    and ``fields``: the letter's ``Letter`` header and its children by tag, when already read;
    ``issues``: the list to add the findings to (a new one by default), returned."""
    checked_of, identifier = plan.checked_of, plan.identifier
    if issues is None:
        issues = []
    # the letter's own Identifier, which nothing makes a GLN or SOR code when the header has no
    # IdentifierCode: passed over by identity (lxml gives the proxy ``fields`` holds)
    own = fields.get(identifier) if fields is not None and plan.identifier_code not in fields \
        and identifier not in plan.kinds else None
    for element in letter_el.iter(plan.identifier_tags):
        if element is own:
            continue
        tag = element.tag  # lxml builds the string on each access
        if tag == identifier:
            if fields is not None and element.getparent() is header:  # the letter's own identifier
                code = fields.get(plan.identifier_code)
            else:
                code = _identifier_code(element, plan.identifier_code)
            kind = _IDENTIFIER_KINDS.get((code.text or "").strip() if code is not None else "", plan.kinds.get(tag))
            if kind is None:
                continue
            found = _identifier_check(kind, element.text)
        else:
            text = element.text
            known = checked_of[tag].get(text)
            found = _identifier_check(plan.kinds[tag], text) if known is None else known
        if found:
            location = location_of(element, container)
            issues.extend(dataclasses.replace(issue, location=location) for issue in found)
    return issues


def modulus11_issues(plan: Plan, letters: list[tuple[Any, Letter]], container: str | None = None) -> list[Issue]:
    """The opt-in ``dk.cpr.modulus11`` information check (``--cpr-modulus11``) on the letters' CPR numbers
    that are otherwise valid (a malformed one is already reported, and ten zeros mean "unknown")."""
    tags = tuple(tag for tag, kind in plan.kinds.items() if kind == "cpr")
    issues: list[Issue] = []
    for letter_el, _letter in letters:
        for element in letter_el.iter(tags):
            value = (element.text or "").strip()
            if value and value != UNKNOWN_CPR and not dk.cpr.passes_modulus11(value) and not dk.cpr.problems(value):
                issues.extend(dk.check_cpr(value, location_of(element, container), modulus11=True))
    return issues


def _header_issues(fields: dict[Any, Any], plan: Plan, letter: Letter, container: str | None,
                   issues: list[Issue]) -> _dt.datetime | None:
    """Rules on a letter's ``Letter`` header (``fields``: its children by tag, the first of each), added
    to ``issues``. Returns when the letter was authorised, for the rule on the Envelope's ``Sent``."""
    node = fields.get(plan.version_code)
    if node is not None and (version := (node.text or "").strip()) != letter.version_code:
        issues.append(R.VERSION_CODE.issue(
            f"{letter.element} in namespace {plan.model.key} has VersionCode {letter.version_code}, not {version!r}",
            location_of(node, container)))
    node = fields.get(plan.type_code)
    if node is not None and (type_code := (node.text or "").strip()) != letter.type_code:
        issues.append(R.TYPE_CODE.issue(
            f"{letter.element} is letter type {letter.type_code}, but TypeCode says {type_code!r}",
            location_of(node, container)))
    node = fields.get(plan.statistical_code)
    if node is not None and (statistical := (node.text or "").strip()) and statistical != letter.type_code \
            and statistical != letter.type_code[1:]:
        issues.append(R.STATISTICAL_CODE.issue(
            f"StatisticalCode {statistical!r} does not name letter type {letter.type_code}",
            location_of(node, container)))
    node = fields.get(plan.status_code)
    if node is not None and (status := (node.text or "").strip()) and letter.status_codes \
            and status not in letter.status_codes:
        issues.append(R.STATUS_CODE.issue(
            f"StatusCode {status!r} is not allowed for {letter.type_code}; allowed: "
            f"{', '.join(letter.status_codes)}", location_of(node, container)))
    authorisation = fields.get(plan.authorisation)
    return None if authorisation is None else _timestamp(authorisation, plan.tag)


_UNREAD = object()


def _header(letter_el: Any, tag: str) -> Any:
    """The first child ``tag`` (the ``Letter`` header) of a letter element: normally its first child."""
    try:
        first = letter_el[0]
    except IndexError:
        return None
    return first if first.tag == tag else next(letter_el.iterchildren(tag), None)


def business_issues(model: Schema, root: Any, letters: list[tuple[Any, Letter]],
                    container: str | None = None) -> list[Issue]:
    """All business-rule issues of an Emessage in the namespace ``model`` (``letters``: its
    :func:`letters_of`). Elements are looked up in the model's namespace."""
    return plan_issues(plan_of(model), root, letters, container)


def plan_issues(plan: Plan, root: Any, letters: list[tuple[Any, Letter]], container: str | None = None) -> list[Issue]:
    """:func:`business_issues` with the model's :class:`Plan`."""
    letter_tag, identifier_tag = plan.tag["Letter"], plan.identifier
    issues: list[Issue] = []
    seen: dict[str, Any] = {}
    sent: Any = _UNREAD  # the Envelope's Sent, read once per Emessage when a letter is authorised
    for letter_el, letter in letters:
        header = _header(letter_el, letter_tag)
        if header is None:
            _identifier_issues(plan, letter_el, container, issues=issues)
            continue
        children = header[:]
        children.reverse()  # the first child of each tag wins
        fields = dict(zip(map(_TAG, children), children, strict=True))
        _identifier_issues(plan, letter_el, container, header, fields, issues)
        authorised = _header_issues(fields, plan, letter, container, issues)
        if authorised:
            if sent is _UNREAD:
                tags = plan.tag
                sent = _timestamp(_first_child(_first_child(root, tags["Envelope"]), tags["Sent"]), tags)
            if sent and authorised > sent:
                issues.append(R.AUTHORISATION_AFTER_SENT.issue(
                    f"the letter is authorised {authorised:%Y-%m-%d %H:%M}, after the envelope was sent "
                    f"{sent:%Y-%m-%d %H:%M}", location_of(fields[plan.authorisation], container)))
        identifier = fields.get(identifier_tag)
        value = (identifier.text or "").strip() if identifier is not None else ""
        if value in seen:
            issues.append(R.LETTER_ID_DUPLICATE.issue(
                f"letter identifier {value!r} is also used by the letter on line {seen[value].sourceline}",
                location_of(identifier, container)))
        elif value:
            seen[value] = header
    return issues
