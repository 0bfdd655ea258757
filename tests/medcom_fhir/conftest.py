"""Fixtures of the MedCom FHIR pack tests: a FHIR JSON-to-XML writer and the core-package guard."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from dkhealth_conformance.fhir import CoreMissing, Definitions

FHIR = "http://hl7.org/fhir"


@pytest.fixture(scope="session", autouse=True)
def _core_package() -> None:
    try:
        Definitions.for_core()
    except CoreMissing:
        pytest.skip("hl7.fhir.r4.core is not in the FHIR package cache (dkconform fhir setup)")


def to_xml(resource: dict[str, Any]) -> bytes:
    """FHIR XML of a JSON resource (elements in the order of the JSON keys)."""
    root = etree.Element(f"{{{FHIR}}}{resource['resourceType']}", nsmap={None: FHIR})
    _write(root, resource, resource=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write(el: Any, obj: dict[str, Any], resource: bool = False, extension: bool = False) -> None:
    for key, value in obj.items():
        if key == "resourceType" and resource:
            continue
        if key == "url" and extension:
            el.set("url", value)
            continue
        if key == "div":
            el.append(etree.fromstring(value))
            continue
        for item in value if isinstance(value, list) else [value]:
            child = etree.SubElement(el, f"{{{FHIR}}}{key}")
            if isinstance(item, dict) and "resourceType" in item:
                inner = etree.SubElement(child, f"{{{FHIR}}}{item['resourceType']}")
                _write(inner, item, resource=True)
            elif isinstance(item, dict):
                _write(child, item, extension=key in ("extension", "modifierExtension"))
            else:
                child.set("value", ("true" if item else "false") if isinstance(item, bool) else str(item))
