"""unigate's JSONata functions and the expression wrapper (docs/integrations.md, "Functions")."""

from __future__ import annotations

import pytest

from unigate.expressions import ExpressionError, compile_expression


def ev(source: str, data=None):
    return compile_expression(source).evaluate(data or {})


@pytest.mark.parametrize("value, expected", [
    ("2019-07-25T15:26:49+05:30", "2019-07-25T09:56:49Z"),
    ("2019-10-30T03:30:17.883Z", "2019-10-30T03:30:17.883Z"),
    ("2024-01-02T03:04:05", "2024-01-02T03:04:05Z"),
    (1496707930, "2017-06-06T00:12:10Z"),
    ("1496707930", "2017-06-06T00:12:10Z"),
    (1496707930123, "2017-06-06T00:12:10.123Z"),
    ("not a date", None),
    ("", None),
    (1e300, None),  # past year 9999: no date, not an OverflowError
    ("99999999999999999999999", None),
    # already as written (answered as it is once checked): zero milliseconds dropped, impossible dates refused
    ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
    ("2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05Z"),
    ("2024-01-02T03:04:05.050Z", "2024-01-02T03:04:05.050Z"),
    ("2024-01-02T03:04:05.1234Z", "2024-01-02T03:04:05.123Z"),
    ("2024-02-30T03:04:05Z", None),
    ("2024-01-02T24:00:00Z", None),
    ("0999-01-02T03:04:05Z", "999-01-02T03:04:05Z"),
])
def test_to_iso(value, expected):
    assert ev("$toIso(v)", {"v": value}) == expected


@pytest.mark.parametrize("value, bounds, expected", [
    ("2024-01-02T03:04:05.500Z", {"gte": "2024-01-02T03:04:05Z"}, True),
    ("2024-01-02T03:04:05.500Z", {"gte": "2024-01-02T03:04:05.501Z"}, False),   # milliseconds count
    ("2024-01-02T03:04:05Z", {"gt": "2024-01-02T03:04:05Z"}, False),
    ("2024-01-02T05:04:05+02:00", {"gte": "2024-01-02T03:04:05Z", "lt": "2024-01-02T03:04:06Z"}, True),  # offsets
    ("2024-01-02T03:04:06Z", {"lt": "2024-01-02T03:04:06Z"}, False),
    ("2024-01-02T03:04:06Z", {"lte": "2024-01-02T03:04:06Z"}, True),
    (1704164645, {"gte": "2024-01-02T03:04:05Z", "gt": "2024-01-02T03:04:04Z"}, True),  # Unix seconds
    (None, {"gte": "2024-01-02T03:04:05Z"}, False),          # not a time: outside any bound
    ("soon", {"gt": "2024-01-02T03:04:05Z"}, False),
    ("soon", None, True),                                    # no bounds: every record
    ("soon", {}, True),
])
def test_within_bounds(value, bounds, expected):
    assert ev("$withinBounds(v, b)", {"v": value, "b": bounds}) is expected


def test_link_header():
    header = '<https://x.example/a?page=2>; rel="next", <https://x.example/a?page=9>; rel="last"'
    assert ev('$linkHeader(h, "next")', {"h": header}) == "https://x.example/a?page=2"
    assert ev('$linkHeader(h, "prev")', {"h": header}) is None
    assert ev('$linkHeader(h, "next")', {"h": None}) is None


def test_object_helpers():
    data = {"o": {"a": None, "b": 1, "c": [], "custom1": "x", "custom2": None, "name": "n"}}
    assert ev("$compact(o)", data) == {"b": 1, "custom1": "x", "name": "n"}
    assert ev('$omit(o, ["a", "c", "custom1", "custom2", "name"])', data) == {"b": 1}
    assert ev('$pickMatching(o, "^custom[0-9]+$")', data) == {"custom1": "x"}
    assert ev('$firstNonEmpty(o.a, "", o.name)', data) == "n"


def test_constant_expressions_are_evaluated_once_and_handed_out_as_copies():
    expression = compile_expression('{"properties": "name,domain"}')
    first = expression.evaluate({})
    first["properties"] = "changed"
    assert expression.evaluate({}) == {"properties": "name,domain"}
    clock = compile_expression("$now()")
    assert clock.evaluate({}) is not None  # volatile functions are never treated as constant


def test_errors_carry_the_jsonata_code():
    with pytest.raises(ExpressionError) as bad:
        compile_expression("{")
    assert bad.value.code
    with pytest.raises(ExpressionError) as failing:
        ev('$number("abc")')
    assert failing.value.code == "D3030"


def test_blank_source_is_no_expression():
    assert compile_expression(None) is None and compile_expression("  ") is None


@pytest.mark.parametrize(("source", "expected"), [
    ('$countryCode("United States")', "US"), ('$countryCode("usa")', "US"), ('$countryCode("de")', "DE"),
    ('$countryCode("Taiwan")', "TW"), ('$countryCode("Atlantis")', "Atlantis"), ("$countryCode(missing)", None),
    ('$countryName("US")', "United States"), ('$countryName("GBR")', "United Kingdom"),
    ('$countryName("TW")', "Taiwan"), ('$countryName("Atlantis")', "Atlantis"),
])
def test_country_functions(source, expected):
    """ISO 3166-1 through pycountry: codes or names in, the alpha-2 code or the English name out; text that
    names no country is handed back unchanged (a CRM's free text survives a read)."""
    assert compile_expression(source).evaluate({}) == expected
