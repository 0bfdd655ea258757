"""Where the dateTime and instant values of a resource are, from the base StructureDefinitions.

``DateTimeWalker(defs).values(bundle)`` yields ``(path, value)`` for every ``dateTime`` and
``instant`` primitive of a Bundle and the resources in it, extensions included (``valueDateTime``,
``valuePeriod.start``). Element tables are built once per type from the snapshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...fhir import Definitions

_TIMES = frozenset({"dateTime", "instant"})
#: Child name -> ("type", code) | ("backbone", path) | ("resource", "")
_Table = dict[str, dict[str, tuple[str, str]]]


class DateTimeWalker:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self._tables: dict[str, _Table | None] = {}
        self._has_time: dict[str, bool] = {}

    def _table(self, type_name: str) -> _Table | None:
        if type_name not in self._tables:
            self._tables[type_name] = None
            sd = self.defs.snapshot(type_name) if type_name[:1].isupper() else None
            self._tables[type_name] = _build(sd) if sd is not None else None
        return self._tables[type_name]

    def _reaches_time(self, type_name: str, path: str | None = None, seen: frozenset[str] = frozenset()) -> bool:
        """Whether values of this type (or backbone path) can hold a dateTime at all (to skip e.g.
        Coding, Identifier without walking them)."""
        key = f"{type_name}:{path or type_name}"
        if key in self._has_time:
            return self._has_time[key]
        if key in seen:
            return False
        self._has_time[key] = True  # provisional, for recursion
        table = self._table(type_name)
        result = False
        if table is not None:
            for kind, target in table.get(path or type_name, {}).values():
                if (kind == "type" and (target in _TIMES or (target[:1].isupper()
                                                             and self._reaches_time(target, None, seen | {key}))))\
                        or (kind == "backbone" and self._reaches_time(type_name, target, seen | {key})) \
                        or kind == "resource":
                    result = True
                    break
        self._has_time[key] = result
        return result

    def values(self, resource: dict[str, Any], path: str | None = None) -> Iterator[tuple[str, str]]:
        rtype = resource.get("resourceType")
        if not isinstance(rtype, str) or self._table(rtype) is None:
            return
        yield from self._walk(resource, rtype, rtype, path or rtype)

    def _walk(self, obj: dict[str, Any], type_name: str, elem_path: str, path: str) -> Iterator[tuple[str, str]]:
        table = self._table(type_name)
        if table is None:
            return
        children = table.get(elem_path, {})
        for key, value in obj.items():
            spec = children.get(key)
            if spec is None:
                continue
            kind, target = spec
            items = value if isinstance(value, list) else [value]
            many = isinstance(value, list)
            for i, item in enumerate(items):
                where = f"{path}.{key}[{i}]" if many else f"{path}.{key}"
                if kind == "type" and target in _TIMES:
                    if isinstance(item, str):
                        yield where, item
                elif not isinstance(item, dict):
                    continue
                elif kind == "resource":
                    yield from self.values(item, where)
                elif kind == "backbone":
                    if self._reaches_time(type_name, target):
                        yield from self._walk(item, type_name, target, where)
                elif target[:1].isupper() and self._reaches_time(target):
                    yield from self._walk(item, target, target, where)


def _build(sd: dict[str, Any]) -> _Table:
    elements = (sd.get("snapshot") or {}).get("element") or []
    parents = {str(e.get("path", "")).rpartition(".")[0] for e in elements}
    table: _Table = {}
    for element in elements:
        path = element.get("path", "")
        if ":" in (element.get("id") or "") or "." not in path:
            continue  # slices repeat their element; the root has no parent
        parent, _, name = path.rpartition(".")
        types = element.get("type") or []
        ref = element.get("contentReference")
        row = table.setdefault(parent, {})
        if ref:
            row[name] = ("backbone", ref.lstrip("#"))
        elif name.endswith("[x]"):
            for t in types:
                code = t.get("code", "")
                row[name[:-3] + code[:1].upper() + code[1:]] = ("type", code)
        elif types:
            code = types[0].get("code", "")
            if path in parents and code in ("BackboneElement", "Element"):
                row[name] = ("backbone", path)
            elif code == "Resource":
                row[name] = ("resource", "")
            else:
                row[name] = ("type", code)
    return table
