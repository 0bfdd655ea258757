"""FHIR fixtures: the core package is obtained exactly as a user obtains it (`dkconform fhir
setup`), once per machine; it is kept in the FHIR package cache, never in the repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def core_definitions(core_folder: Path) -> Definitions:
    defs = Definitions(cache=core_folder.parent)
    defs.load(CORE_ID, CORE_VERSION)
    return defs


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
