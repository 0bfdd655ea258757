"""FHIRPath invariants compiled to Python closures, with fhirpathpy as the reference engine.

fhirpathpy parses an expression into a tree (plain dicts, so the tree can be cached as JSON) and
interprets it; interpreting is the slowest part of validation. :func:`compile_tree` turns the
common subset of the language that invariants use (paths, choice elements, ``where``/``all``/
``exists``/``select``, ``empty``/``count``/``not``/``hasValue``, the three-valued logic of
``and``/``or``/``xor``/``implies``, equality and comparison of strings, booleans and numbers,
``in``, ``+`` on numbers and strings, a few string functions, ``%resource``/``%rootResource``)
into nested closures over plain JSON values, specialised where the compiler sees literals and
runs of element names; chains that several invariants share are evaluated once per
:class:`Env` (see :func:`_memoized`).

Anything outside that subset is left to fhirpathpy, in two ways:

- an expression with an unsupported node (type operators, dates and quantities, ``resolve()``,
  ``memberOf``, ``matches`` …) is not compiled at all (:class:`Unsupported`);
- a compiled expression that meets a value whose meaning depends on its FHIR type (a string that
  looks like a date or time, a Quantity, a primitive with a ``_name`` extension object, more than
  one item where one boolean is expected …) stops with :class:`Fallback` and the same input is
  evaluated by fhirpathpy.

So the result is fhirpathpy's wherever the two could differ, except where fhirpathpy departs from
the FHIRPath specification and the specification is plain: there the compiled form follows the
specification (``false`` is not true in ``where``/``exists``, collections of several items are
equal item by item, ``\\uXXXX`` takes hexadecimal digits and ``\\/`` is an escape, ``mod`` is the
remainder of the truncated division, ``''.startsWith('')`` is true, ``|`` removes duplicates between
a path and a literal, ``ofType``/``is`` know a resource given as a dict).
``tests/fhir/test_fhirpath_compiled.py`` lists those cases, and checks that the two agree on every
invariant of the core specification over the official examples.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

#: a compiled expression: (focus collection, environment) -> result collection
Expr = Callable[[list[Any], "Env"], list[Any]]


class Unsupported(Exception):
    """The expression uses something the compiler does not handle: evaluate it with fhirpathpy."""


class Fallback(Exception):
    """This input needs the types fhirpathpy knows: evaluate this call with fhirpathpy."""


class Env:
    """What an evaluation can see besides its focus: the external constants, and the validator's
    answers to ``resolve()``, ``conformsTo()``, ``memberOf()`` and ``htmlChecks()`` (each raises
    :class:`Fallback` where it cannot answer).

    The validator keeps one environment per resource (and root resource) for one validation: it
    keeps the results of paths that several invariants share (``Bundle.entry.resource.ofType(X)``,
    ``….resolve()``) for the item they started from, so the JSON they read must not change while
    the environment is in use, and ``resolve()`` must answer alike each time it is asked within it."""

    __slots__ = ("conforms", "constants", "html_ok", "member_of", "memo", "resolve")

    def __init__(self, constants: dict[str, Any], resolve: Callable[[list[Any]], list[Any]] | None = None,
                 conforms: Callable[[Any, str], bool] | None = None,
                 member_of: Callable[[Any, str], bool] | None = None,
                 html_ok: Callable[[Any], bool] | None = None) -> None:
        self.constants = constants
        self.resolve = resolve
        self.conforms = conforms
        self.member_of = member_of
        self.html_ok = html_ok
        #: (shared prefix, id of the focus item) -> (the item, the result): see :func:`_memoized`
        #: (the result grouped by resourceType: :func:`_of_type_grouped`)
        self.memo: dict[tuple[int, int], tuple[Any, Any]] = {}


#: a string whose FHIRPath type could be a date, dateTime, time or instant: comparisons and
#: equality of such strings follow calendar rules, which fhirpathpy implements
_TEMPORAL = re.compile(r"\d{4}(-\d\d)?(-\d\d)?(T|$)|\d\d:\d\d(:\d\d)?")


def _is_plain(value: Any) -> bool:
    """A value whose comparison needs no FHIR type: a boolean, a number, a non-temporal string."""
    if isinstance(value, str):
        return _TEMPORAL.match(value) is None
    return isinstance(value, bool | int | Decimal)


# -------------------------------------------------------------------------------- values


def _children(items: list[Any], name: str, choice_suffixes: frozenset[str]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        value = item.get(name)
        if value is None:
            if "_" + name in item:
                raise Fallback  # a primitive with only an id or extensions
            if not choice_suffixes:
                continue
            value = _choice(item, name, choice_suffixes)  # a choice element: valueQuantity for value
            if value is None:
                continue
        elif "_" + name in item:
            raise Fallback
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out


def _path(names: list[str]) -> Expr:
    """``a.b.c`` for element names: :func:`_children` step after step, in one call; a step on
    one item takes the JSON list itself (results are never modified)."""
    if Compiler._choices is None:
        Compiler._choices = _choice_suffixes()
    choices = Compiler._choices
    steps = tuple((name, "_" + name, choices.get(name, frozenset())) for name in names)

    def path(focus: list[Any], env: Env) -> list[Any]:
        items = focus
        for name, hidden, suffixes in steps:
            if len(items) == 1:
                item = items[0]
                if not isinstance(item, dict):
                    return []
                value = item.get(name)
                if value is None:
                    if hidden in item:
                        raise Fallback  # a primitive with only an id or extensions
                    if not suffixes:
                        return []
                    value = _choice(item, name, suffixes)
                    if value is None:
                        return []
                elif hidden in item:
                    raise Fallback
                items = value if isinstance(value, list) else [value]
                continue
            out: list[Any] = []
            for item in items:
                if not isinstance(item, dict):
                    continue
                value = item.get(name)
                if value is None:
                    if hidden in item:
                        raise Fallback
                    if not suffixes:
                        continue
                    value = _choice(item, name, suffixes)
                    if value is None:
                        continue
                elif hidden in item:
                    raise Fallback
                if isinstance(value, list):
                    out.extend(value)
                else:
                    out.append(value)
            if not out:
                return out
            items = out
        return items

    return path


class _Shared:
    """A chain prefix that invariants may share: its number, and where it occurs (the expression
    and the occurrence in it)."""

    __slots__ = ("sites", "token")

    def __init__(self, token: int) -> None:
        self.token = token
        self.sites: set[tuple[str, int]] = set()


#: chain prefixes by their canonical text (see :meth:`Compiler._shared`)
_SHARED: dict[str, _Shared] = {}

#: the functions after which the chain so far is kept in :attr:`Env.memo`: those that tend to
#: follow a costly prefix (``Bundle.entry.resource``, ``….resolve()``) that invariants repeat
_SHARED_AFTER = frozenset({"ofType", "resolve"})


def _canonical(node: Any) -> str:
    import json

    return json.dumps(node, sort_keys=True, separators=(",", ":"))


def _memoized(prefix: Expr, shared: _Shared) -> Expr:
    """The prefix, its result kept in the environment for the focus item, once it occurs more
    than once among the expressions compiled; every evaluation of a compiled expression is a
    function of its focus and environment, and the item is kept with the result (so its id
    stays its own)."""
    token, sites = shared.token, shared.sites

    def memo(focus: list[Any], env: Env) -> list[Any]:
        if len(sites) < 2 or len(focus) != 1:
            return prefix(focus, env)
        item = focus[0]
        key = (token, id(item))
        found = env.memo.get(key)
        if found is not None:
            return found[1]
        result = prefix(focus, env)
        env.memo[key] = (item, result)
        return result

    return memo


def _of_type_grouped(prefix: Expr, of_type: Expr, name: str, shared: _Shared) -> Expr:
    """``prefix.ofType(name)``: where other chains share the prefix, its result grouped by
    resourceType is kept in the environment for the focus item (as :func:`_memoized` keeps a
    result), so that each ``ofType`` after it is one lookup; else ``of_type`` on the prefix."""
    token, sites = shared.token, shared.sites

    def grouped(focus: list[Any], env: Env) -> list[Any]:
        if len(sites) < 2 or len(focus) != 1:
            return of_type(prefix(focus, env), env)
        item = focus[0]
        key = (token, id(item))
        found = env.memo.get(key)
        if found is None:
            groups: dict[str, list[Any]] = {}
            complete = True
            for x in prefix(focus, env):
                if not isinstance(x, dict):
                    complete = False  # of_type says what then
                    break
                rtype = x.get("resourceType")
                if isinstance(rtype, str):
                    groups.setdefault(rtype, []).append(x)
            found = env.memo[key] = (item, groups if complete else None)
        if found[1] is None:
            return of_type(prefix(focus, env), env)
        result: list[Any] = found[1].get(name, [])
        return result

    return grouped


def _member_then(name: str, step: Expr) -> Expr:
    """``name.f()``: the element of one object taken directly, else as :func:`_path`."""
    path, hidden = _path([name]), "_" + name

    def member_then(focus: list[Any], env: Env) -> list[Any]:
        if len(focus) == 1:
            item = focus[0]
            if isinstance(item, dict):
                value = item.get(name)
                if value is not None and hidden not in item:
                    return step(value if isinstance(value, list) else [value], env)
        return step(path(focus, env), env)

    return member_then


def _chain(steps: list[Expr]) -> Expr:
    """Each step applied to the result of the one before."""
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        one, two = steps
        return lambda focus, env: two(one(focus, env), env)
    if len(steps) == 3:
        one, two, three = steps
        return lambda focus, env: three(two(one(focus, env), env), env)
    chained = tuple(steps)

    def chain(focus: list[Any], env: Env) -> list[Any]:
        for step in chained:
            focus = step(focus, env)
        return focus

    return chain


def _choice(item: dict[str, Any], name: str, suffixes: frozenset[str]) -> Any:
    """The value of a choice element (``valueQuantity`` for ``value``), None if there is none.
    A primitive's ``_valueString`` object, or more than one type present (which fhirpathpy
    resolves in the order of its model), is left to fhirpathpy."""
    found = None
    size = len(name)
    for key, value in item.items():
        if key[:1] == "_":
            if key.startswith(name, 1) and key[size + 1:] in suffixes:
                raise Fallback
        elif value is not None and key.startswith(name) and key[size:] in suffixes:
            if found is not None:
                raise Fallback
            found = value
    return found


def _boolean(items: list[Any]) -> bool | None:
    """A collection where one boolean is expected: None for empty."""
    if not items:
        return None
    if len(items) == 1 and isinstance(items[0], bool):
        return items[0]
    raise Fallback


def _singleton(items: list[Any]) -> Any:
    if len(items) != 1:
        raise Fallback
    return items[0]


def _one_string(focus: list[Any]) -> str | None:
    """The string of a focus of one string; None for an empty focus. Anything else (several items,
    another type) is left to fhirpathpy."""
    if not focus:
        return None
    x = _singleton(focus)
    if not isinstance(x, str):
        raise Fallback
    return x


def _result(value: bool | None) -> list[Any]:
    return [] if value is None else [value]


# ----------------------------------------------------------------------------- compiler


def _choice_suffixes() -> dict[str, frozenset[str]]:
    """For each name of a choice element in R4 (``value``, ``effective`` …), the endings its JSON
    names can have (``Quantity`` in ``valueQuantity``), from fhirpathpy's R4 model."""
    from fhirpathpy.models import models

    out: dict[str, set[str]] = {}
    for path, types in models["r4"]["choiceTypePaths"].items():
        out.setdefault(path.rsplit(".", 1)[-1], set()).update(t[:1].upper() + t[1:] for t in types)
    return {name: frozenset(types) for name, types in out.items()}


