"""The `normalized` response format's coercion rules (docs/api.md, "Response formats"), on the real
crm/accounts schema, and the timestamp conversion it relies on."""

from __future__ import annotations

import pytest

from unigate.engine.formats import normalize_object
from unigate.expressions.functions import to_iso
from unigate.models import load_resources

PROPERTIES = load_resources()[("crm", "accounts")].schema["properties"]


def test_values_take_the_schema_types_and_empty_ones_are_left_out():
    record = {
        "remote_data": {"id": 7, "anything": None},   # passed on as it is
        "name": "Acme",
        "id": 7,                                        # string field: a number becomes its text
        "description": "",                              # empty: left out
        "industry": True,                               # boolean as text
        "website": ["not", "a", "string"],              # cannot be a string: left out
        "number_of_employees": " 1,200 ",               # integer from text with a thousands comma
        "owner": {"id": 42, "extra": "dropped"},        # nested object: its schema's fields only
        "addresses": {"city": "Boston", "street_1": ""},  # a lone object becomes a one-item array
        "phone_numbers": [{"number": ""}, None, {"number": "+1 555"}],
        "custom_fields": {"tier": "Gold", "empty": "", "none": None, "list": []},
        "created_at": "2024-01-02T03:04:05+02:00",
        "updated_at": 1496707930123,
        "last_activity_at": "not a date",
        "not_in_schema": "dropped",
    }
    out = normalize_object(record, PROPERTIES)
    assert out == {
        "id": "7",
        "name": "Acme",
        "industry": "true",
        "number_of_employees": 1200,
        "owner": {"id": "42"},
        "addresses": [{"city": "Boston"}],
        "phone_numbers": [{"number": "+1 555"}],
        "custom_fields": {"tier": "Gold"},
        "created_at": "2024-01-02T01:04:05Z",
        "updated_at": "2017-06-06T00:12:10.123Z",
        "remote_data": {"id": 7, "anything": None},
    }
    # The schema's field order, whatever the record's.
    assert list(out) == [name for name in PROPERTIES if name in out]


@pytest.mark.parametrize("value, expected", [
    (12, 12), (12.0, 12), (12.5, None), ("12", 12), ("12.0", 12), ("1e3", 1000), ("twelve", None),
    (True, None), (None, None), ([12], None),
])
def test_integer_fields(value, expected):
    out = normalize_object({"id": "1", "number_of_employees": value}, PROPERTIES)
    assert out.get("number_of_employees") == expected


def test_nothing_left_gives_none():
    assert normalize_object({"name": "", "owner": {"id": None}, "tags": []}, PROPERTIES) is None
    assert normalize_object({}, PROPERTIES) is None


def test_another_schema_object_gets_its_own_rules():
    """Rules are prepared per schema: a second schema in the same process is not confused with the first."""
    other = {"count": {"type": "integer"}, "label": {"type": "string"}}
    assert normalize_object({"count": "3", "label": 5, "name": "x"}, other) == {"count": 3, "label": "5"}
    assert normalize_object({"name": "x", "number_of_employees": "3"}, PROPERTIES) == {
        "name": "x", "number_of_employees": 3}


@pytest.mark.parametrize("value, expected", [
    ("2024-01-02T03:04:05z", "2024-01-02T03:04:05Z"),
    ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
    ("2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05Z"),           # zero milliseconds are dropped
    ("2024-01-02T03:04:05.000999Z", "2024-01-02T03:04:05.000Z"),    # below a millisecond: .000 kept
    ("2024-01-02T23:30:00-05:00", "2024-01-03T04:30:00Z"),          # offsets move the day
    ("0999-01-01T00:00:00Z", "999-01-01T00:00:00Z"),                # as before: strftime's year
    ("2024-02-30T00:00:00Z", None),                                  # no such day
    ([], None), (True, None),
])
def test_to_iso_edges(value, expected):
    assert to_iso(value) == expected


@pytest.mark.parametrize(("sent", "normalized"), [
    ("1500.50", 1500.5), ("12500", 12500), (" 1,200.25 ", 1200.25), (99.9, 99.9), (0, 0),
    ("lots", None), ("NaN", None), ("inf", None), (True, None), ([1], None),
])
def test_an_opportunity_amount_is_a_number(sent, normalized):
    """HubSpot sends every value as text: `amount` (a schema number) is one in the normalized format."""
    properties = load_resources()[("crm", "opportunities")].schema["properties"]
    out = normalize_object({"id": "1", "amount": sent}, properties)
    assert (out or {}).get("amount") == normalized
