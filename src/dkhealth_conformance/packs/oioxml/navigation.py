"""Finding an element's declared content in the model, for precise structure findings."""

from __future__ import annotations

from typing import Any

from ...payload import local_name
from ...xmlmodel.model import ComplexType, Element, Group, Particle, Schema


def children_of(content: ComplexType) -> dict[str, tuple[Element, bool]]:
    """Declared child elements of ``content`` by name, each with whether it is required
    (minimum at least 1, and not inside an optional group or a choice)."""
    found: dict[str, tuple[Element, bool]] = {}

    def visit(particles: tuple[Particle, ...], required: bool) -> None:
        for particle in particles:
            if isinstance(particle, Element):
                found.setdefault(particle.name, (particle, required and particle.min >= 1))
            elif isinstance(particle, Group):
                visit(particle.particles, required and particle.min >= 1 and particle.kind == "sequence")

    visit(content.particles, True)
    return found


def content_of(schema: Schema, element: Any) -> ComplexType | None:
    """The model's complex type of ``element`` (an lxml element in an Emessage), or None."""
    path: list[str] = []
    node = element
    while node is not None:
        path.append(local_name(node))
        node = node.getparent()
    path.reverse()
    if not path or path[0] != "Emessage":
        return None
    if len(path) == 1:
        return None
    first = path[1]
    if first == "Envelope":
        current: ComplexType | None = schema.envelope
    else:
        letter = schema.letters.get(first)
        current = letter.content if letter else None
    for name in path[2:]:
        if current is None:
            return None
        declared = children_of(current).get(name)
        if declared is None:
            return None
        resolved = schema.resolve(declared[0].type)
        current = resolved if isinstance(resolved, ComplexType) else None
    return current


def declared_children(schema: Schema, parent: Any) -> dict[str, bool] | None:
    """Child names the model declares for ``parent``, each with whether it is required; the
    Emessage root declares its Envelope (required), its letters and Local_Elements."""
    if parent.getparent() is None and local_name(parent) == "Emessage":
        # at least one letter is required: while none is present, every letter counts as required
        no_letter = not any(local_name(child) in schema.letters for child in parent)
        return {"Envelope": True, "Local_Elements": False, **dict.fromkeys(schema.letters, no_letter)}
    content = content_of(schema, parent)
    return None if content is None else {name: req for name, (_, req) in children_of(content).items()}
