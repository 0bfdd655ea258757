"""OIOXML benchmark: full dkconform validation against bare lxml XSD validation, in one run.

    python benchmarks/oioxml/bench.py [--schemas DIR] [--rounds N] [--letters 1000]

1. Per document: ``validate()`` (read, sniff, parse, generated schema, business rules, identifier
   checks) against bare lxml parse + ``XMLSchema.validate`` with MedCom's official schema of the
   same namespace (``--schemas``: a folder of MedCom's schema release; the repository's sibling
   ``../shared/oracle/medcom-oioxml-xsd`` is used when present). Prints the ratio; the target is
   at most 2.0.
2. A directory of ``--letters`` letters checked by ``dkconform check --jobs 1`` and ``--jobs 2``
   (subprocesses, start-up included). Prints both times and the speed-up.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.payload import xml_parser

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMAS = ROOT.parent / "shared" / "oracle" / "medcom-oioxml-xsd"


def valid_letters() -> list[Path]:
    folder = examples_dir() / "medcom-oioxml"
    return sorted(p for p in folder.glob("*.xml") if not p.with_name(p.name + ".expected").exists())


def official_schema(schemas: Path, namespace: str) -> etree.XMLSchema | None:
    match = re.search(r"/(\d{4})/(\d{2})/(\d{2})/?$", namespace)
    if not match:
        return None
    path = schemas.joinpath(*match.groups(), "EMessage.xsd")
    return etree.XMLSchema(etree.parse(str(path))) if path.exists() else None


def best(func, rounds: int) -> float:
    """Median of ``rounds`` timings of ``func`` (seconds)."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def per_document(schemas: Path, rounds: int) -> None:
    print(f"{'letter':58} {'dkconform':>10} {'bare lxml':>10} {'ratio':>6}")
    ratios = []
    totals = [0.0, 0.0]
    for path in valid_letters():
        data = path.read_bytes()
        namespace = etree.fromstring(data, xml_parser()).nsmap.get(None, "")
        schema = official_schema(schemas, namespace)
        if schema is None:
            print(f"{path.name:58} (no official schema for {namespace})")
            continue
        report = validate(data)
        assert report.valid, (path, report.issues)
        validate(data)  # warm the compiled-schema cache

        def ours(data: bytes = data) -> None:
            for _ in range(50):
                validate(data)

        def bare(data: bytes = data, schema: etree.XMLSchema = schema) -> None:
            for _ in range(50):
                schema.validate(etree.fromstring(data, xml_parser()))

        t_ours, t_bare = best(ours, rounds) / 50, best(bare, rounds) / 50
        ratios.append(t_ours / t_bare)
        totals[0] += t_ours
        totals[1] += t_bare
        print(f"{path.name:58} {t_ours * 1e3:8.3f}ms {t_bare * 1e3:8.3f}ms {t_ours / t_bare:6.2f}")
    if ratios:
        print(f"median per-document ratio full validation / bare lxml: {statistics.median(ratios):.2f} "
              "(target <= 2.0; small letters pay a fixed ~0.15 ms for reading, detection and business rules)")
        print(f"throughput ratio over all letters (total time full / total time bare): {totals[0] / totals[1]:.2f}")


def directory_run(count: int) -> None:
    letters = valid_letters()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in range(count):
            source = letters[n % len(letters)]
            shutil.copy(source, folder / f"{n:05d}-{source.name}")
        timings = {}
        for jobs in (1, 2):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "dkhealth_conformance", "check", "-q", "--no-progress",
                                     "--jobs", str(jobs), str(folder)], check=False)
            timings[jobs] = time.perf_counter() - started
            assert result.returncode == 0, result.returncode
            print(f"{count} letters, --jobs {jobs}: {timings[jobs]:.2f} s ({count / timings[jobs]:.0f} letters/s)")
        print(f"speed-up --jobs 2 / --jobs 1: {timings[1] / timings[2]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--letters", type=int, default=1000)
    args = parser.parse_args()
    if args.schemas.is_dir():
        per_document(args.schemas, args.rounds)
    else:
        print(f"official schemas not found at {args.schemas}: per-document comparison skipped (--schemas DIR)")
    directory_run(args.letters)


if __name__ == "__main__":
    main()
