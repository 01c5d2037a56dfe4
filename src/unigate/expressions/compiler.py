"""JSONata expressions compiled to Python closures, once, at start-up.

`compile_python(source)` parses the source (parser.py) and turns each node of the tree into a
closure `run(context, frame)`: `context` is the value `$` names, `frame` the variables in scope.
Evaluating a mapping is then a few Python calls per field instead of a round trip through the
engine's value conversion. It covers the part of JSONata the integration files use (paths,
filters, object and array constructors, blocks, variables, lambdas, conditions, comparisons,
`and`/`or`/`in`, `&`, arithmetic and the functions in runtime.BUILTINS); for anything else it
raises `Unsupported` and the expression stays on the engine. At run time a value outside a
function's usual domain raises `Fallback` (runtime.py) and that one evaluation goes to the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from unigate.expressions.parser import Node, Unsupported, parse
from unigate.expressions.runtime import (
    BUILTINS,
    UNDEFINED,
    Builtin,
    Fallback,
    Lambda,
    Sequence,
    boolean,
    collapse,
    deep_equal,
    lookup,
    plain,
    to_text,
)

Run = Callable[[Any, dict[str, Any]], Any]

__all__ = ["Unsupported", "compile_python"]


def compile_python(source: str) -> Callable[[Any], Any]:
    """A function of the input giving what the engine gives (None for undefined), or `Unsupported`.

    It raises `Fallback` when one input leaves the compiled subset.
    """
    tree = parse(source)
    run = _Compiler(_bound_names(tree)).compile(tree)

    def evaluate(data: Any) -> Any:
        return plain(run(data, {"$": data}))

    return evaluate


def _bound_names(node: Node) -> set[str]:
    """Every variable the expression assigns or takes as a lambda parameter."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == "bind":
            names.add(current.value)
        names.update(current.params)
        stack.extend(n for n in (current.left, current.right, current.other) if n is not None)
        stack.extend(current.items)
        stack.extend(current.filters)
        for key, value in current.pairs:
            stack.extend((key, value))
    return names


