"""Full validation of typical MedCom FHIR messages (profiles of the standard's package set plus the
medcom message rules) beside fhir.resources R4B structural parsing of the same Bundle, in one run.

    pip install -e ".[bench]"          # the peers; not dependencies of the project
    python benchmarks/medcom_fhir/bench.py [--repeat N]

The messages are a new CareCommunication and a HospitalNotification (STIN) from the examples.
Validators are compiled before timing (compile once, validate many); times are the median per
message over N runs. Without fhir.resources only our times are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir

MESSAGES = ("carecommunication-new-message.json", "hospitalnotification-stin.json")


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up (compiles the package set on the first call)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:
        Bundle = None
    print(f"{'message':45} {'dkconform full (ms)':>20} {'fhir.resources R4B (ms)':>24}")
    for name in MESSAGES:
        text = (examples_dir() / "medcom-fhir" / name).read_text(encoding="utf-8")
        report = validate(text)
        assert report.standard is not None and report.valid, [str(i) for i in report.issues]
        ours = median_ms(lambda text=text: validate(text), args.repeat)
        theirs = "n/a"
        if Bundle is not None:
            data = json.loads(text)
            theirs = f"{median_ms(lambda data=data: Bundle.model_validate(data), args.repeat):.2f}"
        print(f"{name:45} {ours:>20.2f} {theirs:>24}")


if __name__ == "__main__":
    main()