def compile_tree(tree: dict[str, Any]) -> Expr:
    """The closure for a fhirpathpy parse tree (raises :class:`Unsupported`)."""
    return Compiler().compile_tree(tree)


class Compiler:
    """Compiles fhirpathpy parse trees."""

    _choices: dict[str, frozenset[str]] | None = None

    def __init__(self) -> None:
        #: the steps compiled for ``substring(i, n)`` with integer literals, and their i and n
        self._substrings: dict[Expr, tuple[int, int]] = {}
        #: the expression compiled (canonical text), and how often each shared prefix occurred in it
        self._root = ""
        self._prefixes: dict[str, int] = {}

    def compile_tree(self, tree: dict[str, Any]) -> Expr:
        children = tree.get("children") or []
        if len(children) != 1:
            raise Unsupported("empty expression")
        self._root = _canonical(children[0])
        return self._expr(children[0])

    # -- expressions

    #: the expression nodes compiled, each by the method of its name (a tree read from the cache
    #: names no other method)
    EXPRESSIONS = frozenset({
        "TermExpression", "InvocationExpression", "IndexerExpression", "OrExpression", "AndExpression",
        "ImpliesExpression", "EqualityExpression", "InequalityExpression", "AdditiveExpression",
        "MultiplicativeExpression", "UnionExpression", "TypeExpression", "MembershipExpression"})

    def _expr(self, node: dict[str, Any]) -> Expr:
        kind = node.get("type")
        if kind not in self.EXPRESSIONS:
            raise Unsupported(str(kind))
        method = getattr(self, f"_{kind}")
        result: Expr = method(node)
        return result

    def _kids(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        return list(node.get("children") or [])

    def _op(self, node: dict[str, Any]) -> str:
        return str((node.get("terminalNodeText") or [""])[0])

    def _TermExpression(self, node: dict[str, Any]) -> Expr:
        return self._term(self._kids(node)[0], first=True)

    def _term(self, node: dict[str, Any], first: bool) -> Expr:
        kind = node.get("type")
        if kind == "InvocationTerm":
            return self._invocation(self._kids(node)[0], first=first)
        if kind == "LiteralTerm":
            return self._literal(self._kids(node)[0])
        if kind == "ExternalConstantTerm":
            return self._constant(node)
        if kind == "ParenthesizedTerm":
            return self._expr(self._kids(node)[0])
        raise Unsupported(str(kind))

    def _InvocationExpression(self, node: dict[str, Any]) -> Expr:
        """``a.b.f().c``: the chain is read as a whole, so that a run of member names becomes one
        path walk (:func:`_path`) and each step is one call."""
        invocations: list[dict[str, Any]] = []
        base = node
        while base.get("type") == "InvocationExpression":
            left_node, right_node = self._kids(base)
            invocations.append(right_node)
            base = left_node
        invocations.reverse()
        steps: list[Expr] = []
        names: list[str] = []
        lone: Expr | None = None  # the step of the first name alone (name.f())
        first_name = self._plain_member(base, first=True)
        if first_name is not None:
            names.append(first_name)
        else:
            steps.append(self._expr(base))
        for at, invocation in enumerate(invocations):
            name = self._plain_member(invocation, first=False)
            if name is not None:
                names.append(name)
                continue
            if names:
                steps.append(_path(names))
                if len(steps) == 1 and names == [first_name]:
                    lone = steps[0]
                names = []
            digits = self._integer_arguments(invocation, "toInteger", 0)
            if digits == [] and steps and steps[-1] in self._substrings:
                steps[-1] = _substring_to_integer(*self._substrings[steps[-1]])  # substring(i, n).toInteger()
                continue
            step = self._invocation(invocation, first=False)
            if steps and self._function_name(invocation) == "ofType":  # grouped once per shared prefix
                params = self._kids(self._kids(self._kids(invocation)[0])[1])
                prefix = _chain(steps)
                steps = [_of_type_grouped(prefix, step, _type_name(params[0]),
                                          self._shared([base, *invocations[:at]]))]
                continue
            bounds = self._integer_arguments(invocation, "substring", 2)
            if bounds is not None:
                self._substrings[step] = (bounds[0], bounds[1])
            steps.append(step)
            if self._function_name(invocation) in _SHARED_AFTER:  # the chain so far, kept for the chains sharing it
                steps = [_memoized(_chain(steps), self._shared([base, *invocations[:at + 1]]))]
        if names:
            steps.append(_path(names))
        if len(steps) == 2 and first_name is not None and steps[0] is lone:
            return _member_then(first_name, steps[1])  # name.f(): the most frequent chain
        return _chain(steps)

    def _function_name(self, node: dict[str, Any]) -> str | None:
        if node.get("type") != "FunctionInvocation" or not node.get("children"):
            return None
        kids = self._kids(self._kids(node)[0])
        return str(kids[0].get("text")) if kids else None

    def _shared(self, nodes: list[dict[str, Any]]) -> _Shared:
        """The record of a chain prefix (``nodes``: its base and invocations), with this
        occurrence of it counted."""
        text = _canonical(nodes)
        seen = self._prefixes.get(text, 0)
        self._prefixes[text] = seen + 1
        shared = _SHARED.get(text)
        if shared is None:
            shared = _SHARED[text] = _Shared(len(_SHARED))
        shared.sites.add((self._root, seen))
        return shared

    def _integer_arguments(self, node: dict[str, Any], name: str, count: int) -> list[int] | None:
        """The arguments of an invocation of function ``name`` with ``count`` parameters, all
        integer literals; None for another invocation."""
        if node.get("type") != "FunctionInvocation" or not node.get("children"):
            return None
        kids = self._kids(self._kids(node)[0])
        if not kids or kids[0].get("text") != name:
            return None
        params = self._kids(kids[1]) if len(kids) > 1 else []
        values = [self._literal_value(p) for p in params]
        if len(values) != count or not all(v is not None and len(v) == 1 and _integer(v[0]) for v in values):
            return None
        return [v[0] for v in values if v is not None]

    def _plain_member(self, node: dict[str, Any], first: bool) -> str | None:
        """The name of a member invocation (also as a term, where ``first``) that is a plain
        element name: not a type name and not ``length`` (see :meth:`_member`)."""
        if first:
            if node.get("type") != "TermExpression":
                return None
            kids = self._kids(node)
            if len(kids) != 1 or kids[0].get("type") != "InvocationTerm":
                return None
            node = self._kids(kids[0])[0] if kids[0].get("children") else {}
        if node.get("type") != "MemberInvocation":
            return None
        name = str(self._kids(node)[0].get("text", "")).strip("`")
        if not name or name[:1].isupper() or name == "length":
            return None
        return name

    def _IndexerExpression(self, node: dict[str, Any]) -> Expr:
        coll_node, index_node = self._kids(node)
        coll, index = self._expr(coll_node), self._expr(index_node)

        def indexed(focus: list[Any], env: Env) -> list[Any]:
            items, at = coll(focus, env), index(focus, env)
            if not at:
                return []
            i = _singleton(at)
            if not isinstance(i, int) or isinstance(i, bool):
                raise Fallback
            return [items[i]] if 0 <= i < len(items) else []

        return indexed

    # -- invocations

    def _invocation(self, node: dict[str, Any], first: bool) -> Expr:
        kind = node.get("type")
        if kind == "MemberInvocation":
            name = str(self._kids(node)[0].get("text", "")).strip("`")
            return self._member(name, first)
        if kind == "FunctionInvocation":
            return self._function(self._kids(node)[0])
        if kind == "ThisInvocation" and first:
            return lambda focus, env: focus
        raise Unsupported(str(kind))  # $index, $total; x.$this (fhirpathpy ignores x)

    def _member(self, name: str, first: bool) -> Expr:
        if name[:1].isupper():
            if not first:
                raise Unsupported("a type name after a dot")

            def typed(focus: list[Any], env: Env) -> list[Any]:
                for x in focus:
                    if not isinstance(x, dict) or x.get("resourceType") != name:
                        raise Fallback
                return focus

            return typed
        if Compiler._choices is None:
            Compiler._choices = _choice_suffixes()
        suffixes = Compiler._choices.get(name, frozenset())
        if name == "length":  # Encounter.length; but fhirpathpy gives the length of a string for 'abc'.length
            def length(focus: list[Any], env: Env) -> list[Any]:
                if not all(isinstance(x, dict) for x in focus):
                    raise Fallback
                return _children(focus, name, suffixes)

            return length
        return _path([name])

    def _function(self, node: dict[str, Any]) -> Expr:
        kids = self._kids(node)
        name = str(kids[0].get("text"))
        params = self._kids(kids[1]) if len(kids) > 1 else []
        maker = _FUNCTIONS.get((name, len(params)))
        if maker is None:
            raise Unsupported(f"{name}/{len(params)}")
        return maker(self, params)

    # -- terms

    def _literal_value(self, node: dict[str, Any]) -> list[Any] | None:
        """The value of an expression that is a literal (in parentheses or not): ``[value]``,
        ``[]`` for ``{}``; None for other expressions."""
        while node.get("type") in ("TermExpression", "ParenthesizedTerm") and len(node.get("children") or []) == 1:
            node = node["children"][0]
        if node.get("type") != "LiteralTerm" or len(node.get("children") or []) != 1:
            return None
        try:
            return self._literal_constant(node["children"][0])
        except Unsupported:
            return None

    def _literal(self, node: dict[str, Any]) -> Expr:
        constant = self._literal_constant(node)
        return lambda focus, env: constant

    def _literal_constant(self, node: dict[str, Any]) -> list[Any]:
        kind = node.get("type")
        text = str(node.get("text", ""))
        value: Any
        if kind == "StringLiteral":
            value = _unescape(text[1:-1])
        elif kind == "BooleanLiteral":
            value = text == "true"
        elif kind == "NumberLiteral":
            value = Decimal(text) if "." in text else int(text)
        elif kind == "NullLiteral":
            return []
        else:
            raise Unsupported(str(kind))
        return [value]

    def _constant(self, node: dict[str, Any]) -> Expr:
        identifier = self._kids(self._kids(node)[0])[0]
        name = str(identifier.get("text", "")).strip("`")
        if name == "ucum":
            constant = ["http://unitsofmeasure.org"]
            return lambda focus, env: constant
        if name not in ("resource", "rootResource"):
            raise Unsupported(f"%{name}")

        def external(focus: list[Any], env: Env) -> list[Any]:
            value = env.constants.get(name)
            if value is None:
                raise Fallback
            return value if isinstance(value, list) else [value]

        return external

    # -- operators

    def _OrExpression(self, node: dict[str, Any]) -> Expr:
        op = self._op(node)
        if op == "or" and (one_of := self._one_of(node)) is not None:
            return one_of
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)
        if op == "xor":
            def either_not_both(focus: list[Any], env: Env) -> list[Any]:
                a, b = _boolean(left(focus, env)), _boolean(right(focus, env))
                return [] if a is None or b is None else [a != b]

            return either_not_both

        def either(focus: list[Any], env: Env) -> list[Any]:
            a = _boolean(left(focus, env))
            if a is True:
                return [True]  # the right operand is not needed
            b = _boolean(right(focus, env))
            if b is True:
                return [True]
            return [False] if a is False and b is False else []

        return either

    def _one_of(self, node: dict[str, Any]) -> Expr | None:
        """``x = 'a' or x = 'b' or …`` with the same ``x`` and plain string literals: ``x`` once
        and a set. Each ``x = 'a'`` is empty for an empty x, false for several items, and gives up
        on another value than a plain string, so the ``or`` of them is the same for all."""
        operands: list[dict[str, Any]] = []
        while node.get("type") == "OrExpression" and self._op(node) == "or":
            left_node, right_node = self._kids(node)
            operands.append(right_node)
            node = left_node
        operands.append(node)
        subject: str | None = None
        subject_node: dict[str, Any] = {}
        values: set[str] = set()
        for operand in operands:
            while operand.get("type") in ("TermExpression", "ParenthesizedTerm") and \
                    len(operand.get("children") or []) == 1 and operand["children"][0].get("type") != "LiteralTerm":
                operand = operand["children"][0]
            if operand.get("type") != "EqualityExpression" or self._op(operand) != "=":
                return None
            one, literal_node = self._kids(operand)
            literal = self._literal_value(literal_node)
            if not _plain_string(literal):
                literal_node, one = one, literal_node
                literal = self._literal_value(literal_node)
                if not _plain_string(literal):
                    return None
            if literal is None or self._literal_value(one) is not None:
                return None
            text = _canonical(one)
            if subject is not None and text != subject:
                return None
            subject, subject_node = text, one
            values.add(literal[0])
        return _one_of(self._expr(subject_node), frozenset(values))

    def _AndExpression(self, node: dict[str, Any]) -> Expr:
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)

        def both(focus: list[Any], env: Env) -> list[Any]:
            a = _boolean(left(focus, env))
            if a is False:
                return [False]
            b = _boolean(right(focus, env))
            if b is False:
                return [False]
            return [True] if a is True and b is True else []

        return both

    def _ImpliesExpression(self, node: dict[str, Any]) -> Expr:
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)

        def implies(focus: list[Any], env: Env) -> list[Any]:
            a = _boolean(left(focus, env))
            if a is False:
                return [True]
            b = _boolean(right(focus, env))
            if b is True:
                return [True]
            if a is True:
                return _result(b)
            return []  # empty implies false-or-empty

        return implies

    def _EqualityExpression(self, node: dict[str, Any]) -> Expr:
        op = self._op(node)
        if op not in ("=", "!="):
            raise Unsupported(op)  # ~ and !~: equivalence
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)
        differ = op == "!="
        for other, constant in ((left, self._literal_value(right_node)), (right, self._literal_value(left_node))):
            if constant is not None and (special := _equal_to_literal(other, constant, differ)) is not None:
                return special

        def equal(focus: list[Any], env: Env) -> list[Any]:
            a, b = left(focus, env), right(focus, env)
            if not a or not b:
                return []
            if len(a) != len(b):
                return [differ]
            if len(a) == 1:
                return [_same(a[0], b[0]) is not differ]
            same = all(_same(x, y) for x, y in zip(a, b, strict=True))
            return [same is not differ]

        return equal

    def _InequalityExpression(self, node: dict[str, Any]) -> Expr:
        op = self._op(node)
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)
        test = _COMPARE[op]
        bound = self._literal_value(right_node)
        if bound is not None and len(bound) == 1 and _number(bound[0]):
            number = bound[0]

            def compare_to_number(focus: list[Any], env: Env) -> list[Any]:
                a = left(focus, env)
                if not a:
                    return []
                x = _singleton(a)
                if not _number(x):
                    raise Fallback  # a number compares with a number only
                return [test(x, number)]

            return compare_to_number

        def compare(focus: list[Any], env: Env) -> list[Any]:
            a, b = left(focus, env), right(focus, env)
            if not a or not b:
                return []
            x, y = _singleton(a), _singleton(b)
            if not (_number(x) and _number(y)) and not (isinstance(x, str) and isinstance(y, str)
                                                        and _is_plain(x) and _is_plain(y)):
                raise Fallback
            return [test(x, y)]

        return compare

    def _AdditiveExpression(self, node: dict[str, Any]) -> Expr:
        op = self._op(node)
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)
        if op == "&":
            def concatenate(focus: list[Any], env: Env) -> list[Any]:
                parts = [left(focus, env), right(focus, env)]
                if any(len(p) > 1 or (p and not isinstance(p[0], str)) for p in parts):
                    raise Fallback
                return ["".join(p[0] if p else "" for p in parts)]

            return concatenate
        if op not in ("+", "-"):
            raise Unsupported(op)
        if left_node.get("type") == "AdditiveExpression" and self._op(left_node) in ("+", "-"):
            return self._sum(node)
        return self._arithmetic(node, left, right, operator.add if op == "+" else operator.sub, op == "+")

    def _MultiplicativeExpression(self, node: dict[str, Any]) -> Expr:
        op = self._op(node)
        if op not in ("*", "div", "mod"):
            raise Unsupported(op)  # /: decimals
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)
        return self._arithmetic(node, left, right, {"*": operator.mul, "div": _div, "mod": _mod}[op], False)

    def _sum(self, node: dict[str, Any]) -> Expr:
        """``a + b - c + …`` (three terms or more) in one call: as the operators nested to the left,
        each term evaluated, the result empty from the first empty term on. A term ``(x * n)``
        with an integer literal ``n`` is multiplied here."""
        terms: list[tuple[bool, Expr, int | None]] = []
        while node.get("type") == "AdditiveExpression" and self._op(node) in ("+", "-"):
            left_node, right_node = self._kids(node)
            terms.append((self._op(node) == "-", *self._term_times(right_node)))
            node = left_node
        first, first_factor = self._term_times(node)
        terms.reverse()
        rest = tuple(terms)

        def total(focus: list[Any], env: Env) -> list[Any]:
            a = _times(first(focus, env), first_factor)
            empty, several = not a, len(a) > 1
            x = a[0] if a else None
            for subtract, term, factor in rest:
                b = term(focus, env)  # the following terms are evaluated after an empty one: their Fallback is kept
                if not b:
                    empty = True
                    continue
                if len(b) != 1:
                    if factor is not None or not empty:
                        raise Fallback
                    continue
                y = b[0]
                if factor is not None:  # _times, inline
                    if not (type(y) is int or _integer(y)):
                        raise Fallback
                    y = y * factor
                if empty:
                    continue
                if several:
                    raise Fallback
                if (type(x) is int or _integer(x)) and (type(y) is int or _integer(y)):
                    x = x - y if subtract else x + y
                elif not subtract and isinstance(x, str) and isinstance(y, str):
                    x = x + y
                else:
                    raise Fallback
            return [] if empty else [x]

        return total

    def _term_times(self, node: dict[str, Any]) -> tuple[Expr, int | None]:
        """A term of a sum: ``(x * n)`` with an integer literal ``n`` as x and n, others as such."""
        inner = node
        while inner.get("type") in ("TermExpression", "ParenthesizedTerm") and len(inner.get("children") or []) == 1:
            inner = inner["children"][0]
        if inner.get("type") == "MultiplicativeExpression" and self._op(inner) == "*":
            left_node, right_node = self._kids(inner)
            factor = self._literal_value(right_node)
            if factor is not None and len(factor) == 1 and _integer(factor[0]):
                return self._expr(left_node), factor[0]
        return self._expr(node), None

    def _arithmetic(self, node: dict[str, Any], left: Expr, right: Expr, apply: Callable[[int, int], int],
                    strings: bool) -> Expr:
        """An operator on two integers (``strings``: ``+``, which also joins two strings); ``div``
        and ``mod`` by 0 are empty. An integer literal operand is taken as such."""
        divides = apply in (_div, _mod)
        left_node, right_node = self._kids(node)
        for side, constant in (("right", self._literal_value(right_node)), ("left", self._literal_value(left_node))):
            if constant is None or len(constant) != 1 or not _integer(constant[0]):
                continue
            n = constant[0]
            if divides and (side == "left" or n == 0):
                continue
            if side == "right":
                return _by_literal(left, n, apply)
            return _by_literal(right, n, lambda y, m: apply(m, y))  # n op y

        def arithmetic(focus: list[Any], env: Env) -> list[Any]:
            a, b = left(focus, env), right(focus, env)
            if not a or not b:
                return []
            x, y = _singleton(a), _singleton(b)
            if _integer(x) and _integer(y):
                if divides and y == 0:
                    return []
                return [apply(x, y)]
            if strings and isinstance(x, str) and isinstance(y, str):
                return [x + y]
            raise Fallback

        return arithmetic

    def _UnionExpression(self, node: dict[str, Any]) -> Expr:
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)

        def union(focus: list[Any], env: Env) -> list[Any]:
            out: list[Any] = []
            for x in left(focus, env) + right(focus, env):
                if not any(_same(x, y) for y in out):
                    out.append(x)
            return out

        return union

    def _TypeExpression(self, node: dict[str, Any]) -> Expr:
        if self._op(node) != "is":
            raise Unsupported("as")
        value_node, type_node = self._kids(node)
        value, name = self._expr(value_node), _type_name(type_node)

        def is_type(focus: list[Any], env: Env) -> list[Any]:
            items = value(focus, env)
            if not items:
                return []
            return [_is_type(_singleton(items), name)]

        return is_type

    def _MembershipExpression(self, node: dict[str, Any]) -> Expr:
        op = self._op(node)
        left_node, right_node = self._kids(node)
        left, right = self._expr(left_node), self._expr(right_node)
        if op == "contains":
            left, right = right, left

        def member(focus: list[Any], env: Env) -> list[Any]:
            item, coll = left(focus, env), right(focus, env)
            if not item:
                return []
            x = _singleton(item)
            return [any(_equal(x, y) for y in coll)]

        return member


