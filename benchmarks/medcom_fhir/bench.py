"""Full validation of typical MedCom FHIR messages (profiles of the standard's package set plus the
medcom message rules) beside fhir.resources R4B structural parsing of the same Bundle, in one run.

    pip install -e ".[bench]"          # the peers; not dependencies of the project
    python benchmarks/medcom_fhir/bench.py [--rounds N] [--calls N]

The messages are a new CareCommunication and a HospitalNotification (STIN) from the examples.
Ours is ``dkhealth_conformance.validate`` on the JSON text as received (read, detect, parse with
the depth check, profiles, invariants, message rules, report). Theirs is the structural parse of
the same Bundle from the same text, ``Bundle.model_validate_json`` (the target: a ratio of at most
1.0), and, for reference, ``Bundle.model_validate`` on an already parsed dict (which leaves out the
JSON parse that ours includes). Validators are compiled before timing (compile once, validate
many). The three take turns: each round times ``--calls`` calls of each, so that a busy moment on a
shared machine hits them alike. Printed per message: the median and the fastest round (ms per
call) and the ratios of the medians. Without fhir.resources only our times are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir

MESSAGES = ("carecommunication-new-message.json", "hospitalnotification-stin.json")


def rounds_ms(funcs: list[Callable[[], object]], rounds: int, calls: int) -> list[list[float]]:
    """Per function, the time per call (ms) of each round; the functions take turns in every round."""
    for fn in funcs:
        fn()  # warm up (compiles the package set on the first call)
    samples: list[list[float]] = [[] for _ in funcs]
    for _ in range(rounds):
        for fn, times in zip(funcs, samples, strict=True):
            started = time.perf_counter()
            for _ in range(calls):
                fn()
            times.append((time.perf_counter() - started) * 1000 / calls)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:
        Bundle = None
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'message':38} {'dkconform full':>16} {'fhir.resources R4B':>20} {'(from dict)':>16} {'ratio':>7} "
          f"{'(dict)':>7}")
    print(f"{'':38} {'median / fastest':>16} {'from the JSON text':>20} {'':>16}")
    for name in MESSAGES:
        text = (examples_dir() / "medcom-fhir" / name).read_text(encoding="utf-8")
        report = validate(text)
        assert report.standard is not None and report.valid, [str(i) for i in report.issues]
        funcs: list[Callable[[], object]] = [lambda text=text: validate(text)]
        if Bundle is not None:
            data = json.loads(text)
            funcs.append(lambda text=text: Bundle.model_validate_json(text))
            funcs.append(lambda data=data: Bundle.model_validate(data))
        samples = rounds_ms(funcs, args.rounds, args.calls)
        shown = [f"{statistics.median(times):.2f} / {min(times):.2f}" for times in samples]
        if Bundle is None:
            print(f"{name:38} {shown[0]:>16}")
            continue
        ours, text_parse, dict_parse = (statistics.median(times) for times in samples)
        print(f"{name:38} {shown[0]:>16} {shown[1]:>20} {shown[2]:>16} {ours / text_parse:>7.2f} "
              f"{ours / dict_parse:>7.2f}")

if __name__ == "__main__":
    main()
