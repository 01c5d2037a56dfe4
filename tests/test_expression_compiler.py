"""The Python-compiled expressions give what the JSONata engine gives, for every expression of every integration.

The expressions are enumerated from the loaded integrations (a new resource file is covered with no
edit here). Inputs are generated with hypothesis: for the record mappings, the records the sandbox's
emulators answer with, mutated (members dropped, set to null, wrapped in an array of one, given a
value of another type); for every expression, documents shaped from the field names the expression
reads, holding nulls, arrays of one, wrong types, texts the expression compares against, dates and
JSON text. For each input the compiled form must give the engine's result exactly (same JSON, key
order and number types included), or hand the evaluation to the engine (`Fallback`); where the engine
raises an error, the compiled form must not answer.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapping_inputs import record_inputs
from support import SPECS

from unigate.engine.spec import ResourceMapping
from unigate.expressions import Expression, ExpressionError, engine_only
from unigate.expressions.parser import Node, parse
from unigate.expressions.runtime import Fallback

# -- every expression of every integration -------------------------------------------------------------


def _expressions(value: Any, where: str, found: dict[tuple[str, bool], tuple[str, Expression]]) -> None:
    if isinstance(value, Expression):
        key = (value.source, type(value) is not Expression)  # a ConfiguredExpression reads `config` too
        found.setdefault(key, (where, value))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _expressions(getattr(value, item.name), f"{where}.{item.name}", found)
    elif isinstance(value, dict):
        for key, item in value.items():
            label = "/".join(key) if isinstance(key, tuple) else key
            _expressions(item, f"{where}[{label}]", found)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _expressions(item, f"{where}[{index}]", found)


def all_expressions() -> list[tuple[str, Expression]]:
    found: dict[tuple[str, bool], tuple[str, Expression]] = {}
    for name in sorted(SPECS):
        _expressions(SPECS[name], name, found)
    return list(found.values())


EXPRESSIONS = all_expressions()


def record_mappings() -> dict[str, tuple[str, str]]:
    """Each record mapping's source -> the (integration, resource) whose sandbox records it reads."""
    found: dict[str, tuple[str, str]] = {}
    for name in sorted(SPECS):
        for (_model, resource), mapping in SPECS[name].mappings.items():
            assert isinstance(mapping, ResourceMapping)
            if "list" not in mapping.methods:
                continue  # no records to read (a create-only resource): its generated inputs check it
            for method in mapping.methods.values():
                if method.record is not None:
                    found.setdefault(method.record.source, (name, resource))
    return found


RECORD_MAPPINGS = record_mappings()

# The expressions the compiler leaves to the engine today (regular expressions, $base64encode). The
# subset is tracked here: a change that adds to the list (or shrinks it) updates this number.
# What the compiler leaves to the engine, by kind. A new kind (syntax or a function the compiler does not
# cover) fails here so the subset is tracked; more expressions of a known kind do not.
ENGINE_ONLY_KINDS = {
    "regular expression",       # beyond $contains' patterns where JavaScript and Python agree (regex.py)
    "operator '~>'",            # a value applied to a regular expression (an id's digits, per write)
    "function $base64encode",   # headers, once per request
    "function $sort",           # a status column's labels in order (monday's stages)
    "operator '^'",             # order-by: a pipeline's stages
    "function $now",            # a write's timestamp (HubSpot's hs_timestamp), once per write
    "function $formatNumber",   # a call's "mm:ss" duration (Zoho), once per write
}
# Syntax the compiler does not cover yet that a record mapping may still use: order-by sorts a pipeline's
# stages (a handful per record, on resources whose pages are small). Those mappings run at the engine's speed.
RECORD_MAPPING_ENGINE_ONLY = {"operator '^'"}


def test_the_compiled_subset_is_tracked():
    left = {source: why for source, why in engine_only().items()
            if any(source == e.source for _w, e in EXPRESSIONS)}
    described = "\n".join(f"- {why}: {source[:80]!r}" for source, why in sorted(left.items()))
    assert set(left.values()) <= ENGINE_ONLY_KINDS, f"expressions left to the engine:\n{described}"


