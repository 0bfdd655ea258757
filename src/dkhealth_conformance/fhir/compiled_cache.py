"""On-disk cache of what validation compiles from definitions, so that a new process starts warm.

Two things are kept, each as one small JSON file:

- **generated snapshots** (profiles published as differentials, such as the MedCom and DK Core
  profiles): ``<root>/snapshots/<key>/<sha256 of the canonical>.json``, where ``key`` is the
  sha256 of the loaded package set (see :func:`package_digest`), of the extra definitions, and of
  the engine code that generates snapshots. Any change to a package, to a definition given with
  ``--ig``, or to the generator gives another key, so a stale snapshot is never read;
- **FHIRPath parse trees**: ``<root>/fhirpath/<fhirpathpy version>/<sha256 of the expression>.json``.

Files are read with :mod:`json` only (never unpickled: the cache is a folder a user could write
to, and reading it must not run code), checked against their schema version, key and name, and
ignored (then rewritten) when anything does not match. Writes are atomic (a temporary file in
the same folder, then a rename), so concurrent runs never see half a file.

The root is ``$DKHEALTH_COMPILED_CACHE`` if set (``off`` switches the cache off), else
``$XDG_CACHE_HOME/dkhealth-conformance`` or ``~/.cache/dkhealth-conformance``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: the layout of the files; files of another schema are ignored
SCHEMA = 1
ENV = "DKHEALTH_COMPILED_CACHE"


def cache_root() -> Path | None:
    """The cache folder, or None when the cache is switched off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("off", "0", "no", "") else Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(base) if base else Path.home() / ".cache") / "dkhealth-conformance"
    except RuntimeError:  # no home folder to be found: no cache
        return None


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


_ENGINE: str | None = None


def engine_digest() -> str:
    """The digest of the code whose output is cached (snapshot generation and the package model)."""
    global _ENGINE
    if _ENGINE is None:
        from .. import _version

        here = Path(__file__).parent
        h = hashlib.sha256(f"schema {SCHEMA} version {_version.__version__}".encode())
        for name in ("snapshot.py", "packages.py"):
            h.update((here / name).read_bytes())
        _ENGINE = h.hexdigest()
    return _ENGINE


def read(path: Path, key: str, name: str) -> Any:
    """The value stored at ``path`` for (key, name), or None when missing, unreadable or not ours."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("key") != key \
            or data.get("name") != name or "value" not in data:
        return None
    return data["value"]


def write(path: Path, key: str, name: str, value: Any) -> None:
    """Stores a value atomically; a cache that cannot be written is silently not used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"schema": SCHEMA, "key": key, "name": name, "value": value}, fh,
                          separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, TypeError, ValueError):
        pass  # not writable, or a value JSON cannot hold: the value is simply not cached


# ---------------------------------------------------------------------------- snapshots


def snapshot_path(key: str, url: str) -> Path | None:
    root = cache_root()
    return None if root is None else root / "snapshots" / key / f"{_sha(url)}.json"


# ---------------------------------------------------------------------------- FHIRPath


def _fhirpathpy_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fhirpathpy")
    except PackageNotFoundError:
        return "unknown"


_TREE_KEY: str | None = None


def load_tree(expression: str) -> dict[str, Any] | None:
    """A cached FHIRPath parse tree (None when not cached)."""
    path = _tree_path(expression)
    if path is None:
        return None
    found = read(path, _tree_key(), expression)
    return found if isinstance(found, dict) else None


def store_tree(expression: str, tree: dict[str, Any]) -> None:
    path = _tree_path(expression)
    if path is not None:
        write(path, _tree_key(), expression, tree)


def _tree_key() -> str:
    global _TREE_KEY
    if _TREE_KEY is None:
        _TREE_KEY = f"fhirpathpy {_fhirpathpy_version()} schema {SCHEMA}"
    return _TREE_KEY


def _tree_path(expression: str) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    return root / "fhirpath" / _sha(_tree_key())[:16] / f"{_sha(expression)}.json"
