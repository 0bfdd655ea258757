"""Loading message models from YAML files (``profiles/oioxml/*.yaml``).

File format (one file per namespace version)::

    key: 2006-07-01
    namespace: http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/
    extends: 2005-08-07          # optional: start from another file's types and elements
    simple:                      # named simple types
      String_1_14: {min: 1, max: 14}
      AcknowledgementCode: {enum: [pluspositivkvitt, minuspositivkvitt]}
    elements:                    # default type of an element name (like XSD global elements)
      Identifier: String_1_17
    complex:                     # named complex types: a list of particles
      Receiver: [EANIdentifier, Identifier, IdentifierCode, OrganisationName?]
      FormattedText: {mixed: true, content: [{choice*: [Break, Bold]}]}
    envelope: Envelope
    local_elements: false        # optional (default true): may Local_Elements follow a letter?
    letters:
      ClinicalEmail: {type_code: XDIS91, version_code: XD9134L, title: ..., content: ClinicalEmail}
    remove: {letters: [...], complex: [...]}   # drop inherited entries

A particle is ``Name`` (type from ``elements``), ``{Name: TYPE}`` (a local element), ``{choice: [...]}``
or ``{sequence: [...]}``; a suffix gives the cardinality: ``?`` 0..1, ``*`` 0..n, ``+`` 1..n,
``{2,10}`` or ``{0,n}``. TYPE is a type name, an inline simple type (a mapping of facets), an
inline complex type (a list of particles) or ``any``. Simple-type facets: ``base``, ``min``/``max``
(length), ``pattern`` (XSD regex), ``enum``, ``fixed``, ``minValue``/``maxValue``, ``totalDigits``
and ``kind`` (a semantic type for business rules and generators: ``cpr``, ``gln``, ``date`` …).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from .model import AnyContent, ComplexType, Element, Group, Letter, Particle, Schema, SimpleType, Type

BUILTINS = {
    name: SimpleType(name, base=name)
    for name in ("string", "date", "time", "boolean", "integer", "positiveInteger", "nonNegativeInteger",
                 "decimal", "base64Binary", "token")
}
_CARD = re.compile(r"^(?P<name>[A-Za-z_][\w.-]*)(?P<card>\?|\*|\+|\{\d+,(?:\d+|n)\})?$")
_FACETS = {"base", "min", "max", "pattern", "enum", "kind", "fixed", "minValue", "maxValue", "totalDigits"}


class ModelError(ValueError):
    """A model file is inconsistent (unknown type, bad particle)."""


def _cardinality(card: str | None) -> tuple[int, int | None]:
    if not card:
        return 1, 1
    if card == "?":
        return 0, 1
    if card == "*":
        return 0, None
    if card == "+":
        return 1, None
    low, high = card[1:-1].split(",")
    return int(low), None if high == "n" else int(high)


def _split(key: str) -> tuple[str, int, int | None]:
    match = _CARD.match(key.strip())
    if not match:
        raise ModelError(f"bad particle name {key!r}")
    low, high = _cardinality(match.group("card"))
    return match.group("name"), low, high


class _Builder:
    def __init__(self, raw: dict[str, Any], key: str) -> None:
        self.raw = raw
        self.key = key
        self.simple: dict[str, SimpleType] = {}
        self.complex: dict[str, ComplexType] = {}
        self.anon = 0

    # -- types ---------------------------------------------------------------------------------
    def simple_type(self, name: str, spec: dict[str, Any]) -> SimpleType:
        unknown = set(spec) - _FACETS
        if unknown:
            raise ModelError(f"{self.key}: simple type {name}: unknown facets {sorted(unknown)}")
        base = spec.get("base", "string")
        parent = self.simple.get(base) or BUILTINS.get(base)
        if parent is None:
            raise ModelError(f"{self.key}: simple type {name}: unknown base {base!r}")
        enum = spec.get("enum")
        if "fixed" in spec:
            enum = [spec["fixed"]]
        return SimpleType(
            name,
            base=parent.base,
            min_length=spec.get("min", parent.min_length),
            max_length=spec.get("max", parent.max_length),
            pattern=spec.get("pattern", parent.pattern),
            enumeration=tuple(str(v) for v in enum) if enum is not None else parent.enumeration,
            kind=spec.get("kind", parent.kind),
            min_value=spec.get("minValue", parent.min_value),
            max_value=spec.get("maxValue", parent.max_value),
            total_digits=spec.get("totalDigits", parent.total_digits),
        )

    def type_ref(self, spec: Any, context: str) -> Type:
        if spec == "any":
            return AnyContent()
        if isinstance(spec, str):
            if spec in self.raw.get("simple", {}) or spec in self.raw.get("complex", {}) or spec in BUILTINS:
                return spec
            raise ModelError(f"{self.key}: {context}: unknown type {spec!r}")
        if isinstance(spec, list) or (isinstance(spec, dict) and "content" in spec):
            return self.complex_type(self._anon_name(context), spec)
        if isinstance(spec, dict):
            return self.simple_type(self._anon_name(context), spec)
        raise ModelError(f"{self.key}: {context}: bad type {spec!r}")

    def _anon_name(self, context: str) -> str:
        self.anon += 1
        return f"#{context}"

    def complex_type(self, name: str, spec: Any) -> ComplexType:
        mixed = False
        content = spec
        if isinstance(spec, dict):
            mixed = bool(spec.get("mixed", False))
            content = spec.get("content", [])
        return ComplexType(name, self.particles(content or [], name), mixed)

    # -- particles -----------------------------------------------------------------------------
    def particles(self, items: list[Any], context: str) -> tuple[Particle, ...]:
        return tuple(self.particle(item, context) for item in items)

    def particle(self, item: Any, context: str) -> Particle:
        if isinstance(item, str):
            name, low, high = _split(item)
            elements = self.raw.get("elements", {})
            if name not in elements:
                raise ModelError(f"{self.key}: {context}: element {name!r} has no type in 'elements'")
            return Element(name, self.type_ref(elements[name], name), low, high)
        if isinstance(item, dict) and len(item) == 1:
            ((key, value),) = item.items()
            name, low, high = _split(key)
            if name in ("choice", "sequence"):
                return Group(name, self.particles(value, context), low, high)
            return Element(name, self.type_ref(value, f"{context}.{name}"), low, high)
        raise ModelError(f"{self.key}: {context}: bad particle {item!r}")

    # -- the schema ----------------------------------------------------------------------------
    def build(self) -> Schema:
        for name, spec in self.raw.get("simple", {}).items():
            self.simple[name] = self.simple_type(name, spec or {})
        for name, spec in self.raw.get("complex", {}).items():
            self.complex[name] = self.complex_type(name, spec)
        envelope_name = self.raw.get("envelope", "Envelope")
        if envelope_name not in self.complex:
            raise ModelError(f"{self.key}: envelope type {envelope_name!r} is not defined")
        letters = {}
        for element, spec in self.raw.get("letters", {}).items():
            content = spec["content"]
            if isinstance(content, str):
                if content not in self.complex:
                    raise ModelError(f"{self.key}: letter {element}: unknown content type {content!r}")
                complex_content = self.complex[content]
            else:
                complex_content = self.complex_type(f"#{element}", content)
            letters[element] = Letter(
                element=element,
                type_code=spec["type_code"],
                version_code=spec["version_code"],
                title=spec.get("title", element),
                content=complex_content,
                status_codes=tuple(spec.get("status_codes", ())),
                receipt=bool(spec.get("receipt", False)),
            )
        return Schema(
            key=self.key,
            namespace=self.raw["namespace"],
            envelope=self.complex[envelope_name],
            letters=letters,
            simple={**BUILTINS, **self.simple},
            complex=self.complex,
            title=self.raw.get("title", ""),
            local_elements=bool(self.raw.get("local_elements", True)),
        )


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for section in ("simple", "elements", "complex", "letters"):
        merged[section] = {**base.get(section, {}), **child.get(section, {})}
        for name in child.get("remove", {}).get(section, []):
            merged[section].pop(name, None)
    for key, value in child.items():
        if key not in ("simple", "elements", "complex", "letters", "remove", "extends"):
            merged[key] = value
    return merged


#: libyaml's parser where PyYAML has it (the same documents, several times faster than the pure-Python one)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _raw(folder: Path, key: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if key in seen:
        raise ModelError(f"circular 'extends' through {key}")
    path = folder / f"{key}.yaml"
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_YAML_LOADER) or {}
    data.setdefault("key", key)
    if "extends" in data:
        data = _merge(_raw(folder, data["extends"], (*seen, key)), data)
        data["key"] = key
    return data


def load_schema(folder: Path, key: str) -> Schema:
    """Load the namespace model ``key`` (a file ``<key>.yaml``) from ``folder``."""
    return _Builder(_raw(folder, key), key).build()


@functools.lru_cache(maxsize=8)
def load_all(folder: Path) -> dict[str, Schema]:
    """Every namespace model in ``folder`` (files starting with ``_`` are fragments), by namespace."""
    schemas = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        schema = load_schema(folder, path.stem)
        if schema.letters:
            schemas[schema.namespace] = schema
    return schemas
