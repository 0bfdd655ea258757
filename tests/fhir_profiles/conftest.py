"""Fixtures for the project's own FHIR packages under profiles/fhir/: package sets loaded in
dependency order on top of hl7.fhir.r4.core (obtained with the setup code when missing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fhirpathpy
import pytest

from dkhealth_conformance.data import profiles_dir
from dkhealth_conformance.fhir.packages import CORE_ID, CORE_VERSION, Definitions, Entry, cache_dir, write_index
from dkhealth_conformance.fhir.setup import obtain_core
from dkhealth_conformance.fhir.terminology import Terminology

FHIR_PROFILES = profiles_dir() / "fhir"

#: package sets in dependency order (dependencies first), one per DK Core line
CARECOMMUNICATION_SET = ("hl7.fhir.dk.core#3.4.0", "medcom.fhir.dk.terminology#2.0.1",
                         "medcom.fhir.dk.core#3.0.1", "medcom.fhir.dk.messaging#4.0.2")
DK_CORE_2_SET = ("hl7.fhir.dk.core#2.0.0",)
ALL_FOLDERS = sorted(set(CARECOMMUNICATION_SET + DK_CORE_2_SET))  # the standards' packages: test_medcom_standards.py


def load_set(cache: Path, folders: tuple[str, ...]) -> Definitions:
    defs = Definitions(cache=cache)
    defs.load(CORE_ID, CORE_VERSION)
    for folder in folders:
        defs.add_package(FHIR_PROFILES / folder)
    return defs


def assert_profile_usable(defs: Definitions, entry: Entry) -> dict[str, Any]:
    """A profile's snapshot: generated, element ids unique, required and extensible bindings expand
    completely offline, every invariant compiles, every type and target profile is loaded."""
    terminology = Terminology(defs)
    snap = defs.snapshot(entry.url)
    assert snap is not None, entry.url
    ids = [e["id"] for e in snap["snapshot"]["element"]]
    assert len(ids) == len(set(ids)), entry.url
    for element in snap["snapshot"]["element"]:
        binding = element.get("binding") or {}
        if binding.get("strength") in ("required", "extensible") and binding.get("valueSet"):
            expansion = terminology.expand(binding["valueSet"])
            assert expansion is not None and not expansion.incomplete, (entry.id, element["id"], binding)
        for constraint in element.get("constraint") or []:
            fhirpathpy.compile(constraint["expression"])
        for type_ in element.get("type") or []:
            for url in type_.get("profile", []) + type_.get("targetProfile", []):
                assert url in defs, (entry.id, element["id"], url)
    return snap


@pytest.fixture(scope="session")
def fhir_cache() -> Path:
    return obtain_core(cache_dir()).parent


@pytest.fixture(scope="session")
def medcom_defs(fhir_cache: Path) -> Definitions:
    """DK Core 3.4.0, MedCom terminology 2.0.1, MedCom core 3.0.1 and MedCom messaging 4.0.2."""
    return load_set(fhir_cache, CARECOMMUNICATION_SET)


@pytest.fixture(scope="session")
def dk_core_2_defs(fhir_cache: Path) -> Definitions:
    return load_set(fhir_cache, DK_CORE_2_SET)


def assert_index_current(root: Path, tmp_path: Path) -> None:
    """The committed ``.index.json`` of the package folder ``root`` is what ``write_index`` writes."""
    copy_dir = tmp_path / "package"
    copy_dir.mkdir()
    for p in root.iterdir():
        if p.name != ".index.json":
            (copy_dir / p.name).write_bytes(p.read_bytes())
    write_index(copy_dir)
    assert json.loads((root / ".index.json").read_text()) == json.loads((copy_dir / ".index.json").read_text())
