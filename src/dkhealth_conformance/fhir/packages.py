"""FHIR NPM packages: reading them, the package cache, and a set of loaded definitions.

A FHIR package is an npm-style tarball (or its unpacked folder) whose ``package/`` folder holds
``package.json`` (name, version, dependencies), one JSON file per resource and usually an
``.index.json`` that lists each file's resourceType, id, url, version, kind and type. Reading a
package only reads ``package.json`` and the index (or, when there is no index, scans the files
once); a resource's JSON is read the first time somebody asks for it.

The package cache is the folder FHIR tools share, ``~/.fhir/packages/<id>#<version>/package/``.
Set ``DKHEALTH_FHIR_CACHE`` (or pass ``cache=``) to use another folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_ENV = "DKHEALTH_FHIR_CACHE"
CORE_ID = "hl7.fhir.r4.core"
CORE_VERSION = "4.0.1"
CORE_CANONICAL = "http://hl7.org/fhir/StructureDefinition/"
SETUP_HINT = "run `dkconform fhir setup` once to obtain it (it is then kept in the FHIR package cache)"

#: index fields copied from a resource when a package has no .index.json
_INDEX_FIELDS = ("resourceType", "id", "url", "version", "kind", "type", "derivation", "baseDefinition")


class PackageError(Exception):
    """A package is missing, unreadable or inconsistent."""


class PackageNotFound(PackageError):
    """A package (or a dependency) is not in the cache."""

    def __init__(self, package_id: str, version: str | None, cache: Path, needed_by: str | None = None):
        self.package_id, self.version, self.cache = package_id, version, cache
        ref = f"{package_id}#{version}" if version else package_id
        by = f" (needed by {needed_by})" if needed_by else ""
        if package_id == CORE_ID:
            hint = SETUP_HINT
        else:
            hint = f"install it with `dkconform fhir install {ref} --from FILE.tgz`"
        super().__init__(f"FHIR package {ref}{by} is not in the package cache {cache}; {hint}")


class CoreMissing(PackageNotFound):
    """The base FHIR R4 package hl7.fhir.r4.core#4.0.1 is not available."""


def cache_dir(cache: str | os.PathLike[str] | None = None) -> Path:
    """The package cache folder: ``cache`` if given, else ``$DKHEALTH_FHIR_CACHE``, else
    ``~/.fhir/packages``."""
    if cache is not None:
        return Path(cache).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".fhir" / "packages"


@dataclass(frozen=True)
class Entry:
    """One resource of a package, as listed by its index."""

    filename: str
    resource_type: str
    id: str | None = None
    url: str | None = None
    version: str | None = None
    kind: str | None = None
    type: str | None = None
    derivation: str | None = None

    @classmethod
    def from_index(cls, row: dict[str, Any]) -> Entry:
        return cls(row["filename"], row.get("resourceType", ""), row.get("id"), row.get("url"),
                   row.get("version"), row.get("kind"), row.get("type"), row.get("derivation"))

    def to_index(self) -> dict[str, str]:
        row = {"filename": self.filename, "resourceType": self.resource_type, "id": self.id,
               "url": self.url, "version": self.version, "kind": self.kind, "type": self.type,
               "derivation": self.derivation}
        return {k: v for k, v in row.items() if v is not None}


