"""The on-disk cache of generated snapshots and FHIRPath parse trees: written once, read back
with json only, keyed so that nothing stale is read, ignored when damaged, and switchable off."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from dkhealth_conformance.fhir import compiled_cache, fhirpath
from dkhealth_conformance.fhir import snapshot as snapshot_module
from dkhealth_conformance.fhir.packages import Definitions

from .conftest import EXAMPLE_SD, constraint_profile, core_with

URL = EXAMPLE_SD + "cached-patient"


def _profile(gender_min: int = 1) -> dict[str, Any]:
    return constraint_profile("cached-patient", "Patient", [
        {"id": "Patient.gender", "path": "Patient.gender", "min": gender_min}])


def _definitions(core_definitions: Definitions, profile: dict[str, Any]) -> Definitions:
    return core_with(core_definitions, profile)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(compiled_cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _no_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the snapshot was generated, not read from the cache")

    monkeypatch.setattr(snapshot_module, "generate_snapshot", refuse)


def _gender_min(sd: dict[str, Any]) -> int:
    return next(int(e["min"]) for e in sd["snapshot"]["element"] if e["id"] == "Patient.gender")


def test_a_generated_snapshot_is_written_and_read_back(core_definitions: Definitions, cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    first = _definitions(core_definitions, _profile()).snapshot(URL)
    assert first is not None and _gender_min(first) == 1
    [written] = list(cache.glob("snapshots/*/*.json"))
    stored = json.loads(written.read_text())
    assert (stored["schema"], stored["name"]) == (compiled_cache.SCHEMA, URL)
    _no_generation(monkeypatch)
    again = _definitions(core_definitions, _profile()).snapshot(URL)
    assert again == json.loads(json.dumps(first))


def test_another_definition_gives_another_key(core_definitions: Definitions, cache: Path) -> None:
    one, other = _definitions(core_definitions, _profile(1)), _definitions(core_definitions, _profile(0))
    assert one.digest() != other.digest()
    assert _gender_min(one.snapshot(URL) or {}) == 1
    assert _gender_min(other.snapshot(URL) or {}) == 0  # not the cached snapshot of the other profile
    assert len(list(cache.glob("snapshots/*/*.json"))) == 2


@pytest.mark.parametrize("damage", [
    b"not json", b"", pickle.dumps({"schema": 1}), b'{"schema": 99, "key": "k", "name": "n", "value": {}}',
    b"[1, 2]",
])
def test_a_damaged_or_foreign_file_is_ignored_and_rewritten(core_definitions: Definitions, cache: Path,
                                                           damage: bytes) -> None:
    _definitions(core_definitions, _profile()).snapshot(URL)
    [written] = list(cache.glob("snapshots/*/*.json"))
    written.write_bytes(damage)
    regenerated = _definitions(core_definitions, _profile()).snapshot(URL)
    assert regenerated is not None and _gender_min(regenerated) == 1
    assert json.loads(written.read_text())["name"] == URL


def test_a_file_stored_under_another_key_is_not_read(core_definitions: Definitions, cache: Path) -> None:
    defs = _definitions(core_definitions, _profile())
    path = compiled_cache.snapshot_path(defs.digest(), URL)
    assert path is not None
    compiled_cache.write(path, "another key", URL, {"snapshot": {"element": [{"id": "forged"}]}})
    assert _gender_min(defs.snapshot(URL) or {}) == 1


def test_the_cache_can_be_switched_off(core_definitions: Definitions, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compiled_cache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled_cache.cache_root() is None
    assert _definitions(core_definitions, _profile()).snapshot(URL) is not None
    assert list(tmp_path.rglob("*.json")) == []


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(compiled_cache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled_cache.cache_root() == tmp_path / "dkhealth-conformance"


def test_fhirpath_trees_are_cached(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expression = "name.where(use = 'cache-test').exists() or active.not()"
    monkeypatch.setattr(fhirpath, "_TREES", {})
    tree = fhirpath.parse(expression)
    assert len(list(cache.glob("fhirpath/*/*.json"))) == 1
    monkeypatch.setattr(fhirpath, "_TREES", {})
    import fhirpathpy.parser

    def refuse(text: str) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(fhirpathpy.parser, "parse", refuse)
    assert fhirpath.parse(expression) == tree
    compiled = fhirpath.compile_tree(fhirpath.parse(expression))
    assert compiled([{"active": False}], fhirpath.Env({})) == [True]


def test_no_home_folder_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compiled_cache.ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert compiled_cache.cache_root() is None


def test_two_versions_of_one_canonical_have_their_own_snapshots(core_definitions: Definitions, cache: Path) -> None:
    defs = core_with(core_definitions, {**_profile(1), "version": "1"}, {**_profile(0), "version": "2"})
    assert _gender_min(defs.snapshot(URL + "|1") or {}) == 1
    assert _gender_min(defs.snapshot(URL + "|2") or {}) == 0
    assert _gender_min(_definitions(core_definitions, {**_profile(1), "version": "1"}).snapshot(URL + "|1") or {}) == 1
    fresh = core_with(core_definitions, {**_profile(1), "version": "1"}, {**_profile(0), "version": "2"})
    assert _gender_min(fresh.snapshot(URL + "|2") or {}) == 0  # not the file of version 1


def test_definitions_added_later_are_in_a_snapshot_asked_again(core_definitions: Definitions, cache: Path) -> None:
    """A snapshot depends on its base and on the type profiles it names: one generated before they
    were added (or replaced) is generated again."""
    derived = {**constraint_profile("derived-patient", "Patient", []), "baseDefinition": URL}
    defs = core_with(core_definitions, _profile(1), derived)
    assert _gender_min(defs.snapshot(EXAMPLE_SD + "derived-patient") or {}) == 1
    defs.add_resource(_profile(0))  # the base replaced
    assert _gender_min(defs.snapshot(EXAMPLE_SD + "derived-patient") or {}) == 0

    typed = constraint_profile("typed-patient", "Patient", [
        {"id": "Patient.name", "path": "Patient.name", "type": [{"code": "HumanName",
                                                                  "profile": [EXAMPLE_SD + "named"]}]}])
    named = {**constraint_profile("named", "HumanName", [
        {"id": "HumanName", "path": "HumanName", "constraint": [
            {"key": "nam-1", "severity": "error", "human": "a family name", "expression": "family.exists()"}]}]),
        "kind": "complex-type"}
    defs = core_with(core_definitions, typed)
    before = defs.snapshot(EXAMPLE_SD + "typed-patient") or {}
    assert "nam-1" not in json.dumps(before)
    defs.add_resource(named)
    assert "nam-1" in json.dumps(defs.snapshot(EXAMPLE_SD + "typed-patient"))
