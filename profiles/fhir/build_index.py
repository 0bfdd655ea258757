"""Regenerate ``package/.index.json`` of every package folder under ``profiles/fhir/``.

Usage: ``python profiles/fhir/build_index.py`` (from anywhere). The index lists each resource file
with its resourceType, id, url, version, kind, type and derivation, in the format the FHIR package
loader reads (``dkhealth_conformance.fhir.packages``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from dkhealth_conformance.fhir.packages import write_index

HERE = Path(__file__).resolve().parent


def main() -> int:
    for folder in sorted(HERE.glob("*#*/package")):
        if (folder / "package.json").is_file():
            count = write_index(folder)
            print(f"{folder.parent.name}: {count} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
