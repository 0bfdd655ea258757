"""Generate an XSD from a :class:`~.model.Schema` and compile it with lxml (C validation)."""

from __future__ import annotations

from lxml import etree

from .model import AnyContent, ComplexType, Element, Particle, Schema, SimpleType, Type

XS = "http://www.w3.org/2001/XMLSchema"
LOCAL_ELEMENTS = "Local_Elements"


def _xs(tag: str, parent: etree._Element | None = None, **attrs: str) -> etree._Element:
    if parent is None:
        return etree.Element(f"{{{XS}}}{tag}", attrs, nsmap={"xs": XS})
    return etree.SubElement(parent, f"{{{XS}}}{tag}", attrs)


def _occurs(node: etree._Element, low: int, high: int | None) -> None:
    if low != 1:
        node.set("minOccurs", str(low))
    if high != 1:
        node.set("maxOccurs", "unbounded" if high is None else str(high))


def _restriction(parent: etree._Element, simple: SimpleType) -> None:
    node = _xs("simpleType", parent, **({} if simple.anonymous else {"name": simple.name}))
    restriction = _xs("restriction", node, base=f"xs:{simple.base}")
    if simple.min_length is not None:
        _xs("minLength", restriction, value=str(simple.min_length))
    if simple.max_length is not None:
        _xs("maxLength", restriction, value=str(simple.max_length))
    if simple.min_value is not None:
        _xs("minInclusive", restriction, value=str(simple.min_value))
    if simple.max_value is not None:
        _xs("maxInclusive", restriction, value=str(simple.max_value))
    if simple.total_digits is not None:
        _xs("totalDigits", restriction, value=str(simple.total_digits))
    if simple.pattern is not None:
        _xs("pattern", restriction, value=simple.pattern)
    for value in simple.enumeration:
        _xs("enumeration", restriction, value=value)


class _Writer:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.root = _xs("schema")
        self.root.set("targetNamespace", schema.namespace)
        self.root.set("elementFormDefault", "qualified")
        self.root.set("attributeFormDefault", "unqualified")

    def type_attr(self, node: etree._Element, type_: Type) -> None:
        if isinstance(type_, str):
            resolved = self.schema.resolve(type_)
            if isinstance(resolved, SimpleType) and resolved.name == resolved.base and not (
                resolved.pattern or resolved.enumeration or resolved.min_length or resolved.max_length
            ):
                node.set("type", f"xs:{resolved.base}")
            else:
                node.set("type", f"t:{type_}")
        elif isinstance(type_, AnyContent):
            node.set("type", "xs:anyType")
        elif isinstance(type_, SimpleType):
            _restriction(node, type_)
        else:
            self.complex_body(node, type_)

    def complex_body(self, parent: etree._Element, complex_type: ComplexType) -> None:
        attrs = {} if complex_type.anonymous else {"name": complex_type.name}
        if complex_type.mixed:
            attrs["mixed"] = "true"
        node = _xs("complexType", parent, **attrs)
        if complex_type.particles:
            self.group(_xs("sequence", node), complex_type.particles)

    def group(self, parent: etree._Element, particles: tuple[Particle, ...]) -> None:
        for particle in particles:
            if isinstance(particle, Element):
                node = _xs("element", parent, name=particle.name)
                _occurs(node, particle.min, particle.max)
                self.type_attr(node, particle.type)
            else:
                node = _xs(particle.kind, parent)
                _occurs(node, particle.min, particle.max)
                self.group(node, particle.particles)

    def write(self) -> etree._Element:
        schema = self.schema
        for simple in schema.simple.values():
            if simple.name != simple.base or simple.pattern or simple.enumeration or simple.total_digits:
                _restriction(self.root, simple)
        for complex_type in schema.complex.values():
            self.complex_body(self.root, complex_type)
        emessage = _xs("element", self.root, name="Emessage")
        sequence = _xs("sequence", _xs("complexType", emessage))
        _xs("element", sequence, name="Envelope", type=f"t:{schema.envelope.name}")
        letters = _xs("sequence", sequence, maxOccurs="unbounded")
        choice = _xs("choice", letters)
        for letter in schema.letters.values():
            node = _xs("element", choice, name=letter.element)
            self.type_attr(node, letter.content.name if not letter.content.anonymous else letter.content)
        if schema.local_elements:
            _xs("element", letters, name=LOCAL_ELEMENTS, type="xs:anyType", minOccurs="0")
        return self.root


def xsd_document(schema: Schema) -> etree._Element:
    """The generated XSD as an lxml element (namespace prefix ``t`` is the target namespace)."""
    root = _Writer(schema).write()
    # the "t:" prefix used in type attributes must be declared on the root
    attributes = {str(k): str(v) for k, v in root.attrib.items()}
    with_ns = etree.Element(root.tag, attributes, nsmap={"xs": XS, "t": schema.namespace})
    with_ns.extend(list(root))
    return with_ns


def xsd_text(schema: Schema) -> str:
    return etree.tostring(xsd_document(schema), pretty_print=True, encoding="unicode")


_COMPILED: dict[tuple[str, str, int], etree.XMLSchema] = {}


def compiled(schema: Schema) -> etree.XMLSchema:
    """The compiled lxml schema for ``schema`` (compiled once per process and model object)."""
    key = (schema.key, schema.namespace, id(schema))
    if key not in _COMPILED:
        _COMPILED[key] = etree.XMLSchema(xsd_document(schema))
    return _COMPILED[key]
