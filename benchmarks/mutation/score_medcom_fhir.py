"""Mutation score of the MedCom FHIR validation: is every near miss caught with the right rule?

    python benchmarks/mutation/score_medcom_fhir.py [--count 10] [--seed 0]
                                                    [--standard carecommunication ...] [--markdown]
                                                    [--show 3] [--save DIR]

For each of the three MedCom FHIR standards (CareCommunication, HospitalNotification,
Acknowledgement) draws ``--count`` distinct valid messages from
:mod:`dkhealth_conformance.strategies.medcom_fhir` (seeded, as ``dkconform generate`` draws) and
applies every operator of :data:`MEDCOM_OPERATORS` that applies to that standard to its own copy
of each message. Every original and every mutant goes through ``validate()`` as FHIR JSON bytes
(standard detected, as a receiver would). A mutant counts as caught when its report carries the
rule id the operator promises. Prints per standard and operator: mutants, caught, share; then the
overall share. Exit status 0 when every mutant is caught and every original is clean, else 1.

An operator that needs a follow-up message (``drop-preceding``, ``drop-history``) makes no mutant
of a message that follows nothing; with few messages a row may therefore be missing.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from dkhealth_conformance import validate
from dkhealth_conformance.generate import draw_distinct
from dkhealth_conformance.strategies import medcom_fhir as M

STANDARDS = {"carecommunication": M.care_communications, "hospitalnotification": M.hospital_notifications,
             "acknowledgement": M.acknowledgements}

Mutations = dict[str, tuple[bytes, str]]


def _bytes(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@st.composite
def _originals_and_mutants(draw: st.DrawFn, kind: str) -> tuple[bytes, Mutations]:
    """A valid message and, per applicable operator, its own mutant of it."""
    bundle = draw(STANDARDS[kind]())
    mutations: Mutations = {}
    for name, (_rule, kinds, mutate) in M.MEDCOM_OPERATORS.items():
        if kind not in kinds or not M._applies(name, bundle):
            continue
        mutant = copy.deepcopy(bundle)
        description = mutate(mutant, draw)
        mutations[name] = (_bytes(mutant), description)
    return _bytes(bundle), mutations


class Tally:
    def __init__(self) -> None:
        self.mutants = 0
        self.caught = 0
        self.missed: list[tuple[bytes, str, list[str]]] = []  # document, description, rule ids

    @property
    def share(self) -> float:
        return self.caught / self.mutants if self.mutants else 1.0


def score(kinds: list[str], count: int, seed: int) -> tuple[dict[tuple[str, str], Tally], list[str]]:
    """Per (standard, operator): the tally; and the originals that did not validate clean."""
    tallies: dict[tuple[str, str], Tally] = {}
    unclean: list[str] = []
    for kind in kinds:
        drawn = draw_distinct(_originals_and_mutants(kind), count, seed, key=lambda pair: pair[0])
        for index, (original, mutations) in enumerate(drawn, start=1):
            report = validate(original)
            if not report.valid or report.standard != f"medcom.{kind}":
                unclean.append(f"{kind} #{index}: detected {report.standard_ref}, {report.rule_ids()}")
            for name, (document, description) in mutations.items():
                tally = tallies.setdefault((kind, name), Tally())
                tally.mutants += 1
                found = validate(document).rule_ids()
                if M.MEDCOM_OPERATORS[name][0] in found:
                    tally.caught += 1
                else:
                    tally.missed.append((document, description, found))
    return tallies, unclean


def _table(rows: list[list[str]], markdown: bool) -> str:
    head = ["standard", "operator", "rule id", "mutants", "caught", "share"]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10, help="valid messages per standard (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--standard", action="append", default=[], choices=sorted(STANDARDS),
                        help="only these standards (repeatable; default all three)")
    parser.add_argument("--markdown", action="store_true", help="table in Markdown")
    parser.add_argument("--show", type=int, default=3, help="missed mutants to describe per row (default 3)")
    parser.add_argument("--save", type=Path, help="write every missed mutant into this folder")
    args = parser.parse_args(argv)

    kinds = args.standard or list(STANDARDS)
    started = time.perf_counter()
    tallies, unclean = score(kinds, args.count, args.seed)
    elapsed = time.perf_counter() - started
    rows = [[f"medcom.{kind}", op, M.MEDCOM_OPERATORS[op][0], str(t.mutants), str(t.caught), f"{t.share:.0%}"]
            for (kind, op), t in sorted(tallies.items())]
    print(f"## per standard and operator ({args.count} valid messages each, seed {args.seed})\n")
    print(_table(rows, args.markdown))
    never = [(k, op) for k in kinds for op, (_r, ks, _m) in M.MEDCOM_OPERATORS.items()
             if k in ks and (k, op) not in tallies]
    if never:
        print("\nno mutant (no drawn message to apply it to): " + ", ".join(f"{k} {op}" for k, op in never))
    mutants = sum(t.mutants for t in tallies.values())
    caught = sum(t.caught for t in tallies.values())
    operators = {op for _k, op in tallies}
    full = {op for op in operators if all(t.caught == t.mutants for (_k, o), t in tallies.items() if o == op)}
    print(f"\noverall: {caught}/{mutants} mutants caught with the expected rule id "
          f"({caught / mutants if mutants else 1:.2%}); operators at 100%: {len(full)}/{len(operators)} "
          f"(of {len(M.MEDCOM_OPERATORS)}); {elapsed:.1f} s")
    if unclean:
        print(f"\n{len(unclean)} valid message(s) did not validate clean:")
        for line in unclean:
            print(f"  {line}")
    missed = [(kind, op, m) for (kind, op), t in sorted(tallies.items()) for m in t.missed]
    if missed:
        print("\nmissed mutants:")
        for (kind, op), tally in sorted(tallies.items()):
            for _doc, description, found in tally.missed[: args.show]:
                print(f"  {kind} {op}: {description}\n      reported: {', '.join(found) or 'nothing'}")
    if args.save and missed:
        args.save.mkdir(parents=True, exist_ok=True)
        for number, (kind, op, (document, description, found)) in enumerate(missed, start=1):
            stem = f"missed-{number:04d}-{kind}-{op}"
            (args.save / f"{stem}.json").write_bytes(document)
            (args.save / f"{stem}.txt").write_text(f"{description}\nreported: {', '.join(found)}\n", encoding="utf-8")
        print(f"\nwrote {len(missed)} missed mutants to {args.save}")
    return 0 if not missed and not unclean else 1


if __name__ == "__main__":
    sys.exit(main())
