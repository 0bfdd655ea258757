"""The declarative XML message model: simple types, elements, sequences, choices, letters.

One :class:`Schema` describes one namespace version of a message family (e.g. MedCom OIOXML
``.../2006/07/01/``). It drives the generated XSD (validation with lxml), the Hypothesis
strategies (generation) and the documentation pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNBOUNDED = None


@dataclass(frozen=True)
class SimpleType:
    """A text value: a base XSD type plus facets. ``kind`` names a semantic type (``cpr``, ``gln``,
    ``sor``, ``date``, ``time`` …) that business rules and generators understand."""

    name: str
    base: str = "string"  # string | date | time | boolean | integer | positiveInteger | decimal | base64Binary
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enumeration: tuple[str, ...] = ()
    kind: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    total_digits: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.name.startswith("#")


@dataclass(frozen=True)
class Element:
    """An element particle: a name, its type (simple, complex or ``any``) and its cardinality."""

    name: str
    type: Type
    min: int = 1
    max: int | None = 1


@dataclass(frozen=True)
class Group:
    """A nested ``sequence`` or ``choice`` of particles, with its own cardinality."""

    kind: str  # "sequence" | "choice"
    particles: tuple[Particle, ...]
    min: int = 1
    max: int | None = 1


@dataclass(frozen=True)
class ComplexType:
    """Element content: a sequence of particles; ``mixed`` allows text between child elements."""

    name: str
    particles: tuple[Particle, ...] = ()
    mixed: bool = False

    @property
    def anonymous(self) -> bool:
        return self.name.startswith("#")


@dataclass(frozen=True)
class AnyContent:
    """Any well-formed content (``xs:anyType``): used for ``Local_Elements``."""

    name: str = "#any"


#: a named type is referenced by its name (resolved through :meth:`Schema.resolve`, which allows
#: recursive types such as formatted text); anonymous types are embedded
Type = str | SimpleType | ComplexType | AnyContent
Particle = Element | Group


@dataclass(frozen=True)
class Letter:
    """One letter (message) type in a namespace: its root element inside ``Emessage``."""

    element: str  # e.g. "ClinicalEmail"
    type_code: str  # e.g. "XDIS91"
    version_code: str  # e.g. "XD9134L"
    title: str
    content: ComplexType
    status_codes: tuple[str, ...] = ()
    receipt: bool = False


@dataclass
class Schema:
    """One namespace version: its letters and the envelope around them."""

    key: str  # e.g. "2006-07-01"
    namespace: str
    envelope: ComplexType
    letters: dict[str, Letter] = field(default_factory=dict)
    simple: dict[str, SimpleType] = field(default_factory=dict)
    complex: dict[str, ComplexType] = field(default_factory=dict)
    title: str = ""
    #: whether an optional ``Local_Elements`` (any content) may follow each letter in the Emessage
    local_elements: bool = True

    def letter_for(self, element: str) -> Letter | None:
        return self.letters.get(element)

    def resolve(self, type_: Type) -> SimpleType | ComplexType | AnyContent:
        """The type object for a particle's type (a name or an embedded type)."""
        if isinstance(type_, str):
            found = self.simple.get(type_) or self.complex.get(type_)
            if found is None:
                raise KeyError(f"{self.key}: unknown type {type_!r}")
            return found
        return type_


def walk(particles: tuple[Particle, ...]) -> list[Element]:
    """Every element particle in ``particles``, depth first through groups (not into types)."""
    found: list[Element] = []
    for particle in particles:
        if isinstance(particle, Element):
            found.append(particle)
        else:
            found.extend(walk(particle.particles))
    return found
