"""The edge: authentication, integrated_account_id, query parsing, bodies, formats, headers.

Wire contract: https://truto.one/docs/api-reference/overview/introduction and the overview pages beside it;
how the SDKs encode queries: https://github.com/trutohq/truto-python-sdk, https://github.com/trutohq/truto-ts-sdk.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from support import INTEGRATIONS

URL = "/unified/crm/accounts"


@pytest.fixture(autouse=True)
def fresh(sandbox):
    for name in ("hubspot", "pipedrive"):
        sandbox.control(name).reset()


def raw_get(gateway, path_and_query: str, headers=None) -> requests.Response:
    """A GET whose query string is sent exactly as written."""
    return requests.get(f"{gateway.url}{path_and_query}", headers=gateway.headers if headers is None else headers,
                        timeout=10)


# -- authentication --------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ug_not-a-token"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_token_is_401(gateway, headers):
    response = gateway.unified("GET", "hubspot", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body == {"statusCode": 401, "error": "Unauthorized", "message": body["message"]}
    assert "Bearer" in body["message"] or "not valid" in body["message"]


def test_health_needs_no_token(gateway):
    response = requests.get(f"{gateway.url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "change_feed": "listening"}


def test_admin_routes_need_a_token(gateway):
    assert requests.get(f"{gateway.url}/integrated-account", timeout=5).status_code == 401


# -- integrated_account_id ----------------------------------------------------------------------------

def test_missing_integrated_account_id(gateway):
    response = raw_get(gateway, URL)
    assert response.status_code == 400
    insight = response.json()["truto_error_insight"]
    assert insight["missing_required_query_parameters"]["value"] == ["integrated_account_id"]


def test_malformed_integrated_account_id(gateway):
    response = raw_get(gateway, f"{URL}?integrated_account_id=not-a-uuid")
    assert response.status_code == 400
    assert "UUID" in response.json()["message"]


def test_unknown_integrated_account_id(gateway):
    response = raw_get(gateway, f"{URL}?integrated_account_id={uuid.uuid4()}")
    assert response.status_code == 404
    assert "No integrated account" in response.json()["message"]


def test_other_environments_account_is_404_not_403(gateway):
    headers = {"Authorization": f"Bearer {gateway.other_token}"}
    response = raw_get(gateway, f"{URL}?integrated_account_id={gateway.accounts['hubspot']}", headers=headers)
    assert response.status_code == 404
    other = requests.get(f"{gateway.url}/integrated-account/{gateway.accounts['hubspot']}", headers=headers, timeout=5)
    assert other.status_code == 404


# -- routes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/unified/crm/widgets", "/unified/ats/accounts", "/unified/crm"])
def test_unknown_model_or_resource_is_404(gateway, path):
    response = raw_get(gateway, f"{path}?integrated_account_id={gateway.accounts['hubspot']}")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_unknown_route_is_json_404(gateway):
    response = raw_get(gateway, "/nope")
    assert response.status_code == 404 and response.json()["error"] == "Not Found"


def test_method_not_allowed(gateway):
    response = requests.put(f"{gateway.url}{URL}/1", headers=gateway.headers, timeout=5,
                            params={"integrated_account_id": gateway.accounts["hubspot"]})
    assert response.status_code == 405
    assert response.json()["error"] == "Method Not Allowed"


def test_oversized_query_is_414_and_the_gateway_keeps_serving(gateway):
    response = raw_get(gateway, f"{URL}?integrated_account_id={gateway.accounts['hubspot']}&x={'a' * 20000}")
    assert response.status_code == 414
    assert response.json()["statusCode"] == 414
    assert gateway.unified("GET", "hubspot", params={"limit": 1}).status_code == 200


# -- query parsing: both SDKs' encodings ------------------------------------------------------------------

def exclude_forms(account_id: str) -> list[str]:
    return [
        f"integrated_account_id={account_id}&truto_exclude_fields%5B%5D=name&truto_exclude_fields%5B%5D=remote_data",
        f"integrated_account_id={account_id}&truto_exclude_fields%5B0%5D=name&truto_exclude_fields%5B1%5D=remote_data",
        f"integrated_account_id={account_id}&truto_exclude_fields=name,remote_data",
        f"integrated_account_id={account_id}&truto_exclude_fields=name&truto_exclude_fields=remote_data",
    ]


@pytest.mark.parametrize("form", range(4))
def test_list_parameters_in_every_form(gateway, form):
    query = exclude_forms(gateway.accounts["hubspot"])[form]
    body = raw_get(gateway, f"{URL}?{query}&limit=2").json()
    assert body["result"]
    for record in body["result"]:
        assert "name" not in record and "remote_data" not in record and "id" in record


def test_remote_query_reaches_the_provider_and_wins(gateway, sandbox):
    """remote_query[...] is added to the provider's query as given, over mapped values."""
    control = sandbox.control("hubspot")
    control.clear_requests()
    query = (f"integrated_account_id={gateway.accounts['hubspot']}&limit=2"
             "&remote_query%5Barchived%5D=false&remote_query%5Bproperties%5D=name"
             "&remote_query%5Bnote%5D=a+b%20c")
    response = raw_get(gateway, f"{URL}?{query}")
    assert response.status_code == 200
    sent = dict(control.requests()[-1]["query_params"])
    assert sent["archived"] == "false"
    assert sent["properties"] == "name"  # the caller's value replaced the mapping's property list
    assert sent["note"] == "a b c"
    assert response.json()["result"][0]["remote_data"]["properties"].keys() >= {"name"}


