"""The values and functions compiled expressions (compiler.py) run with, in JSONata's semantics.

JSONata tells apart `undefined` (UNDEFINED here) from `null` (None), and a sequence (the result of a
path, `Sequence`) from an array: a sequence of one item is that item, an empty one is undefined.
The built-in functions are written for the values mappings pass them; any other value (a number
where text is expected, a regular expression) raises `Fallback`, and the expression is evaluated by
the JSONata engine instead, which gives the reference answer or error. Semantics follow the
reference implementation (https://github.com/jsonata-js/jsonata, src/functions.js) and the
specification (https://docs.jsonata.org/).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from unigate.expressions.functions import CUSTOM_FUNCTIONS


class Fallback(Exception):  # a signal, not an error
    """This evaluation leaves the compiled subset: evaluate the expression with the JSONata engine."""


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


class Sequence(list):
    """The items a path (or a function such as `$map`) gives, flattened; collapsed by `collapse`."""

    keep_singleton = False  # set on the instance by a path with `[]`


def collapse(value: Any) -> Any:
    """A sequence of one item is the item, an empty sequence undefined (JSONata's `evaluate` epilogue)."""
    if type(value) is Sequence:
        if not value:
            return UNDEFINED
        if len(value) == 1 and not value.keep_singleton:
            return value[0]
    return value


class Builtin:
    """A built-in function used as a value (`$reduce($x, $append)`)."""

    __slots__ = ("arity", "function", "name")

    def __init__(self, name: str, function: Callable[..., Any], arity: int) -> None:
        self.name = name
        self.function = function
        self.arity = arity

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def boolean(value: Any) -> bool:
    """JSONata's truth of a value (https://docs.jsonata.org/boolean-functions#boolean)."""
    if value is None or value is UNDEFINED:
        return False
    kind = type(value)
    if kind is bool:
        return value
    if kind is str:
        return value != ""
    if kind is int or kind is float:
        return value != 0
    if kind is dict:
        return len(value) > 0
    if isinstance(value, list):
        if len(value) == 1:
            return boolean(value[0])
        return any(boolean(item) for item in value)
    return False


def deep_equal(left: Any, right: Any) -> bool:
    """`=`: same type and value; arrays and objects member by member (true is not 1)."""
    lkind, rkind = type(left), type(right)
    if lkind is str or rkind is str or lkind is bool or rkind is bool or left is None or right is None:
        return lkind is rkind and left == right
    if (lkind is int or lkind is float) and (rkind is int or rkind is float):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(deep_equal(a, b) for a, b in zip(left, right))
    if lkind is dict and rkind is dict:
        return left.keys() == right.keys() and all(deep_equal(v, right[k]) for k, v in left.items())
    return left is right


def lookup(value: Any, key: str) -> Any:
    """The field `key` of an object; of each object of an array, flattened one level (a sequence)."""
    if type(value) is dict:
        return value.get(key, UNDEFINED)
    if isinstance(value, list):
        found = Sequence()
        for item in value:
            got = lookup(item, key)
            if got is UNDEFINED:
                continue
            if isinstance(got, list):
                found.extend(got)
            else:
                found.append(got)
        return found
    return UNDEFINED


def number_text(value: Any) -> str:
    """A number as JSONata writes it (15 significant digits, JavaScript's notation)."""
    if type(value) is int:
        if abs(value) < 2**53:
            return str(value)
        raise Fallback
    rounded = float(f"{value:.15g}")
    if rounded.is_integer() and abs(rounded) < 1e15:
        return str(int(rounded))
    if 1e-4 <= abs(rounded) < 1e15:
        return repr(rounded)  # the shortest round-trip digits in fixed notation, as JavaScript's
    raise Fallback


def _json_safe(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return abs(value) < 2**53
    if kind is dict:
        return all(_json_safe(v) for v in value.values())
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    return False  # floats (15 significant digits), functions, undefined: left to the engine


def to_text(value: Any) -> str:
    """`$string(value)` for a defined value; also each side of `&`."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is float:
        return number_text(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if (kind is dict or isinstance(value, list)) and _json_safe(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    raise Fallback


# -- built-in functions: (implementation, least and most arguments) ------------------------------------


def _count(value: Any) -> Any:
    if value is UNDEFINED:
        return 0
    return len(value) if isinstance(value, list) else 1


def _extreme(pick: Callable[[list[Any]], Any]) -> Callable[[Any], Any]:
    """$max / $min of a number or an array of numbers; undefined for nothing, the engine for anything else."""
    def extreme(value: Any) -> Any:
        if value is UNDEFINED:
            return UNDEFINED
        items = value if isinstance(value, list) else [value]
        if not items:
            return UNDEFINED
        if not all(_is_number(item) for item in items):
            raise Fallback
        return pick(items)
    return extreme


def _string(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value
    if kind is int and -(2**53) < value < 2**53:  # ids, mostly
        return str(value)
    return UNDEFINED if value is UNDEFINED else to_text(value)


_NUMERIC_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?")


def _number(value: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if _is_number(value):
        return value
    if type(value) is str and _NUMERIC_TEXT.fullmatch(value):
        result = float(value)
        if math.isfinite(result):
            return result
    raise Fallback


def _exists(value: Any) -> Any:
    return value is not UNDEFINED


def _not(value: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if isinstance(value, (Function, Builtin)):
        raise Fallback
    return not boolean(value)


def _boolean(value: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if isinstance(value, (Function, Builtin)):
        raise Fallback
    return boolean(value)


def _pad(value: Any, width: Any, char: Any = UNDEFINED) -> Any:
    """JSONata's $pad: to |width| characters, on the right for a positive width, the left for a negative."""
    if value is UNDEFINED:
        return UNDEFINED
    if char is UNDEFINED or char == "":
        char = " "
    if type(value) is not str or type(char) is not str or type(width) not in (int, float) or width != int(width):
        raise Fallback
    missing = abs(int(width)) - len(value)
    if missing <= 0:
        return value
    padding = (char * missing)[:missing]
    return value + padding if width > 0 else padding + value


def _arguments(function: Any, *values: Any) -> tuple[Any, ...]:
    """The arguments a higher-order function passes: as many as the function declares."""
    if not isinstance(function, (Function, Builtin)):
        raise Fallback
    return values[:function.arity]


def _map(values: Any, function: Any) -> Any:
    if values is UNDEFINED:
        return UNDEFINED
    if type(function) is not Function:
        raise Fallback
    items = values if isinstance(values, list) else [values]
    apply, arity = function.function, function.arity
    found = Sequence()
    for index, item in enumerate(items):
        got = apply(item) if arity == 1 else apply(*(item, index, items)[:arity])
        if got is not UNDEFINED:
            found.append(got)
    return collapse(found)


def _each(value: Any, function: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if type(value) is not dict or not isinstance(function, Function):
        raise Fallback
    found = Sequence()
    for key, item in value.items():
        got = function(*_arguments(function, item, key, value))
        if got is not UNDEFINED:
            found.append(got)
    return collapse(found)


def _reduce(values: Any, function: Any, initial: Any = UNDEFINED) -> Any:
    if values is UNDEFINED:
        return UNDEFINED
    if not isinstance(function, (Function, Builtin)) or function.arity < 2:
        raise Fallback
    items = values if isinstance(values, list) else [values]
    if initial is UNDEFINED and items:
        result, start = items[0], 1
    else:
        result, start = initial, 0
    for index in range(start, len(items)):
        result = function(*_arguments(function, result, items[index], index, items))
    return result


def _append(first: Any, second: Any) -> Any:
    if first is UNDEFINED:
        return second
    if second is UNDEFINED:
        return first
    left = list(first) if isinstance(first, list) else [first]
    return left + (list(second) if isinstance(second, list) else [second])


def _join(values: Any, separator: Any = UNDEFINED) -> Any:
    if values is UNDEFINED:
        return UNDEFINED
    items = values if isinstance(values, list) else [values]
    if separator is UNDEFINED:
        separator = ""
    if type(separator) is not str or not all(type(item) is str for item in items):
        raise Fallback
    return separator.join(items)


def _merge(values: Any) -> Any:
    if values is UNDEFINED:
        return UNDEFINED
    items = values if isinstance(values, list) else [values]
    merged: dict[str, Any] = {}
    for item in items:
        if type(item) is not dict:
            raise Fallback
        merged.update(item)
    return merged


def _lookup(value: Any, key: Any) -> Any:
    if type(key) is not str:
        raise Fallback
    return collapse(lookup(value, key))


def _split(text: Any, separator: Any) -> Any:
    if text is UNDEFINED:
        return UNDEFINED
    if type(text) is not str or type(separator) is not str:
        raise Fallback
    return list(text) if separator == "" else text.split(separator)


def _keys(value: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if type(value) is not dict:
        raise Fallback
    return collapse(Sequence(value))


def _type(value: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind is int or kind is float:
        return "number"
    if kind is str:
        return "string"
    if kind is dict:
        return "object"
    if isinstance(value, list):
        return "array"
    return "function"


def _text_pair(text: Any, other: Any) -> bool:
    """Whether a (text, text) function has its arguments; undefined text gives undefined."""
    if text is UNDEFINED:
        return False
    if type(text) is not str or type(other) is not str:
        raise Fallback
    return True


def _contains(text: Any, part: Any) -> Any:
    return (part in text) if _text_pair(text, part) else UNDEFINED


def contains_pattern(text: Any, pattern: Any) -> Any:
    """`$contains(text, /regex/)` with the regex already a Python pattern (regex.py)."""
    if type(text) is str:
        return pattern.search(text) is not None
    if text is UNDEFINED:
        return UNDEFINED
    raise Fallback  # the engine's answer (a type error) for anything but text


def _substring_before(text: Any, part: Any) -> Any:
    if not _text_pair(text, part):
        return UNDEFINED
    at = text.find(part)
    return text[:at] if at > -1 else text


def _substring_after(text: Any, part: Any) -> Any:
    if not _text_pair(text, part):
        return UNDEFINED
    at = text.find(part)
    return text[at + len(part):] if at > -1 else text


def _substring(text: Any, start: Any, length: Any = UNDEFINED) -> Any:
    if text is UNDEFINED:
        return UNDEFINED
    if type(text) is not str or type(start) is not int or not (length is UNDEFINED or type(length) is int):
        raise Fallback
    if len(text) + start < 0:
        start = 0
    if length is UNDEFINED:
        return text[start:]
    if length <= 0:
        return ""
    end = start + length if start >= 0 else len(text) + start + length
    return text[start:end]


_RUNS_OF_SPACE = re.compile(r"[ \t\n\r]+")


def _text(text: Any) -> bool:
    if text is UNDEFINED:
        return False
    if type(text) is not str:
        raise Fallback
    return True


def _trim(text: Any) -> Any:
    if not _text(text):
        return UNDEFINED
    result = _RUNS_OF_SPACE.sub(" ", text)
    if result.startswith(" "):
        result = result[1:]
    if result.endswith(" "):
        result = result[:-1]
    return result


def _lowercase(text: Any) -> Any:
    if not _text(text):
        return UNDEFINED
    if not text.isascii():  # Unicode case mappings differ between libraries: the engine decides
        raise Fallback
    return text.lower()


def _uppercase(text: Any) -> Any:
    if not _text(text):
        return UNDEFINED
    if not text.isascii():
        raise Fallback
    return text.upper()


def _replace(text: Any, pattern: Any, replacement: Any) -> Any:
    if text is UNDEFINED:
        return UNDEFINED
    if (type(text) is not str or type(pattern) is not str or not pattern or type(replacement) is not str
            or "$" in replacement):
        raise Fallback
    return text.replace(pattern, replacement)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise Fallback  # JSONata refuses a repeated key (D1009)
    return result


def _no_float_constant(text: str) -> float:
    raise Fallback


# One decoder for every $eval (json.loads would build one per call).
_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicate_keys, parse_constant=_no_float_constant)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _eval(text: Any) -> Any:
    """`$eval` of JSON text (a monday column value) is that JSON; any other text goes to the engine."""
    if text is UNDEFINED:
        return UNDEFINED
    if type(text) is not str or _SURROGATE_ESCAPE.search(text):
        raise Fallback  # not text, or a \ud800-style escape JSON would turn into a lone surrogate
    try:
        # The usual value is compact JSON as its CRM wrote it: orjson reads it, and writing it back
        # unchanged proves no key was repeated (a repeat would shorten it) and every number read as written.
        value = orjson.loads(text)
        if orjson.dumps(value) == text.encode():
            return value
    except (orjson.JSONDecodeError, UnicodeEncodeError):
        pass
    try:
        return _DECODER.decode(text)
    except ValueError:
        raise Fallback from None


def _distinct(values: Any) -> Any:
    if not isinstance(values, list) or len(values) <= 1:
        return values
    found = Sequence() if type(values) is Sequence else []
    for item in values:
        if not any(deep_equal(item, seen) for seen in found):
            found.append(item)
    return found


# The ISO 8601 forms $toMillis reads here; anything else (a picture string, week dates, ...) is the engine's.
_ISO_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
                            r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_millis(value: Any) -> Any:
    """$toMillis(timestamp): milliseconds since the epoch of an ISO 8601 time (UTC when it names no zone)."""
    if value is UNDEFINED:
        return UNDEFINED
    if not isinstance(value, str) or not _ISO_TIMESTAMP.fullmatch(value):
        raise Fallback
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Fallback from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


_SECONDS_PICTURE = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z"  # the one picture mappings use (RFC 3339, whole seconds)


def _from_millis(value: Any, picture: Any = UNDEFINED) -> Any:
    """$fromMillis(milliseconds[, picture]): the ISO 8601 UTC time, to the millisecond (`2027-01-15T10:00:00.000Z`),
    or to the second with _SECONDS_PICTURE; any other picture is the engine's."""
    if value is UNDEFINED:
        return UNDEFINED
    if picture is not UNDEFINED and picture != _SECONDS_PICTURE:
        raise Fallback
    if not _is_number(value) or value != int(value):
        raise Fallback
    try:
        moment = _EPOCH + timedelta(milliseconds=int(value))
    except OverflowError:
        raise Fallback from None
    if not 1 <= moment.year <= 9999:
        raise Fallback
    if picture is not UNDEFINED:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _integral(value: Any, rounding: Callable[[float], int]) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if not _is_number(value) or not math.isfinite(value):
        raise Fallback
    result = rounding(value)
    return result if abs(result) < 2**53 else float(result)  # as the engine writes large numbers


def _floor(value: Any) -> Any:
    return _integral(value, math.floor)


def _ceil(value: Any) -> Any:
    return _integral(value, math.ceil)


def _round(value: Any) -> Any:
    """$round(number) to an integer, halves to even (as JSONata, and Python's round)."""
    return _integral(value, round)


def _error(*_args: Any) -> Any:
    raise Fallback  # the engine raises the error with its code


_HOST_PLAIN = frozenset((str, int, float, bool, type(None), dict, list, frozenset))  # a set: compiler._name_set


def _host(function: Callable[..., Any]) -> Callable[..., Any]:
    """A custom function called as the engine calls it: undefined arguments as None, None back as undefined."""

    def call(*args: Any) -> Any:
        if all(type(arg) in _HOST_PLAIN for arg in args):  # the usual case: values as the engine passes them
            result = function(*args)
            return UNDEFINED if result is None else result
        plain = []
        for arg in args:
            if arg is UNDEFINED:
                plain.append(None)
            elif isinstance(arg, (Function, Builtin)):
                raise Fallback
            elif type(arg) is Sequence:
                plain.append(list(arg))
            else:
                plain.append(arg)
        result = function(*plain)
        return UNDEFINED if result is None else result

    return call


# name -> (implementation, least arguments, most arguments)
BUILTINS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "count": (_count, 1, 1),
    "max": (_extreme(max), 1, 1),
    "min": (_extreme(min), 1, 1),
    "string": (_string, 1, 1),
    "number": (_number, 1, 1),
    "exists": (_exists, 1, 1),
    "not": (_not, 1, 1),
    "boolean": (_boolean, 1, 1),
    "pad": (_pad, 2, 3),
    "map": (_map, 2, 2),
    "each": (_each, 2, 2),
    "reduce": (_reduce, 2, 3),
    "append": (_append, 2, 2),
    "join": (_join, 1, 2),
    "merge": (_merge, 1, 1),
    "lookup": (_lookup, 2, 2),
    "split": (_split, 2, 2),
    "keys": (_keys, 1, 1),
    "type": (_type, 1, 1),
    "contains": (_contains, 2, 2),
    "substringBefore": (_substring_before, 2, 2),
    "substringAfter": (_substring_after, 2, 2),
    "substring": (_substring, 2, 3),
    "trim": (_trim, 1, 1),
    "lowercase": (_lowercase, 1, 1),
    "uppercase": (_uppercase, 1, 1),
    "replace": (_replace, 3, 3),
    "eval": (_eval, 1, 1),
    "distinct": (_distinct, 1, 1),
    "error": (_error, 0, 1),
    "toMillis": (_to_millis, 1, 1),
    "fromMillis": (_from_millis, 1, 2),
    "floor": (_floor, 1, 1),
    "ceil": (_ceil, 1, 1),
    "round": (_round, 1, 1),
}
for _name, (_function, _signature) in CUSTOM_FUNCTIONS.items():
    _code = _function.__code__
    _least = _code.co_argcount - len(_function.__defaults__ or ())
    _most = 255 if _code.co_flags & 0x04 else _code.co_argcount  # *args takes any number
    BUILTINS[_name] = (_host(_function), _least, _most)


def plain(value: Any) -> Any:
    """The result as the engine hands it back: sequences as lists, whole floats as ints, undefined as None.

    A container holding none of those is returned as it is (members read from the input stay shared
    with it, as `remote_data` is); one that does is rebuilt, its unchanged members shared.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        changed = None
        for key, item in value.items():
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            normal = plain(item)
            if normal is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = normal
        return value if changed is None else changed
    if kind is list or kind is Sequence:
        items = None
        for index, item in enumerate(value):
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            normal = plain(item)
            if normal is not item:
                if items is None:
                    items = list(value)
                items[index] = normal
        if items is not None:
            return items
        return value if kind is list else list(value)
    if kind is int:
        if abs(value) >= 2**63:
            raise Fallback  # the engine gives such integers as floats
        return value
    if kind is float:
        if value.is_integer():
            if abs(value) < 2**53:
                return int(value)
            raise Fallback
        return value
    if value is UNDEFINED:
        return None
    raise Fallback  # a function, or a value JSON has no form for


# -- helpers the generated code calls (compiler.py) ------------------------------------------------------


class Function:
    """A compiled `function($a, ...) { ... }`: a Python function taking its parameters (missing ones undefined)."""

    __slots__ = ("arity", "function")

    def __init__(self, arity: int, function: Callable[..., Any]) -> None:
        self.arity = arity
        self.function = function

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


def call(function: Any, *args: Any) -> Any:
    """`$f(args)` where `$f` is a variable: a function the expression defined, else the engine decides."""
    if type(function) is not Function:
        raise Fallback  # not a function (T1006), or a built-in passed around
    return collapse(function.function(*args))


def name_of(context: Any, key: str) -> Any:
    """A field name on its own (`name`): the context's field, or each item's for an array context."""
    if type(context) is dict:
        return context.get(key, UNDEFINED)
    return collapse(lookup(context, key))


def _name_step(key: str) -> Callable[[Any], Any]:
    return lambda context: name_of(context, key)


def walk(items: list[Any], steps: tuple[Callable[[Any], Any], ...], start: int = 0, keep: bool = False,
         collapsed: bool = True) -> Any:
    """A path from step `start` on: each step on each item, the results flattened into the next items.

    The last step's single array result is the answer as it is (not flattened), as in the reference.
    """
    last = len(steps) - 1
    for index in range(start, last + 1):
        step = steps[index]
        results = []
        for item in items:
            got = step(item)
            if got is not UNDEFINED:
                results.append(got)
        if index == last and len(results) == 1 and type(results[0]) is list:
            items = results[0]
        else:
            items = Sequence()
            for got in results:
                if isinstance(got, list):
                    items.extend(got)
                else:
                    items.append(got)
        if not items:
            break
    if keep:
        if type(items) is not Sequence:
            items = Sequence(items)
        items.keep_singleton = True
    return collapse(items) if collapsed else items


def path_items(context: Any, first_is_variable: bool) -> list[Any]:
    """The items a path's first step runs on: an array context's items (unless it starts with a variable)."""
    return context if isinstance(context, list) and not first_is_variable else [context]


def chain(value: Any, keys: tuple[str, ...]) -> Any:
    """`value.a.b.c`: objects all the way are read directly; an array on the way takes the general walk."""
    for index, key in enumerate(keys):
        kind = type(value)
        if kind is dict:
            value = value.get(key, UNDEFINED)
        elif kind is list or kind is Sequence:
            return walk(value, tuple(_name_step(k) for k in keys), index)
        else:
            return UNDEFINED
    return value


def chain_items(value: Any, keys: tuple[str, ...]) -> Any:
    """The items `value.a.b` gives, not collapsed: what a path's further steps run on."""
    for index, key in enumerate(keys):
        kind = type(value)
        if kind is dict:
            value = value.get(key, UNDEFINED)
        elif kind is list or kind is Sequence:
            return walk(value, tuple(_name_step(k) for k in keys), index, collapsed=False)
        else:
            return ()
    if value is UNDEFINED:
        return ()
    return value if isinstance(value, list) else (value,)


def pick(value: Any, position: Any) -> Any:
    """`value[n]` (n a number): the item at n (from the end when negative), not collapsed."""
    if value is UNDEFINED:
        return Sequence()
    if not isinstance(value, list):
        value = [value]
    at = math.floor(position)
    if at < 0:
        at += len(value)
    if not 0 <= at < len(value):
        return Sequence()
    item = value[at]
    return item if isinstance(item, list) else Sequence((item,))


def pick_positions(value: Any, positions: frozenset[int]) -> Any:
    """`value[[1..99]]` (fixed, distinct, non-negative positions): the items at those positions, in the value's order."""
    if value is UNDEFINED:
        return Sequence()
    items = value if isinstance(value, list) else [value]
    return Sequence(item for at, item in enumerate(items) if at in positions)


def each_item(items: Any, step: Callable[[Any], Any], keep: bool = False) -> Any:
    """A path's last step over its items (`response.emails.{...}`): `walk` for one step."""
    results = []
    for item in items:
        got = step(item)
        if got is not UNDEFINED:
            results.append(got)
    if len(results) == 1 and type(results[0]) is list and not keep:
        return results[0]
    found = Sequence()
    for got in results:
        if isinstance(got, list):
            found.extend(got)
        else:
            found.append(got)
    if keep:
        found.keep_singleton = True
    return collapse(found)


def where(value: Any, predicate: Callable[[Any], Any]) -> Any:
    """`value[predicate]`: the items it is true for, or the positions it gives (numbers), not collapsed."""
    if value is UNDEFINED:
        return Sequence()
    items = value if isinstance(value, list) else [value]
    kept = Sequence()
    for at, item in enumerate(items):
        got = predicate(item)
        kind = type(got)
        if kind is bool:
            if got:
                kept.append(item)
            continue
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


def _index_key(value: Any) -> Any:
    """A hashable stand-in for a scalar that tells apart what `=` does (true is not 1); None otherwise."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is float:
        return (0, value)
    if kind is bool:
        return (1, value)
    if value is None:
        return (2,)
    return None


def where_equal(value: Any, keys: tuple[str, ...], target: Any, cache: dict[int, Any]) -> Any:
    """`value[a.b = target]` with a target the items do not change (`$cv[column.title = $title]`).

    The items are indexed by `a.b` once per evaluation (`cache`), so a mapping that looks up several
    columns of one array by title reads the array once, not once per lookup.
    """
    return Sequence(_equal_items(value, keys, target, cache))


def first_where_equal(value: Any, keys: tuple[str, ...], target: Any, cache: dict[int, Any]) -> Any:
    """`value[a.b = target][0]` as a value: the first such item (an array item as it is), else undefined."""
    items = _equal_items(value, keys, target, cache)
    return items[0] if items else UNDEFINED


def _equal_items(value: Any, keys: tuple[str, ...], target: Any, cache: dict[int, Any]) -> Any:
    """The items of `value[a.b = target]`, in order (the index's own list: read, never changed)."""
    if value is UNDEFINED or target is UNDEFINED:
        return ()
    wanted = _index_key(target)
    if wanted is None or not isinstance(value, list):
        return where(value, lambda item: equal(chain(item, keys), target))
    entry = cache.get(id(value))
    if entry is None or entry[0] is not value or entry[1] != keys:
        index: dict[Any, list[Any]] = {}
        for item in value:
            found = _index_key(chain(item, keys))
            if found is not None:
                index.setdefault(found, []).append(item)
        entry = (value, keys, index)
        cache[id(value)] = entry
    return entry[2].get(wanted, ())


def defined_members(members: dict[str, Any], context: Any) -> dict[str, Any]:
    """An object constructor's result: the members whose value is defined."""
    if isinstance(context, list):
        raise Fallback  # an array context groups its items by key: left to the engine
    return {k: v for k, v in members.items() if v is not UNDEFINED}


def computed_members(pairs: tuple[tuple[Any, Callable[[], Any]], ...], context: Any) -> dict[str, Any]:
    """An object constructor with computed keys; values are evaluated after their key."""
    if isinstance(context, list):
        raise Fallback
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key is UNDEFINED:
            continue
        if type(key) is not str or key in result:
            raise Fallback  # a key that is not text (T1003) or repeated (D1009): the engine's error
        got = value()
        if got is not UNDEFINED:
            result[key] = got
    return result


def array(values: tuple[Any, ...], nested: tuple[bool, ...]) -> list[Any]:
    """An array constructor: arrays among the values are spliced in, unless written as `[...]` themselves."""
    result: list[Any] = []
    for value, keep_whole in zip(values, nested):
        if value is UNDEFINED:
            continue
        if not keep_whole and isinstance(value, list):
            result.extend(value)
        else:
            result.append(value)
    return result


def number_range(low: Any, high: Any) -> Any:
    if low is UNDEFINED or high is UNDEFINED:
        return UNDEFINED
    if type(low) is not int or type(high) is not int or high - low > 10_000_000:
        raise Fallback  # not integers (T2003/T2004) or too long (D2014): the engine's error
    return list(range(low, high + 1)) if low <= high else UNDEFINED


def equal(left: Any, right: Any) -> bool:
    if left is UNDEFINED or right is UNDEFINED:
        return False
    if type(left) is str and type(right) is str:
        return left == right
    if isinstance(left, (Function, Builtin)) or isinstance(right, (Function, Builtin)):
        raise Fallback
    return deep_equal(left, right)


def not_equal(left: Any, right: Any) -> bool:
    if left is UNDEFINED or right is UNDEFINED:
        return False
    if type(left) is str and type(right) is str:
        return left != right
    if isinstance(left, (Function, Builtin)) or isinstance(right, (Function, Builtin)):
        raise Fallback
    return not deep_equal(left, right)


def includes(left: Any, right: Any) -> bool:
    if left is UNDEFINED or right is UNDEFINED:
        return False
    if type(left) is str:
        if type(right) is str:
            return left == right
        # only text equals text: a list's `in` (==, in C) finds exactly the items `=` would
        return left in right if isinstance(right, list) else False
    if isinstance(left, (dict, list, Function, Builtin)):
        raise Fallback
    return any(deep_equal(left, item) for item in (right if isinstance(right, list) else [right]))


def concat(left: Any, right: Any) -> str:
    return ("" if left is UNDEFINED else to_text(left)) + ("" if right is UNDEFINED else to_text(right))


def _comparable(left: Any, right: Any) -> bool:
    """Whether `<`-style operands are both defined; the errors (T2009, T2010) are the engine's to raise."""
    lkind, rkind = type(left), type(right)
    lnum, rnum = lkind is int or lkind is float, rkind is int or rkind is float
    if not ((lnum or lkind is str or left is UNDEFINED) and (rnum or rkind is str or right is UNDEFINED)):
        raise Fallback
    if left is UNDEFINED or right is UNDEFINED:
        return False
    if (lkind is str) != (rkind is str):
        raise Fallback
    if lkind is str and not (left.isascii() and right.isascii()):
        raise Fallback  # text order by UTF-16 units in the reference: the engine decides
    return True


def less(left: Any, right: Any) -> Any:
    return left < right if _comparable(left, right) else UNDEFINED


def greater(left: Any, right: Any) -> Any:
    return left > right if _comparable(left, right) else UNDEFINED


def less_or_equal(left: Any, right: Any) -> Any:
    return left <= right if _comparable(left, right) else UNDEFINED


def greater_or_equal(left: Any, right: Any) -> Any:
    return left >= right if _comparable(left, right) else UNDEFINED


def _numbers(left: Any, right: Any) -> bool:
    lkind, rkind = type(left), type(right)
    if not ((lkind is int or lkind is float or left is UNDEFINED) and (rkind is int or rkind is float or right is UNDEFINED)):
        raise Fallback  # T2001/T2002
    return left is not UNDEFINED and right is not UNDEFINED


def _finite(result: Any) -> Any:
    if type(result) is float and not math.isfinite(result):
        raise Fallback  # D1001
    return result


def add(left: Any, right: Any) -> Any:
    return _finite(left + right) if _numbers(left, right) else UNDEFINED


def subtract(left: Any, right: Any) -> Any:
    return _finite(left - right) if _numbers(left, right) else UNDEFINED


def multiply(left: Any, right: Any) -> Any:
    return _finite(left * right) if _numbers(left, right) else UNDEFINED


def divide(left: Any, right: Any) -> Any:
    if not _numbers(left, right):
        return UNDEFINED
    if right == 0:
        raise Fallback
    return _finite(left / right)


def modulo(left: Any, right: Any) -> Any:
    if not _numbers(left, right):
        return UNDEFINED
    if right == 0:
        raise Fallback
    return _finite(math.fmod(left, right))  # JavaScript's % keeps the dividend's sign


def negate(value: Any) -> Any:
    if value is UNDEFINED:
        return UNDEFINED
    if type(value) not in (int, float):
        raise Fallback
    return -value
