"""Line and column of values in a JSON text, by FHIRPath-style path, found when asked.

``json_positions('{"resourceType": "Patient", "name": [{"given": ["A"]}]}')`` is a mapping whose
``get("Patient.name[0].given[0]")`` is ``(1, 49)``: the position (1-based) where that value starts.
Paths are those the validator reports (the root is named by its ``resourceType``); a ``_name``
property is found under its own key.

Only the paths asked for are looked up: the text is walked from the nearest position already
known, and the values on the way that are not wanted are skipped with the standard library's C
scanner. A report with a few issues costs a few short walks instead of a tokenisation of the
whole text in Python.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from json.scanner import make_scanner

_WS = re.compile(r"[ \t\n\r]*")
_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")  # between a key and its value
_NEXT = re.compile(r"[ \t\n\r]*,?[ \t\n\r]*")  # between a value and the next member
_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_ROOT_TYPE = re.compile(r'"resourceType"\s*:\s*"([^"\\]*)"')
_SKIP = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


class JsonPositions(dict[str, tuple[int, int | None]]):
    """Positions of the values of a JSON text (best effort: a malformed text gives what can be
    read up to the error). Entries set explicitly take precedence."""

    def __init__(self, text: str, root: str | None = None) -> None:
        super().__init__()
        start = _WS.match(text, 0).end()  # type: ignore[union-attr]
        if root is None:
            root = _root_type(text, start)
        self._text, self._root = text, root
        self._offsets: dict[str, int] = {root: start} if start < len(text) else {}
        self._resume: dict[str, tuple[int, int]] = {}  # container -> (offset, index) where its walk stopped

    def get(self, path: str, default: tuple[int, int | None] | None = None  # type: ignore[override]
            ) -> tuple[int, int | None] | None:
        if dict.__contains__(self, path):
            return dict.__getitem__(self, path)
        found = self._locate(path)
        return found if found is not None else default

    def __missing__(self, path: str) -> tuple[int, int | None]:
        found = self._locate(path)
        if found is None:
            raise KeyError(path)
        return found

    def _locate(self, path: str) -> tuple[int, int] | None:
        offset = self._offset(path)
        if offset is None:
            return None
        text = self._text
        return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)

    def _offset(self, path: str) -> int | None:
        if path in self._offsets:
            return self._offsets[path]
        if not path.startswith(self._root) or self._root not in self._offsets:
            return None
        steps: list[tuple[str, str | int]] = []  # (path so far, key or index)
        at = len(self._root)
        for m in _SEGMENT.finditer(path, at):
            if m.start() != at:
                return None
            at = m.end()
            steps.append((path[:at], m.group(1) if m.group(1) is not None else int(m.group(2))))
        if at != len(path):
            return None
        k = len(steps)
        while k > 0 and steps[k - 1][0] not in self._offsets:
            k -= 1  # the nearest known position on the way
        offset = self._offsets[steps[k - 1][0] if k else self._root]
        parent = steps[k - 1][0] if k else self._root
        for here, step in steps[k:]:
            found = self._child(parent, offset, step)
            if found is None:
                return None
            parent, offset = here, found
        return offset

    def _child(self, parent: str, offset: int, step: str | int) -> int | None:
        """Walks the object or array at ``offset`` up to ``step``, noting the positions passed
        (and where the walk stopped, so that the next walk in it goes on from there)."""
        text, offsets = self._text, self._offsets
        opening = "{" if isinstance(step, str) else "["
        if text[offset:offset + 1] != opening:
            return None
        resume = self._resume.get(parent)
        if resume is None:
            i, index = _WS.match(text, offset + 1).end(), 0  # type: ignore[union-attr]
        else:
            i, index = resume
        try:
            while i < len(text) and text[i] not in "]}":
                member = i
                if opening == "{":
                    if text[i] != '"':
                        return None
                    key, i = scanstring(text, i + 1)
                    colon = _COLON.match(text, i)
                    if colon is None:
                        return None
                    i = colon.end()
                    offsets.setdefault(f"{parent}.{key}", i)
                    found = key == step
                else:
                    offsets.setdefault(f"{parent}[{index}]", i)
                    found = index == step
                if found:  # the next walk in this container starts again at this member
                    self._resume[parent] = (member, index)
                    return i
                _, i = _SKIP(text, i)
                i = _NEXT.match(text, i).end()  # type: ignore[union-attr]
                index += 1
                self._resume[parent] = (i, index)
        except (StopIteration, ValueError):
            return None
        return None


def _root_type(text: str, start: int) -> str:
    """The resourceType of the top-level object, wherever it stands among its members (a nested
    resource's may come first in the text); a malformed text: the first one found."""
    if text[start:start + 1] != "{":
        return "(resource)"
    i = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    try:
        while i < len(text) and text[i] == '"':
            key, i = scanstring(text, i + 1)
            colon = _COLON.match(text, i)
            if colon is None:
                break
            i = colon.end()
            if key == "resourceType":
                return str(scanstring(text, i + 1)[0]) if text[i:i + 1] == '"' else "(resource)"
            _, i = _SKIP(text, i)
            i = _NEXT.match(text, i).end()  # type: ignore[union-attr]
        if text[i:i + 1] == "}":
            return "(resource)"  # no resourceType
    except (StopIteration, ValueError):
        pass
    found = _ROOT_TYPE.search(text)
    return found.group(1) if found else "(resource)"


def json_positions(text: str, root: str | None = None) -> JsonPositions:
    """The positions of the values of a JSON text, looked up when asked (see the module)."""
    return JsonPositions(text, root)