def test_every_record_mapping_is_compiled():
    assert RECORD_MAPPINGS
    for source in RECORD_MAPPINGS:
        why = engine_only().get(source)
        assert why is None or why in RECORD_MAPPING_ENGINE_ONLY, f"a record mapping left to the engine: {why}"


# -- the comparison ------------------------------------------------------------------------------------


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def assert_same(expression: Expression, data: Any) -> bool:
    """The compiled result equals the engine's; False when the compiled form handed the input to the engine."""
    try:
        expected = expression.evaluate_engine(copy.deepcopy(data))
        failure = None
    except ExpressionError as exc:
        expected, failure = None, exc
    try:
        got = expression.evaluate_compiled(data)
    except Fallback:
        return False
    assert failure is None, f"the engine raised {failure.code} ({failure}); the compiled form answered {got!r}"
    assert _json(got) == _json(expected), f"engine {_json(expected)[:400]!r}\ncompiled {_json(got)[:400]!r}\ninput {repr(data)[:600]}"
    return True


# -- inputs shaped from what an expression reads ----------------------------------------------------------

ROOT = "<root>"
ANYWHERE = "<any>"


class Shape:
    """Which field names follow which (`response` → `properties` → `name`), from the expression's paths.

    Names read through a variable or a lambda parameter are placed under the path the variable was
    bound to; those that cannot be placed go under every object (ANYWHERE).
    """

    def __init__(self, tree: Node) -> None:
        self.follows: dict[str, set[str]] = {ROOT: set(), ANYWHERE: set()}
        self.texts: set[str] = set()
        self.variables: dict[str, str] = {}
        self.lambdas: dict[str, Node] = {}
        for _ in range(2):  # the second pass knows the lambdas' parameters from their calls
            self.walk(tree, ROOT)

    def edge(self, parent: str, name: str) -> str:
        self.follows.setdefault(parent, set()).add(name)
        self.follows.setdefault(name, set())
        return name

    def walk(self, node: Node, context: str) -> str:
        kind = node.kind
        end = ANYWHERE
        if kind == "string":
            self.texts.add(node.value)
        elif kind == "name":
            end = self.edge(context, node.value)
        elif kind == "variable":
            end = context if node.value == "" else ROOT if node.value == "$" else self.variables.get(node.value, ANYWHERE)
        elif kind == "path":
            end = context
            for step in node.items:
                end = self.walk(step, end)
        elif kind == "step":
            assert node.left is not None
            end = self.walk(node.left, context)
        elif kind == "bind":
            assert node.left is not None
            end = self.walk(node.left, context)
            self.variables[node.value] = end
            if node.left.kind == "lambda":
                self.lambdas[node.value] = node.left
        elif kind == "block":
            for item in node.items:
                end = self.walk(item, context)
        elif kind == "call":
            assert node.left is not None
            ends = [self.walk(arg, context) for arg in node.items]
            target = node.left
            function = self.lambdas.get(target.value) if target.kind == "variable" else None
            if target.kind == "variable" and target.value in ("map", "each", "filter", "reduce") and len(ends) > 1:
                function = node.items[1] if node.items[1].kind == "lambda" else self.lambdas.get(node.items[1].value)
                ends = ends[:1] * 4
            if function is not None and function.kind == "lambda":
                for param, source in zip(function.params, ends):
                    self.variables[param] = source
        elif kind == "lambda":
            assert node.left is not None
            for param in node.params:
                self.variables.setdefault(param, ANYWHERE)
            self.walk(node.left, context)
        elif kind == "object":
            for key, value in node.pairs:
                self.walk(key, context)
                self.walk(value, context)
        else:
            for child in (node.left, node.right, node.other, *node.items):
                if child is not None:
                    self.walk(child, context)
            end = ANYWHERE
        for predicate in node.filters:
            self.walk(predicate, end)
        return end