def _by_literal(left: Expr, n: int, apply: Callable[[int, int], int]) -> Expr:
    """``x op n`` for an integer literal n (not 0 for div and mod); ``n op y`` with ``apply`` taking
    its operands the other way round."""
    def by_literal(focus: list[Any], env: Env) -> list[Any]:
        a = left(focus, env)
        if not a:
            return []
        x = _singleton(a)
        if type(x) is int or _integer(x):
            return [apply(x, n)]
        raise Fallback

    return by_literal


def _times(items: list[Any], factor: int | None) -> list[Any]:
    """``items * factor`` for an integer literal factor (None: the items as such)."""
    if factor is None or not items:
        return items
    if len(items) != 1:
        raise Fallback
    x = items[0]
    if type(x) is int or _integer(x):
        return [x * factor]
    raise Fallback


def _div(x: int, y: int) -> int:
    """Truncated division in exact integers: -7 div 2 = -3 (y is not 0)."""
    quotient = abs(x) // abs(y)
    return quotient if (x < 0) == (y < 0) else -quotient


def _mod(x: int, y: int) -> int:
    """The remainder of the truncated division, with the sign of the dividend: -7 mod 2 = -1
    (fhirpathpy's Python % gives 1; y is not 0)."""
    remainder = abs(x) % abs(y)
    return remainder if x >= 0 else -remainder


