"""Hypothesis strategies of FHIR R4 resources driven by the compiled snapshots.

``resources(validator, "Patient")`` draws instances that validate clean against the base type (or
a profile: ``resources(validator, "Observation", profile=".../bp")``): every required element at
its cardinality, primitive values in their formats, codes of required bindings from the expanded
value set, one type of each required choice, fixed and pattern values, and one repetition per
required slice. ``message_bundles(validator)`` draws Bundles of type message (a MessageHeader
first, every entry with a urn:uuid fullUrl).

``mutations(resource, validator)`` lists single near-miss changes of a valid instance, each with
the rule it must trigger: a required element dropped (``fhir.cardinality.min``), a fixed value
changed (``fhir.profile.fixed``), a primitive given the wrong JSON type
(``fhir.structure.json-type``), an unknown element (``fhir.structure.unknown-element``) and a
required slice broken (``fhir.cardinality.min``).
"""

from __future__ import annotations

import copy
import string
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .validator import FhirValidator, Node, TypeTree

_LETTERS = string.ascii_letters + "æøåÆØÅ"
#: elements some invariants need although the definition leaves them optional (org-1; vs-3 of the
#: vital-signs profiles), by element path
_INVARIANT_NEEDS = {"Organization": ("name",), "Observation.component": ("value",)}
#: the child to fill in a data type that has no required children (ele-1: some content)
_PREFERRED = ("text", "value", "display", "code", "start", "family", "name", "title", "contentType", "system")
_UNSAFE = {"id", "extension", "modifierExtension"}

_Draw = Callable[[st.SearchStrategy[Any]], Any]


def _words(draw: _Draw) -> str:
    return str(draw(st.text(_LETTERS, min_size=1, max_size=12)))


def _primitive(draw: _Draw, code: str) -> Any:
    if code == "boolean":
        return draw(st.booleans())
    if code == "integer":
        return draw(st.integers(-1000, 1000))
    if code == "positiveInt":
        return draw(st.integers(1, 1000))
    if code == "unsignedInt":
        return draw(st.integers(0, 1000))
    if code == "decimal":
        return draw(st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False))
    if code == "date":
        return draw(st.dates(min_value=date(1000, 1, 1))).isoformat()
    if code in ("dateTime", "instant"):
        moment = draw(st.datetimes(min_value=datetime(1000, 1, 1)))
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    if code == "time":
        return draw(st.times()).strftime("%H:%M:%S")
    if code in ("uri", "url", "canonical"):
        return "http://example.org/" + draw(st.text(string.ascii_lowercase, min_size=1, max_size=10))
    if code == "uuid":
        return "urn:uuid:" + str(draw(st.uuids()))
    if code == "oid":
        return "urn:oid:1.2." + str(draw(st.integers(1, 99999)))
    if code == "id":
        return str(draw(st.from_regex(r"[A-Za-z0-9\-.]{1,20}", fullmatch=True)))
    if code == "code":
        return str(draw(st.text(string.ascii_lowercase, min_size=1, max_size=10)))
    if code == "base64Binary":
        import base64

        return base64.b64encode(draw(st.binary(min_size=1, max_size=12))).decode("ascii")
    return _words(draw)


