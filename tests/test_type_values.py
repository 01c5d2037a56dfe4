"""$typeValues: custom field values typed by their definitions, the same through the engine and compiled."""

from __future__ import annotations

import pytest

from unigate.expressions import Expression
from unigate.expressions.functions import type_values

DEFINITIONS = [{"name": "seats", "type": "number"}, {"name": "vip", "type": "bool"},
               {"name": "renewal", "type": "datetime"}, {"name": "signed", "type": "date"},
               {"name": "note", "type": "string"}, {"name": "seats", "type": "bool"}]
CONVERSIONS = {"number": "number", "bool": "boolean", "datetime": "datetime", "date": "date_mdy"}


@pytest.mark.parametrize(("value", "kind", "typed"), [
    ("12", "number", 12), ("-3.50", "number", -3.5), ("007", "number", 7), ("1e3", "number", "1e3"),
    ("12 ", "number", "12 "), ("12\n", "number", "12\n"), ("", "number", ""), ("٣", "number", "٣"),
    (12, "number", 12), ("true", "boolean", True), ("FALSE", "boolean", False), ("yes", "boolean", "yes"),
    (True, "boolean", True), ("2024-01-02T03:04:05+02:00", "datetime", "2024-01-02T01:04:05Z"),
    ("soon", "datetime", "soon"), (True, "datetime", True), ("4/7/2016", "date_mdy", "2016-04-07"),
    ("12/28/2016 6:00", "date_mdy", "2016-12-28"), ("2016-04-07", "date_mdy", "2016-04-07"),
    (None, "number", None),
])
def test_each_conversion_types_what_reads_as_its_type_and_keeps_the_rest(value, kind, typed):
    got = type_values({"f": value}, {"f": "t"}, {"t": kind})
    assert got == {"f": typed} and type(got["f"]) is type(typed)


def test_definitions_as_a_list_or_an_object_and_members_in_order():
    values = {"note": "12", "seats": "3", "other": "4", "vip": "true", "signed": "1/2/2020", "renewal": None}
    expected = {"note": "12", "seats": 3, "other": "4", "vip": True, "signed": "2020-01-02", "renewal": None}
    got = type_values(values, DEFINITIONS, CONVERSIONS)
    assert got == expected and list(got) == list(values)  # the first definition of a repeated name counts
    by_name = {"seats": {"type": "number"}, "vip": "bool", "signed": {"type": "date"}}
    assert type_values(values, by_name, CONVERSIONS) == expected


def test_nothing_to_type_is_undefined_and_missing_definitions_type_nothing():
    assert type_values({}, DEFINITIONS, CONVERSIONS) is None
    assert type_values(None, DEFINITIONS, CONVERSIONS) is None
    assert type_values("x", DEFINITIONS, CONVERSIONS) is None
    assert type_values({"seats": "3"}, None, CONVERSIONS) == {"seats": "3"}
    assert type_values({"seats": "3"}, DEFINITIONS, None) == {"seats": "3"}


def test_an_unknown_conversion_is_refused():
    with pytest.raises(ValueError, match="unknown conversion 'money'"):
        type_values({"seats": "3"}, DEFINITIONS, {"number": "money"})


def test_changed_definitions_are_read_again():
    # the index is kept per definitions object: a new object (a refreshed per-account step) is indexed anew
    first = [{"name": "seats", "type": "number"}]
    assert type_values({"seats": "3"}, first, CONVERSIONS) == {"seats": 3}
    assert type_values({"seats": "3"}, [{"name": "seats", "type": "string"}], CONVERSIONS) == {"seats": "3"}
    assert type_values({"seats": "3"}, first, CONVERSIONS) == {"seats": 3}
    for _ in range(20):  # more definitions than the index keeps
        type_values({"seats": "3"}, [{"name": "seats", "type": "bool"}], CONVERSIONS)
    assert type_values({"seats": "3"}, first, CONVERSIONS) == {"seats": 3}


SOURCE = '$typeValues(values, definitions, {"number": "number", "bool": "boolean", "date": "date_mdy"})'


@pytest.mark.parametrize("data", [
    {"values": {"seats": "3", "vip": "false", "signed": "4/7/2016 1:00", "note": "x", "gone": None},
     "definitions": DEFINITIONS},
    {"values": {"seats": "-0.25"}, "definitions": {"seats": "number"}},
    {"values": {}, "definitions": DEFINITIONS},
    {"definitions": DEFINITIONS},
])
def test_the_engine_and_the_compiled_form_agree(data):
    expression = Expression(SOURCE)
    assert expression.compiled
    assert expression.evaluate_compiled(data) == expression.evaluate_engine(data)
