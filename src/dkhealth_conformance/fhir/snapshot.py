"""Snapshot generation: apply a StructureDefinition's differential to its base's snapshot.

The base snapshot comes from :meth:`Definitions.snapshot` (published, or generated in turn, so
chains of differential-only profiles work). Each differential element is located by its element
id (computed from path and slice names when the id is missing) and merged into the inherited
element; elements that do not exist yet are made on the way:

- a **slice** (``path:name``) or **re-slice** (``path:name/sub``) is a copy of the sliced element
  and its children, inserted after the existing slices of that element;
- children of a **datatype** (``code.coding.system`` when ``code`` has no children yet) come
  from the snapshot of the element's type, or of its type profile when it has exactly one;
  ``contentReference`` elements take the children of the element they refer to;
- a **renamed choice** (``valueQuantity``) narrows ``value[x]`` to that type. As the 4.0.1 tools
  do, outside a slice this adds a type slicing to ``value[x]`` and a slice ``value[x]:valueQuantity``;
  inside a slice ``value[x]`` itself is narrowed.

Merging: a differential value replaces the inherited one, except ``constraint`` (added, same key
replaced), ``slicing`` and ``binding`` (merged key by key) and ``mapping``/``alias``/``condition``
(union).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .packages import Definitions

Element = dict[str, Any]


class SnapshotError(Exception):
    """A snapshot could not be generated (missing base, unknown element, ...)."""


_UNION_LISTS = ("mapping", "alias", "condition")
_SKIP = ("id", "path")


def generate_snapshot(sd: dict[str, Any], defs: Definitions) -> dict[str, Any]:
    """A copy of ``sd`` with ``snapshot.element`` generated from its differential."""
    base_url = sd.get("baseDefinition")
    if not base_url:
        raise SnapshotError(f"{sd.get('url')}: no baseDefinition to build a snapshot from")
    base = defs.snapshot(str(base_url))
    if base is None:
        raise SnapshotError(f"{sd.get('url')}: base definition {base_url} is not loaded")
    gen = _Generator(copy.deepcopy(base["snapshot"]["element"]), defs, str(sd.get("url")))
    base_root = gen.elements[0]["path"] if gen.elements else ""
    root = str(sd.get("type") or base_root)
    if root != base_root:  # a specialisation-like rename (logical models): rebase the paths
        gen.rebase(base_root, root)
    for element in _with_ids(sd.get("differential", {}).get("element", [])):
        gen.apply(element)
    out = dict(sd)
    out["snapshot"] = {"element": gen.elements}
    return out


def _with_ids(elements: list[Element]) -> list[Element]:
    """The differential elements, each with an ``id`` (computed when missing)."""
    out = []
    last: dict[str, str] = {}  # path -> id of the last element seen for that path
    for e in elements:
        if e.get("id"):
            eid = str(e["id"])
        else:
            path = str(e["path"])
            parts = path.split(".")
            eid = path
            for n in range(len(parts) - 1, 0, -1):
                prefix = ".".join(parts[:n])
                if prefix in last:
                    eid = last[prefix] + "." + ".".join(parts[n:])
                    break
            if e.get("sliceName"):
                eid += ":" + str(e["sliceName"])
            e = {**e, "id": eid}
        last[str(e["path"])] = eid
        out.append(e)
    return out


def _split(eid: str) -> list[str]:
    """Split an element id into its segments (``a.b:s.c`` -> ``a``, ``b:s``, ``c``); a dot
    inside a slice name does not split."""
    segments: list[str] = []
    for part in eid.split("."):
        if segments and ":" in segments[-1] and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[x\])?(:|$)", part):
            segments[-1] += "." + part
        else:
            segments.append(part)
    return segments


def _path_of(eid: str) -> str:
    return ".".join(s.partition(":")[0] for s in _split(eid))


def _type_suffix(code: str) -> str:
    return code[:1].upper() + code[1:]


class _Generator:
    def __init__(self, elements: list[Element], defs: Definitions, url: str) -> None:
        self.elements = elements
        self.defs = defs
        self.url = url
        self.alias: dict[str, str] = {}
        # each element as it was before the differential touched it: new slices start from these
        self.pristine: dict[str, Element] = {str(e.get("id")): copy.deepcopy(e) for e in elements}

    # ------------------------------------------------------------------------------ lookup

    def rebase(self, old_root: str, new_root: str) -> None:
        for e in self.elements:
            for key in ("id", "path"):
                v = str(e.get(key, ""))
                if v == old_root or v.startswith(old_root + "."):
                    e[key] = new_root + v[len(old_root):]

    def canon(self, eid: str) -> str:
        """Apply choice renames (``x.valueQuantity`` -> ``x.value[x]:valueQuantity``)."""
        segments = _split(eid)
        for n in range(len(segments), 0, -1):
            prefix = ".".join(segments[:n])
            if prefix in self.alias:
                rest = segments[n:]
                return ".".join([self.alias[prefix], *rest])
        return eid

    def find(self, eid: str) -> int | None:
        eid = self.canon(eid)
        for i, e in enumerate(self.elements):
            if e.get("id") == eid:
                return i
        return None

    def _end_of(self, idx: int) -> int:
        """Index after the element ``idx``, its children and (for a sliced element) its slices."""
        eid = self.elements[idx]["id"]
        j = idx + 1
        while j < len(self.elements):
            other = str(self.elements[j]["id"])
            if other.startswith(eid + ".") or other.startswith(eid + ":") or other.startswith(eid + "/"):
                j += 1
            else:
                break
        return j

    def _children_end(self, idx: int) -> int:
        eid = self.elements[idx]["id"]
        j = idx + 1
        while j < len(self.elements) and str(self.elements[j]["id"]).startswith(eid + "."):
            j += 1
        return j

    # --------------------------------------------------------------------------- building

    def apply(self, diff: Element) -> None:
        eid = str(diff["id"])
        idx = self.find(eid)
        if idx is None:
            idx = self.make(eid)
        self.merge(self.elements[idx], diff)
        self.add_profile_constraints(self.elements[idx], diff)

    def add_profile_constraints(self, target: Element, diff: Element) -> None:
        """A differential that names a type profile brings the profile's root invariants."""
        types = diff.get("type") or []
        if len(types) != 1 or len(types[0].get("profile") or []) != 1:
            return
        profile = self.defs.snapshot(str(types[0]["profile"][0]))
        if profile is None or not profile.get("snapshot", {}).get("element"):
            return
        have = target.setdefault("constraint", [])
        keys = {c.get("key") for c in have}
        for c in profile["snapshot"]["element"][0].get("constraint") or []:
            if c.get("key") not in keys:
                have.append(copy.deepcopy(c))
                keys.add(c.get("key"))

    def make(self, eid: str) -> int:
        """Create the element ``eid`` (and any missing ancestors); return its index."""
        segments = _split(eid)
        if len(segments) == 1:
            raise SnapshotError(f"{self.url}: element {eid} is not in the base definition")
        parent_id = ".".join(segments[:-1])
        last = segments[-1]
        name, _, slice_name = last.partition(":")
        pidx = self.find(parent_id)
        if pidx is None:
            pidx = self.make(parent_id)
        parent_id = self.elements[pidx]["id"]
        if self._children_end(pidx) == pidx + 1:
            self.expand(pidx)
        base_id = f"{parent_id}.{name}"
        if self.find(base_id) is None:
            choice_idx = self.rename_choice(pidx, name)
            if choice_idx is None:
                raise SnapshotError(f"{self.url}: element {eid} is not in the base definition")
            if not slice_name:
                return choice_idx
            base_id = self.elements[choice_idx]["id"]
        if not slice_name:
            found = self.find(base_id)
            assert found is not None
            return found
        if name.endswith("[x]") and "/" not in slice_name:
            # a type slice of a choice (``value[x]:valueQuantity``), as written by profile tools
            choice_idx = self.rename_choice(pidx, slice_name, explicit=True)
            if choice_idx is not None:
                return choice_idx
        # a slice, or a re-slice "a/b" of the slice "a"
        head, sep, _tail = slice_name.rpartition("/")
        sliced_id = f"{base_id}:{head}" if sep else base_id
        sidx = self.find(sliced_id)
        if sidx is None:
            sidx = self.make(sliced_id)
        return self.add_slice(sidx, slice_name)

    def add_slice(self, sidx: int, slice_name: str) -> int:
        """Add the slice ``slice_name`` of element ``sidx`` (for a re-slice ``a/b``, ``sidx`` is
        the slice ``a``): a copy of that element and its children, after its existing slices."""
        sliced_id = str(self.elements[sidx]["id"])
        last = _split(sliced_id)[-1]
        unsliced = sliced_id[:sliced_id.rfind(":")] if ":" in last else sliced_id
        new_id = f"{unsliced}:{slice_name}"
        sliced = self.elements[sidx]
        end = self._children_end(sidx)
        is_extension = str(sliced["path"]).rsplit(".", 1)[-1] in ("extension", "modifierExtension")
        if ":" not in last and not sliced.get("slicing") and not is_extension and \
                self._end_of(sidx) == end:
            # a slice of an element that is not sliced: as the 4.0.1 tools do, the element itself
            # becomes the slice
            for e in self.elements[sidx:end]:
                e["id"] = new_id + str(e["id"])[len(sliced_id):]
            sliced["sliceName"] = slice_name
            self.alias[sliced_id] = new_id
            return sidx
        if is_extension and not sliced.get("slicing"):
            sliced["slicing"] = {"discriminator": [{"type": "value", "path": "url"}], "ordered": False,
                                 "rules": "open"}
        if ":" in last:  # a re-slice starts from the slice as constrained so far
            block = copy.deepcopy(self.elements[sidx:end])
        else:  # a new slice starts from the element as inherited, before the differential
            block = [copy.deepcopy(self.pristine.get(str(e["id"]), e)) for e in self.elements[sidx:end]]
        for e in block:
            e["id"] = new_id + str(e["id"])[len(sliced_id):]
            self.pristine.setdefault(e["id"], copy.deepcopy(e))
        block[0].pop("slicing", None)
        block[0]["sliceName"] = slice_name
        pos = self._end_of(sidx)
        self.elements[pos:pos] = block
        return pos

    def rename_choice(self, pidx: int, name: str, explicit: bool = False) -> int | None:
        """``valueQuantity`` under the element ``pidx``: narrow ``value[x]`` (see module doc).
        ``explicit``: the differential names the type slice ``value[x]:valueQuantity`` itself;
        then ``value[x]`` keeps its types (the differential sets them when it means to)."""
        parent_id = str(self.elements[pidx]["id"])
        for i in range(pidx + 1, self._children_end(pidx)):
            e = self.elements[i]
            cid = str(e["id"])
            seg = _split(cid)[-1]
            if not seg.endswith("[x]") or cid.count(".") != parent_id.count(".") + 1:
                continue
            stem = seg[:-3]
            if not name.startswith(stem):
                continue
            types = [t for t in e.get("type", []) if _type_suffix(str(t.get("code"))) == name[len(stem):]]
            if not types:
                continue
            renamed = f"{parent_id}.{name}"
            if ":" in parent_id and not explicit:
                e["type"] = copy.deepcopy(types)
                self.alias[renamed] = cid
                return i
            if not explicit:
                e["type"] = copy.deepcopy(types)
            e.setdefault("slicing", {"discriminator": [{"type": "type", "path": "$this"}],
                                     "ordered": False, "rules": "closed"})
            slice_id = f"{cid}:{name}"
            self.alias[renamed] = slice_id
            existing = self.find(slice_id)
            if existing is not None:
                return existing
            made = self.add_slice(i, name)
            self.elements[made]["type"] = copy.deepcopy(types)
            return made
        return None

    def expand(self, idx: int) -> None:
        """Insert the children of element ``idx`` from its type (or contentReference)."""
        e = self.elements[idx]
        eid, path = str(e["id"]), str(e["path"])
        ref = e.get("contentReference")
        children: list[Element]
        if ref:
            target = str(ref).partition("#")[2]
            tidx = next((i for i, x in enumerate(self.elements) if x.get("id") == target), None)
            if tidx is None:
                raise SnapshotError(f"{self.url}: contentReference {ref} not found")
            src_id = target
            children = copy.deepcopy(self.elements[tidx + 1:self._children_end(tidx)])
            src_path = str(self.elements[tidx]["path"])
        else:
            types = e.get("type") or []
            codes = {str(t.get("code")) for t in types}
            if len(codes) != 1:
                raise SnapshotError(f"{self.url}: cannot expand {eid}: it has {len(codes)} types")
            t = types[0]
            profiles = t.get("profile") or []
            source = self.defs.snapshot(str(profiles[0])) if len(types) == 1 and len(profiles) == 1 else None
            if source is None:
                source = self.defs.snapshot(str(t["code"]))
            if source is None:
                raise SnapshotError(f"{self.url}: no definition for type {t['code']} of {eid}")
            src = source["snapshot"]["element"]
            src_id = str(src[0]["id"])
            src_path = str(src[0]["path"])
            children = copy.deepcopy(src[1:])
        for c in children:
            c["id"] = eid + str(c["id"])[len(src_id):]
            c["path"] = path + str(c["path"])[len(src_path):]
            self.pristine.setdefault(c["id"], copy.deepcopy(c))
        self.elements[idx + 1:idx + 1] = children

    # ----------------------------------------------------------------------------- merging

    @staticmethod
    def merge(target: Element, diff: Element) -> None:
        for key, value in diff.items():
            if key in _SKIP:
                continue
            if key == "constraint":
                have = target.setdefault("constraint", [])
                for c in value:
                    have[:] = [x for x in have if x.get("key") != c.get("key")]
                    have.append(copy.deepcopy(c))
            elif key in ("slicing", "binding") and isinstance(target.get(key), dict):
                target[key] = {**target[key], **copy.deepcopy(value)}
            elif key in _UNION_LISTS and isinstance(target.get(key), list):
                have = target[key]
                for v in value:
                    if v not in have:
                        have.append(copy.deepcopy(v))
            else:
                if key.startswith(("fixed", "pattern")):
                    for old in [k for k in target if k.startswith(("fixed", "pattern"))]:
                        del target[old]
                target[key] = copy.deepcopy(value)


