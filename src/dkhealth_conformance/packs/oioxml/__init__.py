"""MedCom OIOXML pack: the classic XML letters (XDIS, XREF, XRPT, XREQ, XBIN) and receipts (XCTL).

Standards are ``medcom.oioxml.<TypeCode>`` at version ``<VersionCode>`` (e.g.
``medcom.oioxml.XDIS91@XD9134L``); a letter is recognised by its Emessage namespace and letter
element. Validation runs the generated schema (structure), then the business rules, and the
official MedCom schema when ``--schema-dir`` is given.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

from ..._version import __version__
from ...data import profiles_dir
from ...payload import OIOXML, Payload
from ...registry import Options, Standard
from ...report import Issue, Severity
from ...xmlmodel.loader import load_all
from ...xmlmodel.model import Letter, Schema
from . import rules as R
from .business import Plan, modulus11_issues, plan_issues, plan_of
from .official import official_issues
from .receipts import correlate, index_letters, receipt_issues
from .rules import OIOXML_RULES
from .schema_layer import schema_issues

FAMILY = "medcom.oioxml"
EMESSAGE = f"{FAMILY}.Emessage"


@functools.lru_cache(maxsize=1)
def models() -> dict[str, Schema]:
    """The bundled namespace models, by namespace URI."""
    return load_all(profiles_dir() / "oioxml")


@functools.lru_cache(maxsize=1)
def current_versions() -> dict[str, str]:
    """Letter type → its current VersionCode (``profiles/oioxml/_versions.yaml``)."""
    with (profiles_dir() / "oioxml" / "_versions.yaml").open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["current"])


def _standard(schema: Schema, letter: Letter) -> Standard:
    current = current_versions().get(letter.type_code)
    return Standard(
        id=f"{FAMILY}.{letter.type_code}",
        version=letter.version_code,
        family=FAMILY,
        title=f"{letter.title} ({letter.element}, namespace {schema.key})",
        status="current" if current == letter.version_code else f"superseded by {current}" if current else "active",
        formats=(OIOXML,),
        data=(schema.namespace, letter.element),
    )


_EMESSAGE_UNKNOWN = Standard(EMESSAGE, "unknown", FAMILY, "MedCom Emessage of an unknown namespace or letter",
                             status="active", formats=(OIOXML,), data=None)


class OioxmlPack:
    """The pack object registered under the entry point ``oioxml``."""

    name = "medcom-oioxml"
    version = __version__
    family = FAMILY
    rules = OIOXML_RULES

    @functools.cached_property
    def _standards(self) -> list[Standard]:
        found: dict[str, Standard] = {}
        # a VersionCode shared by several namespaces is represented by the newest of them
        for schema in sorted(models().values(), key=lambda m: m.key, reverse=True):
            for letter in schema.letters.values():
                standard = self._by_letter[(schema.namespace, letter.element)]
                found.setdefault(standard.ref, standard)
        return [*sorted(found.values(), key=lambda s: (s.id, s.version)), _EMESSAGE_UNKNOWN]

    @functools.cached_property
    def _by_letter(self) -> dict[tuple[str, str], Standard]:
        """The standard of each (namespace, letter element), made once."""
        return {(schema.namespace, letter.element): _standard(schema, letter)
                for schema in models().values() for letter in schema.letters.values()}

    def standards(self) -> list[Standard]:
        return self._standards

    def detect(self, payload: Payload) -> Standard | None:
        if payload.format != OIOXML or payload.xml is None:
            return None
        plan = (_PLANS or plans()).get(payload.namespace or "")
        if plan is None:
            return _EMESSAGE_UNKNOWN
        root = payload.xml.getroot()
        scanned = plan.scan(root)
        # kept for validate(): the letters are looked up once per document
        if payload.notes is None:
            payload.notes = {_SCANNED: (root, scanned)}
        else:
            payload.notes[_SCANNED] = (root, scanned)
        for _element, letter in scanned[0]:
            return self._by_letter[(plan.model.namespace, letter.element)]
        return _EMESSAGE_UNKNOWN

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]:
        noted = payload.notes.get(_SCANNED) if payload.notes else None
        scanned = noted[1] if noted is not None and noted[0] is payload.xml.getroot() else None
        issues = validate_emessage(payload.xml, payload.namespace, options, payload.container, scanned=scanned)
        data = standard.data
        if scanned is not None and len(scanned[0]) == 1 and data == (payload.namespace, scanned[0][0][1].element):
            return issues  # the usual case: one letter, of the detected standard
        carried = self._carried(payload)
        refs = {found.ref for found, _ in carried}
        if standard.ref not in refs and (data is not None or carried):
            # a forced standard the letters are not of (the unknown-letter standard: known letters)
            issues.append(self._mismatch(payload, standard, carried))
        if len(refs) > 1:
            issues.append(R.SEVERAL_STANDARDS.issue(
                f"the Emessage carries letters of {len(refs)} standards: {self._named(carried)}; the report is "
                f"labelled with {standard.ref}", "/Emessage", line=payload.xml.getroot().sourceline))
        return issues

    def carried_standards(self, payload: Payload) -> list[Standard]:
        """The standard of each letter the Emessage carries (a forced standard may be any of them)."""
        return [found for found, _ in self._carried(payload)] if payload.xml is not None else []

    def _carried(self, payload: Payload) -> list[tuple[Standard, Letter]]:
        """The standard and model of each letter the Emessage carries, in document order."""
        plan = (_PLANS or plans()).get(payload.namespace or "")
        if plan is None:
            return []
        return [(self._by_letter[(plan.model.namespace, letter.element)], letter)
                for _, letter in plan.scan(payload.xml.getroot())[0]]

    @staticmethod
    def _named(carried: list[tuple[Standard, Letter]]) -> str:
        return ", ".join(f"{found.ref} ({letter.element})" for found, letter in carried) or "no known letter"

    def _mismatch(self, payload: Payload, standard: Standard, carried: list[tuple[Standard, Letter]]) -> Issue:
        """A standard given with ``--standard`` that none of the Emessage's letters is of."""
        return R.STANDARD_MISMATCH.issue(
            f"the standard {standard.ref} was requested, but the Emessage carries {self._named(carried)}",
            "/Emessage", line=payload.xml.getroot().sourceline)


