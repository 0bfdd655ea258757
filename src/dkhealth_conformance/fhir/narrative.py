"""Narrative XHTML (``Narrative.div``): the element and attribute set FHIR allows (txt-1) and
some content (txt-2), checked natively.

Allowed are the basic HTML formatting elements and attributes (HTML 4.0 chapters 7-11 and 15),
``a`` with ``href`` or ``name``, images and ``style`` attributes; no scripts, forms, frames or
objects, no event handler attributes and no ``javascript:`` URLs.
"""

from __future__ import annotations

import re

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ELEMENTS = frozenset({
    "p", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "b", "em", "i", "strong", "small",
    "big", "tt", "dfn", "q", "var", "abbr", "acronym", "cite", "blockquote", "hr", "address", "bdo", "kbd",
    "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "pre", "table", "caption", "colgroup", "col", "thead",
    "tr", "tfoot", "tbody", "th", "td", "code", "samp", "img", "map", "area", "ins", "del", "u", "s",
    "strike", "center", "font", "basefont",
})
COMMON_ATTRIBUTES = frozenset({"title", "style", "class", "id", "lang", "dir", "accesskey", "tabindex"})
ELEMENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "name", "rel", "rev", "shape", "coords", "hreflang", "type", "charset"}),
    "img": frozenset({"src", "alt", "longdesc", "height", "width", "usemap", "ismap", "align", "border",
                      "hspace", "vspace"}),
    "table": frozenset({"summary", "width", "border", "frame", "rules", "cellspacing", "cellpadding", "align",
                        "bgcolor"}),
    "td": frozenset({"abbr", "axis", "headers", "scope", "rowspan", "colspan", "align", "char", "charoff",
                     "valign", "nowrap", "width", "height", "bgcolor"}),
    "col": frozenset({"span", "width", "align", "char", "charoff", "valign"}),
    "ol": frozenset({"type", "start", "compact"}),
    "ul": frozenset({"type", "compact"}),
    "li": frozenset({"type", "value"}),
    "map": frozenset({"name"}),
    "area": frozenset({"shape", "coords", "href", "nohref", "alt"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "ins": frozenset({"cite", "datetime"}),
    "del": frozenset({"cite", "datetime"}),
    "font": frozenset({"size", "color", "face"}),
    "basefont": frozenset({"size", "color", "face"}),
    "pre": frozenset({"width"}),
    "hr": frozenset({"align", "noshade", "size", "width"}),
    "br": frozenset({"clear"}),
}
for _cell in ("th", "tr", "thead", "tbody", "tfoot"):
    ELEMENT_ATTRIBUTES[_cell] = ELEMENT_ATTRIBUTES["td"]
ELEMENT_ATTRIBUTES["colgroup"] = ELEMENT_ATTRIBUTES["col"]
for _block in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "caption"):
    ELEMENT_ATTRIBUTES[_block] = frozenset({"align"})
_URL_ATTRIBUTES = frozenset({"href", "src", "longdesc", "usemap", "cite"})
#: per allowed element (by its namespaced tag), its local name and the attributes allowed on it
_ALLOWED = {f"{{{XHTML_NS}}}{name}": (name, COMMON_ATTRIBUTES | ELEMENT_ATTRIBUTES.get(name, frozenset()))
            for name in ELEMENTS}
_IMG = f"{{{XHTML_NS}}}img"


_PARSER: list[etree.XMLParser] = []  # one hardened parser, made on first use (lxml parsers are reusable)


_ROOT_START = f'<div xmlns="{XHTML_NS}">'
_S = "[ \t\r\n]"
#: the tags of a plain narrative: names without prefixes, double-quoted attribute values free of
#: ``<``, ``>`` and ``&``
_TAGS = re.compile(f'<(/?)([a-z][a-z0-9]*)((?:{_S}+[a-z][a-z0-9-]*{_S}*={_S}*"[^"<&>]*")*){_S}*(/?)>')
_ATTRIBUTE = re.compile(f'([a-z][a-z0-9-]*){_S}*={_S}*"([^"]*)"')
#: characters XML does not allow
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: non-white-space text outside tags (what follows a ``>`` up to the next ``<``)
_TEXT = re.compile(r">[^<]*?[^<\s]")


