"""Where the bundled data folders are: ``profiles/``, ``testsuites/`` and ``examples/``.

In a wheel they sit inside the package under ``_data/``; in an editable install or a source
checkout they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
FOLDERS = ("profiles", "testsuites", "examples")


def data_dir(name: str) -> Path:
    """The folder ``name`` (one of :data:`FOLDERS`), from the wheel or from the source tree."""
    if name not in FOLDERS:
        raise ValueError(f"unknown data folder {name!r}")
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder {name!r} not found beside {_PACKAGE}")


def profiles_dir() -> Path:
    return data_dir("profiles")


def examples_dir() -> Path:
    return data_dir("examples")


def testsuites_dir() -> Path:
    return data_dir("testsuites")