def _plain_string(constant: list[Any] | None) -> bool:
    """Whether a literal's value is one string that does not look like a date or time."""
    return constant is not None and len(constant) == 1 and isinstance(constant[0], str) and _is_plain(constant[0])


def _one_of(subject: Expr, values: frozenset[str], differ: bool = False) -> Expr:
    """``subject = 'a' or subject = 'b' …`` for plain strings (with ``differ``: the answer of ``!=``
    to one of them): empty for no item, ``differ`` for several."""
    def one_of(focus: list[Any], env: Env) -> list[Any]:
        a = subject(focus, env)
        if not a:
            return []
        if len(a) != 1:
            return [differ]
        x = a[0]
        if not isinstance(x, str) or _TEMPORAL.match(x) is not None:
            raise Fallback  # a string compares with a string only; a date follows calendar rules
        return [(x in values) is not differ]

    return one_of


def _equal_to_literal(other: Expr, constant: list[Any], differ: bool) -> Expr | None:
    """``x = 'literal'`` (or ``!=``, or with the literal first) where the literal is a plain
    string, a boolean or a number: what :func:`_same` does with it, without the general case.
    None for other literals (``{}``, a string that looks like a date)."""
    if len(constant) != 1 or not _is_plain(constant[0]):
        return None
    value = constant[0]
    if isinstance(value, str):
        return _one_of(other, frozenset({value}), differ)
    if isinstance(value, bool):
        def equal_boolean(focus: list[Any], env: Env) -> list[Any]:
            a = other(focus, env)
            if not a:
                return []
            if len(a) != 1:
                return [differ]
            x = a[0]
            if not isinstance(x, bool):
                raise Fallback
            return [(x is value) is not differ]

        return equal_boolean

    def equal_number(focus: list[Any], env: Env) -> list[Any]:
        a = other(focus, env)
        if not a:
            return []
        if len(a) != 1:
            return [differ]
        x = a[0]
        if not _number(x):
            raise Fallback
        return [(x == value) is not differ]

    return equal_number


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _equal(x: Any, y: Any) -> bool:
    if not (_is_plain(x) and _is_plain(y)):
        raise Fallback
    if isinstance(x, bool) or isinstance(y, bool):
        if not (isinstance(x, bool) and isinstance(y, bool)):
            raise Fallback
        return x is y
    if isinstance(x, str) != isinstance(y, str):
        raise Fallback
    return bool(x == y)