def test_empty_next_cursor_means_the_first_page(gateway):
    first = gateway.unified("GET", "hubspot", params={"limit": 3}).json()
    empty = raw_get(gateway, f"{URL}?integrated_account_id={gateway.accounts['hubspot']}&limit=3&next_cursor=").json()
    python_none = raw_get(gateway, f"{URL}?integrated_account_id={gateway.accounts['hubspot']}&limit=3&next_cursor=None").json()
    assert [r["id"] for r in empty["result"]] == [r["id"] for r in first["result"]]
    assert [r["id"] for r in python_none["result"]] == [r["id"] for r in first["result"]]


def test_tampered_cursor_is_400(gateway):
    response = gateway.unified("GET", "hubspot", params={"next_cursor": "%%%not-ours"})
    assert response.status_code == 400
    assert "next_cursor" in response.json()["message"]


def test_limit_sets_the_provider_page_size(gateway, sandbox):
    control = sandbox.control("pipedrive")
    control.clear_requests()
    body = gateway.unified("GET", "pipedrive", params={"limit": 4}).json()
    assert body["result_count"] == 4
    assert dict(control.requests()[-1]["query_params"])["limit"] == "4"
    assert gateway.unified("GET", "pipedrive", params={"limit": "ten"}).status_code == 400


def test_json_content_type_on_get_and_delete_without_body(gateway):
    """The Python SDK sends Content-Type: application/json on GET and DELETE with no body."""
    headers = {**gateway.headers, "Content-Type": "application/json"}
    listed = gateway.unified("GET", "hubspot", params={"limit": 1}, headers=headers)
    assert listed.status_code == 200
    record_id = listed.json()["result"][0]["id"]
    assert gateway.unified("DELETE", "hubspot", record_id, headers={**headers, "Content-Length": "0"}).status_code == 200


def test_unencoded_slash_in_an_id_from_the_python_sdk(gateway, sandbox):
    """The Python SDK does not encode ids: `a/b` arrives as two segments and is still one id."""
    control = sandbox.control("hubspot")
    control.clear_requests()
    response = raw_get(gateway, f"{URL}/a/b?integrated_account_id={gateway.accounts['hubspot']}")
    assert response.status_code == 404
    assert control.requests()[-1]["raw_path"] == "/hubspot/crm/v3/objects/companies/a%2Fb"


# -- bodies ------------------------------------------------------------------------------------------