def _plain_div(text: str) -> tuple[list[str], bool] | None:
    """The result of :func:`check_div` for a plain narrative, found without a parser: the XHTML
    ``div`` with its namespace around text (no entities, control characters or ``]]>``) and
    allowed elements with allowed attributes (no prefixes, no URLs with a scheme), well nested.
    None for anything else: the parser looks."""
    if not text.startswith(_ROOT_START) or not text.endswith("</div>") or "&" in text or "]]>" in text \
            or _NOT_XML.search(text):
        return None
    tags = _TAGS.findall(text)
    if len(tags) != text.count("<"):
        return None  # a < that starts no plain tag
    stack: list[str] = []
    last = len(tags) - 1
    for i, (closing, name, attributes, empty) in enumerate(tags):
        if closing:
            if attributes or empty or not stack or stack.pop() != name:
                return None
            if not stack and i != last:
                return None  # something after the root
            continue
        known = _ALLOWED.get(f"{{{XHTML_NS}}}{name}")
        if known is None:
            return None
        if attributes and stack:  # (the root's one attribute is its namespace)
            seen = set()
            for attribute, value in _ATTRIBUTE.findall(attributes):
                if attribute in seen or attribute not in known[1] or (
                        attribute in _URL_ATTRIBUTES and ":" in value):
                    return None  # repeated, not allowed, or a URL with a scheme: looked at in full
                seen.add(attribute)
        if not empty:
            stack.append(name)
        elif not stack:
            return None
    if stack:
        return None
    return [], bool(_TEXT.search(text)) or "<img" in text


def check_div(text: str) -> tuple[list[str], bool]:
    """(problems with the XHTML, whether the narrative has non-white-space content)."""
    plain = _plain_div(text)
    if plain is not None:
        return plain
    if not _PARSER:
        from ..payload import xml_parser

        _PARSER.append(xml_parser())
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER[0])
    except etree.XMLSyntaxError as exc:
        return [f"the narrative is not well-formed XHTML: {exc.msg}"], True
    except UnicodeEncodeError as exc:  # a lone surrogate (a JSON \ud800 escape): no character at all
        return [f"the narrative is not well-formed XHTML: {exc.object[exc.start]!r} at position {exc.start} is "
                "half of a surrogate pair, not a character"], True
    problems: list[str] = []
    if root.tag != f"{{{XHTML_NS}}}div":
        problems.append("the narrative must be one <div> in the XHTML namespace")
    has_image = False
    for el in root.iter():
        tag = el.tag
        known = _ALLOWED.get(tag) if isinstance(tag, str) else None
        if known is None:
            if not isinstance(tag, str):
                if isinstance(el, etree._ProcessingInstruction):
                    problems.append("processing instructions are not allowed in the narrative")
                continue
            ns, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
            if ns != XHTML_NS:
                problems.append(f"<{name}> is not in the XHTML namespace")
            else:
                problems.append(f"<{name}> is not allowed in the narrative")
            continue
        name, allowed = known
        has_image = has_image or tag == _IMG
        for raw_attr, raw_value in el.items():
            attr, value = str(raw_attr), str(raw_value)
            a_ns, _, a_name = attr[1:].partition("}") if attr.startswith("{") else ("", "", attr)
            if a_ns == XML_NS and a_name in ("lang", "space"):
                continue
            if a_ns or a_name not in allowed:
                problems.append(f"attribute {a_name!r} is not allowed on <{name}>")
            elif a_name in _URL_ATTRIBUTES and value.strip().lower().replace(" ", "").startswith(
                    ("javascript:", "vbscript:")):
                problems.append(f"a script URL in {a_name!r} of <{name}>")
    has_content = has_image or any(not text.isspace() for text in root.itertext() if text)
    return problems, has_content
