"""``benchmarks/mutation/score.py``: one scorer over the generator families (OIOXML and MedCom FHIR),
per standard and operator, exit status 1 when an operator misses a mutant."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dkhealth_conformance.generate import FAMILIES, draw_distinct, generator_standards

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "mutation" / "score.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_score", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_each_family_draws_an_original_and_one_tagged_near_miss_per_operator(family) -> None:
    standard = generator_standards(family.name)[0]
    drawn = [pair for strategy in family.mutants(standard)
             for pair in draw_distinct(strategy, 2, 0, key=lambda pair: pair[0].document)]
    for original, near_misses in drawn:
        assert original.valid and original.rule_id is None
        operators = [m.operator for m in near_misses]
        assert operators and len(set(operators)) == len(operators)
        assert set(operators) <= set(family.operators(standard))
        assert all(not m.valid and m.rule_id and m.document != original.document for m in near_misses)


def test_the_script_scores_both_families_and_exits_0() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--standard", "XDIS91@XD9134L", "--standard",
                           "acknowledgement", "--count", "3", "--seed", "1"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "medcom.oioxml.XDIS91@XD9134L  gln-check-digit" in out
    assert "medcom.acknowledgement@2.0.3  ack-code" in out
    assert "## oioxml: per operator over 1 standard version(s)" in out
    assert "## medcom-fhir: per operator over 1 standard version(s)" in out
    assert "total: " in out and "(100.00%)" in out


def test_selection_by_id_short_id_and_family() -> None:
    selected = _script().selected
    assert [s.ref for _f, s in selected(["medcom.carecommunication"])] == ["medcom.carecommunication@5.0.4"]
    assert [s.ref for _f, s in selected(["XRPT01"])] == ["medcom.oioxml.XRPT01@XR0130K",
                                                          "medcom.oioxml.XRPT01@XR0131K"]
    assert {f.name for f, _s in selected(["medcom-fhir"])} == {"medcom-fhir"}
    assert len(selected([])) == len(generator_standards(None))


def test_a_missed_mutant_fails_the_run_and_is_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    real = script.validate

    class Blind:  # reports the mutants without any rule id
        def __init__(self, document: bytes) -> None:
            self.report = real(document)

        def __getattr__(self, name: str):
            return getattr(self.report, name)

        def rule_ids(self) -> list[str]:
            return []

    monkeypatch.setattr(script, "validate", Blind)
    code = script.main(["--standard", "acknowledgement", "--count", "1", "--save", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "missed mutants:" in out and "reported: nothing" in out
    assert any(p.suffix == ".json" for p in tmp_path.iterdir())