def _texts(shape: Shape) -> st.SearchStrategy[str]:
    known = sorted(shape.texts | {n for names in shape.follows.values() for n in names})
    return st.one_of(
        st.sampled_from(known) if known else st.just("x"),
        st.sampled_from(["", " ", "a b", " padded ", "line one\nline two", "12", "-3.5", "1e3", "0x10",
                         "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.250+02:00", "2024-01-02", "1700000000000",
                         "Ünïcødé", "a;b;", "x, y", '{"url": "https://e.example", "text": "e"}',
                         '{"personsAndTeams": [{"id": 7, "kind": "person"}]}', '{"tag_ids": [1, 2]}',
                         "[1, 2]", "null", "https://example.com/a/b", "<https://e.example/p2>; rel=\"next\""]),
        st.text(max_size=12),
    )


def _leaves(shape: Shape) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(-5, 5), st.integers(-(2**40), 2**40),
        st.sampled_from([0.5, 5.0, -2.25, 1e21, 1.7e12, 1e-7]), _texts(shape),
    )


def shaped_input(tree: Node) -> st.SearchStrategy[Any]:
    shape = Shape(tree)
    leaves = _leaves(shape)
    everywhere = sorted(shape.follows[ANYWHERE] | shape.texts)[:12]
    memo: dict[tuple[str, int], st.SearchStrategy[Any]] = {}

    def value(name: str, depth: int) -> st.SearchStrategy[Any]:
        if depth >= 4:
            return leaves
        if (name, depth) not in memo:
            keys = sorted(shape.follows.get(name, set())) or everywhere
            obj = st.fixed_dictionaries({}, optional={k: st.deferred(lambda k=k: value(k, depth + 1)) for k in keys})
            memo[(name, depth)] = st.one_of(leaves, obj, st.lists(st.one_of(obj, leaves), max_size=2))
        return memo[(name, depth)]

    root_keys = sorted(shape.follows[ROOT] | {"response", "body", "context", "steps"})
    return st.fixed_dictionaries({}, optional={k: value(k, 1) for k in root_keys})


# -- mutations of real records ---------------------------------------------------------------------------


def _slots(value: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((value, key))
            _slots(item, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((value, index))
            _slots(item, out)
    return out


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any], leaves: st.SearchStrategy[Any]) -> Any:
    data = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 4))):
        slots = _slots(data, [])
        if not slots:
            break
        parent, key = draw(st.sampled_from(slots))
        change = draw(st.sampled_from(["drop", "null", "wrap", "empty", "other"]))
        if change == "drop" and isinstance(parent, dict):
            del parent[key]
        elif change == "null":
            parent[key] = None
        elif change == "wrap":
            parent[key] = [parent[key]]
        elif change == "empty":
            parent[key] = "" if isinstance(parent[key], str) else [] if isinstance(parent[key], list) else {}
        else:
            parent[key] = draw(leaves)
    return data


# -- the differential tests ----------------------------------------------------------------------------

# Deterministic (derandomize) and small enough for the file to run in well under a minute on two cores:
# ~170 expressions with shaped inputs, and the 20 record mappings with many more mutated records.
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
EXAMPLES = settings(max_examples=10, derandomize=True, deadline=None, database=None, suppress_health_check=_QUIET)
RECORD_EXAMPLES = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                           suppress_health_check=_QUIET)
COMPILED = [(where, e) for where, e in EXPRESSIONS if e.compiled]


@pytest.mark.parametrize("expression", [pytest.param(e, id=where) for where, e in COMPILED])
def test_compiled_expression_matches_the_engine(expression: Expression):
    @EXAMPLES
    @given(shaped_input(parse(expression.source)))
    def check(data: Any) -> None:
        assert_same(expression, data)

    check()


@pytest.fixture(scope="module")
def sandbox_records(sandbox) -> dict[tuple[str, str], list[Any]]:
    wanted = set(RECORD_MAPPINGS.values())
    return {(name, resource): record_inputs(SPECS[name], resource, sandbox.url, count=20)
            for name, resource in sorted(wanted)}


RECORD_EXPRESSIONS = [(where, e) for where, e in COMPILED if e.source in RECORD_MAPPINGS]


