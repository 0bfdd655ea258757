"""FHIR validation speed, side by side in one run.

- ours: full validation (structure, profiles, bindings, invariants) of a realistic 30-entry
  MedCom-like message Bundle (``message_bundle.py``), from a parsed dict and from the JSON text;
- fhir.resources (R4B models, structural only): ``Bundle.model_validate`` of the same dict and
  ``Bundle.model_validate_json`` of the same text;
- cold ``dkconform check bundle.json`` wall time, start-up included.

fhir.resources is not a dependency of the project: install it in the benchmark's environment
first (``pip install -e ".[bench]"``); without it only our numbers are printed.

    python benchmarks/fhir/bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from message_bundle import message_bundle


def per_call(fn: Any, repeat: int) -> float:
    """Best of five rounds of ``repeat`` calls, in milliseconds per call."""
    fn()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from dkhealth_conformance.fhir import Definitions
    from dkhealth_conformance.fhir.validator import FhirValidator

    bundle = message_bundle()
    text = json.dumps(bundle)
    validator = FhirValidator(Definitions.for_core())
    issues = validator.validate_json_text(text)
    errors = [i for i in issues if i.severity.value in ("error", "fatal")]
    print(f"Bundle: {len(bundle['entry'])} entries, {len(text):,} bytes of JSON; {len(issues)} issues, "
          f"{len(errors)} errors")
    ours_dict = per_call(lambda: validator.validate(bundle), args.repeat)
    ours_text = per_call(lambda: validator.validate_json_text(text), args.repeat)
    print(f"dkhealth-conformance, full validation (dict):      {ours_dict:7.2f} ms per Bundle")
    print(f"dkhealth-conformance, full validation (JSON text): {ours_text:7.2f} ms per Bundle")
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:
        print("fhir.resources is not installed (pip install -e '.[bench]'): no comparison")
    else:
        theirs_dict = per_call(lambda: Bundle.model_validate(bundle), args.repeat)
        theirs_text = per_call(lambda: Bundle.model_validate_json(text), args.repeat)
        print(f"fhir.resources R4B, structural (model_validate):      {theirs_dict:7.2f} ms per Bundle")
        print(f"fhir.resources R4B, structural (model_validate_json): {theirs_text:7.2f} ms per Bundle")
        print(f"ratio ours/theirs, dict: {ours_dict / theirs_dict:.2f}   JSON text: {ours_text / theirs_text:.2f}"
              "   (target <= 1.0)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.json"
        path.write_text(text, encoding="utf-8")
        command = [sys.executable, "-c", "from dkhealth_conformance.cli import main; main()", "check", str(path)]
        subprocess.run(command, capture_output=True, env=os.environ.copy())  # warms the caches
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, env=os.environ.copy())
            walls.append(time.perf_counter() - start)
        print(f"cold `dkconform check bundle.json` (new process, warm cache): {min(walls):.2f} s   (target < 1.5 s)")


if __name__ == "__main__":
    main()