class _Builder:
    def __init__(self, validator: FhirValidator, draw: _Draw) -> None:
        self.v = validator
        self.draw = draw

    def codes(self, node: Node) -> list[tuple[str | None, str]]:
        if node.binding is None or node.binding[0] != "required":
            return []
        expansion = self.v.terminology.expand(node.binding[1])
        if expansion is None or expansion.incomplete:
            return []
        return sorted((system, c) for system, codes in expansion.codes.items() for c in codes)

    def value(self, node: Node, tree: TypeTree, code: str | None) -> Any:
        if node.fixed is not None:
            return copy.deepcopy(node.fixed[1])
        if code is None:
            code = "BackboneElement"
        if self.v._is_primitive(code):
            if node.pattern is not None:
                return copy.deepcopy(node.pattern[1])
            codes = self.codes(node) if code == "code" else []
            if codes:
                return self.draw(st.sampled_from(codes))[1]
            return _primitive(self.draw, code)
        pattern = node.pattern[1] if node.pattern is not None else None
        base: dict[str, Any] = copy.deepcopy(pattern) if isinstance(pattern, dict) else {}
        if code in ("Coding", "CodeableConcept"):
            codes = self.codes(node)
            if codes:
                system, value = self.draw(st.sampled_from(codes))
                coding = {"system": system, "code": value} if system else {"code": value}
                return {**coding, **base} if code == "Coding" else {"coding": [coding], **base}
        if code == "Reference":
            return {"display": _words(self.draw), **base}
        target = self.v._children_of(node, tree, code)
        if target is None:
            return base or {"text": _words(self.draw)}
        parent, sub = target
        out = self.fill(parent, sub, base, _INVARIANT_NEEDS.get(parent.path, ()))
        return out or {**self.one_child(parent, sub)}

    def fill(self, parent: Node, tree: TypeTree, out: dict[str, Any], needs: tuple[str, ...] = ()) -> dict[str, Any]:
        for child in parent.children:
            required = [sl for sl in child.slices if sl.min > 0]
            count = max(child.min, len(required)) if child.name not in needs else max(child.min, 1)
            if count == 0 or child.name in out:
                continue
            if child.name in ("extension", "modifierExtension") and not required:
                continue
            codes: list[str | None] = list(child.types) or [None]
            code = codes[0] if not child.choice else self.draw(st.sampled_from(
                sorted(codes, key=lambda c: (not self.v._is_primitive(str(c)), str(c)))[:3]))
            key = child.name + (code[:1].upper() + code[1:] if child.choice and code else "")
            items = [self.value(sl, tree, code) for sl in required]
            items += [self.value(child, tree, code) for _ in range(count - len(items))]
            if code in ("Resource", "DomainResource"):
                continue
            out[key] = items if child.repeats else items[0]
        return out

    def one_child(self, parent: Node, tree: TypeTree) -> dict[str, Any]:
        choices = [c for c in parent.children if c.name not in _UNSAFE and not c.choice and c.types
                   and self.v._is_primitive(c.types[0]) and c.max != 0]
        if not choices:
            return {"extension": [{"url": "http://example.org/x", "valueString": _words(self.draw)}]}
        choices.sort(key=lambda c: _PREFERRED.index(c.name) if c.name in _PREFERRED else len(_PREFERRED))
        child = choices[0]
        value = self.value(child, tree, child.types[0])
        return {child.name: [value] if child.repeats else value}

    def resource(self, rtype: str, profile: str | None = None) -> dict[str, Any]:
        tree = self.v.tree(profile or rtype)
        if tree is None:
            raise ValueError(f"{profile or rtype} is not loaded")
        out: dict[str, Any] = {"resourceType": rtype, "id": _primitive(self.draw, "id")}
        if profile:
            out["meta"] = {"profile": [profile]}
        out["text"] = {"status": "generated",
                       "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{_words(self.draw)}</p></div>'}
        return self.fill(tree.root, tree, out, _INVARIANT_NEEDS.get(rtype, ()))


def resources(validator: FhirValidator, resource_type: str, profile: str | None = None
              ) -> st.SearchStrategy[dict[str, Any]]:
    """Valid instances of a resource type (against its base definition, or ``profile``)."""

    @st.composite
    def build(draw: _Draw) -> dict[str, Any]:
        return _Builder(validator, draw).resource(resource_type, profile)

    return build()


_BUNDLE_TYPES = ("Patient", "Organization", "Practitioner", "Encounter", "Observation", "Communication",
                 "Provenance")


def message_bundles(validator: FhirValidator, max_entries: int = 6) -> st.SearchStrategy[dict[str, Any]]:
    """Valid Bundles of type message: a MessageHeader first, then resources of common types."""

    @st.composite
    def build(draw: _Draw) -> dict[str, Any]:
        builder = _Builder(validator, draw)
        kinds = draw(st.lists(st.sampled_from(_BUNDLE_TYPES), max_size=max_entries - 1))
        entries = []
        for rtype in ["MessageHeader", *kinds]:
            entries.append({"fullUrl": "urn:uuid:" + str(draw(st.uuids())), "resource": builder.resource(rtype)})
        return {"resourceType": "Bundle", "id": _primitive(draw, "id"), "type": "message",
                "timestamp": _primitive(draw, "instant"), "entry": entries}

    return build()


# -------------------------------------------------------------------------------- mutations

Mutation = tuple[str, str, dict[str, Any]]  # (what was changed, rule it must trigger, mutated copy)


def mutations(resource: dict[str, Any], validator: FhirValidator, profile: str | None = None) -> list[Mutation]:
    """Single near-miss changes of a valid resource, each with the rule id it must trigger."""
    rtype = str(resource["resourceType"])
    tree = validator.tree(profile or rtype)
    assert tree is not None
    out: list[Mutation] = []
    present = [(c, k) for c in tree.root.children for k in resource if _key_of(c, k)]
    for child, key in present:
        if child.min > 0 and not child.slices:
            changed = copy.deepcopy(resource)
            del changed[key]
            out.append((f"drop {key}", "fhir.cardinality.min", changed))
    for child, key in present:
        code = child.types[0] if len(child.types) == 1 else key[len(child.name):]
        if not child.choice and validator._is_primitive(code) and not child.repeats:
            changed = copy.deepcopy(resource)
            changed[key] = {"value": changed[key]} if code != "boolean" else "true"
            out.append((f"{key} with the wrong JSON type", "fhir.structure.json-type", changed))
            break
    changed = copy.deepcopy(resource)
    changed["unknownElement"] = "x"
    out.append(("an unknown element", "fhir.structure.unknown-element", changed))
    for path, value in _fixed_paths(resource, tree.root, tree, validator, []):
        changed = copy.deepcopy(resource)
        _set(changed, path, value + "-changed" if isinstance(value, str) else not value
             if isinstance(value, bool) else value + 1)
        out.append((f"fixed value at {'.'.join(map(str, path))} changed", "fhir.profile.fixed", changed))
        break
    for child, key in present:
        for sl in child.slices:
            if sl.min > 0 and isinstance(resource[key], list) and sl.pattern is None and sl.fixed is None:
                index = next((i for i, item in enumerate(resource[key]) if validator._slice_of(
                    item, key, child, child.types[0] if child.types else None, tree) is sl), None)
                if index is not None:
                    changed = copy.deepcopy(resource)
                    changed[key][index] = _break(changed[key][index])
                    out.append((f"slice {key}:{sl.slice_name} broken", "fhir.cardinality.min", changed))
                    break
    return out


def _key_of(node: Node, key: str) -> bool:
    if node.choice:
        return key.startswith(node.name) and key[len(node.name):][:1].isupper()
    return key == node.name


def _break(item: Any) -> Any:
    """A slice repetition whose discriminating codes no longer match (codes and systems changed)."""
    if isinstance(item, dict):
        return {k: (v + "-x" if k in ("code", "system") and isinstance(v, str) else _break(v)) for k, v in item.items()}
    if isinstance(item, list):
        return [_break(v) for v in item]
    return item


def _fixed_paths(value: Any, node: Node, tree: TypeTree, validator: FhirValidator,
                 path: list[Any]) -> list[tuple[list[Any], Any]]:
    """Paths to primitive values set from a fixed value of the definition (outside slices)."""
    found: list[tuple[list[Any], Any]] = []
    if not isinstance(value, dict):
        return found
    for child in node.children:
        if child.name not in value or child.slices:
            continue
        item = value[child.name]
        if child.fixed is not None and isinstance(item, str | bool | int | Decimal):
            found.append(([*path, child.name], item))
        elif child.children and isinstance(item, dict):
            found += _fixed_paths(item, child, tree, validator, [*path, child.name])
    return found


def _set(obj: Any, path: list[Any], value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value