def test_body_that_is_not_json(gateway):
    response = gateway.unified("POST", "hubspot", data=b"{name: nope", headers={**gateway.headers,
                                                                             "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


@pytest.mark.parametrize("body", [[], "text", 3])
def test_body_that_is_not_an_object(gateway, body):
    response = gateway.unified("POST", "hubspot", json=body)
    assert response.status_code == 400


def test_wrong_field_types_are_named(gateway, sandbox):
    control = sandbox.control("hubspot")
    control.clear_requests()
    response = gateway.unified("POST", "hubspot", json={"name": 5, "number_of_employees": "many",
                                                         "addresses": {"city": "x"}, "colour": "red"})
    assert response.status_code == 400
    body = response.json()
    assert set(body["truto_error_insight"]["invalid_body_fields"]["value"]) == {
        "name", "number_of_employees", "addresses", "colour"}
    for field in ("name", "number_of_employees", "addresses", "colour"):
        assert field in body["message"]
    assert control.requests() == [], "nothing is sent to the CRM for an invalid body"


def test_read_only_fields_are_refused(gateway):
    response = gateway.unified("POST", "hubspot", json={"name": "x", "created_at": "2020-01-01T00:00:00Z"})
    assert response.status_code == 400 and "created_at" in response.json()["message"]


# -- headers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["hubspot", "pipedrive"])
def test_rate_limit_headers_are_normalized(gateway, name):
    """HubSpot's X-HubSpot-RateLimit-* and Pipedrive's x-ratelimit-* arrive as ratelimit-*."""
    response = gateway.unified("GET", name, params={"limit": 1})
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert response.headers[header].isdigit(), (header, response.headers)


def test_unified_delete_of_a_204_is_200_json(gateway, sandbox):
    """HubSpot answers a delete with 204 and no body; the gateway answers 200 {id}."""
    record_id = gateway.unified("GET", "hubspot", params={"limit": 1}).json()["result"][0]["id"]
    response = gateway.unified("DELETE", "hubspot", record_id)
    assert response.status_code == 200
    assert response.json() == {"id": record_id}


def test_provider_unreachable_is_502(sandbox, gateway, tmp_path):
    """A refused connection: a gateway over the same store whose sandboxes are on a closed port."""
    import socket
    from dataclasses import replace

    from unigate.app import create_app
    from unigate.serving import start_in_thread

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    server = start_in_thread(create_app(replace(gateway.settings, sandbox_url=f"http://127.0.0.1:{closed_port}")))
    try:
        response = requests.get(f"{server.url}{URL}", headers=gateway.headers, timeout=10,
                                params={"integrated_account_id": gateway.accounts["pipedrive"]})
        assert response.status_code == 502
        assert "Could not connect" in response.json()["message"]
    finally:
        server.stop()


@pytest.mark.parametrize("name", INTEGRATIONS)
def test_every_integration_account_exists(gateway, name):
    assert gateway.admin("GET", f"/integrated-account/{gateway.accounts[name]}").status_code == 200


def test_a_real_account_only_calls_the_real_host(gateway, sandbox):
    """An account without is_sandbox goes to the integration's own host (here unreachable), never to a sandbox."""
    control = sandbox.control("hubspot")
    control.clear_requests()
    account = gateway.admin("POST", "/integrated-account",
                            json={"integration": "hubspot", "context": {"access_token": "pat-real"}}).json()
    response = requests.get(f"{gateway.url}{URL}", headers=gateway.headers, timeout=10,
                            params={"integrated_account_id": account["id"]})
    assert response.status_code in (502, 504)
    assert "api.hubapi.com" in response.json()["message"]
    assert control.requests() == []


def test_a_value_the_crm_cannot_take_is_400_not_502(gateway, sandbox):
    """Pipedrive owner ids are integers: a caller's "abc" fails the request mapping, which is the caller's
    to fix (400), not the provider's failure (502); nothing reaches the CRM."""
    control = sandbox.control("pipedrive")
    control.clear_requests()
    response = gateway.unified("POST", "pipedrive", json={"name": "X", "owner": {"id": "abc"}})
    assert response.status_code == 400
    assert "could not be translated" in response.json()["message"]
    assert not [r for r in control.requests() if r["method"] == "POST"]


def test_query_keys_that_only_look_like_indices(gateway):
    """`k[³]` is not a list index (found by fuzzing: "³".isdigit() is true in Python): it parses as the object
    filter `x`, which HubSpot does not take, so the answer is the clear 400, not a failure."""
    response = raw_get(gateway, f"{URL}?integrated_account_id={gateway.accounts['hubspot']}&limit=1&x%5B%C2%B3%5D=1")
    assert response.status_code == 400, response.text
    assert response.json()["truto_error_insight"]["unsupported_filters"]["value"] == ["x"]


def test_a_body_value_that_cannot_be_serialised_is_400():
    """Found by fuzzing: an integer beyond 64 bits reached the provider body and failed the gateway (500)."""
    from support import SPECS

    from unigate.engine.accounts import prepare_account
    from unigate.engine.provider_request import build_request
    from unigate.errors import GatewayError

    spec = SPECS["hubspot"]
    account = prepare_account(spec, "a", {"access_token": "t"}, is_sandbox=True, authentication_method=None,
                              sandbox_url="http://127.0.0.1:1")
    method = spec.resource_method("companies", "create")
    with pytest.raises(GatewayError) as error:
        build_request(account, method, {"body": {}}, query_expr=None, body_expr=None, remote_body={"n": 2**70})
    assert error.value.status == 400 and "64 bits" in error.value.message
