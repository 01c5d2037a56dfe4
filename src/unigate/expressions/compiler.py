"""JSONata expressions compiled to Python source, once, at start-up.

`compile_python(source)` parses the source (parser.py) and writes one Python function for it: field
reads become `dict.get` calls inline, blocks and variables become Python locals, lambdas Python
lambdas, and what needs JSONata's sequence rules (a path through arrays, filters, constructors)
calls the helpers in runtime.py. Evaluating a record mapping is then close to reading and writing
its fields. It covers the part of JSONata the integration files use; for anything else it raises
`Unsupported` and the expression stays on the engine. At run time a value outside a function's
usual domain raises `Fallback` (runtime.py) and that one evaluation goes to the engine.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from unigate.expressions import runtime
from unigate.expressions.parser import Node, Unsupported, parse
from unigate.expressions.regex import python_pattern
from unigate.expressions.runtime import BUILTINS, UNDEFINED, Builtin

__all__ = ["Unsupported", "compile_python", "python_source"]

_OPERATORS = {
    "=": "equal", "!=": "not_equal", "in": "includes", "&": "concat", "<": "less", ">": "greater",
    "<=": "less_or_equal", ">=": "greater_or_equal", "+": "add", "-": "subtract", "*": "multiply",
    "/": "divide", "%": "modulo",
}
_HELPERS = ("Function", "Sequence", "array", "boolean", "call", "chain", "collapse", "computed_members", "contains_pattern",
            "chain_items", "defined_members", "each_item", "first_where_equal", "name_of", "pick_positions", "where_equal", "negate", "number_range", "path_items", "pick", "plain", "walk",
            "where", *_OPERATORS.values())


# (function, argument position) where a literal list of names is only looked up in, never returned or
# kept: the compiled form passes a set built once (functions.py accepts one) rather than a new list a call.
_NAME_SET_ARGUMENTS = {("omit", 1)}


def _fallback() -> Any:
    raise runtime.Fallback


@functools.lru_cache(maxsize=4096)
def compile_python(source: str) -> Callable[[Any], Any]:
    """A function of the input giving what the engine gives (None for undefined), or `Unsupported`.

    It raises `Fallback` when one input leaves the compiled subset. The function keeps no state
    between calls, so one is shared by every expression with the same source (files repeat them).
    """
    text, namespace = _generate(source)
    try:
        code = compile(text, "<jsonata>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:  # too deeply nested for Python
        raise Unsupported(f"generated code: {type(exc).__name__}") from exc
    exec(code, namespace)
    function: Callable[[Any], Any] = namespace["evaluate"]
    return function


def python_source(source: str) -> str:
    """The Python the compiler writes for `source` (for reading and debugging)."""
    return _generate(source)[0]


def _generate(source: str) -> tuple[str, dict[str, Any]]:
    writer = _Writer()
    tree = parse(source)
    body = f"plain({writer.expression(tree, 'root')})"
    if not _builds_its_result(tree):
        body = f"own({body})"  # the top-level object or array is the caller's, not the input's
    prelude = "".join(f"    {line}\n" for line in writer.prelude)
    text = f"def evaluate(root):\n    cache = {{}}\n{prelude}    return {body}\n"
    return text, writer.namespace


class _Writer:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {name: getattr(runtime, name) for name in _HELPERS}
        self.namespace.update(U=UNDEFINED, fallback=_fallback, own=_own)
        for name, (function, _least, most) in BUILTINS.items():
            self.namespace[f"f_{name}"] = function
            self.namespace[f"b_{name}"] = Builtin(name, function, most)
        self.scopes: list[dict[str, str]] = []   # JSONata variable -> Python name, innermost last
        self.scope_depths: list[int] = []         # the Python function nesting each scope lives in
        self.depth = 0                            # Python lambdas around the code being written
        # Field names read from the input (`response.properties`), each prefix read once per evaluation
        # at the top of the function: the input does not change while an expression reads it.
        self.hoisted: dict[tuple[str, ...], str] = {}
        self.prelude: list[str] = []
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any) -> str:
        name = self.fresh("k")
        self.namespace[name] = value
        return name

    def expression(self, node: Node, context: str) -> str:
        writer = getattr(self, "_" + node.kind, None)
        if writer is None:
            raise Unsupported(node.kind)
        if node.keep_array and node.kind != "path":
            raise Unsupported("[] outside a path")
        if node.kind in ("array", "object") and (value := _constant_of(node)) is not _NOT_CONSTANT:
            return self.constant(value)  # built once: a literal table is not rebuilt per record
        text: str = writer(node, context)
        if node.filters and node.kind != "step":
            *before, last = node.filters
            if before and last.kind == "literal" and type(last.value) is int and last.value == 0 and _equality_on_item(before[-1]) is not None:
                # `x[a = $v][0]`, the usual single lookup: its first match, with no sequences built between
                assert before[-1].right is not None
                target = self.expression(before[-1].right, "fallback()")
                keys = _equality_on_item(before[-1])
                return f"first_where_equal({self.filters(text, before[:-1])}, {keys!r}, {target}, cache)"
            text = f"collapse({self.filters(text, node.filters)})"
        return text

    def nested(self, node: Node, context: str) -> str:
        """`node` written for the body of a Python lambda the generated code creates."""
        self.depth += 1
        try:
            return self.expression(node, context)
        finally:
            self.depth -= 1

    def filters(self, text: str, filters: list[Node]) -> str:
        for predicate in filters:
            if predicate.kind == "literal" and type(predicate.value) in (int, float):
                text = f"pick({text}, {math.floor(predicate.value)!r})"
            elif (positions := _fixed_positions(predicate)) is not None:
                text = f"pick_positions({text}, {self.constant(frozenset(positions))})"
            elif (keys := _equality_on_item(predicate)) is not None:
                assert predicate.right is not None
                target = self.expression(predicate.right, "fallback()")
                text = f"where_equal({text}, {keys!r}, {target}, cache)"
            else:
                item = self.fresh("c")
                text = f"where({text}, lambda {item}: {self.nested(predicate, item)})"
        return text

    # -- leaves ------------------------------------------------------------------------------------------

    def _literal(self, node: Node, context: str) -> str:
        value = node.value
        if isinstance(value, float) and not value.is_integer():
            return self.constant(value)
        return repr(value)

    _string = _literal

    def _name(self, node: Node, context: str) -> str:
        key = repr(node.value)
        return f"({context}.get({key}, U) if type({context}) is dict else name_of({context}, {key}))"

    def _variable(self, node: Node, context: str) -> str:
        name = node.value
        if name == "":
            return context
        if name == "$":
            return "root"
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in BUILTINS:
            return f"b_{name}"
        return "U"

    # -- structure -------------------------------------------------------------------------------------------

    def _block(self, node: Node, context: str) -> str:
        if not node.items:
            return "U"
        self.scopes.append({name: self.fresh("v") for name in _bound_in(node)})
        self.scope_depths.append(self.depth)
        try:
            parts = [self.expression(item, context) for item in node.items]
        finally:
            self.scopes.pop()
            self.scope_depths.pop()
        if len(parts) == 1:
            return f"({parts[0]})"
        return f"({', '.join(parts)})[-1]"

    def _bind(self, node: Node, context: str) -> str:
        assert node.left is not None
        owner = next((i for i in range(len(self.scopes) - 1, -1, -1) if node.value in self.scopes[i]), None)
        if owner is None:
            if self.scopes or self.depth:
                raise Unsupported("an assignment outside its block")
            # a binding outside any block (`$x := 1` alone): a scope for the whole expression
            self.scopes.append({})
            self.scope_depths.append(0)
            owner = 0
            self.scopes[0][node.value] = self.fresh("v")
        if self.scope_depths[owner] != self.depth:
            # a Python lambda (a filter, a path step) would keep the assignment to itself
            raise Unsupported("an assignment inside a filter or a path step")
        target = self.scopes[owner][node.value]
        return f"({target} := {self.expression(node.left, context)})"

    def _lambda(self, node: Node, context: str) -> str:
        assert node.left is not None
        scope = {name: self.fresh("p") for name in node.params}
        self.depth += 1
        self.scopes.append(scope)
        self.scope_depths.append(self.depth)
        try:
            body = self.expression(node.left, context)
        finally:
            self.scopes.pop()
            self.scope_depths.pop()
            self.depth -= 1
        params = "".join(f"{scope[name]}=U, " for name in node.params)
        return f"Function({len(node.params)}, lambda {params}*_: {body})"

    def _call(self, node: Node, context: str) -> str:
        assert node.left is not None
        target = node.left
        builtin = target.kind == "variable" and not target.filters and not self._is_bound(target.value)
        if builtin and target.value == "contains" and len(node.items) == 2 and node.items[1].kind == "regex" \
                and not node.items[1].filters:
            pattern = python_pattern(*node.items[1].value)
            if pattern is None:
                raise Unsupported("regular expression")
            return f"contains_pattern({self.expression(node.items[0], context)}, {self.constant(pattern)})"
        args = [self._name_set(a) if builtin and (target.value, index) in _NAME_SET_ARGUMENTS and self._is_name_list(a)
                else self.expression(a, context) for index, a in enumerate(node.items)]
        if builtin:
            if target.value not in BUILTINS:
                raise Unsupported(f"function ${target.value}")
            _function, least, most = BUILTINS[target.value]
            if not least <= len(args) <= most:
                raise Unsupported(f"${target.value} with {len(args)} arguments")
            return f"f_{target.value}({', '.join(args)})"
        return f"call({', '.join([self.expression(target, context), *args])})"

    @staticmethod
    def _is_name_list(node: Node) -> bool:
        return node.kind == "array" and not node.filters and all(
            item.kind == "string" and not item.filters for item in node.items)

    def _name_set(self, node: Node) -> str:
        """A literal list of names, as the set the function looks names up in, built once."""
        return self.constant(frozenset(item.value for item in node.items))

    def _regex(self, node: Node, context: str) -> str:
        raise Unsupported("regular expression")  # only as $contains' pattern (_call)

    def _is_bound(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def _condition(self, node: Node, context: str) -> str:
        assert node.left is not None and node.right is not None
        test, then = self.expression(node.left, context), self.expression(node.right, context)
        otherwise = "U" if node.other is None else self.expression(node.other, context)
        value = self.fresh("t")
        # text, the usual test, is judged inline; anything else by runtime.boolean
        return (f"({then} if ({value} != '' if type({value} := {test}) is str else boolean({value})) "
                f"else {otherwise})")

    def _array(self, node: Node, context: str) -> str:
        values, nested = [], []
        for item in node.items:
            if item.kind == "range":
                assert item.left is not None and item.right is not None
                values.append(f"number_range({self.expression(item.left, context)}, "
                              f"{self.expression(item.right, context)})")
                nested.append(False)
            else:
                values.append(self.expression(item, context))
                nested.append(item.kind == "array")
        if all(item.kind == "object" and not item.filters for item in node.items):
            return f"[{', '.join(values)}]"  # objects are never undefined nor arrays
        return f"array(({''.join(v + ', ' for v in values)}), {tuple(nested)!r})"

    def _object(self, node: Node, context: str) -> str:
        keys = [k.value for k, _v in node.pairs if k.kind == "string"]
        if len(keys) == len(node.pairs):
            if len(set(keys)) != len(keys):
                raise Unsupported("a repeated key in an object constructor")
            members = ", ".join(f"{key!r}: {self.expression(value, context)}"
                                for key, (_k, value) in zip(keys, node.pairs))
            return f"defined_members({{{members}}}, {context})"
        pairs = "".join(f"({self.expression(k, context)}, lambda: {self.nested(v, context)}), "
                        for k, v in node.pairs)
        return f"computed_members(({pairs}), {context})"

    # -- paths ---------------------------------------------------------------------------------------------

    def _path(self, node: Node, context: str) -> str:
        head, rest = node.items[0], node.items[1:]
        if not node.keep_array and all(step.kind == "name" and not step.filters for step in rest):
            # a chain of field names: objects are read inline, an array on the way takes runtime.chain
            if head.kind == "name" and not head.filters:
                value, keys = context, [head.value] + [step.value for step in rest]
            else:
                value, keys = self.expression(head, context), [step.value for step in rest]
            if value == "root":
                return self.hoist(tuple(keys))
            for key in keys:
                temp = self.fresh("t")
                value = f"({temp}.get({key!r}, U) if type({temp} := {value}) is dict else chain({temp}, ({key!r},)))"
            if head.kind not in ("name", "variable"):
                # an array context runs the first step once per item: the general walk's business
                value = f"({value} if type({context}) is not list else fallback())"
            return value
        start = self._variable(head, context) if head.kind == "variable" and not head.filters else None
        names = 0 if start is None else 1
        while names < len(node.items) - 1 and node.items[names].kind == "name" and not node.items[names].filters:
            names += 1
        if names and (start is None or names > 1):
            # a variable or field names first (`response.emails.{...}`): their items read by runtime.chain_items
            keys = tuple(step.value for step in node.items[:names] if step.kind == "name")
            items = f"chain_items({context if start is None else start}, {keys!r})"
            remaining = node.items[names:]
        else:
            items = f"path_items({context}, {head.kind == 'variable'})"
            remaining = node.items
        steps = []
        for step in remaining:
            item = self.fresh("c")
            steps.append(f"lambda {item}: {self.nested(step, item)}")
        if len(steps) == 1:
            return f"each_item({items}, {steps[0]}, {node.keep_array})"
        return f"walk({items}, ({', '.join(steps)},), 0, {node.keep_array})"

    def hoist(self, keys: tuple[str, ...]) -> str:
        """A local holding `root.keys...`, read once at the top of the function."""
        previous = "root"
        for end in range(1, len(keys) + 1):
            name = self.hoisted.get(keys[:end])
            if name is None:
                name = self.hoisted[keys[:end]] = self.fresh("h")
                key = keys[end - 1]
                self.prelude.append(f"{name} = {previous}.get({key!r}, U) if type({previous}) is dict "
                                    f"else chain({previous}, ({key!r},))")
            previous = name
        return previous

    def _step(self, node: Node, context: str) -> str:
        assert node.left is not None
        if node.left.filters:
            raise Unsupported("filters on both an expression and its step")
        return self.filters(self.expression(node.left, context), node.filters)

    # -- operators -----------------------------------------------------------------------------------------

    def _negate(self, node: Node, context: str) -> str:
        assert node.left is not None
        return f"negate({self.expression(node.left, context)})"

    def _binary(self, node: Node, context: str) -> str:
        assert node.left is not None and node.right is not None
        left, right = self.expression(node.left, context), self.expression(node.right, context)
        if node.value in ("and", "or"):
            return f"(boolean({left}) {node.value} boolean({right}))"
        if node.value not in _OPERATORS:
            raise Unsupported(f"operator {node.value!r}")
        return f"{_OPERATORS[node.value]}({left}, {right})"


def _own(value: Any) -> Any:
    if type(value) is dict:
        return dict(value)
    return list(value) if type(value) is list else value


def _builds_its_result(node: Node) -> bool:
    """Whether the expression's result is an object or array it constructs anew (not the input's, nor a constant)."""
    while node.kind == "block" and node.items and not node.filters:
        node = node.items[-1]
    return node.kind in ("object", "array") and not node.filters and _constant_of(node) is _NOT_CONSTANT


_NOT_CONSTANT = object()


def _constant_of(node: Node) -> Any:
    """The value of an array or object constructor made of literals only, as the engine gives it; else _NOT_CONSTANT.

    Such a value is built once and shared by every evaluation: results are never changed in place (a
    caller gets its own top-level object, `own`, and the members are shared as those read from the input are).
    """
    value = _literal_value(node)
    if value is _NOT_CONSTANT:
        return value
    try:
        return runtime.plain(value)
    except runtime.Fallback:  # a number the engine writes otherwise
        return _NOT_CONSTANT


def _literal_value(node: Node) -> Any:
    if node.filters or node.keep_array:
        return _NOT_CONSTANT
    if node.kind in ("literal", "string"):
        return node.value
    if node.kind == "array":
        items = [_literal_value(item) if item.kind != "range" else _NOT_CONSTANT for item in node.items]
        # literals are never undefined, and an array literal inside one stays whole
        return _NOT_CONSTANT if any(item is _NOT_CONSTANT for item in items) else items
    if node.kind == "object":
        if not all(key.kind == "string" and not key.filters for key, _value in node.pairs):
            return _NOT_CONSTANT
        members = {key.value: _literal_value(value) for key, value in node.pairs}
        if len(members) != len(node.pairs) or any(value is _NOT_CONSTANT for value in members.values()):
            return _NOT_CONSTANT  # a repeated key is the engine's error to raise
        return members
    return _NOT_CONSTANT


def _fixed_positions(predicate: Node) -> tuple[int, ...] | None:
    """For `[[1..99]]` or `[[0, 2]]` (literal integers and ranges, no repeats): the positions; else None."""
    if predicate.kind != "array" or predicate.filters or not predicate.items:
        return None
    positions: list[int] = []
    for item in predicate.items:
        if item.kind == "literal" and type(item.value) is int:
            positions.append(item.value)
        elif (item.kind == "range" and item.left is not None and item.right is not None
              and item.left.kind == "literal" and item.right.kind == "literal"
              and type(item.left.value) is int and type(item.right.value) is int
              and item.right.value - item.left.value < 10_000):
            positions.extend(range(item.left.value, item.right.value + 1))
        else:
            return None
    if len(set(positions)) != len(positions) or any(p < 0 for p in positions) or not positions:
        return None
    return tuple(positions)


def _equality_on_item(predicate: Node) -> tuple[str, ...] | None:
    """For `[a.b = $x]` (field names of the item = a variable or a literal): the names; else None."""
    if predicate.kind != "binary" or predicate.value != "=" or predicate.filters:
        return None
    left, right = predicate.left, predicate.right
    assert left is not None and right is not None
    if right.filters or not (right.kind in ("literal", "string") or (right.kind == "variable" and right.value != "")):
        return None
    steps = left.items if left.kind == "path" else [left]
    if left.keep_array or not all(step.kind == "name" and not step.filters for step in steps):
        return None
    return tuple(step.value for step in steps)


def _bound_in(block: Node) -> set[str]:
    """The variables a block binds itself (not those of the blocks and lambdas inside it)."""
    names: set[str] = set()
    stack = list(block.items)
    while stack:
        node = stack.pop()
        if node.kind in ("block", "lambda"):
            continue
        if node.kind == "bind":
            names.add(node.value)
        stack.extend(n for n in (node.left, node.right, node.other) if n is not None)
        stack.extend(node.items)
        stack.extend(node.filters)
        for key, value in node.pairs:
            stack.extend((key, value))
    return names