@pytest.mark.parametrize("expression", [pytest.param(e, id=where) for where, e in RECORD_EXPRESSIONS])
def test_record_mapping_matches_the_engine_on_sandbox_records(expression: Expression, sandbox_records):
    seeds = sandbox_records[RECORD_MAPPINGS[expression.source]]
    assert seeds, "the sandbox answered no records"
    # The records as the emulator answers them are mapped by the compiled form, never handed back.
    for data in seeds:
        assert assert_same(expression, data), "a sandbox record left the compiled subset"
    leaves = _leaves(Shape(parse(expression.source)))

    @RECORD_EXAMPLES
    @given(mutated(seeds, leaves))
    def check(data: Any) -> None:
        assert_same(expression, data)

    check()


# -- JSONata's rules the mappings lean on, each checked on its own ----------------------------------------

DOC = {"a": {"b": [{"c": 1}, {"c": [2, 3]}], "one": [{"c": "x"}], "n": None, "s": "t", "f": 5.0,
             "nested": [[1, 2], [3]], "e": [], "o": {}},
       "items": [{"k": "p", "v": 1}, {"k": "q", "v": None}, {"k": "p", "v": 3}]}

RULES = [
    '$pad("5", -3, "0") & $pad(a.s, 4) & "|" & $pad(a.s, -5, "xy") & $pad(a.s, 1)',   # $pad both ways
    "$boolean(a.s) and $boolean(a.e) = false and $boolean(a.nope) = false",        # $boolean
    "a.b.c",                       # a path through arrays, flattened
    "a.one.c",                     # an array of one gives its item
    "a.one[].c",                   # unless kept with []
    "a.b[0].c",                    # a filter on a step applies per parent
    "(a.b)[0]",                    # on a whole sequence
    "a.b.c[-1]",
    "a.nested[0]",                 # an array item picked whole
    "a.missing.c",                 # undefined all the way
    "a.n",                         # null is not undefined
    '{"x": a.missing, "y": a.n, "z": a.s}',  # undefined members dropped, null kept
    "$exists(a.n) & $exists(a.missing)",
    "a.s ? 'yes' : 'no'",
    "a.e ? 'yes' : 'no'",          # an empty array is false
    "a.o ? 'yes' : 'no'",          # so is an empty object
    "a.f",                         # a whole float comes back as an integer
    "$string(a.f) & '/' & $string(0.1 + 0.2) & '/' & $string(a.n) & '/' & $string(a.b)",
    "$number('12') + $number('1.5')",
    "items[k = 'p'].v",
    "items[v != null].k",
    "items.{k: v}",
    "$merge(items[v != null].{k: v})",
    "[items.v]",
    "$map(items, function($i, $n) { $n & ':' & $i.k })",
    "$count(items[k = 'p']) > 1 and 'p' in items.k",
    "($x := a.s; $f := function($y) { $y & $x }; $f('s'))",
    "$join(['a', 'b'][[1..5]], ',')",
    "$firstNonEmpty(a.missing, '', a.s)",
    "$toIso('2024-01-02T03:04:05+02:00')",
    "$compact({'a': a.n, 'b': '', 'c': a.s})",
    "'q' in items.k and $not('z' in items.k) and $not(a.s in [1, true, ['t']]) and a.s in ['u', 't']",  # text in a list
    "$eval('{\"a\": [1, 2.5, true, null], \"b\": {\"c\": \"d\"}}')",
    "($t := {'x': 'X', 'n': [1, 2.0, null, ['y']]}; [$lookup($t, a.s), $t.n, items.{'k': 'lit'}])",  # literal tables
    "{'a': [1, [2, 3.0]], 'b': {'c': null}}",  # a whole result of literals
    "[items[k = 'p'][0], items[k = 'z'][0], items[v = null][0].k, items[k = 'p'][false], a.b[c = 1][0]]",  # first match
]


@pytest.mark.parametrize("source", RULES)
def test_jsonata_rule_is_kept_by_the_compiled_form(source: str):
    expression = Expression(source)
    assert expression.compiled
    assert assert_same(expression, copy.deepcopy(DOC)), "the compiled form handed this input to the engine"


