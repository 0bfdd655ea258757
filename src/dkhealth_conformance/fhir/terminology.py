"""Offline terminology: CodeSystems and ValueSets from the loaded packages, nothing else.

A ValueSet is expanded from its ``compose``: ``include``/``exclude`` with concept lists, whole
code systems, ``is-a``/``descendent-of``/``is-not-a``/``=`` filters on the concept hierarchy of
local code systems, and imported value sets. Codes of systems that are not available locally
(SNOMED CT, LOINC, UCUM, ...) cannot be enumerated: the expansion records those systems and
membership of their codes is *unknown*, never false.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .packages import Definitions

#: membership answers
IN, NOT_IN, UNKNOWN = "in", "not-in", "unknown"


@dataclass
class CodeSystemInfo:
    url: str
    complete: bool
    case_sensitive: bool
    #: code -> display
    codes: dict[str, str | None] = field(default_factory=dict)
    #: code -> direct children
    children: dict[str, list[str]] = field(default_factory=dict)

    def has(self, code: str) -> bool:
        if code in self.codes:
            return True
        if not self.case_sensitive:
            return code.lower() in {c.lower() for c in self.codes}
        return False

    def descendants(self, code: str) -> set[str]:
        out: set[str] = set()
        todo = list(self.children.get(code, []))
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.children.get(c, []))
        return out


@dataclass
class Expansion:
    """The codes of a value set by system; ``open_systems``: systems whose codes (all, or those
    matching a filter) are in the set but cannot be listed offline."""

    url: str
    codes: dict[str, set[str]] = field(default_factory=dict)
    open_systems: set[str] = field(default_factory=set)
    #: set when the value set could not be expanded at all (unknown import, unsupported filter)
    incomplete: str | None = None

    def add(self, system: str, codes: set[str]) -> None:
        self.codes.setdefault(system, set()).update(codes)

    def systems(self) -> set[str]:
        return set(self.codes) | self.open_systems

    def contains(self, system: str | None, code: str) -> str:
        """IN, NOT_IN or UNKNOWN for a code (``system`` None: any system of the set)."""
        if system is None:
            codes = self.codes
            if (code in next(iter(codes.values()))) if len(codes) == 1 else any(code in c for c in codes.values()):
                return IN
            return UNKNOWN if self.open_systems or self.incomplete else NOT_IN
        if code in self.codes.get(system, ()):
            return IN
        if system in self.open_systems or self.incomplete:
            return UNKNOWN
        return NOT_IN


class Terminology:
    """Code systems and value sets of a :class:`Definitions`, expanded on demand and kept."""

    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self._systems: dict[str, CodeSystemInfo | None] = {}
        self._expansions: dict[str, Expansion | None] = {}

    def code_system(self, url: str) -> CodeSystemInfo | None:
        """A local code system with its concepts (None when it is not loaded or is not a
        CodeSystem)."""
        if url not in self._systems:
            cs = self.defs.resolve(url)
            info = None
            if isinstance(cs, dict) and cs.get("resourceType") == "CodeSystem":
                info = CodeSystemInfo(url.partition("|")[0], cs.get("content") == "complete",
                                      cs.get("caseSensitive", True) is not False)
                _walk_concepts(cs.get("concept") or [], None, info)
                for concept in _all_concepts(cs.get("concept") or []):
                    for prop in concept.get("property") or []:  # explicit parent properties
                        if prop.get("code") == "parent" and isinstance(prop.get("valueCode"), str):
                            info.children.setdefault(prop["valueCode"], []).append(concept["code"])
            self._systems[url] = info
        return self._systems[url]

    def expand(self, url: str) -> Expansion | None:
        """The expansion of a value set (None when the value set is not loaded)."""
        if url in self._expansions:
            return self._expansions[url]
        self._expansions[url] = None  # guards against import cycles
        vs = self.defs.resolve(url)
        if not isinstance(vs, dict) or vs.get("resourceType") != "ValueSet":
            return None
        exp = Expansion(url)
        compose = vs.get("compose") or {}
        for include in compose.get("include") or []:
            self._apply(include, exp, add=True)
        for exclude in compose.get("exclude") or []:
            self._apply(exclude, exp, add=False)
        if not compose and vs.get("expansion"):
            for item in _all_contains(vs["expansion"].get("contains") or []):
                if item.get("system") and item.get("code"):
                    exp.add(item["system"], {item["code"]})
        self._expansions[url] = exp
        return exp

    def _apply(self, part: dict[str, Any], exp: Expansion, add: bool) -> None:
        system = part.get("system")
        selected: Expansion | None = None
        if system:
            selected = self._select(str(system), part)
        imported = [self.expand(str(u)) for u in part.get("valueSet") or []]
        if any(i is None for i in imported):
            if add:
                exp.incomplete = "an imported value set is not loaded"
            return
        for other in imported:
            assert other is not None
            selected = other if selected is None else _intersect(selected, other)
        if selected is None:
            return
        if add:
            for sys_url, codes in selected.codes.items():
                exp.add(sys_url, codes)
            exp.open_systems |= selected.open_systems
            if selected.incomplete:
                exp.incomplete = selected.incomplete
        else:
            for sys_url, codes in selected.codes.items():
                if sys_url in exp.codes:
                    exp.codes[sys_url] -= codes

    def _select(self, system: str, part: dict[str, Any]) -> Expansion:
        out = Expansion(system)
        concepts = part.get("concept")
        if concepts:
            out.add(system, {str(c["code"]) for c in concepts if isinstance(c, dict) and "code" in c})
            return out
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            out.open_systems.add(system)
            return out
        codes = set(cs.codes)
        for flt in part.get("filter") or []:
            prop, op, value = flt.get("property"), flt.get("op"), str(flt.get("value"))
            if prop == "concept" and op == "is-a":
                codes &= {value} | cs.descendants(value)
            elif prop == "concept" and op == "descendent-of":
                codes &= cs.descendants(value)
            elif prop == "concept" and op == "is-not-a":
                codes -= {value} | cs.descendants(value)
            elif prop in ("concept", "code") and op == "=":
                codes &= {value}
            else:
                out.open_systems.add(system)
                return out
        out.add(system, codes)
        return out


def _intersect(a: Expansion, b: Expansion) -> Expansion:
    out = Expansion(a.url)
    for system in a.systems() & b.systems():
        if system in a.open_systems and system in b.open_systems:
            out.open_systems.add(system)
        elif system in a.open_systems:
            out.add(system, b.codes.get(system, set()))
        elif system in b.open_systems:
            out.add(system, a.codes.get(system, set()))
        else:
            out.add(system, a.codes.get(system, set()) & b.codes.get(system, set()))
    out.incomplete = a.incomplete or b.incomplete
    return out


def _walk_concepts(concepts: list[dict[str, Any]], parent: str | None, info: CodeSystemInfo) -> None:
    for concept in concepts:
        code = concept.get("code")
        if not isinstance(code, str):
            continue
        info.codes[code] = concept.get("display")
        if parent is not None:
            info.children.setdefault(parent, []).append(code)
        _walk_concepts(concept.get("concept") or [], code, info)


def _all_concepts(concepts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for concept in concepts:
        out.append(concept)
        out.extend(_all_concepts(concept.get("concept") or []))
    return out


def _all_contains(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append(item)
        out.extend(_all_contains(item.get("contains") or []))
    return out
