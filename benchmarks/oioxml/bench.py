"""OIOXML benchmark: full dkconform validation against bare lxml XSD validation, in one run.

    python benchmarks/oioxml/bench.py [--schemas DIR] [--rounds 25] [--match TEXT] [--letters 1000] [--repeat 5]

1. Per document: ``validate()`` (read, sniff, parse, generated schema, business rules, identifier
   checks) against bare lxml parse + ``XMLSchema.validate`` with MedCom's official schema of the
   same namespace (``--schemas``: a folder of MedCom's schema release; the repository's sibling
   ``../shared/oracle/medcom-oioxml-xsd`` is used when present). CPU time, the minimum of
   ``--rounds`` rounds in which the two take turns. Prints each letter's ratio, their median and
   worst, and the throughput ratio (total time over all letters, i.e. the time per document), whose
   target is at most 2.0.
2. A directory of ``--letters`` example letters checked by ``dkconform check --jobs 1`` and
   ``--jobs 2`` (subprocesses, start-up included), ``--repeat`` times each. Prints the fastest
   wall-clock times, the CPU time and the speed-up. On a machine shared with other work the
   speed-up is bounded by the idle CPU: compare the load average printed with it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
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
#: full validation may take at most this many times the bare lxml time per document
TARGET = 2.0


def valid_letters() -> list[Path]:
    folder = examples_dir() / "medcom-oioxml"
    return sorted(p for p in folder.glob("*.xml") if not p.with_name(p.name + ".expected").exists())


def official_schema(schemas: Path, namespace: str) -> etree.XMLSchema | None:
    match = re.search(r"/(\d{4})/(\d{2})/(\d{2})/?$", namespace)
    if not match:
        return None
    path = schemas.joinpath(*match.groups(), "EMessage.xsd")
    return etree.XMLSchema(etree.parse(str(path))) if path.exists() else None


def best_of(funcs: list, rounds: int, clock=time.process_time) -> list[float]:
    """Minimum over ``rounds`` of the time of each function in ``funcs`` (seconds). The functions take
    turns in every round, so that a busy moment on a shared machine hits them alike; the minimum is
    the run least disturbed by other processes. CPU time by default: time spent descheduled does not
    count."""
    samples: list[list[float]] = [[] for _ in funcs]
    for _ in range(rounds):
        for func, times in zip(funcs, samples, strict=True):
            started = clock()
            func()
            times.append(clock() - started)
    return [min(times) for times in samples]


def per_document(schemas: Path, rounds: int, match: str) -> None:
    print(f"{'letter':58} {'dkconform':>10} {'bare lxml':>10} {'ratio':>6}")
    ratios = []
    totals = [0.0, 0.0]
    for path in valid_letters():
        if match not in path.name:
            continue
        data = path.read_bytes()
        namespace = etree.fromstring(data, xml_parser()).nsmap.get(None, "")
        schema = official_schema(schemas, namespace)
        if schema is None:
            print(f"{path.name:58} (no official schema for {namespace})")
            continue
        report = validate(data)
        assert report.valid, (path, report.issues)
        started = time.process_time()
        validate(data)  # warm the compiled-schema cache; the time sets the calls per round (about 5 ms)
        calls = max(1, min(200, int(0.005 / max(time.process_time() - started, 1e-6))))

        def ours(data: bytes = data, calls: int = calls) -> None:
            for _ in range(calls):
                validate(data)

        def bare(data: bytes = data, schema: etree.XMLSchema = schema, calls: int = calls) -> None:
            for _ in range(calls):
                schema.validate(etree.fromstring(data, xml_parser()))

        t_ours, t_bare = (t / calls for t in best_of([ours, bare], rounds))
        ratios.append(t_ours / t_bare)
        totals[0] += t_ours
        totals[1] += t_bare
        print(f"{path.name:58} {t_ours * 1e3:8.3f}ms {t_bare * 1e3:8.3f}ms {t_ours / t_bare:6.2f}")
    if ratios:
        above = sum(1 for r in ratios if r > TARGET)
        print(f"per-letter ratio full validation / bare lxml: median {statistics.median(ratios):.2f}, "
              f"worst {max(ratios):.2f}; {above} of {len(ratios)} letters above {TARGET}")
        throughput = totals[0] / totals[1]
        print(f"throughput ratio over all letters (time per document, full / bare lxml): {throughput:.2f} "
              f"(target <= {TARGET}: {'met' if throughput <= TARGET else 'NOT met'})")


def directory_run(count: int, repeat: int) -> None:
    """``dkconform check --jobs 1`` and ``--jobs 2`` on a folder of ``count`` example letters, each run
    ``repeat`` times in turn; the fastest wall-clock time of each counts (start-up included)."""
    letters = valid_letters()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in range(count):
            source = letters[n % len(letters)]
            shutil.copy(source, folder / f"{n:05d}-{source.name}")
        walls: dict[int, list[float]] = {1: [], 2: []}
        cpus: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(repeat):
            for jobs in (1, 2):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                result = subprocess.run([sys.executable, "-m", "dkhealth_conformance", "check", "-q", "--no-progress",
                                         "--jobs", str(jobs), str(folder)], check=False)
                walls[jobs].append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus[jobs].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                assert result.returncode == 0, result.returncode
        for jobs in (1, 2):
            wall = min(walls[jobs])
            print(f"{count} letters, --jobs {jobs}: {wall:.2f} s wall, min of {repeat} ({count / wall:.0f} letters/s; "
                  f"CPU {min(cpus[jobs]):.2f} s)")
        print(f"speed-up --jobs 2 / --jobs 1: {min(walls[1]) / min(walls[2]):.2f}x "
              f"(load average before the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--letters", type=int, default=1000, help="letters in the --jobs run (0: no --jobs run)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each --jobs setting (the fastest counts)")
    parser.add_argument("--match", default="", help="only example letters whose file name contains this")
    args = parser.parse_args()
    if args.schemas.is_dir():
        per_document(args.schemas, args.rounds, args.match)
    else:
        print(f"official schemas not found at {args.schemas}: per-document comparison skipped (--schemas DIR)")
    if args.letters:
        directory_run(args.letters, args.repeat)


if __name__ == "__main__":
    main()