#: the key of :meth:`OioxmlPack.detect`'s note on a payload: the root and its :meth:`Plan.scan`
_SCANNED = "oioxml.scan"
_PLANS: dict[str, Plan] = {}


def plans() -> dict[str, Plan]:
    """The :class:`~.business.Plan` of each bundled namespace model, by namespace URI."""
    if not _PLANS:
        _PLANS.update((namespace, plan_of(schema)) for namespace, schema in models().items())
    return _PLANS


def validate_emessage(tree: Any, namespace: str | None, options: Options, container: str | None = None, *,
                      scanned: tuple[list[tuple[Any, Letter]], list[tuple[Any, str]]] | None = None) -> list[Issue]:
    """All layers for one parsed Emessage: structure, business rules, official schema. ``scanned``:
    the root's :meth:`~.business.Plan.scan`, when already made."""
    plan = (_PLANS or plans()).get(namespace or "")
    if plan is None:
        known = ", ".join(sorted(models()))
        return [R.NAMESPACE_UNKNOWN.issue(f"namespace {namespace!r} is not a modelled MedCom OIOXML version; "
                                          f"known: {known}", "/Emessage", line=tree.getroot().sourceline)]
    schema = plan.model
    root = tree.getroot()
    issues = schema_issues(plan.xsd, tree, container, plan.declared)
    letters, receipts = scanned or plan.scan(root)
    if not letters:
        names = ", ".join(schema.letters)
        issues.append(R.LETTER_UNKNOWN.issue(f"no letter of namespace {schema.key} found (expected one of {names})",
                                             "/Emessage", line=root.sourceline))
    business = plan_issues(plan, root, letters, container)
    if receipts:
        business.extend(receipt_issues(root, container, receipts))
    if business:
        issues = _specific_first(issues, business)
    if options.extra and options.extra.get("cpr_modulus11"):
        issues.extend(modulus11_issues(plan, letters, container))
    if options.extra and options.extra.get("correlate"):
        issues.extend(correlate(root, index_letters(str(options.extra["correlate"])), container))
    if options.schema_dir:
        issues.extend(official_issues(options.schema_dir, schema.namespace, tree, container))
    return issues


def _specific_first(structural: list[Issue], business: list[Issue]) -> list[Issue]:
    """Drop a generic schema finding where a business rule explains the same element better. A missing
    element is reported on its parent, which a business rule does not explain: it is always kept."""
    if not business:
        return structural
    explained = {(i.location.path, i.location.line) for i in business if i.severity.at_least(Severity.ERROR)}
    kept = [i for i in structural
            if i.rule_id == R.MISSING_ELEMENT.id or (i.location.path, i.location.line) not in explained]
    return [*kept, *business]


def pack() -> OioxmlPack:
    """Entry point: the OIOXML pack."""
    return OioxmlPack()
