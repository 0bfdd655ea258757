"""FHIR fixtures: the core package is obtained exactly as a user obtains it (`dkconform fhir
setup`), once per machine; it is kept in the FHIR package cache, never in the repository."""

from __future__ import annotations

import json
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from dkhealth_conformance.fhir.packages import CORE_ID, CORE_VERSION, Definitions, cache_dir
from dkhealth_conformance.fhir.setup import SetupError, examples_tarball, obtain_core, obtain_examples


@pytest.fixture(scope="session")
def core_folder() -> Path:
    """hl7.fhir.r4.core#4.0.1 in the package cache (obtained by the setup code when missing)."""
    return obtain_core(cache_dir())


@pytest.fixture(scope="session")
def examples_tgz(core_folder: Path) -> Path:
    """The official R4 examples tarball (npm hl7.fhir.r4.examples@4.0.1) in the package cache.
    Skipped only where it is not cached and npm is not installed to fetch it."""
    if not examples_tarball(core_folder.parent).is_file() and shutil.which("npm") is None:
        pytest.skip("npm is not available to fetch hl7.fhir.r4.examples@4.0.1")
    try:
        return obtain_examples(core_folder.parent)
    except SetupError as exc:
        if shutil.which("npm") is None:
            pytest.skip(str(exc))
        raise


EXAMPLE_SD = "http://example.org/fhir/StructureDefinition/"


def constraint_profile(name: str, rtype: str, elements: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    """A differential-only profile ``EXAMPLE_SD + name`` constraining the core type ``rtype``."""
    return {
        "resourceType": "StructureDefinition", "id": name, "url": EXAMPLE_SD + name,
        "name": "".join(part.title() for part in name.split("-")), "status": "draft", "kind": "resource",
        "abstract": False, "type": rtype, "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}",
        "derivation": "constraint", "differential": {"element": elements}, **more}


def core_with(core_definitions: Definitions, *resources: dict[str, Any]) -> Definitions:
    """New definitions holding the core package and ``resources``."""
    defs = Definitions(cache=core_definitions.cache)
    defs.load(CORE_ID, CORE_VERSION)
    for resource in resources:
        defs.add_resource(resource)
    return defs


def official_examples(examples_tgz: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file name, resource) of every official R4 example below 1 MB in the package folder."""
    with tarfile.open(examples_tgz) as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if not member.isfile() or member.size >= 1_000_000 or member.name.count("/") != 1 \
                    or not name.endswith(".json") or name in ("package.json", ".index.json"):
                continue
            fh = tar.extractfile(member)
            assert fh is not None
            yield name, json.loads(fh.read())


@pytest.fixture(scope="session")
def core_definitions(core_folder: Path) -> Definitions:
    defs = Definitions(cache=core_folder.parent)
    defs.load(CORE_ID, CORE_VERSION)
    return defs


@pytest.fixture(scope="session")
def to_xml() -> Any:
    """A plain FHIR JSON-to-XML writer (element order as in the JSON), for round trips."""
    return _to_xml


@pytest.fixture
def make_package() -> Any:
    """Factory: ``make_package(root, name, version, resources, dependencies=..., index=...)``."""
    return write_package


def write_package(root: Path, name: str, version: str, resources: list[dict[str, Any]], *,
                  dependencies: dict[str, str] | None = None, index: bool = True) -> Path:
    """A small package folder ``root/package/`` with the given resources."""
    folder = root / "package"
    folder.mkdir(parents=True)
    manifest: dict[str, Any] = {"name": name, "version": version, "fhirVersions": ["4.0.1"]}
    if dependencies:
        manifest["dependencies"] = dependencies
    (folder / "package.json").write_text(json.dumps(manifest))
    rows = []
    for res in resources:
        filename = f"{res['resourceType']}-{res['id']}.json"
        (folder / filename).write_text(json.dumps(res))
        row = {"filename": filename, "resourceType": res["resourceType"], "id": res["id"]}
        if "url" in res:
            row["url"] = res["url"]
        if "version" in res:
            row["version"] = res["version"]
        rows.append(row)
    if index:
        (folder / ".index.json").write_text(json.dumps({"index-version": 1, "files": rows}))
    return root


# ------------------------------------------------------------------ FHIR JSON to XML

NS = "http://hl7.org/fhir"
#: JSON properties whose value is a whole resource
RESOURCE_KEYS = {"contained", "resource", "outcome"}


def _to_xml(resource: dict[str, Any]) -> Any:
    """A plain JSON-to-XML writer for the round trip (element order as in the JSON)."""
    root = etree.Element(f"{{{NS}}}{resource['resourceType']}")
    _fill(root, resource, is_resource=True, is_extension=False)
    return root


def _primitive_text(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _meta(child: Any, meta: dict[str, Any] | None) -> None:
    if meta:
        if "id" in meta:
            child.set("id", meta["id"])
        for ext in meta.get("extension", []):
            _fill(etree.SubElement(child, f"{{{NS}}}extension"), ext, False, True)


def _fill(el: Any, obj: dict[str, Any], is_resource: bool, is_extension: bool) -> None:
    for key, value in obj.items():
        if (key == "resourceType" and is_resource) or key.startswith("_"):
            continue
        if key == "id" and not is_resource:
            el.set("id", value)
            continue
        if key == "url" and is_extension:
            el.set("url", value)
            continue
        if key == "div":
            el.append(etree.fromstring(value))
            continue
        values = value if isinstance(value, list) else [value]
        metas = obj.get("_" + key)
        metas = metas if isinstance(metas, list) else [metas] * len(values)
        for v, m in zip(values, metas, strict=True):
            child = etree.SubElement(el, f"{{{NS}}}{key}")
            if isinstance(v, dict) and key in RESOURCE_KEYS and "resourceType" in v:
                child.append(_to_xml(v))
            elif isinstance(v, dict):
                _fill(child, v, False, key in ("extension", "modifierExtension"))
            else:
                if v is not None:
                    child.set("value", _primitive_text(v))
                _meta(child, m)
    for key, value in obj.items():  # "_name" without "name": extensions on an absent value
        if key.startswith("_") and key[1:] not in obj:
            for m in value if isinstance(value, list) else [value]:
                _meta(etree.SubElement(el, f"{{{NS}}}{key[1:]}"), m)