def _type_name(node: dict[str, Any]) -> str:
    """The resource type a TypeSpecifier (or an identifier used as one) names; other types and
    qualified names are left to fhirpathpy."""
    names: list[str] = []

    def collect(n: dict[str, Any]) -> None:
        if n.get("type") == "Identifier":
            names.append(str(n.get("text", "")).strip("`"))
        for child in n.get("children") or []:
            collect(child)

    collect(node)
    if len(names) != 1 or names[0] in ("Resource", "DomainResource") or names[0] not in _resource_types():
        raise Unsupported("a type other than a resource type")  # data types need fhirpathpy's type model
    return names[0]


_RESOURCE_TYPES: frozenset[str] | None = None


def _resource_types() -> frozenset[str]:
    """The R4 resource types (fhirpathpy's R4 model: types whose ancestry reaches Resource)."""
    global _RESOURCE_TYPES
    if _RESOURCE_TYPES is None:
        from fhirpathpy.models import models

        parents: dict[str, str] = models["r4"]["type2Parent"]
        found = set()
        for name in parents:
            seen, current = 0, name
            while current in parents and seen < 20:
                current, seen = parents[current], seen + 1
                if current == "Resource":
                    found.add(name)
                    break
        _RESOURCE_TYPES = frozenset(found | {"Resource"})
    return _RESOURCE_TYPES


