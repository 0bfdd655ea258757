"""Markdown pages from the message model: one page per letter type, all its versions, and an index.

Regenerate the committed pages after changing a model file::

    python -m dkhealth_conformance.xmlmodel.docs docs/oioxml

(``--check`` only reports pages that are out of date, with a non-zero exit status.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from .model import AnyContent, ComplexType, Element, Group, Letter, Particle, Schema, SimpleType, walk

__all__ = ["REGENERATE", "check_pages", "pages", "write_pages"]

REGENERATE = "python -m dkhealth_conformance.xmlmodel.docs docs/oioxml"
#: enumerations longer than this are listed under "Code lists" instead of inline
INLINE_CODES = 6
_BUILTIN = {"string", "date", "time", "boolean", "integer", "positiveInteger", "nonNegativeInteger", "decimal",
            "base64Binary", "token"}
_KINDS = {"cpr": "CPR number", "gln": "GLN (EAN location number)", "sor": "SOR code", "date": "date",
          "time": "time", "alternative-cpr": "replacement person identifier", "base64": "base64 text"}


def _cardinality(low: int, high: int | None) -> str:
    return f"`{low}..{'n' if high is None else high}`"


def _anchor(heading: str) -> str:
    """The anchor Markdown renderers give a heading."""
    return "".join(c for c in heading.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _code(value: str) -> str:
    return f"`{value}`" if value.strip() == value and value else f"`'{value}'`"


class _Page:
    """Renders element trees of one or more namespace models, collecting long code lists."""

    def __init__(self) -> None:
        self.code_lists: dict[str, tuple[str, ...]] = {}

    def simple(self, simple: SimpleType, name: str | None, key: str) -> str:
        parts: list[str] = []
        if len(simple.enumeration) == 1:
            return f"fixed {_code(simple.enumeration[0])}"
        parts.append(simple.base)
        if simple.kind in _KINDS and _KINDS[simple.kind] != simple.base:
            parts.append(_KINDS[simple.kind])
        if simple.min_length is not None or simple.max_length is not None:
            low = simple.min_length if simple.min_length is not None else 0
            high = simple.max_length if simple.max_length is not None else "n"
            parts.append(f"length {low}–{high}" if low != high else f"length {low}")
        if simple.min_value is not None or simple.max_value is not None:
            parts.append(f"range {simple.min_value if simple.min_value is not None else '…'}–"
                         f"{simple.max_value if simple.max_value is not None else '…'}")
        if simple.pattern is not None:
            parts.append(f"pattern `{simple.pattern}`")
        if simple.enumeration:
            if len(simple.enumeration) <= INLINE_CODES:
                parts.append("one of " + ", ".join(_code(v) for v in simple.enumeration))
            else:
                label = name or simple.name.lstrip("#")
                if self.code_lists.get(label, simple.enumeration) != simple.enumeration:
                    label = f"{label} {key}"  # the same list name differs between namespaces
                self.code_lists[label] = simple.enumeration
                parts.append(f"code list [{label}](#{_anchor(label)}) ({len(simple.enumeration)} values)")
        text = ", ".join(parts)
        return f"{text} (`{name}`)" if name and name not in _BUILTIN else text

    def element(self, schema: Schema, element: Element, depth: int, ancestors: tuple[str, ...]) -> list[str]:
        indent = "  " * depth
        head = f"{indent}- **{element.name}** {_cardinality(element.min, element.max)}"
        named = element.type if isinstance(element.type, str) else None
        resolved = schema.resolve(element.type)
        if isinstance(resolved, AnyContent):
            return [f"{head} — any well-formed content"]
        if isinstance(resolved, SimpleType):
            return [f"{head} — {self.simple(resolved, named, schema.key)}"]
        return self.complex(schema, resolved, head, named, depth, ancestors)

    def complex(self, schema: Schema, complex_type: ComplexType, head: str, named: str | None, depth: int,
                ancestors: tuple[str, ...]) -> list[str]:
        label = f" (`{named}`)" if named else ""
        if complex_type.mixed:
            names = sorted({e.name for e in walk(complex_type.particles)})
            inside = f" with {', '.join(names)}" if names else ""
            return [f"{head} — formatted text{label}: text mixed{inside}"]
        if named and named in ancestors:
            return [f"{head} — {label.strip()} (recursive, see above)"]
        if not complex_type.particles:
            return [f"{head} — empty{label}"]
        lines = [f"{head}{label}"]
        inner = (*ancestors, named) if named else ancestors
        lines.extend(self.particles(schema, complex_type.particles, depth + 1, inner))
        return lines

    def particles(self, schema: Schema, particles: tuple[Particle, ...], depth: int,
                  ancestors: tuple[str, ...]) -> list[str]:
        lines: list[str] = []
        for particle in particles:
            if isinstance(particle, Element):
                lines.extend(self.element(schema, particle, depth, ancestors))
            else:
                lines.extend(self.group(schema, particle, depth, ancestors))
        return lines

    def group(self, schema: Schema, group: Group, depth: int, ancestors: tuple[str, ...]) -> list[str]:
        what = "one of" if group.kind == "choice" else "in order"
        lines = [f"{'  ' * depth}- *{group.kind}* {_cardinality(group.min, group.max)} ({what}):"]
        lines.extend(self.particles(schema, group.particles, depth + 1, ancestors))
        return lines

    def render_code_lists(self) -> list[str]:
        if not self.code_lists:
            return []
        lines = ["## Code lists", ""]
        for name in sorted(self.code_lists):
            lines += [f"### {name}", "", ", ".join(_code(v) for v in self.code_lists[name]), ""]
        return lines


def _versions(schemas: Iterable[Schema]) -> dict[str, list[tuple[Schema, Letter]]]:
    """Letters by type code, each with every (namespace model, letter) that defines it."""
    found: dict[str, list[tuple[Schema, Letter]]] = {}
    for schema in sorted(schemas, key=lambda s: s.key):
        for letter in schema.letters.values():
            found.setdefault(letter.type_code, []).append((schema, letter))
    return dict(sorted(found.items()))


def _letter_page(type_code: str, versions: list[tuple[Schema, Letter]]) -> str:
    newest = versions[-1][1]
    page = _Page()
    lines = [
        f"# {type_code} — {newest.title}",
        "",
        f"Generated from the message model (`profiles/oioxml/`); do not edit. Regenerate with `{REGENERATE}`.",
        "",
        "| VersionCode | Letter element | Namespace | Model |",
        "|---|---|---|---|",
    ]
    lines += [f"| {letter.version_code} | {letter.element} | `{schema.namespace}` | {schema.key} |"
              for schema, letter in versions]
    lines.append("")
    for schema, letter in versions:
        lines += [f"## {letter.version_code} ({letter.element}, namespace {schema.key})", ""]
        if letter.title != newest.title:
            lines += [f"Title: {letter.title}", ""]
        if letter.receipt:
            lines += ["A receipt (acknowledgement of received letters).", ""]
        if letter.status_codes:
            lines += ["StatusCode allowed: " + ", ".join(_code(c) for c in letter.status_codes) + ".", ""]
        lines += ["Elements (in this order; `min..max` occurrences):", ""]
        named = None if letter.content.anonymous else letter.content.name
        head = f"- **{letter.element}** `1..n` per Emessage, after the Envelope"
        lines += page.complex(schema, letter.content, head, named, 0, ())
        lines.append("")
    lines += page.render_code_lists()
    return "\n".join(lines).rstrip() + "\n"


def _index(by_type: dict[str, list[tuple[Schema, Letter]]], schemas: list[Schema]) -> str:
    lines = [
        "# MedCom OIOXML letters",
        "",
        f"Generated from the message model (`profiles/oioxml/`); do not edit. Regenerate with `{REGENERATE}`.",
        "",
        "Every letter travels in an `Emessage`: an `Envelope`, then one or more letters, all in the namespace "
        "of the letter's version.",
        "",
        "| Type | Title | Versions |",
        "|---|---|---|",
    ]
    for type_code, versions in by_type.items():
        listed = ", ".join(f"{letter.version_code} ({schema.key})" for schema, letter in versions)
        lines.append(f"| [{type_code}]({type_code}.md) | {versions[-1][1].title} | {listed} |")
    lines += ["", "## Namespaces", "", "| Model | Namespace | Letters | Local_Elements after a letter |",
              "|---|---|---|---|"]
    for schema in sorted(schemas, key=lambda s: s.key):
        names = ", ".join(f"{letter.element} ({letter.type_code})" for letter in schema.letters.values())
        local = "allowed" if getattr(schema, "local_elements", True) else "not allowed"
        lines.append(f"| {schema.key} | `{schema.namespace}` | {names} | {local} |")
    page = _Page()
    lines += ["", "## Envelope", ""]
    for schema in sorted(schemas, key=lambda s: s.key)[-1:]:
        lines += [f"As in namespace {schema.key}:", ""]
        named = None if schema.envelope.anonymous else schema.envelope.name
        lines += page.complex(schema, schema.envelope, "- **Envelope** `1..1`", named, 0, ())
    lines.append("")
    lines += page.render_code_lists()
    return "\n".join(lines).rstrip() + "\n"


def pages(schemas: Iterable[Schema]) -> dict[str, str]:
    """File name → Markdown: ``<TYPECODE>.md`` for every letter type and ``index.md``."""
    schemas = list(schemas)
    by_type = _versions(schemas)
    out = {f"{type_code}.md": _letter_page(type_code, versions) for type_code, versions in by_type.items()}
    out["index.md"] = _index(by_type, schemas)
    return out


def _bundled() -> list[Schema]:
    from ..data import profiles_dir
    from .loader import load_all

    return list(load_all(profiles_dir() / "oioxml").values())


def check_pages(folder: Path, schemas: Iterable[Schema] | None = None) -> list[str]:
    """Names of the pages in ``folder`` that are missing, out of date or no longer generated."""
    wanted = pages(_bundled() if schemas is None else schemas)
    problems = [name for name, text in wanted.items()
                if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    if folder.is_dir():
        problems += sorted(p.name for p in folder.glob("*.md") if p.name not in wanted)
    return sorted(problems)


def write_pages(folder: Path, schemas: Iterable[Schema] | None = None) -> list[Path]:
    """Write every page into ``folder`` (removing pages of letters no longer modelled)."""
    wanted = pages(_bundled() if schemas is None else schemas)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, text in wanted.items():
        path = folder / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dkhealth_conformance.xmlmodel.docs",
                                     description="Write one Markdown page per OIOXML letter type from the model.")
    parser.add_argument("folder", type=Path, help="output folder, e.g. docs/oioxml")
    parser.add_argument("--check", action="store_true", help="only report pages that are out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = check_pages(args.folder)
        for name in stale:
            print(f"out of date: {args.folder / name}")
        return 1 if stale else 0
    for path in write_pages(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