# ---------------------------------------------------------------------- comparison view


def validation_view(element: Element) -> dict[str, Any]:
    """The parts of an element definition that validation uses, in a comparable form."""
    binding = element.get("binding") or {}
    slicing = element.get("slicing") or {}
    return {
        "id": element.get("id"),
        "sliceName": element.get("sliceName"),
        "min": element.get("min"),
        "max": element.get("max"),
        "type": [(t.get("code"), tuple(t.get("profile") or ()), tuple(t.get("targetProfile") or ()))
                 for t in element.get("type") or []],
        "fixed": {k: v for k, v in element.items() if k.startswith("fixed")},
        "pattern": {k: v for k, v in element.items() if k.startswith("pattern")},
        "binding": (binding.get("strength"), binding.get("valueSet")) if binding else None,
        "constraint": sorted(str(c.get("key")) for c in element.get("constraint") or []),
        "slicing": (tuple((d.get("type"), d.get("path")) for d in slicing.get("discriminator") or []),
                    slicing.get("rules"), slicing.get("ordered")) if slicing else None,
        "contentReference": element.get("contentReference"),
    }


def compare_snapshots(ours: list[Element], theirs: list[Element]) -> list[str]:
    """Differences (one line each) between two snapshots in what validation uses."""
    problems: list[str] = []
    a = [validation_view(e) for e in ours]
    b = [validation_view(e) for e in theirs]
    ids_a = [v["id"] for v in a]
    ids_b = [v["id"] for v in b]
    if ids_a != ids_b:
        missing = [i for i in ids_b if i not in ids_a]
        extra = [i for i in ids_a if i not in ids_b]
        if missing:
            problems.append(f"missing elements: {missing[:5]}{'...' if len(missing) > 5 else ''}")
        if extra:
            problems.append(f"extra elements: {extra[:5]}{'...' if len(extra) > 5 else ''}")
        if not missing and not extra:
            problems.append("elements in a different order")
    by_id = {v["id"]: v for v in a}
    for v in b:
        mine = by_id.get(v["id"])
        if mine is None:
            continue
        for key, want in v.items():
            if mine[key] != want:
                problems.append(f"{v['id']}: {key}: ours {mine[key]!r}, official {want!r}")
    return problems