def _is_type(item: Any, name: str) -> bool:
    """Whether a JSON value is of a (concrete) resource type: resources and other objects only."""
    if not isinstance(item, dict):
        raise Fallback
    return item.get("resourceType") == name


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}

_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and _HEX4.fullmatch(text, i + 2, i + 6):  # int(, 16) would take '0_41' or ' 041'
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise Unsupported(f"escape \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------- functions


def _fn0(body: Expr) -> Callable[[Compiler, list[dict[str, Any]]], Expr]:
    """A function without parameters: its body is the step."""
    return lambda compiler, params: body


def _criteria(combine: Callable[[list[Any], Expr, Env], list[Any]]
              ) -> Callable[[Compiler, list[dict[str, Any]]], Expr]:
    def make(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
        inner = compiler._expr(params[0])
        return lambda focus, env: combine(focus, inner, env)

    return make


def _where(focus: list[Any], inner: Expr, env: Env) -> list[Any]:
    out: list[Any] = []
    for x in focus:
        found = inner([x], env)
        if found:  # _boolean(found) is True, inline
            if len(found) != 1:
                raise Fallback
            value = found[0]
            if value is True:
                out.append(x)
            elif value is not False:
                raise Fallback
    return out


def _exists_where(focus: list[Any], inner: Expr, env: Env) -> list[Any]:
    return [bool(_where(focus, inner, env))]  # every item's criterion, as where(): a Fallback on any is kept


def _all(focus: list[Any], inner: Expr, env: Env) -> list[Any]:
    for x in focus:  # up to the first item whose criterion is not true
        found = inner([x], env)
        if len(found) != 1:
            if found:
                raise Fallback
            return [False]
        value = found[0]
        if value is not True:
            if value is False:
                return [False]
            raise Fallback
    return [True]


def _select(focus: list[Any], inner: Expr, env: Env) -> list[Any]:
    out: list[Any] = []
    for x in focus:
        out.extend(inner([x], env))
    return out


def _not(focus: list[Any], env: Env) -> list[Any]:
    value = _boolean(focus)
    return [] if value is None else [not value]


def _has_value(focus: list[Any], env: Env) -> list[Any]:
    return [len(focus) == 1 and focus[0] is not None and not isinstance(focus[0], dict | list)]


def _empty(focus: list[Any], env: Env) -> list[Any]:
    return [not focus]


def _exists(focus: list[Any], env: Env) -> list[Any]:
    return [bool(focus)]


def _count(focus: list[Any], env: Env) -> list[Any]:
    return [len(focus)]


def _first(focus: list[Any], env: Env) -> list[Any]:
    return focus[:1]


def _last(focus: list[Any], env: Env) -> list[Any]:
    return focus[-1:]


def _tail(focus: list[Any], env: Env) -> list[Any]:
    return focus[1:]


def _distinct(focus: list[Any], env: Env) -> list[Any]:
    if not all(_is_plain(x) and not isinstance(x, bool) for x in focus):
        raise Fallback
    return [len(set(focus)) == len(focus)]


def _same(x: Any, y: Any) -> bool:
    """FHIRPath equality of two JSON values, complex ones property by property."""
    if x is y and isinstance(x, dict):
        return True  # the same resource or element (resolve() = resolve())
    if isinstance(x, dict) or isinstance(y, dict):
        if _UCUM in (_get(x, "system"), _get(y, "system")) or _numeric_value(x) or _numeric_value(y):
            raise Fallback  # a Quantity (or Money …): fhirpathpy compares quantities by value and unit
        if not (isinstance(x, dict) and isinstance(y, dict)) or x.keys() != y.keys():
            return False if isinstance(x, dict) and isinstance(y, dict) else _mixed()
        return all(_same_items(x[k], y[k]) for k in x)
    return _equal(x, y)


_UCUM = "http://unitsofmeasure.org"


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _numeric_value(value: Any) -> bool:
    """A dict with a number as its ``value`` (a Quantity, Money …)."""
    number = _get(value, "value")
    return _number(number) or isinstance(number, float)


def _same_items(x: Any, y: Any) -> bool:
    if isinstance(x, list) or isinstance(y, list):
        if not (isinstance(x, list) and isinstance(y, list)):
            raise Fallback  # one item and a list of one (invalid JSON): fhirpathpy compares the JSON
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
    return _same(x, y)


def _mixed() -> bool:
    raise Fallback


def _intersect(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    other = _argument(compiler, params[0])

    def run(focus: list[Any], env: Env) -> list[Any]:
        right = other(focus, env)
        out: list[Any] = []
        for x in focus:
            if any(_same(x, y) for y in right) and not any(_same(x, z) for z in out):
                out.append(x)
        return out

    return run


def _argument(compiler: Compiler, node: dict[str, Any]) -> Expr:
    """An argument that is not an expression evaluated per item (as ``where``'s is). fhirpathpy
    evaluates such an argument on ``$this`` of the enclosing ``where``/``select``/… (the last item
    it saw) or on the root, not on the function's input: only arguments that do not depend on
    their focus (literals, ``%resource…``) are compiled."""
    if not _focus_free(node):
        raise Unsupported("an argument that depends on its focus")
    return compiler._expr(node)


def _focus_free(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    if kind in ("LiteralTerm", "ExternalConstantTerm"):
        return True
    if kind == "InvocationTerm":
        return False  # a path, a function or $this on the focus
    children = node.get("children") or []
    if kind == "InvocationExpression":  # what follows the dot applies to what precedes it
        return bool(children) and _focus_free(children[0])
    return all(_focus_free(child) for child in children)


def _string_test(test: Callable[[str, str], bool]) -> Callable[[Compiler, list[dict[str, Any]]], Expr]:
    def make(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
        argument = _argument(compiler, params[0])
        literal = compiler._literal_value(params[0])
        if literal is not None and len(literal) == 1 and isinstance(literal[0], str):
            y = literal[0]

            def with_literal(focus: list[Any], env: Env) -> list[Any]:
                x = _one_string(focus)
                return [] if x is None else [test(x, y)]

            return with_literal

        def run(focus: list[Any], env: Env) -> list[Any]:
            arg = argument(focus, env)
            if not focus or not arg:
                return []
            x, y = _singleton(focus), _singleton(arg)
            if not isinstance(x, str) or not isinstance(y, str):
                raise Fallback
            return [test(x, y)]

        return run

    return make


def _length(focus: list[Any], env: Env) -> list[Any]:
    x = _one_string(focus)
    return [] if x is None else [len(x)]


def _trace(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    return lambda focus, env: focus


def _resolve(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    def run(focus: list[Any], env: Env) -> list[Any]:
        resolve = env.resolve
        if resolve is None:
            raise Fallback
        return resolve(focus) if focus else []

    return run


def _matches(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    pattern = _literal_string(params[0])
    if not pattern:
        raise Unsupported("matches() without a literal pattern")
    try:
        regex = re.compile(pattern, re.DOTALL)  # as fhirpathpy: a match anywhere in the string
    except re.error as error:  # evaluated only where the expression reaches it
        raise Unsupported(f"pattern {pattern!r}") from error

    def run(focus: list[Any], env: Env) -> list[Any]:
        if not focus:
            return []
        x = _singleton(focus)
        if not isinstance(x, str):
            raise Fallback
        return [regex.search(x) is not None]

    return run


def _literal_string(node: dict[str, Any]) -> str:
    """The value of a parameter that is a string literal."""
    while node.get("type") in ("TermExpression", "LiteralTerm") and node.get("children"):
        node = node["children"][0]
    if node.get("type") != "StringLiteral":
        raise Unsupported("not a string literal")
    return _unescape(str(node.get("text", ""))[1:-1])


def _substring(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    start = _argument(compiler, params[0])
    length = _argument(compiler, params[1]) if len(params) > 1 else None
    literals = [compiler._literal_value(p) for p in params]
    if all(v is not None and len(v) == 1 and _integer(v[0]) for v in literals):
        return _substring_at(*(v[0] for v in literals if v is not None))

    def run(focus: list[Any], env: Env) -> list[Any]:
        if not focus:
            return []
        x, at = _singleton(focus), start(focus, env)
        if not isinstance(x, str):
            raise Fallback
        if not at:
            return []
        i = _singleton(at)
        if not _integer(i):
            raise Fallback
        if i < 0 or i >= len(x):
            return []
        if length is None:
            return [x[i:]]
        n = length(focus, env)
        if not n:
            return [x[i:]]
        count = _singleton(n)
        if not _integer(count):
            raise Fallback
        return [x[i:i + count]]

    return run


def _substring_at(i: int, count: int | None = None) -> Expr:
    """``substring(i)`` and ``substring(i, count)`` with integer literals."""
    def run(focus: list[Any], env: Env) -> list[Any]:
        x = _one_string(focus)
        if x is None or i < 0 or i >= len(x):
            return []
        return [x[i:] if count is None else x[i:i + count]]

    return run


def _substring_to_integer(i: int, count: int) -> Expr:
    """``substring(i, count).toInteger()`` with integer literals, in one step."""
    substring = _substring_at(i, count)

    def run(focus: list[Any], env: Env) -> list[Any]:
        part = substring(focus, env)
        return [int(part[0])] if part and _INTEGER_TEXT.match(part[0]) else []

    return run


_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")


def _to_integer(focus: list[Any], env: Env) -> list[Any]:
    if len(focus) != 1:
        return []
    x = focus[0]
    if isinstance(x, str):
        return [int(x)] if _INTEGER_TEXT.match(x) else []
    if isinstance(x, bool):
        return [int(x)]
    if _integer(x):
        return [x]
    raise Fallback


def _iif(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    criterion = compiler._expr(params[0])
    then = compiler._expr(params[1])
    otherwise = compiler._expr(params[2]) if len(params) > 2 else None

    def run(focus: list[Any], env: Env) -> list[Any]:
        if criterion(focus, env) == [True]:  # as fhirpathpy: only a true singleton chooses the first
            return then(focus, env)
        return otherwise(focus, env) if otherwise is not None else []

    return run


def _of_type(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    name = _type_name(params[0])

    def of_type(focus: list[Any], env: Env) -> list[Any]:
        out: list[Any] = []
        for x in focus:  # _is_type, inline
            if not isinstance(x, dict):
                raise Fallback
            if x.get("resourceType") == name:
                out.append(x)
        return out

    return of_type


def _is(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    name = _type_name(params[0])

    def is_type(focus: list[Any], env: Env) -> list[Any]:
        if not focus:
            return []
        if len(focus) != 1:
            raise Fallback
        x = focus[0]
        if not isinstance(x, dict):
            raise Fallback
        return [x.get("resourceType") == name]

    return is_type


def _extension(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
    url = _literal_string(params[0])

    def run(focus: list[Any], env: Env) -> list[Any]:
        out = []
        for x in focus:
            if not isinstance(x, dict):
                raise Fallback  # a primitive's extensions are in its _name object
            found = [e for e in x.get("extension") or [] if isinstance(e, dict) and e.get("url") == url]
            if len(found) > 1:
                raise Fallback  # fhirpathpy gives the first only
            out += found
        return out

    return run


def _asks_validator(answer: str) -> Callable[[Compiler, list[dict[str, Any]]], Expr]:
    """A function the validator answers (``conformsTo(url)``, ``memberOf(url)``, ``htmlChecks()``):
    ``answer`` names the :class:`Env` callable, called with the focus item (and the literal URL)."""

    def make(compiler: Compiler, params: list[dict[str, Any]]) -> Expr:
        url = _literal_string(params[0]) if params else None

        def run(focus: list[Any], env: Env) -> list[Any]:
            if not focus:
                return []
            ask = getattr(env, answer)
            if ask is None:
                raise Fallback
            item = _singleton(focus)
            return [ask(item, url) if url is not None else ask(item)]

        return run

    return make


_FUNCTIONS: dict[tuple[str, int], Callable[[Compiler, list[dict[str, Any]]], Expr]] = {
    ("empty", 0): _fn0(_empty),
    ("exists", 0): _fn0(_exists),
    ("exists", 1): _criteria(_exists_where),
    ("count", 0): _fn0(_count),
    ("not", 0): _fn0(_not),
    ("hasValue", 0): _fn0(_has_value),
    ("first", 0): _fn0(_first),
    ("last", 0): _fn0(_last),
    ("tail", 0): _fn0(_tail),
    ("isDistinct", 0): _fn0(_distinct),
    ("where", 1): _criteria(_where),
    ("all", 1): _criteria(_all),
    ("select", 1): _criteria(_select),
    ("startsWith", 1): _string_test(lambda s, p: s.startswith(p)),
    ("endsWith", 1): _string_test(lambda s, p: s.endswith(p)),
    ("contains", 1): _string_test(lambda s, p: p in s),
    ("length", 0): _fn0(_length),
    ("trace", 1): _trace,
    ("trace", 2): _trace,
    ("resolve", 0): _resolve,
    ("intersect", 1): _intersect,
    ("matches", 1): _matches,
    ("substring", 1): _substring,
    ("substring", 2): _substring,
    ("toInteger", 0): _fn0(_to_integer),
    ("iif", 2): _iif,
    ("iif", 3): _iif,
    ("ofType", 1): _of_type,
    ("is", 1): _is,
    ("extension", 1): _extension,
    ("conformsTo", 1): _asks_validator("conforms"),
    ("memberOf", 1): _asks_validator("member_of"),
    ("htmlChecks", 0): _asks_validator("html_ok"),
}


# ----------------------------------------------------------------------------- invariants

_TREES: dict[str, dict[str, Any]] = {}


def parse(expression: str) -> dict[str, Any]:
    """fhirpathpy's parse tree of an expression (kept for the process and in the on-disk cache,
    :mod:`.compiled_cache`; never modified)."""
    tree = _TREES.get(expression)
    if tree is None:
        from . import compiled_cache

        tree = compiled_cache.load_tree(expression)
        if tree is None:
            from fhirpathpy.parser import parse as parse_expression

            tree = parse_expression(expression)
            compiled_cache.store_tree(expression, tree)
        _TREES[expression] = tree
    return tree


class Invariant:
    """One expression, compiled where possible, with fhirpathpy's evaluation of the same parse
    tree behind it. ``tree`` is fhirpathpy's parse tree; ``reference`` evaluates it."""

    __slots__ = ("compiled", "expression", "reference")

    def __init__(self, expression: str, tree: dict[str, Any], reference: Callable[..., list[Any]]) -> None:
        self.expression = expression
        self.reference = reference
        try:
            self.compiled: Expr | None = compile_tree(tree)
        except Exception:  # Unsupported, or a tree the compiler did not foresee: fhirpathpy evaluates it
            self.compiled = None

    def evaluate(self, focus: Any, make_node: Callable[[], Any], context: dict[str, Any], env: Env) -> list[Any]:
        """The result for a focus (a JSON value); ``make_node`` gives fhirpathpy's focus for it."""
        if self.compiled is not None:
            try:
                return self.compiled([focus], env)
            except Exception:  # Fallback, or anything the closures did not foresee: the reference decides
                pass
        return self.reference(make_node(), context)