def test_a_literal_table_is_built_once_and_each_caller_gets_its_own_result():
    expression = Expression("($t := {'x': [1, 2]}; {'all': $t, 'top': $t.x})")
    first, second = expression.evaluate({}), expression.evaluate({})
    assert first == second == {"all": {"x": [1, 2]}, "top": [1, 2]}
    assert first["all"] is second["all"]      # the table, built at compile time, is shared
    literal = Expression("{'a': [1], 'b': 'c'}")
    mine = literal.evaluate({"other": 1})
    mine["a"] = "changed"                     # a caller may change the result it is given
    assert literal.evaluate({"other": 2}) == {"a": [1], "b": "c"}


def test_an_input_outside_the_compiled_subset_gets_the_engines_answer_or_error():
    # $number of hexadecimal text and $lowercase of a number are the engine's to judge
    number = Expression('$number(x)')
    assert number.compiled
    with pytest.raises(Fallback):
        number.evaluate_compiled({"x": "0x10"})
    assert number.evaluate({"x": "0x10"}) == 16
    lower = Expression('$lowercase(x)')
    with pytest.raises(ExpressionError) as raised:
        lower.evaluate({"x": 5})
    assert raised.value.code == "T0410"
    assert lower.evaluate({"x": "ABC"}) == "abc"
    # JSON text with a repeated key is the engine's to refuse (D1009-style), not the last key's to win
    parsed = Expression('$eval(x)')
    with pytest.raises(Fallback):
        parsed.evaluate_compiled({"x": '{"a": 1, "a": 2}'})
    with pytest.raises(Fallback):  # compact text too (read by orjson, which would keep the last)
        parsed.evaluate_compiled({"x": '{"a":1,"b":{"c":2,"c":3}}'})
    for text in ('{"a":[1,2.5,true,null],"b":{"c":"d"}}', '{"t":"\u00e9","n":-0,"f":1.0,"e":1E2}', '[1, {"a":2}]'):
        assert parsed.evaluate_compiled({"x": text}) == parsed.evaluate_engine({"x": text}), text


# -- regular expressions: compiled only where JavaScript and Python agree (expressions/regex.py) --------

# Patterns of the integration files and the constructs regex.py translates, each beside what it must
# treat as JavaScript does: `$` only at the very end, `.` not across the four line terminators.
REGEX_PATTERNS = [
    r"/^-?[0-9]+(\.[0-9]+)?$/", r"/^-?[0-9]{1,15}(\.[0-9]+)?$/", r"/^[0-9]{1,18}$/", r"/^[0-9]{1,9}$/",
    r"/a.c/", r"/^(?:ab|c)+?x*$/", r"/[^a-c\-]{2,}/", r"/[.$]/", r"/^a{2,}/",
]
REGEX_TEXTS = st.text(alphabet="0129abcx.-$\n\r\u2028\u2029 ١", max_size=8)


@pytest.mark.parametrize("pattern", REGEX_PATTERNS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=REGEX_TEXTS)
def test_a_regular_expression_matches_in_the_compiled_form_as_in_the_engine(pattern: str, text: str):
    expression = Expression(f"$contains(x, {pattern})")
    assert expression.compiled, pattern
    assert assert_same(expression, {"x": text})


@pytest.mark.parametrize("pattern", [r"/\d/", r"/a\s/", r"/\w+/", r"/a/i", r"/(?=a)/", r"/(a)\1/", r"/a{,2}/",
                                     r"/[]/", r"/[a&&b]/", r"/é/"])
def test_a_regular_expression_javascript_reads_otherwise_stays_on_the_engine(pattern: str):
    expression = Expression(f"$contains(x, {pattern})")
    assert not expression.compiled
    assert expression.evaluate({"x": "a"}) in (True, False)


def test_contains_with_a_pattern_leaves_a_non_text_value_to_the_engine():
    expression = Expression(r'$contains(x, /^[0-9]+$/)')
    assert expression.compiled
    assert expression.evaluate_compiled({}) is None
    with pytest.raises(Fallback):
        expression.evaluate_compiled({"x": 12})
    with pytest.raises(ExpressionError):
        expression.evaluate({"x": 12})
