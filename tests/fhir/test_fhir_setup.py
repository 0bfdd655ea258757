from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from dkhealth_conformance.cli import main
from dkhealth_conformance.fhir import setup
from dkhealth_conformance.fhir.packages import Package, tgz_bytes
from dkhealth_conformance.fhir.setup import SetupError


def _pkg_tgz(name: str = "example.pkg", version: str = "1.0.0") -> bytes:
    vs = {"resourceType": "ValueSet", "id": "v", "url": "http://example.org/ValueSet/v"}
    return tgz_bytes({
        "package/package.json": json.dumps({"name": name, "version": version}).encode(),
        "package/ValueSet-v.json": json.dumps(vs).encode(),
        "package/openapi/ValueSet.schema.json": b"{}",
    })


def test_sha256_mismatch_is_rejected() -> None:
    with pytest.raises(SetupError, match="sha256 mismatch"):
        setup.core_from_core_tgz(_pkg_tgz())
    with pytest.raises(SetupError, match="sha256 mismatch"):
        setup.core_from_examples_tgz(_pkg_tgz())


def test_content_digest_mismatch_is_rejected() -> None:
    files = setup._package_files(_pkg_tgz("hl7.fhir.r4.core", "4.0.1"), "t")
    with pytest.raises(SetupError, match="content digest mismatch"):
        setup._check_content(files, "t")


def test_content_digest_ignores_formatting_and_narrative() -> None:
    a = {"x.json": b'{"resourceType": "ValueSet", "id": "a"}', "package.json": b"{}"}
    b = {"x.json": b'{\n "id":"a",  "resourceType":"ValueSet", "text": {"status": "generated"}}',
         "package.json": b'{"name": "other"}'}
    assert setup.content_digest(a) == setup.content_digest(b)
    assert setup.content_digest(a) != setup.content_digest({"x.json": b'{"resourceType": "ValueSet"}'})


def test_unsafe_tarballs_are_rejected(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/../../evil.json")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    with pytest.raises(SetupError, match="unsafe path"):
        setup.install_tgz(buf.getvalue(), tmp_path)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/link.json")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(SetupError, match="not a regular file"):
        setup.install_tgz(buf.getvalue(), tmp_path)
    assert not any(tmp_path.iterdir())


def test_install_is_atomic_idempotent_and_indexed(tmp_path: Path) -> None:
    folder = setup.install_tgz(_pkg_tgz(), tmp_path, expect="example.pkg#1.0.0")
    assert folder == tmp_path / "example.pkg#1.0.0"
    # an index was written because the tarball had none; subfolders are kept
    index = json.loads((folder / "package" / ".index.json").read_text())
    assert [r["filename"] for r in index["files"]] == ["ValueSet-v.json"]
    assert (folder / "package" / "openapi" / "ValueSet.schema.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.pkg#1.0.0"]  # no temp folders left
    assert setup.install_tgz(_pkg_tgz(), tmp_path) == folder
    with pytest.raises(SetupError, match=re.escape("holds example.pkg#1.0.0, not example.pkg#2.0.0")):
        setup.install_tgz(_pkg_tgz(), tmp_path, expect="example.pkg#2.0.0")


def test_obtain_core_is_idempotent(core_folder: Path) -> None:
    messages: list[str] = []
    assert setup.obtain_core(core_folder.parent, sources=(), log=messages.append) == core_folder
    assert messages == [f"hl7.fhir.r4.core#4.0.1 is already in {core_folder.parent}"]


def test_obtain_core_reports_every_failed_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(setup.REGISTRY_ENV, raising=False)
    messages: list[str] = []
    expected = re.escape("could not obtain hl7.fhir.r4.core#4.0.1: nowhere: unknown source")
    with pytest.raises(SetupError, match=expected):
        setup.obtain_core(tmp_path, sources=("registry", "nowhere"), log=messages.append)
    assert "skipping the package registry" in messages[0]
    assert setup.registry_url("a.b", "1.0") is None
    assert setup.registry_url("a.b", "1.0", "https://packages.example/") == "https://packages.example/a.b/1.0"


def test_core_in_cache_has_the_pinned_content(core_folder: Path) -> None:
    root = core_folder / "package"
    files = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    assert setup.content_digest(files) == setup.CORE_CONTENT_SHA256


def test_core_rebuilt_from_the_examples_package(examples_tgz: Path) -> None:
    """Source 2: the npm examples tarball (kept in the cache) gives the same core content."""
    assert setup.sha256(examples_tgz.read_bytes()) == setup.EXAMPLES_TGZ_SHA256
    files = setup.core_from_examples_tgz(examples_tgz.read_bytes())
    assert json.loads(files["package.json"])["name"] == "hl7.fhir.r4.core"
    assert len(files) == 4579


# ------------------------------------------------------------------------------------- CLI


def test_cli_install_from_and_list(tmp_path: Path) -> None:
    tgz = tmp_path / "example.tgz"
    tgz.write_bytes(_pkg_tgz())
    cache = str(tmp_path / "cache")
    runner = CliRunner()
    result = runner.invoke(main, ["fhir", "list", "--cache", str(cache)])
    assert result.exit_code == 0 and "no FHIR packages" in result.output
    args = ["fhir", "install", "example.pkg#1.0.0", "--from", str(tgz), "--cache", cache]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert Package.open(Path(cache) / "example.pkg#1.0.0").ref == "example.pkg#1.0.0"
    result = runner.invoke(main, ["fhir", "list", "--cache", str(cache)])
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == ["ID           VERSION  RESOURCES", "example.pkg  1.0.0    1"]
    result = runner.invoke(main, ["fhir", "install", "other.pkg#1.0.0", "--from", str(tgz), "--cache", cache])
    assert result.exit_code == 1 and "holds example.pkg#1.0.0, not other.pkg#1.0.0" in result.output
    result = runner.invoke(main, ["fhir", "install", "example.pkg", "--from", str(tgz)])
    assert result.exit_code == 2 and "ID#VERSION" in result.output


def test_cli_list_env_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup.install_tgz(_pkg_tgz("a.pkg", "0.1"), tmp_path)
    monkeypatch.setenv("DKHEALTH_FHIR_CACHE", str(tmp_path))
    result = CliRunner().invoke(main, ["fhir", "list"])
    assert "a.pkg  0.1" in result.output


def test_cli_setup_when_present(core_folder: Path) -> None:
    result = CliRunner().invoke(main, ["fhir", "setup", "--cache", str(core_folder.parent)])
    assert result.exit_code == 0
    assert "hl7.fhir.r4.core#4.0.1 ready in" in result.output