def index_entry(filename: str, resource: dict[str, Any]) -> Entry | None:
    """The index entry for a parsed resource, or None when it is not a FHIR resource."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return None
    vals = {k: resource.get(k) for k in _INDEX_FIELDS}
    return Entry(filename, str(vals["resourceType"]), *(v if isinstance(v, str) else None for v in (
        vals["id"], vals["url"], vals["version"], vals["kind"], vals["type"], vals["derivation"])))


class Package:
    """One FHIR package, from an unpacked folder or a ``.tgz``; resources are read lazily."""

    def __init__(self, manifest: dict[str, Any], entries: list[Entry], source: Path,
                 reader: _Reader) -> None:
        self.manifest = manifest
        self.id: str = str(manifest.get("name", ""))
        self.version: str = str(manifest.get("version", ""))
        deps = manifest.get("dependencies") or {}
        self.dependencies: dict[str, str] = {str(k): str(v) for k, v in deps.items()} if isinstance(
            deps, dict) else {}
        self.canonical: str | None = manifest.get("canonical")
        self.fhir_versions: list[str] = list(manifest.get("fhirVersions") or [])
        self.entries = entries
        self.source = source
        self._reader = reader
        self._cache: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"<Package {self.ref} ({len(self.entries)} resources) from {self.source}>"

    @property
    def ref(self) -> str:
        return f"{self.id}#{self.version}"

    # ------------------------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Package:
        """A package from a folder (the package root or the folder holding ``package/``) or a
        ``.tgz`` file."""
        p = Path(path)
        if p.is_dir():
            return cls.from_folder(p)
        if p.is_file():
            return cls.from_tgz(p)
        raise PackageError(f"no FHIR package at {p}")

    @classmethod
    def from_folder(cls, folder: Path) -> Package:
        root = folder / "package" if (folder / "package" / "package.json").is_file() else folder
        manifest_path = root / "package.json"
        if not manifest_path.is_file():
            raise PackageError(f"{folder} is not a FHIR package: no package.json")
        manifest = _load_json(manifest_path.read_bytes(), manifest_path)
        reader = _FolderReader(root)
        entries = _read_index(root / ".index.json")
        if entries is None:
            entries = list(_scan(reader))
        return cls(manifest, entries, folder, reader)

    @classmethod
    def from_tgz(cls, path: Path) -> Package:
        members: dict[str, bytes] = {}
        try:
            with tarfile.open(path, "r:*") as tar:
                for m in tar:
                    if not m.isfile():
                        continue
                    name = m.name.lstrip("./")
                    # only the package folder's own files count (not openapi/, other/, example/)
                    parts = name.split("/")
                    if len(parts) == 2 and parts[1].endswith(".json"):
                        fh = tar.extractfile(m)
                        if fh is not None:
                            members[parts[1]] = fh.read()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise PackageError(f"cannot read package {path}: {exc}") from exc
        if "package.json" not in members:
            raise PackageError(f"{path} is not a FHIR package: no package/package.json")
        manifest = _load_json(members["package.json"], path)
        reader = _MemoryReader(members)
        entries = None
        if ".index.json" in members:
            entries = _index_rows(_load_json(members[".index.json"], path))
        if entries is None:
            entries = list(_scan(reader))
        return cls(manifest, entries, path, reader)

    # ------------------------------------------------------------------------------ resources

    def read(self, entry: Entry | str) -> dict[str, Any]:
        """The resource JSON of an entry (or a file name), parsed once and kept."""
        filename = entry if isinstance(entry, str) else entry.filename
        found = self._cache.get(filename)
        if found is None:
            found = _load_json(self._reader.read(filename), self.source / filename)
            self._cache[filename] = found
        return found

    def digest(self, immutable: bool = False) -> str:
        """The sha256 of the package's content: of its manifest and index when ``immutable`` (a
        package in the FHIR package cache, checked when it was installed), else of every file."""
        h = hashlib.sha256(self.ref.encode())
        if self._cache and not self._reader.names():  # definitions added one by one
            for entry in self.entries:
                h.update(json.dumps(self._cache.get(entry.filename), sort_keys=True, default=str).encode())
            return h.hexdigest()
        names = ["package.json", ".index.json"]
        if not immutable or not self._reader.has(".index.json"):
            names = sorted(self._reader.names())
        for name in names:
            h.update(name.encode() + b"\0")
            h.update(hashlib.sha256(self._reader.read(name)).digest())
        return h.hexdigest()

    def resources(self, resource_type: str | None = None) -> Iterator[dict[str, Any]]:
        for entry in self.entries:
            if resource_type is None or entry.resource_type == resource_type:
                yield self.read(entry)


class _Reader:
    def read(self, filename: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def names(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def has(self, filename: str) -> bool:
        return filename in self.names()


class _FolderReader(_Reader):
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, filename: str) -> bytes:
        if "/" in filename or "\\" in filename or filename.startswith(".."):
            raise PackageError(f"bad file name in package index: {filename!r}")
        return (self.root / filename).read_bytes()

    def names(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("*.json") if p.is_file())

    def has(self, filename: str) -> bool:
        return (self.root / filename).is_file()


class _MemoryReader(_Reader):
    def __init__(self, members: dict[str, bytes]) -> None:
        self.members = members

    def read(self, filename: str) -> bytes:
        try:
            return self.members[filename]
        except KeyError:
            raise PackageError(f"file {filename!r} listed in the index is not in the package") from None

    def names(self) -> list[str]:
        return sorted(self.members)


def _load_json(data: bytes, where: object) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{where}: not valid JSON ({exc})") from exc


def _index_rows(index: Any) -> list[Entry] | None:
    if not isinstance(index, dict) or not isinstance(index.get("files"), list):
        return None
    return [Entry.from_index(r) for r in index["files"] if isinstance(r, dict) and "filename" in r]


def _read_index(path: Path) -> list[Entry] | None:
    if not path.is_file():
        return None
    try:
        return _index_rows(json.loads(path.read_bytes()))
    except ValueError:
        return None


def _scan(reader: _Reader) -> Iterator[Entry]:
    for name in reader.names():
        if name in ("package.json", ".index.json") or name.startswith("."):
            continue
        try:
            resource = json.loads(reader.read(name))
        except ValueError:
            continue
        entry = index_entry(name, resource)
        if entry is not None:
            yield entry


def write_index(folder: Path) -> int:
    """Write ``.index.json`` for an unpacked package folder (the ``package/`` folder itself);
    returns the number of resources indexed."""
    entries = list(_scan(_FolderReader(folder)))
    text = json.dumps({"index-version": 1, "files": [e.to_index() for e in entries]}, indent=1)
    (folder / ".index.json").write_text(text, encoding="utf-8")
    return len(entries)


# -------------------------------------------------------------------------------- the cache


@dataclass(frozen=True)
class CachedPackage:
    id: str
    version: str
    path: Path


def cached_packages(cache: str | os.PathLike[str] | None = None) -> list[CachedPackage]:
    """The packages in the cache (folders named ``id#version`` with a ``package/package.json``)."""
    root = cache_dir(cache)
    if not root.is_dir():
        return []
    found = []
    for child in sorted(root.iterdir()):
        if "#" in child.name and (child / "package" / "package.json").is_file():
            pid, _, ver = child.name.partition("#")
            found.append(CachedPackage(pid, ver, child))
    return found


def _version_key(version: str) -> tuple[Any, ...]:
    out: list[Any] = []
    for part in version.replace("-", ".").split("."):
        out.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(out)


def find_cached(package_id: str, version: str | None = None,
                cache: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder of ``package_id#version`` in the cache. ``version`` may be None, ``latest``,
    ``current`` or a wildcard like ``1.2.x``: the highest matching version is taken."""
    root = cache_dir(cache)
    if version and not version.endswith(("x", "*")) and version not in ("latest", "current", "dev"):
        folder = root / f"{package_id}#{version}"
        return folder if (folder / "package" / "package.json").is_file() else None
    prefix = version.rstrip("x*") if version and version.endswith(("x", "*")) else ""
    matches = [c for c in cached_packages(root) if c.id == package_id and c.version.startswith(prefix)]
    if not matches:
        return None
    return max(matches, key=lambda c: _version_key(c.version)).path


# ---------------------------------------------------------------------------- definitions


@dataclass
class _Hit:
    package: Package
    entry: Entry


@dataclass
class Definitions:
    """A set of loaded packages and extra definitions, indexed by canonical URL and type/id.

    Canonicals resolve with or without ``|version``; when several packages define the same
    canonical, the one loaded first wins (load your own packages before their dependencies, as
    :meth:`load` does).
    """

    cache: Path = field(default_factory=cache_dir)
    packages: list[Package] = field(default_factory=list)
    _by_url: dict[str, list[_Hit]] = field(default_factory=dict, repr=False)
    _by_type_id: dict[tuple[str, str], _Hit] = field(default_factory=dict, repr=False)
    _extra: dict[str, Package] = field(default_factory=dict, repr=False)
    _snapshots: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _key: str | None = field(default=None, repr=False)  # digest of the loaded set (on-disk cache key)

    # ----------------------------------------------------------------------------- building

    @classmethod
    def for_core(cls, cache: str | os.PathLike[str] | None = None) -> Definitions:
        """Definitions holding hl7.fhir.r4.core#4.0.1 (raises :class:`CoreMissing` with the
        setup command when it is not in the cache)."""
        defs = cls(cache=cache_dir(cache))
        defs.load(CORE_ID, CORE_VERSION)
        return defs

    def load(self, package_id: str, version: str | None = None, *, needed_by: str | None = None) -> Package:
        """Load a package from the cache with its dependencies (recursively)."""
        for pkg in self.packages:
            if pkg.id == package_id and (version is None or pkg.version == version):
                return pkg
        folder = find_cached(package_id, version, self.cache)
        if folder is None:
            exc = CoreMissing if package_id == CORE_ID else PackageNotFound
            raise exc(package_id, version, self.cache, needed_by)
        return self.add_package(Package.from_folder(folder))

    def add_package(self, package: Package | str | os.PathLike[str], *,
                    dependencies: bool = True) -> Package:
        """Add a package (object, folder or .tgz) and, by default, load its dependencies from the
        cache."""
        pkg = package if isinstance(package, Package) else Package.open(package)
        if any(p is pkg for p in self.packages):
            return pkg
        self.packages.append(pkg)
        self._key = None
        self._snapshots.clear()  # a generated snapshot may use what the package defines
        for entry in pkg.entries:
            hit = _Hit(pkg, entry)
            if entry.url:
                self._by_url.setdefault(entry.url, []).append(hit)
            if entry.id:
                self._by_type_id.setdefault((entry.resource_type, entry.id), hit)
        if dependencies:
            self.load_dependencies(pkg)
        return pkg

    def add_profiles_dir(self, folder: str | os.PathLike[str] | None = None) -> list[Package]:
        """Add every package under the project's ``profiles/fhir/`` (or ``folder``). A missing
        folder adds nothing."""
        if folder is None:
            from ..data import profiles_dir

            try:
                root = profiles_dir() / "fhir"
            except FileNotFoundError:
                return []
        else:
            root = Path(folder)
        if not root.is_dir():
            return []
        added = []
        for child in sorted(root.iterdir()):
            if (child.is_dir() and ((child / "package.json").is_file()
                                    or (child / "package" / "package.json").is_file())) \
                    or (child.is_file() and child.name.endswith(".tgz")):
                # dependencies afterwards: the packages of this folder depend on each other
                added.append(self.add_package(child, dependencies=False))
        for pkg in added:
            self.load_dependencies(pkg)
        return added

    def load_dependencies(self, pkg: Package) -> None:
        """Load the dependencies of a package (already loaded ones are reused), recursively."""
        for dep_id, dep_version in pkg.dependencies.items():
            self.load(dep_id, dep_version, needed_by=pkg.ref)

    def add_resource(self, resource: dict[str, Any], name: str = "<extra>") -> Entry:
        """Add one definition (StructureDefinition, ValueSet, CodeSystem, ...) given as JSON."""
        entry = index_entry(name, resource)
        if entry is None:
            raise PackageError(f"{name}: not a FHIR resource (no resourceType)")
        pkg = self._extra.get("extra")
        if pkg is None:
            pkg = Package({"name": "extra", "version": "0"}, [], Path("."), _MemoryReader({}))
            self._extra["extra"] = pkg
            self.packages.insert(0, pkg)
        filename = f"{len(pkg.entries)}:{name}"
        entry = Entry(filename, entry.resource_type, entry.id, entry.url, entry.version, entry.kind,
                      entry.type, entry.derivation)
        pkg.entries.append(entry)
        pkg._cache[filename] = resource
        hit = _Hit(pkg, entry)
        if entry.url:
            self._by_url.setdefault(entry.url, []).insert(0, hit)
        if entry.id:
            self._by_type_id[(entry.resource_type, entry.id)] = hit
        self._snapshots.clear()  # this definition, and any generated from it or using it
        self._key = None
        return entry

    def add_file(self, path: str | os.PathLike[str]) -> list[Entry]:
        """Add a single definition file (FHIR JSON or XML; a resource or a Bundle of them); a
        folder or ``.tgz`` is added as a package. Reading XML needs the core package."""
        p = Path(path)
        if p.is_dir() or p.name.endswith((".tgz", ".tar.gz")):
            return list(self.add_package(p).entries)
        data = p.read_bytes()
        if data.lstrip()[:1] == b"<":
            from .xmlconv import xml_to_json

            if not any(pkg.id == CORE_ID for pkg in self.packages):
                self.load(CORE_ID, CORE_VERSION, needed_by=f"{p.name} (reading FHIR XML)")
            resource = xml_to_json(data, self)
        else:
            resource = _load_json(data, p)
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            return [self.add_resource(e["resource"], p.name) for e in resource.get("entry", [])
                    if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
        return [self.add_resource(resource, p.name)]

    # ---------------------------------------------------------------------------- looking up

    def _hit(self, canonical: str) -> _Hit | None:
        url, _, version = canonical.partition("|")
        hits = self._by_url.get(url)
        if not hits:
            return None
        if not version:
            return hits[0]
        for hit in hits:
            if hit.entry.version == version:
                return hit
        return None

    def resolve(self, canonical: str) -> dict[str, Any] | None:
        """The resource with this canonical URL (``url`` or ``url|version``), or None."""
        hit = self._hit(canonical)
        return hit.package.read(hit.entry) if hit else None

    def entry(self, canonical: str) -> Entry | None:
        hit = self._hit(canonical)
        return hit.entry if hit else None

    def package_of(self, canonical: str) -> Package | None:
        hit = self._hit(canonical)
        return hit.package if hit else None

    def __contains__(self, canonical: object) -> bool:
        return isinstance(canonical, str) and self._hit(canonical) is not None

    def get(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        hit = self._by_type_id.get((resource_type, resource_id))
        return hit.package.read(hit.entry) if hit else None

    def entries(self, resource_type: str | None = None) -> Iterable[tuple[Package, Entry]]:
        """Every (package, entry), first-loaded first, optionally of one resource type."""
        for pkg in self.packages:
            for entry in pkg.entries:
                if resource_type is None or entry.resource_type == resource_type:
                    yield pkg, entry

    def structure_definition(self, name_or_url: str) -> dict[str, Any] | None:
        """A StructureDefinition by canonical URL or by a core type name (``Patient``,
        ``string``)."""
        if "/" not in name_or_url and ":" not in name_or_url:
            name_or_url = CORE_CANONICAL + name_or_url
        found = self.resolve(name_or_url)
        return found if found and found.get("resourceType") == "StructureDefinition" else None

    def snapshot(self, name_or_url: str) -> dict[str, Any] | None:
        """A StructureDefinition with a snapshot: the published one, or one generated from the
        differential (see :mod:`.snapshot`), cached per canonical."""
        sd = self.structure_definition(name_or_url)
        if sd is None:
            return None
        if sd.get("snapshot", {}).get("element"):
            return sd
        key = str(sd.get("url")) + (f"|{sd['version']}" if sd.get("version") else "")  # versions differ
        done = self._snapshots.get(key)
        if done is None:
            from . import compiled_cache
            from .snapshot import generate_snapshot

            path = compiled_cache.snapshot_path(self.digest(), key)
            found = compiled_cache.read(path, self.digest(), key) if path is not None else None
            if isinstance(found, dict) and (found.get("snapshot") or {}).get("element"):
                done = found
            else:
                done = generate_snapshot(sd, self)
                if path is not None:
                    compiled_cache.write(path, self.digest(), key, done)
            self._snapshots[key] = done
        return done

    def digest(self) -> str:
        """The sha256 of everything loaded (packages in order, extra definitions) and of the code
        that compiles them: the key of the on-disk cache of generated snapshots."""
        if self._key is None:
            from .compiled_cache import engine_digest

            h = hashlib.sha256(engine_digest().encode())
            cache = self.cache.resolve()
            for pkg in self.packages:
                source = pkg.source.resolve()
                h.update(pkg.digest(immutable=source.is_relative_to(cache)).encode())
            self._key = h.hexdigest()
        return self._key


def read_tgz_members(path: Path) -> dict[str, bytes]:
    """Every regular file of a tarball by its name (used by setup and tests)."""
    with tarfile.open(path, "r:*") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def tgz_bytes(files: dict[str, bytes]) -> bytes:
    """A gzip tarball from a {name: bytes} map (names as stored, e.g. ``package/x.json``)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
