"""The suites' small assertion language: ``path`` plus one or more of ``equals``, ``in``,
``matches``, ``exists`` and ``count``.

A path selects values in a payload; how depends on the payload's format (see
:data:`.registry.PATH_EVALUATORS`). For XML it is a slash path of local element names from the
root, namespaces ignored: ``/Emessage/ClinicalEmail/Patient/CivilRegistrationNumber``; ``*``
matches any element, ``Name[2]`` the second ``Name`` child (1-based), and ``//Name`` a ``Name``
at any depth below the step before it (``/Emessage/NegativeReceipt//RefuseCode``).

- ``exists: true`` — at least one element matches; ``exists: false`` — none does;
- ``count: N`` — exactly N elements match;
- ``equals``, ``in``, ``matches`` (a Python regular expression matching the whole text) — at
  least one element matches and the (stripped) text of every match satisfies the test.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .registry import PATH_EVALUATORS, Check, register_path_evaluator

_STEP = re.compile(r"^(\*|[A-Za-z_][\w.\-]*)(?:\[(\d+)\])?$")


@register_path_evaluator("xml")
def xml_values(root: Any, path: str) -> list[str]:
    """Texts of the elements under ``root`` (an lxml element) selected by ``path``."""
    if not path.startswith("/") or path.startswith("//") or path.endswith("/") or "///" in path:
        raise ValueError(f"path {path!r}: expected /Name/Name/... (// for any depth)")
    steps: list[tuple[str, int | None, bool]] = []
    deep = False
    for step in path.split("/")[1:]:
        if not step:
            deep = True
            continue
        match = _STEP.match(step)
        if match is None:
            raise ValueError(f"path {path!r}: bad step {step!r}")
        steps.append((match.group(1), int(match.group(2)) if match.group(2) else None, deep))
        deep = False
    name, index, _ = steps[0]
    current = [root] if name in ("*", etree.QName(root).localname) and index in (None, 1) else []
    for name, index, deep in steps[1:]:
        found = []
        for node in current:
            pool = [c for c in node.iter() if c is not node] if deep else list(node)
            children = [c for c in pool if isinstance(c.tag, str) and name in ("*", etree.QName(c).localname)]
            if index is not None:
                children = children[index - 1: index] if index >= 1 else []
            found.extend(children)
        current = list(dict.fromkeys(found))
    return [("".join(node.itertext())).strip() for node in current]


def evaluate(assertion: dict[str, Any], document: Any, payload_format: str) -> Check:
    """Check one assertion against a parsed payload of ``payload_format`` (``xml``, ...)."""
    path = assertion["path"]
    name = f"assert {path}"
    evaluator = PATH_EVALUATORS.get(payload_format)
    if evaluator is None or document is None:
        return Check(name, False, f"cannot evaluate paths in a {payload_format} payload")
    try:
        values = evaluator(document, path)
    except ValueError as exc:
        return Check(name, False, str(exc))
    problems: list[str] = []
    if "exists" in assertion and bool(values) != assertion["exists"]:
        problems.append("is missing" if assertion["exists"] else f"must not be present, found {values[:3]!r}")
    if "count" in assertion and len(values) != assertion["count"]:
        problems.append(f"occurs {len(values)} time(s), expected {assertion['count']}")
    value_tests = [k for k in ("equals", "in", "matches") if k in assertion]
    if value_tests and not values:
        problems.append("is missing")
    for value in values if value_tests else []:
        if "equals" in assertion and value != assertion["equals"]:
            problems.append(f"is {value!r}, expected {assertion['equals']!r}")
        if "in" in assertion and value not in assertion["in"]:
            problems.append(f"is {value!r}, expected one of {', '.join(map(repr, assertion['in']))}")
        if "matches" in assertion and re.fullmatch(assertion["matches"], value) is None:
            problems.append(f"is {value!r}, which does not match {assertion['matches']!r}")
    if problems:
        because = f" ({assertion['because']})" if assertion.get("because") else ""
        return Check(name, False, f"{path} " + "; ".join(problems) + because)
    return Check(name, True)
