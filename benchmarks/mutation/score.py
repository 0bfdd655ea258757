"""Mutation score of the OIOXML validation: do the validators catch every near miss, with the right rule?

    python benchmarks/mutation/score.py [--count 20] [--seed 0] [--standard ID[@VERSION] ...]
                                        [--markdown] [--show 3] [--save DIR]

For every OIOXML standard version that has a generator, draws ``--count`` distinct valid
Emessages (seeded, as ``dkconform generate`` does; half of them with one letter, half with two
or three, so that operators on several letters have something to work on) and applies every mutation
operator of :data:`dkhealth_conformance.xmlmodel.strategies.OPERATORS` to each of them, at a
site the operator draws. Every original and every mutant goes through ``validate()`` (standard
detected, as a receiver would). A mutant counts as caught when its report carries the rule id
the operator promises. Prints per standard and operator: mutants, caught, share; then per
operator over all standards, and the overall share. Originals that do not validate clean are
printed too. Exit status 0 when every operator catches all of its mutants and every original is
clean, else 1.

An operator with no site in a document (no CPR number to break, one letter only for the
duplicate identifier, ...) makes no mutant of it; a standard where an operator never finds a
site shows no row for it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from dkhealth_conformance import validate
from dkhealth_conformance.generate import draw_distinct, generator_standards, resolve
from dkhealth_conformance.registry import Standard
from dkhealth_conformance.strategies.oioxml import models
from dkhealth_conformance.xmlmodel import strategies as S

Mutations = dict[str, tuple[bytes, str]]


# The valid document is drawn once and every operator changes its own copy of the tree, so each
# original yields one mutant per applicable operator. That uses the strategy module's document
# tree and site finders (the public strategies draw one operator per document).


def _clone(node: Any, mapping: dict[int, Any]) -> Any:
    copy = S.Node(node.name, node.type, node.decl, node.spine, node.text, [], node.namespace)
    mapping[id(node)] = copy
    copy.children = [c if isinstance(c, str) else _clone(c, mapping) for c in node.children]
    return copy


def _clone_document(doc: Any) -> Any:
    mapping: dict[int, Any] = {}
    root = _clone(doc.root, mapping)
    letters = [(mapping[id(node)], letter) for node, letter in doc.letters]
    return doc._replace(root=root, letters=letters)


@st.composite
def _originals_and_mutants(draw: st.DrawFn, model: Any, element: str,
                           letters: tuple[int, int]) -> tuple[bytes, Mutations]:
    schema = model.schema
    doc = draw(S._document(model, element, letters, None))
    original = S.serialize(doc.root, schema.namespace, doc.encoding, doc.pretty)
    mutations: Mutations = {}
    for name, operator in S.OPERATORS.items():
        copy = _clone_document(doc)
        sites = S._sites(name, copy, schema)
        if not sites:
            continue
        site = draw(st.sampled_from(sites))
        description = f"{operator.summary}: {site(draw)}"
        mutations[name] = (S.serialize(copy.root, schema.namespace, copy.encoding, copy.pretty), description)
    return original, mutations


class Tally:
    def __init__(self) -> None:
        self.mutants = 0
        self.caught = 0
        self.missed: list[tuple[str, bytes, str, list[str]]] = []  # standard, document, description, rule ids

    @property
    def share(self) -> float:
        return self.caught / self.mutants if self.mutants else 1.0


def score(standards: list[Standard], count: int, seed: int) -> tuple[dict[tuple[str, str], Tally], list[str]]:
    """Per (standard ref, operator): the tally; and the originals that did not validate clean."""
    tallies: dict[tuple[str, str], Tally] = {}
    unclean: list[str] = []
    all_models = models()
    for standard in standards:
        namespace, element = standard.data
        model = S._Model(all_models[namespace])
        drawn = [pair for letters, share in (((1, 1), count - count // 2), ((2, 3), count // 2))
                 for pair in draw_distinct(_originals_and_mutants(model, element, letters), share, seed,
                                           key=lambda pair: pair[0])]
        for index, (original, mutations) in enumerate(drawn, start=1):
            report = validate(original)
            if not report.valid or report.standard_ref != standard.ref:
                unclean.append(f"{standard.ref} #{index}: detected {report.standard_ref}, {report.rule_ids()}")
            for name, (document, description) in mutations.items():
                tally = tallies.setdefault((standard.ref, name), Tally())
                tally.mutants += 1
                found = validate(document).rule_ids()
                if S.OPERATORS[name].rule_id in found:
                    tally.caught += 1
                else:
                    tally.missed.append((standard.ref, document, description, found))
    return tallies, unclean


def _table(rows: list[list[str]], markdown: bool) -> str:
    head = ["standard", "operator", "rule id", "mutants", "caught", "share"]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows])


def _row(standard: str, operator: str, tally: Tally) -> list[str]:
    return [standard, operator, S.OPERATORS[operator].rule_id, str(tally.mutants), str(tally.caught),
            f"{tally.share:.0%}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="valid messages per standard (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--standard", action="append", default=[], metavar="ID[@VERSION]",
                        help="only these standards (repeatable; default: every OIOXML standard with a generator)")
    parser.add_argument("--markdown", action="store_true", help="tables in Markdown")
    parser.add_argument("--show", type=int, default=3, help="missed mutants to describe per row (default 3)")
    parser.add_argument("--save", type=Path, help="write every missed mutant into this folder")
    args = parser.parse_args(argv)

    standards = [resolve(ref) for ref in args.standard] or generator_standards()
    started = time.perf_counter()
    tallies, unclean = score(standards, args.count, args.seed)
    elapsed = time.perf_counter() - started

    rows = [_row(ref, op, tally) for (ref, op), tally in sorted(tallies.items())]
    print(f"## per standard and operator ({args.count} valid messages each, seed {args.seed})\n")
    print(_table(rows, args.markdown))

    per_operator: dict[str, Tally] = defaultdict(Tally)
    for (_ref, op), tally in tallies.items():
        per_operator[op].mutants += tally.mutants
        per_operator[op].caught += tally.caught
    print(f"\n## per operator over {len(standards)} standard versions\n")
    print(_table([_row("all", op, per_operator[op]) for op in S.OPERATORS if op in per_operator], args.markdown))
    never = [op for op in S.OPERATORS if op not in per_operator]
    if never:
        print(f"\noperators that found no site in any drawn message: {', '.join(never)}")

    mutants = sum(t.mutants for t in tallies.values())
    caught = sum(t.caught for t in tallies.values())
    full = sum(1 for t in per_operator.values() if t.caught == t.mutants)
    print(f"\noverall: {caught}/{mutants} mutants caught with the expected rule id "
          f"({caught / mutants if mutants else 1:.2%}); operators at 100%: {full}/{len(per_operator)}; "
          f"{elapsed:.1f} s")

    if unclean:
        print(f"\n{len(unclean)} valid message(s) did not validate clean:")
        for line in unclean:
            print(f"  {line}")
    missed = [m for t in tallies.values() for m in t.missed]
    if missed:
        print("\nmissed mutants:")
        for (ref, op), tally in sorted(tallies.items()):
            for _std, _doc, description, found in tally.missed[: args.show]:
                print(f"  {ref} {op}: {description}\n      reported: {', '.join(found) or 'nothing'}")
    if args.save and missed:
        args.save.mkdir(parents=True, exist_ok=True)
        for number, (ref, document, description, found) in enumerate(missed, start=1):
            stem = f"missed-{number:04d}-{ref.replace('@', '-')}"
            (args.save / f"{stem}.xml").write_bytes(document)
            (args.save / f"{stem}.txt").write_text(f"{description}\nreported: {', '.join(found)}\n", encoding="utf-8")
        print(f"\nwrote {len(missed)} missed mutants to {args.save}")
    return 0 if not missed and not unclean else 1


if __name__ == "__main__":
    sys.exit(main())
