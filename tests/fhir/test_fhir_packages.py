from __future__ import annotations

import json
from pathlib import Path

import pytest

from dkhealth_conformance.fhir.packages import (
    CACHE_ENV,
    CoreMissing,
    Definitions,
    Package,
    PackageError,
    PackageNotFound,
    cache_dir,
    cached_packages,
    find_cached,
    tgz_bytes,
)

SD_URL = "http://example.org/fhir/StructureDefinition/my-patient"


def _sd(version: str, id_: str = "my-patient") -> dict:
    return {"resourceType": "StructureDefinition", "id": id_, "url": SD_URL, "version": version,
            "name": "MyPatient", "type": "Patient", "kind": "resource", "derivation": "constraint",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient"}


def _vs() -> dict:
    return {"resourceType": "ValueSet", "id": "colours", "url": "http://example.org/fhir/ValueSet/colours",
            "version": "1.0.0", "status": "active"}


def _tgz(folder: Path, out: Path) -> Path:
    files = {f"package/{p.name}": p.read_bytes() for p in (folder / "package").iterdir()}
    out.write_bytes(tgz_bytes(files))
    return out


@pytest.mark.parametrize("index", [True, False])
def test_folder_package_with_and_without_index(tmp_path: Path, make_package, index: bool) -> None:
    make_package(tmp_path / "p", "example.pkg", "1.0.0", [_sd("1.0.0"), _vs()], index=index)
    pkg = Package.open(tmp_path / "p")
    assert (pkg.id, pkg.version, pkg.ref) == ("example.pkg", "1.0.0", "example.pkg#1.0.0")
    assert sorted(e.resource_type for e in pkg.entries) == ["StructureDefinition", "ValueSet"]
    sd_entry = next(e for e in pkg.entries if e.resource_type == "StructureDefinition")
    assert sd_entry.url == SD_URL and sd_entry.version == "1.0.0"
    assert pkg.read(sd_entry)["type"] == "Patient"
    # the package root itself (the folder holding package.json) opens too
    assert Package.open(tmp_path / "p" / "package").id == "example.pkg"


def test_resources_are_read_lazily(tmp_path: Path, make_package) -> None:
    make_package(tmp_path / "p", "example.pkg", "1.0.0", [_sd("1.0.0"), _vs()])
    pkg = Package.open(tmp_path / "p")
    changed = '{"resourceType": "ValueSet", "id": "x"}'
    (tmp_path / "p" / "package" / "ValueSet-colours.json").write_text(changed)
    # only the index was read at open time: the file is read on first access
    assert pkg.read("ValueSet-colours.json")["id"] == "x"


@pytest.mark.parametrize("index", [True, False])
def test_tgz_package(tmp_path: Path, make_package, index: bool) -> None:
    make_package(tmp_path / "p", "example.pkg", "1.0.0", [_sd("1.0.0"), _vs()], index=index)
    tgz = _tgz(tmp_path / "p", tmp_path / "example.tgz")
    pkg = Package.open(tgz)
    assert pkg.ref == "example.pkg#1.0.0"
    assert {e.id for e in pkg.entries} == {"my-patient", "colours"}
    defs = Definitions(cache=tmp_path / "empty-cache")
    defs.add_package(tgz)
    assert defs.resolve("http://example.org/fhir/ValueSet/colours")["status"] == "active"


def test_not_a_package(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    with pytest.raises(PackageError, match=r"no package\.json"):
        Package.open(tmp_path / "x")
    (tmp_path / "bad.tgz").write_bytes(b"not a tarball")
    with pytest.raises(PackageError, match="cannot read package"):
        Package.open(tmp_path / "bad.tgz")
    with pytest.raises(PackageError, match="no FHIR package"):
        Package.open(tmp_path / "nothing")


def test_dependencies_and_canonical_versions(tmp_path: Path, make_package) -> None:
    cache = tmp_path / "cache"
    make_package(cache / "base.pkg#1.0.0", "base.pkg", "1.0.0", [_sd("1.0.0", "old"), _vs()])
    make_package(cache / "base.pkg#2.0.0", "base.pkg", "2.0.0", [])
    make_package(tmp_path / "top", "top.pkg", "0.1.0", [_sd("2.0.0")], dependencies={"base.pkg": "1.0.0"})
    defs = Definitions(cache=cache)
    defs.add_package(tmp_path / "top")
    assert [p.ref for p in defs.packages] == ["top.pkg#0.1.0", "base.pkg#1.0.0"]
    # the package loaded first wins for an unversioned canonical ...
    assert defs.resolve(SD_URL)["version"] == "2.0.0"
    # ... and url|version picks the exact one
    assert defs.resolve(SD_URL + "|1.0.0")["id"] == "old"
    assert defs.resolve(SD_URL + "|2.0.0")["id"] == "my-patient"
    assert defs.resolve(SD_URL + "|3.0.0") is None
    assert defs.resolve("http://example.org/unknown") is None
    assert SD_URL in defs and SD_URL + "|9" not in defs
    assert defs.get("ValueSet", "colours")["url"].endswith("/colours")
    assert defs.package_of(SD_URL + "|1.0.0").ref == "base.pkg#1.0.0"
    assert find_cached("base.pkg", "latest", cache).name == "base.pkg#2.0.0"
    assert find_cached("base.pkg", "1.0.x", cache).name == "base.pkg#1.0.0"
    assert [c.version for c in cached_packages(cache)] == ["1.0.0", "2.0.0"]


def test_missing_dependency_names_the_install_command(tmp_path: Path, make_package) -> None:
    make_package(tmp_path / "top", "top.pkg", "0.1.0", [], dependencies={"other.pkg": "3.1.0"})
    defs = Definitions(cache=tmp_path / "cache")
    expected = r"other\.pkg#3\.1\.0 \(needed by top\.pkg#0\.1\.0\).*dkconform fhir install"
    with pytest.raises(PackageNotFound, match=expected):
        defs.add_package(tmp_path / "top")


def test_missing_core_names_the_setup_command(tmp_path: Path) -> None:
    with pytest.raises(CoreMissing, match="dkconform fhir setup"):
        Definitions.for_core(tmp_path)


def test_cache_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_dir() == Path.home() / ".fhir" / "packages"


def test_extra_definition_file_overrides_packages(tmp_path: Path, make_package) -> None:
    make_package(tmp_path / "p", "example.pkg", "1.0.0", [_sd("1.0.0")])
    defs = Definitions(cache=tmp_path / "cache")
    defs.add_package(tmp_path / "p")
    extra = _sd("1.0.0", "local-copy")
    (tmp_path / "sd.json").write_text(json.dumps(extra))
    [entry] = defs.add_file(tmp_path / "sd.json")
    assert entry.url == SD_URL
    assert defs.resolve(SD_URL)["id"] == "local-copy"
    assert defs.structure_definition(SD_URL)["id"] == "local-copy"
    (tmp_path / "not-fhir.json").write_text("[1, 2]")
    with pytest.raises(PackageError, match="not a FHIR resource"):
        defs.add_file(tmp_path / "not-fhir.json")


def test_profiles_dir_packages(tmp_path: Path, make_package, core_folder: Path) -> None:
    make_package(tmp_path / "fhir" / "dk.pkg", "dk.pkg", "1.0.0", [_vs()])
    defs = Definitions(cache=tmp_path / "cache")
    assert [p.ref for p in defs.add_profiles_dir(tmp_path / "fhir")] == ["dk.pkg#1.0.0"]
    assert defs.add_profiles_dir(tmp_path / "absent") == []
    # the project's own profiles/fhir/ packages (their dependencies come from the cache)
    own = Definitions(cache=core_folder.parent)
    added = own.add_profiles_dir()
    assert all(p in own.packages for p in added)


def test_real_core_package(core_definitions: Definitions) -> None:
    patient = core_definitions.resolve("http://hl7.org/fhir/StructureDefinition/Patient")
    assert patient["type"] == "Patient" and patient["kind"] == "resource"
    assert core_definitions.resolve("http://hl7.org/fhir/StructureDefinition/Patient|4.0.1") is patient
    assert core_definitions.structure_definition("string")["kind"] == "primitive-type"
    assert core_definitions.get("ValueSet", "administrative-gender")["url"] == (
        "http://hl7.org/fhir/ValueSet/administrative-gender")
    core = core_definitions.packages[0]
    assert core.ref == "hl7.fhir.r4.core#4.0.1" and len(core.entries) == 4578
