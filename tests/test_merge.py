"""How a caller's remote_data merges into a provider body (docs/integrations.md)."""

import pytest

from unigate.engine.provider_request import merge_remote_data
from unigate.errors import GatewayError


def test_objects_merge_key_by_key():
    body = {"properties": {"name": "A", "domain": "a.com"}}
    assert merge_remote_data(body, {"properties": {"name": "B"}, "x": 1}) == {
        "properties": {"name": "B", "domain": "a.com"}, "x": 1}


def test_arrays_inside_objects_merge_item_by_item():
    body = {"data": [{"Account_Name": "A", "Phone": "1"}]}
    assert merge_remote_data(body, {"data": [{"Custom_X": 5}], "trigger": ["workflow"]}) == {
        "data": [{"Account_Name": "A", "Phone": "1", "Custom_X": 5}], "trigger": ["workflow"]}


def test_an_array_body_gets_remote_data_appended():
    ops = [{"op": "replace", "path": "/name", "value": "A"}]
    extra = [{"op": "add", "path": "/x", "value": 1}]
    assert merge_remote_data(ops, extra) == ops + extra
    with pytest.raises(GatewayError) as error:
        merge_remote_data(ops, {"x": 1})
    assert error.value.status == 400


def test_no_body_becomes_remote_data():
    assert merge_remote_data(None, {"a": 1}) == {"a": 1}
