"""Mutation score of the validation: do the validators catch every near miss, with the right rule?

    python benchmarks/mutation/score.py [--standard ID[@VERSION]|ID|FAMILY ...] [--count 20] [--seed 0]
                                        [--markdown] [--show 3] [--save DIR]

Scores every standard version of every generator family of :data:`dkhealth_conformance.generate.FAMILIES`
(``oioxml``: the OIOXML letters, ``medcom-fhir``: the MedCom FHIR messages), or those that
``--standard`` names: ``ID@VERSION``, ``ID`` (its current version), the last part of an id
(``XRPT01``, ``carecommunication``: every version with a generator) or a family name.

Per standard the script draws ``--count`` distinct valid messages (seeded, as ``dkconform generate``
draws) from the family's ``mutants`` strategies in equal shares (OIOXML: Emessages with one letter,
and with two or three); each applies every mutation operator of the family to its own copy of
each message, at a site the operator draws. Every original and every mutant goes through
``validate()`` (standard detected, as a receiver would). An original must validate clean as this
standard; a mutant counts as caught when its report carries the rule id its operator promises.
Prints per standard and operator: mutants, caught, share; then per family and operator over its
standards, and the total. Exit status 0 when every operator catches all of its mutants and every
original is clean, else 1.

An operator with no site in a message (no CPR number to break, one letter only for the duplicate
identifier, no follow-up for ``drop-history``, ...) makes no mutant of it; a standard where an
operator never finds a site has no row for it (those are listed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dkhealth_conformance import validate
from dkhealth_conformance.generate import (
    FAMILIES,
    GeneratedMessage,
    GenerationError,
    GeneratorFamily,
    draw_distinct,
    generator_standards,
    resolve,
)
from dkhealth_conformance.registry import Standard


@dataclass
class Tally:
    """Mutants of one operator (on one standard, or summed), how many were caught, the missed."""

    rule_id: str
    mutants: int = 0
    caught: int = 0
    missed: list[tuple[GeneratedMessage, list[str]]] = field(default_factory=list)  # message, rule ids reported

    @property
    def share(self) -> float:
        return self.caught / self.mutants if self.mutants else 1.0

    def add(self, other: Tally) -> None:
        self.mutants += other.mutants
        self.caught += other.caught


@dataclass
class Result:
    """Per (family, standard ref, operator): the tally; the valid messages that did not validate
    clean; the (family, standard ref, operator) that found no site."""

    tallies: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    unclean: list[str] = field(default_factory=list)
    no_site: list[tuple[str, str, str]] = field(default_factory=list)


def selected(names: Iterable[str]) -> list[tuple[GeneratorFamily, Standard]]:
    """The (family, standard version) pairs to score: all, or those ``names`` select."""
    every = [(family, standard) for family in FAMILIES for standard in generator_standards(family.name)]
    wanted: set[str] = set()
    for name in names:
        by_name = [s.ref for f, s in every
                   if name in (f.name, short := s.id.rsplit(".", 1)[-1], f"{short}@{s.version}")]
        wanted.update(by_name or [resolve(name).ref])
    return [(f, s) for f, s in every if not wanted or s.ref in wanted]


def score(pairs: list[tuple[GeneratorFamily, Standard]], count: int, seed: int) -> Result:
    result = Result()
    for family, standard in pairs:
        strategies = family.mutants(standard)
        drawn = [pair for index, strategy in enumerate(strategies)
                 for pair in draw_distinct(strategy, count // len(strategies) + (index < count % len(strategies)),
                                           seed, key=lambda pair: pair[0].document)]
        for index, (original, near_misses) in enumerate(drawn, start=1):
            report = validate(original.document)
            if not report.valid or report.standard_ref != standard.ref:
                result.unclean.append(f"{standard.ref} #{index}: detected {report.standard_ref}, {report.rule_ids()}")
            for mutant in near_misses:
                key = (family.name, standard.ref, mutant.operator or "")
                tally = result.tallies.setdefault(key, Tally(mutant.rule_id or ""))
                tally.mutants += 1
                found = validate(mutant.document).rule_ids()
                if mutant.rule_id in found:
                    tally.caught += 1
                else:
                    tally.missed.append((mutant, found))
        result.no_site += [(family.name, standard.ref, op) for op in family.operators(standard)
                           if (family.name, standard.ref, op) not in result.tallies]
    return result


def _table(rows: list[list[str]], markdown: bool) -> str:
    head = ["standard", "operator", "rule id", "mutants", "caught", "share"]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows])


def _row(standard: str, operator: str, tally: Tally) -> list[str]:
    share = f"{tally.share:.0%}" if tally.caught in (0, tally.mutants) else f"{tally.share:.2%}"
    return [standard, operator, tally.rule_id, str(tally.mutants), str(tally.caught), share]


def print_report(result: Result, pairs: list[tuple[GeneratorFamily, Standard]], args: argparse.Namespace,
           elapsed: float) -> bool:
    """Print the tables and the findings; True when every operator caught everything and every
    valid message was clean."""
    tallies = result.tallies
    print(f"## per standard and operator ({args.count} valid messages and {args.count} mutants per operator each, "
          f"seed {args.seed})\n")
    print(_table([_row(ref, op, t) for (_f, ref, op), t in sorted(tallies.items())], args.markdown))

    full = total = 0
    for family in FAMILIES:
        standards = [s for f, s in pairs if f is family]
        if not standards:
            continue
        per_operator: dict[str, Tally] = {}
        for (name, _ref, op), tally in tallies.items():
            if name == family.name:
                per_operator.setdefault(op, Tally(tally.rule_id)).add(tally)
        order = list(dict.fromkeys(op for s in standards for op in family.operators(s)))
        print(f"\n## {family.name}: per operator over {len(standards)} standard version(s)\n")
        print(_table([_row("all", op, per_operator[op]) for op in order if op in per_operator], args.markdown))
        never = [op for op in order if op not in per_operator]
        if never:
            print(f"\noperators that found no site in any drawn message: {', '.join(never)}")
        full += sum(1 for t in per_operator.values() if t.caught == t.mutants)
        total += len(per_operator)
    some_sites = {(f, op) for f, _ref, op in tallies}
    partial = [f"{ref} {op}" for f, ref, op in result.no_site if (f, op) in some_sites]
    if partial:
        print(f"\nno site in these standards (the operator found sites in others): {', '.join(partial)}")

    mutants = sum(t.mutants for t in tallies.values())
    caught = sum(t.caught for t in tallies.values())
    print(f"\ntotal: {caught}/{mutants} mutants caught with the expected rule id "
          f"({caught / mutants if mutants else 1:.2%}); operators at 100%: {full}/{total}; "
          f"{len(pairs)} standard version(s); {elapsed:.1f} s")

    if result.unclean:
        print(f"\n{len(result.unclean)} valid message(s) did not validate clean:")
        for line in result.unclean:
            print(f"  {line}")
    missed = [(ref, op, m, found) for (_f, ref, op), t in sorted(tallies.items()) for m, found in t.missed]
    if missed:
        print("\nmissed mutants:")
        for (_f, ref, op), tally in sorted(tallies.items()):
            for message, found in tally.missed[: args.show]:
                print(f"  {ref} {op}: {message.description}\n      reported: {', '.join(found) or 'nothing'}")
    if args.save and missed:
        _save(args.save, missed, {s.ref: f.extension for f, s in pairs})
    return not missed and not result.unclean


def _save(folder: Path, missed: list[tuple[str, str, GeneratedMessage, list[str]]], extensions: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number, (ref, op, message, found) in enumerate(missed, start=1):
        stem = f"missed-{number:04d}-{ref.replace('@', '-')}-{op}"
        (folder / f"{stem}{extensions[ref]}").write_bytes(message.document)
        (folder / f"{stem}.txt").write_text(f"{message.description}\nexpected: {message.rule_id}\n"
                                            f"reported: {', '.join(found)}\n", encoding="utf-8")
    print(f"\nwrote {len(missed)} missed mutants to {folder}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--standard", action="append", default=[], metavar="ID[@VERSION]|ID|FAMILY",
                        help="only these standards (repeatable; a family name: all of its standards; default: "
                             f"every standard with a generator, families {', '.join(f.name for f in FAMILIES)})")
    parser.add_argument("--count", type=int, default=20,
                        help="valid messages, and mutants per operator, per standard (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="tables in Markdown")
    parser.add_argument("--show", type=int, default=3, help="missed mutants to describe per row (default 3)")
    parser.add_argument("--save", type=Path, help="write every missed mutant into this folder")
    args = parser.parse_args(argv)
    try:
        pairs = selected(args.standard)
    except GenerationError as exc:
        parser.error(str(exc))
    started = time.perf_counter()
    result = score(pairs, args.count, args.seed)
    return 0 if print_report(result, pairs, args, time.perf_counter() - started) else 1


if __name__ == "__main__":
    sys.exit(main())
