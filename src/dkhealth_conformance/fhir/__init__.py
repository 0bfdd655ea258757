"""FHIR R4: package cache and loader, snapshot generation, validation."""

from __future__ import annotations

from .packages import (
    CACHE_ENV,
    CORE_ID,
    CORE_VERSION,
    CoreMissing,
    Definitions,
    Package,
    PackageError,
    PackageNotFound,
    cache_dir,
)

__all__ = [
    "CACHE_ENV",
    "CORE_ID",
    "CORE_VERSION",
    "CoreMissing",
    "Definitions",
    "Package",
    "PackageError",
    "PackageNotFound",
    "cache_dir",
]
