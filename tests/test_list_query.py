"""engine/list_query.py: a list's filters and sort, checked against what a mapping declares and put in one shape.

The end-to-end checks per CRM are tests/test_list_filters.py; these pin the rules every CRM shares: which
parameters count as filters, how operators, dates and sorts arrive in the mappings, and the 400s.
"""

from __future__ import annotations

import pytest

from unigate.engine.list_query import checked_list_query
from unigate.engine.spec import ResourceMapping
from unigate.errors import GatewayError

FIELDS = {
    "name": {"type": "string"},
    "updated_at": {"type": "string", "format": "date-time"},
    "is_active": {"type": "boolean"},
    "account": {"type": "object", "properties": {"id": {"type": "string"}}},
}


def mapping(**kwargs) -> ResourceMapping:
    return ResourceMapping(model="crm", resource="users", methods={}, fields=(), writable=(), **kwargs)


USERS = mapping(filters=("account", "name", "updated_at", "is_active"),
                filter_operators={"name": ("eq",), "updated_at": ("gt", "gte"), "is_active": ("eq",)},
                sort_by=("name", "updated_at"), query_params={"entity": (("contact",), ())})


def check(query: dict, m: ResourceMapping = USERS) -> dict:
    return checked_list_query(query, m, FIELDS, "Acme CRM", "crm/users")


def refusal(query: dict, m: ResourceMapping = USERS) -> GatewayError:
    with pytest.raises(GatewayError) as error:
        check(query, m)
    assert error.value.status == 400
    return error.value


def test_filters_by_operator_reach_the_mappings_as_operator_objects():
    got = check({"name": "Ada", "updated_at": {"gte": "2026-01-31T10:00:00+01:00"}, "is_active": "TRUE", "limit": "5"})
    assert got["name"] == {"eq": "Ada"}
    assert got["updated_at"] == {"gte": "2026-01-31T09:00:00.000Z"}  # UTC, milliseconds always written
    assert got["is_active"] == {"eq": True}
    assert got["limit"] == "5"


@pytest.mark.parametrize(("given", "utc"), [
    ("2026-01-31", "2026-01-31T00:00:00.000Z"),
    ("2026-01-31T09:00:00", "2026-01-31T09:00:00.000Z"),
    ("2026-01-31T09:00:00.123456Z", "2026-01-31T09:00:00.123Z"),
    ("2026-01-31T23:30:00-02:00", "2026-02-01T01:30:00.000Z"),
])
def test_dates_are_read_as_iso_8601_and_sent_on_as_utc(given, utc):
    assert check({"updated_at": {"gt": given}})["updated_at"] == {"gt": utc}


def test_a_link_filter_keeps_its_value_and_a_one_item_list_becomes_the_object():
    assert check({"account": {"id": "7"}})["account"] == {"id": "7"}
    assert check({"account": [{"id": "7"}]})["account"] == {"id": "7"}


def test_an_operator_the_crm_lacks_is_refused_naming_the_ones_it_has():
    error = refusal({"updated_at": {"lt": "2026-01-31"}})
    assert "`updated_at` with lt" in error.message and "gt, gte" in error.message
    assert error.insight["unsupported_filters"]["value"] == ["updated_at[lt]"]
    assert "with eq" in refusal({"updated_at": "2026-01-31"}).message  # a plain value is eq


@pytest.mark.parametrize("query", [
    {"updated_at": {"gte": "yesterday"}},
    {"updated_at": {"gte": ["2026-01-31", "2026-02-01"]}},
    {"updated_at": {"gte": {"x": "1"}}},
    {"is_active": "maybe"},
])
def test_a_value_that_cannot_be_read_is_refused(query):
    refusal(query)


def test_any_parameter_that_is_not_a_declared_filter_is_refused_not_ignored():
    """A field of the resource, or a name the model lacks (`email` where the model says `email_addresses`): an
    answer that ignored it would pass for a filtered one."""
    for name in ("email", "created_at", "x"):
        error = refusal({name: "a"})
        assert error.insight["unsupported_filters"]["value"] == [name]
        assert "`updated_at` (gt, gte)" in error.message
    # the paging, the truto_* options, remote_query and the declared query parameters are not filters
    check({"limit": "1", "next_cursor": "c", "truto_key_by": "id", "remote_query": {"a": "b"}, "entity": "contact"})


def test_sort_by_takes_one_declared_field_and_a_direction():
    assert check({"sort_by": {"name": "DESC"}})["sort_by"] == {"field": "name", "direction": "desc"}
    assert check({"sort_by": "updated_at"})["sort_by"] == {"field": "updated_at", "direction": "asc"}
    assert "sorts by: `name`, `updated_at`" in refusal({"sort_by": {"email": "asc"}}).message
    assert "one field at a time" in refusal({"sort_by": {"name": "asc", "updated_at": "desc"}}).message
    refusal({"sort_by": {"name": "sideways"}})
    assert "none" in refusal({"sort_by": "name"}, mapping(filters=())).message


def test_filters_the_crm_applies_one_at_a_time_are_refused_together_and_taken_alone():
    apart = mapping(filters=USERS.filters, filter_operators=USERS.filter_operators,
                    exclusive_filters=(("updated_at", "name"),))
    assert check({"name": "Ada"}, apart)["name"] == {"eq": "Ada"}
    assert check({"updated_at": {"gt": "2026-01-31"}, "is_active": "true"}, apart)["is_active"] == {"eq": True}
    error = refusal({"name": "Ada", "updated_at": {"gt": "2026-01-31"}}, apart)
    assert "Acme CRM cannot combine the filters `updated_at`, `name` on crm/users" in error.message
    assert error.insight["exclusive_filters"]["value"] == ["updated_at", "name"]


def test_a_filter_applied_in_an_order_of_its_own_is_refused_with_a_sort():
    """`sort_by` in an exclusive group: a CRM that applies a bound only by reading newest first takes the bound or
    a sort, each alone."""
    ordered = mapping(filters=USERS.filters, filter_operators=USERS.filter_operators, sort_by=USERS.sort_by,
                      exclusive_filters=(("updated_at", "sort_by"),))
    assert check({"updated_at": {"gte": "2026-01-31"}}, ordered)["updated_at"]["gte"].startswith("2026-01-31")
    assert check({"sort_by": {"name": "asc"}}, ordered)["sort_by"] == {"field": "name", "direction": "asc"}
    error = refusal({"updated_at": {"gte": "2026-01-31"}, "sort_by": {"name": "asc"}}, ordered)
    assert "cannot combine the filters `updated_at`, `sort_by` on crm/users" in error.message
    assert error.insight["exclusive_filters"]["value"] == ["updated_at", "sort_by"]
