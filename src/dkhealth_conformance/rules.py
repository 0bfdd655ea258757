"""The rule catalogue: every check has a stable id, a default severity, a title, a source clause,
a rationale and an example.

Rules are declared in :class:`RuleSet` objects (one for the core, one per pack) and emitted with
:meth:`Rule.issue`, so that an emitted id is always a catalogued one. :func:`catalogue` merges the
core rules with those of every registered pack; ``dkconform rules`` and ``docs/rules.md`` are
made from it.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from .report import Issue, Location, Severity


@dataclass(frozen=True)
class Rule:
    """One catalogued check.

    ``example`` is a short snippet for the docs; ``example_payload`` (with ``example_standard``)
    is a whole payload that must trigger the rule, and the catalogue test validates it.
    """

    id: str
    severity: Severity
    title: str
    source: str
    rationale: str
    example: str = ""
    example_payload: str | None = None
    example_standard: str | None = None
    #: the FHIR IssueType code used in OperationOutcome (``invalid``, ``structure``, ``required``, ...)
    issue_type: str = "invalid"
    #: a family of checks named by a key that comes from the definitions (an invariant key): each
    #: finding's rule id is ``<id>.<key>`` (``fhir.invariant.dom-6``), catalogued through this rule
    keyed: bool = False

    def issue(
        self,
        message: str,
        location: Location | str | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
        severity: Severity | None = None,
        key: str | None = None,
    ) -> Issue:
        """An :class:`Issue` of this rule (its default severity unless ``severity`` is given); a
        keyed rule names the member of its family with ``key``."""
        if location is None or isinstance(location, str):
            location = Location(location or "", line, column)
        rule_id = f"{self.id}.{key}" if self.keyed and key else self.id
        return Issue(rule_id, severity or self.severity, message, location, self.source)


class RuleSet:
    """An ordered collection of rules, declared by a pack (or the core) in one module."""

    def __init__(self, family: str, *, module: str | None = None) -> None:
        self.family = family
        self._rules: dict[str, Rule] = {}
        #: the module that declared this rule set (the catalogue test checks that every rule set
        #: declared inside the package reaches :func:`catalogue`)
        self.module = module if module is not None else sys._getframe(1).f_globals.get("__name__", "")
        _DECLARED.add(self)

    def add(
        self,
        id: str,
        severity: Severity,
        title: str,
        *,
        source: str,
        rationale: str,
        example: str = "",
        example_payload: str | None = None,
        example_standard: str | None = None,
        issue_type: str = "invalid",
        keyed: bool = False,
    ) -> Rule:
        if id in self._rules:
            raise ValueError(f"rule {id} declared twice")
        rule = Rule(
            id, severity, title, source, rationale, example, example_payload, example_standard, issue_type, keyed
        )
        self._rules[id] = rule
        return rule

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __len__(self) -> int:
        return len(self._rules)


_DECLARED: weakref.WeakSet[RuleSet] = weakref.WeakSet()


def declared_rulesets() -> list[RuleSet]:
    """Every :class:`RuleSet` created so far in this process (live ones), in no set order."""
    return list(_DECLARED)


def catalogue() -> dict[str, Rule]:
    """Every rule known to this installation: the core's and every registered pack's, by id."""
    from .core_rules import CORE_RULES
    from .dk.rules import DK_RULES
    from .registry import default_registry

    rules: dict[str, Rule] = {}
    for ruleset in [CORE_RULES, DK_RULES, *default_registry().rulesets()]:
        for rule in ruleset:
            if rule.id in rules and rules[rule.id] is not rule:
                raise ValueError(f"rule {rule.id} declared by two rule sets")
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


def lookup(rule_id: str, rules: dict[str, Rule] | None = None) -> Rule | None:
    """The catalogued rule of an emitted rule id: the rule itself, or the keyed rule whose family
    it belongs to (``fhir.invariant`` for ``fhir.invariant.dom-6``)."""
    rules = catalogue() if rules is None else rules
    found = rules.get(rule_id)
    head = rule_id
    while found is None and "." in head:
        head = head.rsplit(".", 1)[0]
        parent = rules.get(head)
        if parent is not None:  # the nearest catalogued rule above decides
            return parent if parent.keyed else None
    return found


def family_of(rule_id: str) -> str:
    """The family prefix of a rule id (``oioxml`` for ``oioxml.version-code-mismatch``)."""
    return rule_id.split(".", 1)[0]
