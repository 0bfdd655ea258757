"""Line and column of every value in a JSON text, by FHIRPath-style path.

``json_positions('{"resourceType": "Patient", "name": [{"given": ["A"]}]}')`` gives
``{"Patient": (1, 1), "Patient.resourceType": (1, 18), "Patient.name": (1, 37),
"Patient.name[0]": (1, 38), ...}``: the position (1-based) where each value starts. Paths are
those the validator reports (the root is named by its ``resourceType``); a ``_name`` property is
recorded under its own key.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<open>[\[{])|(?P<close>[\]}])|(?P<colon>:)|(?P<comma>,)'
    r"|(?P<atom>[^\s\[\]{}:,\"]+))",
    re.DOTALL,
)
_ROOT_TYPE = re.compile(r'"resourceType"\s*:\s*"([^"\\]*)"')


def json_positions(text: str, root: str | None = None) -> dict[str, tuple[int, int]]:
    """Positions of the values of a JSON text (best effort: a malformed text gives what could be
    read up to the error)."""
    if root is None:
        found = _ROOT_TYPE.search(text)
        root = found.group(1) if found else "(resource)"
    line_starts = [0] + [nl.end() for nl in re.finditer("\n", text)]

    def where(offset: int) -> tuple[int, int]:
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    out: dict[str, tuple[int, int]] = {}
    # stack of [path, kind ('{' or '['), next index, pending key]
    stack: list[list[object]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        pos = m.end()
        kind = m.lastgroup
        start = m.start(kind) if kind else pos
        if kind in ("open", "str", "atom"):
            if stack and stack[-1][1] == "{" and stack[-1][3] is None and kind == "str":
                key = m.group("str")
                stack[-1][3] = json.loads(key) if "\\" in key else key[1:-1]  # a key
                continue
            if stack and stack[-1][1] == "[":
                path = f"{stack[-1][0]}[{stack[-1][2]}]"
                stack[-1][2] = int(stack[-1][2]) + 1  # type: ignore[call-overload]
            elif stack:
                path = f"{stack[-1][0]}.{stack[-1][3]}"
            else:
                path = root
            out.setdefault(path, where(start))
            if kind == "open":
                stack.append([path, m.group("open"), 0, None])
        elif kind == "close":
            if stack:
                stack.pop()
        elif kind == "comma":
            if stack and stack[-1][1] == "{":
                stack[-1][3] = None
        # colon: nothing to do
    return out
