"""Simple mutations of an example letter, judged by our generated schema and the official one.

Shared by the per-namespace model tests: each element dropped, each leaf given an over-long and an
empty value, each run of equally named siblings repeated up to and past its upper bound.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

from lxml import etree

#: upper bounds worth probing when an element repeats (the schemas' maxOccurs values and one past)
BOUNDS = (2, 3, 4, 5, 6, 9, 10, 11, 20, 21, 50, 51, 90, 91, 99, 100)


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if e is not root and isinstance(e.tag, str)]


def _groups(tree: etree._ElementTree) -> list[int]:
    """Index (in document order) of the first element of each run of equally named siblings."""
    first: dict[tuple[int, str], int] = {}
    for index, element in enumerate(_elements(tree.getroot())):
        first.setdefault((id(element.getparent()), element.tag), index)
    return sorted(first.values())


def _mutants(tree: etree._ElementTree) -> Iterator[tuple[str, etree._ElementTree]]:
    for index in _groups(tree):
        copied = copy.deepcopy(tree)
        target = _elements(copied.getroot())[index]
        label = copied.getpath(target)
        target.getparent().remove(target)
        yield f"drop {label}", copied
        if len(target) == 0 and (target.text or "").strip():
            for value in ("ugyldig værdi " + "x" * 1100, ""):
                copied = copy.deepcopy(tree)
                target = _elements(copied.getroot())[index]
                target.text = value
                yield f"value {label} ({len(value)} chars)", copied


def _repeated(tree: etree._ElementTree, index: int, count: int) -> etree._ElementTree:
    copied = copy.deepcopy(tree)
    target = _elements(copied.getroot())[index]
    siblings = [s for s in target.getparent() if s.tag == target.tag]
    for _ in range(count - len(siblings)):
        siblings[-1].addnext(copy.deepcopy(siblings[-1]))
    return copied


def disagreements(tree: etree._ElementTree, ours: etree.XMLSchema, official: etree.XMLSchema) -> list[str]:
    """Every mutation of ``tree`` on which the two schemas give different verdicts."""
    found = []
    for label, mutant in _mutants(tree):
        verdicts = ours.validate(mutant), official.validate(mutant)
        if verdicts[0] != verdicts[1]:
            found.append(f"{label}: ours={verdicts[0]} official={verdicts[1]}")
    for index in _groups(tree):
        target = _elements(tree.getroot())[index]
        present = sum(1 for s in target.getparent() if s.tag == target.tag)
        label = tree.getpath(target)
        for count in [present + 1, *(b for b in BOUNDS if b > present + 1)]:
            mutant = _repeated(tree, index, count)
            verdicts = ours.validate(mutant), official.validate(mutant)
            if verdicts[0] != verdicts[1]:
                found.append(f"{label} x{count}: ours={verdicts[0]} official={verdicts[1]}")
            if not verdicts[1]:
                break  # past the upper bound: more repetitions say nothing new
    return found
