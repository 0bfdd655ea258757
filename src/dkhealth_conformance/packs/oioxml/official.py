"""The official-schema layer: MedCom's own XSD release, when the user points at it (--schema-dir).

The folder is searched for ``EMessage.xsd`` files; each is matched to a namespace by its
``targetNamespace``. Schemas are compiled once per process and folder. Nothing here runs unless
the user asks for it, and nothing is loaded from the network (the parser forbids it).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree

from ...report import Issue
from . import rules as R
from .schema_layer import schema_issues


@functools.lru_cache(maxsize=4)
def _index(folder: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).rglob("*.xsd")):
        if path.name.lower() != "emessage.xsd":
            continue
        try:
            target = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False)).getroot()
        except etree.XMLSyntaxError:
            continue
        namespace = target.get("targetNamespace")
        if namespace:
            found.setdefault(namespace, path)
    return found


@functools.lru_cache(maxsize=16)
def _compiled(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def official_issues(folder: str, namespace: str, tree: Any, container: str | None = None) -> list[Issue]:
    """Validate with the official schema for ``namespace`` found under ``folder``."""
    path = _index(str(Path(folder).resolve())).get(namespace)
    if path is None:
        return [R.OFFICIAL_SCHEMA_MISSING.issue(f"no EMessage.xsd under {folder} declares namespace {namespace}")]
    issues = schema_issues(_compiled(path), tree, container)
    return [R.OFFICIAL_SCHEMA.issue(f"{i.rule_id.split('.')[-1]}: {i.message}", i.location) for i in issues]