class _Compiler:
    def __init__(self, bound: set[str]) -> None:
        self.bound = bound

    def compile(self, node: Node) -> Run:
        run = getattr(self, "_" + node.kind, None)
        if run is None:
            raise Unsupported(node.kind)
        compiled = run(node)
        if node.filters and node.kind != "step":
            compiled = _with_filters(compiled, [self._filter(f) for f in node.filters])
        if node.keep_array and node.kind != "path":
            raise Unsupported("[] outside a path")
        return compiled

    # -- leaves --------------------------------------------------------------------------------------

    def _literal(self, node: Node) -> Run:
        value = node.value
        return lambda context, frame: value

    _string = _literal

    def _name(self, node: Node) -> Run:
        key = node.value

        def name(context: Any, frame: dict[str, Any]) -> Any:
            if type(context) is dict:
                return context.get(key, UNDEFINED)
            return collapse(lookup(context, key))

        return name

    def _variable(self, node: Node) -> Run:
        name = node.value
        if name == "":
            return lambda context, frame: context
        if name == "$":
            return lambda context, frame: frame["$"]
        if name in self.bound:
            return lambda context, frame: frame.get(name, UNDEFINED)
        if name in BUILTINS:
            function, _least, most = BUILTINS[name]
            value = Builtin(name, function, most)
            return lambda context, frame: value
        return lambda context, frame: UNDEFINED

    # -- structure -----------------------------------------------------------------------------------

    def _block(self, node: Node) -> Run:
        body = [self.compile(item) for item in node.items]
        if not body:
            return lambda context, frame: UNDEFINED

        def block(context: Any, frame: dict[str, Any]) -> Any:
            inner = dict(frame)  # a block is a scope: what it binds is not seen outside
            result = UNDEFINED
            for run in body:
                result = run(context, inner)
            return result

        return block

    def _bind(self, node: Node) -> Run:
        assert node.left is not None
        name, value = node.value, self.compile(node.left)

        def bind(context: Any, frame: dict[str, Any]) -> Any:
            result = value(context, frame)
            frame[name] = result
            return result

        return bind

    def _lambda(self, node: Node) -> Run:
        assert node.left is not None
        params, body = node.params, self.compile(node.left)
        return lambda context, frame: Lambda(params, body, frame, context)

    def _call(self, node: Node) -> Run:
        assert node.left is not None
        args = [self.compile(a) for a in node.items]
        target = node.left
        if target.kind == "variable" and target.value not in self.bound and not target.filters:
            if target.value not in BUILTINS:
                raise Unsupported(f"function ${target.value}")
            function, least, most = BUILTINS[target.value]
            if not least <= len(args) <= most:
                raise Unsupported(f"${target.value} with {len(args)} arguments")
            return _direct_call(function, args)
        callee = self.compile(target)

        def call(context: Any, frame: dict[str, Any]) -> Any:
            function = callee(context, frame)
            if not isinstance(function, Lambda):
                raise Fallback  # not a function (T1006), or a built-in passed around: the engine checks it
            return collapse(function(*[a(context, frame) for a in args]))

        return call

    def _condition(self, node: Node) -> Run:
        assert node.left is not None and node.right is not None
        test, then = self.compile(node.left), self.compile(node.right)
        if node.other is None:
            return lambda context, frame: then(context, frame) if boolean(test(context, frame)) else UNDEFINED
        otherwise = self.compile(node.other)
        return lambda context, frame: (then(context, frame) if boolean(test(context, frame))
                                       else otherwise(context, frame))

    def _array(self, node: Node) -> Run:
        parts: list[tuple[Run, bool]] = []
        for item in node.items:
            if item.kind == "range":
                parts.append((self._range(item), False))
            else:
                # an array written inside an array stays one item; any other array is spliced in
                parts.append((self.compile(item), item.kind == "array"))

        def array(context: Any, frame: dict[str, Any]) -> Any:
            result: list[Any] = []
            for run, nested in parts:
                value = run(context, frame)
                if value is UNDEFINED:
                    continue
                if not nested and isinstance(value, list):
                    result.extend(value)
                else:
                    result.append(value)
            return result

        return array

    def _range(self, node: Node) -> Run:
        assert node.left is not None and node.right is not None
        low, high = self.compile(node.left), self.compile(node.right)

        def range_(context: Any, frame: dict[str, Any]) -> Any:
            start, end = low(context, frame), high(context, frame)
            if start is UNDEFINED or end is UNDEFINED:
                return UNDEFINED
            if type(start) is not int or type(end) is not int or end - start > 10_000_000:
                raise Fallback  # not integers (T2003/T2004) or too long (D2014): the engine's error
            return list(range(start, end + 1)) if start <= end else UNDEFINED

        return range_

    def _object(self, node: Node) -> Run:
        pairs = [(self.compile(k), self.compile(v)) for k, v in node.pairs]
        constant_keys = [k.value for k, _v in node.pairs if k.kind == "string"]
        if len(constant_keys) == len(pairs):
            if len(set(constant_keys)) != len(constant_keys):
                raise Unsupported("a repeated key in an object constructor")
            fixed = [(key, value) for key, (_k, value) in zip(constant_keys, pairs)]

            def fixed_object(context: Any, frame: dict[str, Any]) -> Any:
                if isinstance(context, list):
                    raise Fallback  # an array context groups its items by key: left to the engine
                result = {}
                for key, value in fixed:
                    got = value(context, frame)
                    if got is not UNDEFINED:
                        result[key] = got
                return result

            return fixed_object

        def computed_object(context: Any, frame: dict[str, Any]) -> Any:
            if isinstance(context, list):
                raise Fallback
            result = {}
            seen: set[str] = set()
            for key_run, value in pairs:
                key = key_run(context, frame)
                if key is UNDEFINED:
                    continue
                if type(key) is not str or key in seen:
                    raise Fallback  # a key that is not text (T1003) or repeated (D1009): the engine's error
                seen.add(key)
                got = value(context, frame)
                if got is not UNDEFINED:
                    result[key] = got
            return result

        return computed_object

    # -- paths and filters -------------------------------------------------------------------------------

    def _step(self, node: Node) -> Run:
        assert node.left is not None
        if node.left.filters:
            raise Unsupported("filters on both an expression and its step")
        return _with_filters(self.compile(node.left), [self._filter(f) for f in node.filters], collapse_after=False)

    def _path(self, node: Node) -> Run:
        steps = [self.compile(step) for step in node.items]
        first_is_variable = node.items[0].kind == "variable"
        keep_singleton = node.keep_array
        last = len(steps) - 1

        def path(context: Any, frame: dict[str, Any]) -> Any:
            items = context if isinstance(context, list) and not first_is_variable else [context]
            return walk(items, 0, frame)

        def walk(items: Any, start: int, frame: dict[str, Any]) -> Any:
            for index in range(start, last + 1):
                step = steps[index]
                results = []
                for item in items:
                    got = step(item, frame)
                    if got is not UNDEFINED:
                        results.append(got)
                if index == last and len(results) == 1 and type(results[0]) is list:
                    items = results[0]  # the last step's one array is the answer as it is
                else:
                    items = Sequence()
                    for got in results:
                        if isinstance(got, list):
                            items.extend(got)
                        else:
                            items.append(got)
                if not items:
                    break
            if keep_singleton:
                if type(items) is not Sequence:
                    items = Sequence(items)
                items.keep_singleton = True
            return collapse(items)

        names = [step.value for step in node.items[1:]]
        if keep_singleton or not all(step.kind == "name" and not step.filters for step in node.items[1:]):
            return path
        # A chain of field names (`$p.address.city`): objects all the way are read directly; an array on
        # the way takes the general walk from that step on.
        head = steps[0]
        first_is_name = node.items[0].kind == "name"

        def names_path(context: Any, frame: dict[str, Any]) -> Any:
            if first_is_name and type(context) is not dict:
                return path(context, frame)
            value = head(context, frame)
            for index, key in enumerate(names, 1):
                kind = type(value)
                if kind is dict:
                    value = value.get(key, UNDEFINED)
                elif isinstance(value, list):
                    return walk(Sequence(value), index, frame)
                else:
                    return UNDEFINED
            return value

        return names_path

    def _filter(self, node: Node) -> Callable[[Any, dict[str, Any]], Any]:
        if node.kind == "literal" and type(node.value) in (int, float):
            position = math.floor(node.value)

            def index(value: Any, frame: dict[str, Any]) -> Any:
                if value is UNDEFINED:
                    return Sequence()
                items = value if isinstance(value, list) else [value]
                at = position + len(items) if position < 0 else position
                if not 0 <= at < len(items):
                    return Sequence()
                item = items[at]
                return item if isinstance(item, list) else Sequence([item])

            return index
        predicate = self.compile(node)

        def where(value: Any, frame: dict[str, Any]) -> Any:
            if value is UNDEFINED:
                return Sequence()
            items = value if isinstance(value, list) else [value]
            kept = Sequence()
            for at, item in enumerate(items):
                got = predicate(item, frame)
                kind = type(got)
                if kind is int or kind is float:
                    got = [got]
                if isinstance(got, list) and all(type(n) in (int, float) for n in got):
                    for number in got:
                        wanted = math.floor(number)
                        if wanted < 0:
                            wanted += len(items)
                        if wanted == at:
                            kept.append(item)
                elif boolean(got):
                    kept.append(item)
            return kept

        return where

    # -- operators -----------------------------------------------------------------------------------------

    def _negate(self, node: Node) -> Run:
        assert node.left is not None
        operand = self.compile(node.left)

        def negate(context: Any, frame: dict[str, Any]) -> Any:
            value = operand(context, frame)
            if value is UNDEFINED:
                return UNDEFINED
            if type(value) not in (int, float):
                raise Fallback
            return -value

        return negate

    def _binary(self, node: Node) -> Run:
        assert node.left is not None and node.right is not None
        op, left, right = node.value, self.compile(node.left), self.compile(node.right)
        if op == "and":
            return lambda context, frame: boolean(left(context, frame)) and boolean(right(context, frame))
        if op == "or":
            return lambda context, frame: boolean(left(context, frame)) or boolean(right(context, frame))
        if op == "&":
            def concat(context: Any, frame: dict[str, Any]) -> Any:
                lhs, rhs = left(context, frame), right(context, frame)
                return (("" if lhs is UNDEFINED else to_text(lhs))
                        + ("" if rhs is UNDEFINED else to_text(rhs)))
            return concat
        if op in ("=", "!="):
            same = op == "="

            def equal(context: Any, frame: dict[str, Any]) -> Any:
                lhs, rhs = left(context, frame), right(context, frame)
                if lhs is UNDEFINED or rhs is UNDEFINED:
                    return False
                if isinstance(lhs, (Lambda, Builtin)) or isinstance(rhs, (Lambda, Builtin)):
                    raise Fallback
                return deep_equal(lhs, rhs) is same
            return equal
        if op == "in":
            def includes(context: Any, frame: dict[str, Any]) -> Any:
                lhs, rhs = left(context, frame), right(context, frame)
                if lhs is UNDEFINED or rhs is UNDEFINED:
                    return False
                if isinstance(lhs, (dict, list)):
                    raise Fallback
                return any(deep_equal(lhs, item) for item in (rhs if isinstance(rhs, list) else [rhs]))
            return includes
        if op in _COMPARE:
            compare = _COMPARE[op]

            def comparison(context: Any, frame: dict[str, Any]) -> Any:
                lhs, rhs = left(context, frame), right(context, frame)
                lkind, rkind = type(lhs), type(rhs)
                lnum, rnum = lkind is int or lkind is float, rkind is int or rkind is float
                if not ((lnum or lkind is str or lhs is UNDEFINED) and (rnum or rkind is str or rhs is UNDEFINED)):
                    raise Fallback  # T2010
                if lhs is UNDEFINED or rhs is UNDEFINED:
                    return UNDEFINED
                if (lkind is str) != (rkind is str):
                    raise Fallback  # T2009
                if lkind is str and not (lhs.isascii() and rhs.isascii()):
                    raise Fallback  # text order by UTF-16 units in the reference: the engine decides
                return compare(lhs, rhs)
            return comparison
        if op in _ARITHMETIC:
            operate = _ARITHMETIC[op]

            def arithmetic(context: Any, frame: dict[str, Any]) -> Any:
                lhs, rhs = left(context, frame), right(context, frame)
                lkind, rkind = type(lhs), type(rhs)
                if not ((lkind is int or lkind is float or lhs is UNDEFINED)
                        and (rkind is int or rkind is float or rhs is UNDEFINED)):
                    raise Fallback  # T2001/T2002
                if lhs is UNDEFINED or rhs is UNDEFINED:
                    return UNDEFINED
                result = operate(lhs, rhs)
                if type(result) is float and not math.isfinite(result):
                    raise Fallback  # D1001
                return result
            return arithmetic
        raise Unsupported(f"operator {op!r}")


def _divide(lhs: Any, rhs: Any) -> Any:
    if rhs == 0:
        raise Fallback
    return lhs / rhs


def _modulo(lhs: Any, rhs: Any) -> Any:
    if rhs == 0:
        raise Fallback
    return math.fmod(lhs, rhs)  # JavaScript's % keeps the dividend's sign


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _divide, "%": _modulo,
}


def _direct_call(function: Callable[..., Any], args: list[Run]) -> Run:
    if len(args) == 1:
        (only,) = args
        return lambda context, frame: function(only(context, frame))
    if len(args) == 2:
        first, second = args
        return lambda context, frame: function(first(context, frame), second(context, frame))
    return lambda context, frame: function(*[a(context, frame) for a in args])


def _with_filters(run: Run, filters: list[Callable[[Any, dict[str, Any]], Any]], collapse_after: bool = True) -> Run:
    """`expression[filter][filter]`: each filter keeps the items it is true for (or picks by position)."""

    def filtered(context: Any, frame: dict[str, Any]) -> Any:
        value = run(context, frame)
        for keep in filters:
            value = keep(value, frame)
        return collapse(value) if collapse_after else value

    return filtered
