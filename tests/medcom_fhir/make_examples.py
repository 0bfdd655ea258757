"""Writes the invalid MedCom FHIR examples of the message rules (one per mutation operator and
standard it applies to, drawn with a fixed seed) into examples/medcom-fhir/, each with a sidecar
naming the rule it must trigger. Run from the repository root:
``python -m tests.medcom_fhir.make_examples``."""

from __future__ import annotations

import json

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.generate import draw_distinct
from dkhealth_conformance.strategies.medcom_fhir import MEDCOM_OPERATORS, invalid_medcom_messages

from .conftest import to_xml

XML = {("timezone", "hospitalnotification"), ("sender-without-identifier", "carecommunication"),
       ("ack-identifier", "acknowledgement")}


def main() -> None:
    folder = examples_dir() / "medcom-fhir"
    for operator, (rule_id, kinds, _fn) in MEDCOM_OPERATORS.items():
        for kind in kinds:
            strategy = invalid_medcom_messages(kind, (operator,))
            mutant = draw_distinct(strategy, 1, seed=2024, key=lambda m: m.description)[0]
            stem = f"invalid-medcom-{kind}-{operator}"
            if (operator, kind) in XML:
                data, name = to_xml(mutant.bundle), f"{stem}.xml"
            else:
                data, name = (json.dumps(mutant.bundle, indent=2, ensure_ascii=False) + "\n").encode(), f"{stem}.json"
            report = validate(data)
            assert rule_id in report.rule_ids(), (name, report.rule_ids())
            (folder / name).write_bytes(data)
            (folder / f"{name}.expected").write_text(f"# {mutant.description}\n{rule_id}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
