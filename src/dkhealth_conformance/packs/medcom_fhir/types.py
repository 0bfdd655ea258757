"""Where the dateTime and instant values of a resource are, from the base StructureDefinitions.

``DateTimeWalker(defs).values(bundle)`` yields ``(path, value)`` for every ``dateTime`` and
``instant`` primitive of a Bundle and the resources in it, extensions included (``valueDateTime``,
``valuePeriod.start``). Element tables are built once per type from the snapshots, and from them a
*node* per type and backbone element (:meth:`DateTimeWalker.node`): the children that are a
dateTime or instant, or can hold one, with what each is, so that a walk looks each key up once and
never enters a Coding or an Identifier. :mod:`.message` walks a message once with these nodes,
collecting the values together with what its other rules need.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...fhir import Definitions

_TIMES = frozenset({"dateTime", "instant"})
#: Child name -> ("type", code) | ("backbone", path) | ("resource", "")
_Table = dict[str, dict[str, tuple[str, str]]]

#: What a child of a node is: a dateTime or instant value, an element of the node's type
#: (``(DESCEND, node)``), a resource (its node from its resourceType), and, in
#: :meth:`DateTimeWalker.message_node` only, the entries of a message (``(ENTRIES, (entry node
#: with ENTRY_RESOURCE, entry node))``) and an entry's resource.
TIME, DESCEND, RESOURCE, ENTRIES, ENTRY_RESOURCE = range(5)
#: Child name -> (one of the codes above, the child's node or None)
Node = dict[str, tuple[int, Any]]


class DateTimeWalker:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self._tables: dict[str, _Table | None] = {}
        self._has_time: dict[str, bool] = {}
        self._nodes: dict[str | tuple[str, str], Node | None] = {}
        self._message_node: list[Node | None] = []

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

    def node(self, type_name: str, path: str | None = None) -> Node | None:
        """The node of a type (or of one of its backbone elements): None when the type has no
        definition. Children that cannot hold a dateTime or instant are left out."""
        key = (type_name, path) if path else type_name  # (a type by its name alone: one lookup for a resource)
        if key in self._nodes:
            return self._nodes[key]
        table = self._table(type_name)
        if table is None:
            self._nodes[key] = None
            return None
        node: Node = {}
        self._nodes[key] = node  # before the children: types refer to themselves (Extension, Identifier)
        for name, (kind, target) in table.get(path or type_name, {}).items():
            if kind == "type" and target in _TIMES:
                node[name] = (TIME, None)
            elif kind == "resource":
                node[name] = (RESOURCE, None)
            elif kind == "backbone":
                if self._reaches_time(type_name, target):
                    node[name] = (DESCEND, self.node(type_name, target))
            elif target[:1].isupper() and self._reaches_time(target):
                node[name] = (DESCEND, self.node(target))
        return node

    def message_node(self) -> Node | None:
        """The Bundle's node with its entries marked: ``entry`` (a list) leads to entries whose
        ``resource`` is ENTRY_RESOURCE (an entry of the message). None if the Bundle definition
        does not have that shape."""
        if not self._message_node:
            root = self.node("Bundle")
            entry = root.get("entry") if root is not None else None
            found: Node | None = None
            if entry is not None and entry[0] == DESCEND:
                plain: Node = entry[1]
                resource = plain.get("resource")
                if resource is not None and resource[0] == RESOURCE:
                    assert root is not None
                    found = {**root, "entry": (ENTRIES, ({**plain, "resource": (ENTRY_RESOURCE, None)}, plain))}
            self._message_node.append(found)
        return self._message_node[0]

    def values(self, resource: dict[str, Any], path: str | None = None) -> Iterator[tuple[str, str]]:
        rtype = resource.get("resourceType")
        node = self.node(rtype) if isinstance(rtype, str) else None
        if node is None or not isinstance(rtype, str):
            return
        out: list[tuple[str, str]] = []
        self._walk(resource, node, path or rtype, out)
        yield from out

    def _walk(self, obj: dict[str, Any], node: Node, path: str, out: list[tuple[str, str]]) -> None:
        for key, value in obj.items():
            spec = node.get(key)
            if spec is None:
                continue
            code, child = spec
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str | dict):
                        self._value(item, code, child, f"{path}.{key}[{i}]", out)
            else:
                self._value(value, code, child, f"{path}.{key}", out)

    def _value(self, value: Any, code: int, child: Any, path: str, out: list[tuple[str, str]]) -> None:
        """One value at ``path``: a dateTime or instant, or an object to walk (an element's, or a
        resource's by its resourceType)."""
        if code == TIME:
            if isinstance(value, str):
                out.append((path, value))
        elif isinstance(value, dict):
            if code == DESCEND:
                self._walk(value, child, path, out)
            else:
                rtype = value.get("resourceType")
                inner = self.node(rtype) if isinstance(rtype, str) else None
                if inner is not None:
                    self._walk(value, inner, path, out)


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
