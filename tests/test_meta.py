"""Meta and capabilities, checked against the integration files for every CRM and resource: what they say a CRM
serves, fills, takes and requires is what its mapping files declare (https://truto.one/docs/api-reference/unified-api/meta,
docs/api.md "Meta and capabilities")."""

from __future__ import annotations

import pytest
import requests
from support import INTEGRATIONS, SPECS

from unigate.engine.proxy import unavailable_reason
from unigate.engine.spec import UNIFIED_METHODS
from unigate.models import READ_ONLY_FIELDS

every_integration = pytest.mark.parametrize("name", INTEGRATIONS)


def get(gateway, path: str, **params) -> requests.Response:
    return requests.get(f"{gateway.url}{path}", params=params, headers=gateway.headers, timeout=30)


@every_integration
def test_meta_of_every_method_is_its_mapping(gateway, name):
    spec = SPECS[name]
    for (model, resource), mapping in spec.mappings.items():
        for method in UNIFIED_METHODS:
            response = get(gateway, f"/unified/{model}/{resource}/{name}/meta/{method}")
            if method not in mapping.methods:
                assert response.status_code == 404, response.text
                assert mapping.not_supported.get(method, "") in response.json()["message"]
                continue
            assert response.status_code == 200, response.text
            meta = response.json()
            where = f"{name} {resource} {method}"
            assert meta["method"] == method and meta["documentation_link"] == spec.docs_url
            assert meta["schema"]["$id"].endswith(f"/{model}/{resource}.json")
            record = meta["response_schema"]["properties"]["result"]["items"] if method == "list" else meta["response_schema"]
            filled = {"id", "remote_data"} if method == "delete" else {"id", "remote_data", *mapping.fields}
            filled &= {*meta["schema"]["properties"], "remote_data"}   # an association has no id of its own
            assert set(record["properties"]) == filled, where
            query = meta["query_schema"]["properties"]
            assert "integrated_account_id" in query
            if method == "list":
                assert set(mapping.filters) <= set(query) and {"limit", "next_cursor"} <= set(query), where
            if method in ("create", "update"):
                body = meta["request_body_schema"]
                assert set(body["properties"]) == {*(set(mapping.writable) - set(READ_ONLY_FIELDS)), "remote_data"}, where
                for field, allowed in mapping.values.items():
                    assert body["properties"][field]["enum"] == list(allowed), where
            if method == "create":
                single = [entry[0] for entry in mapping.required if len(entry) == 1]
                assert body.get("required", []) == single, where
        for custom in mapping.custom_methods:
            response = get(gateway, f"/unified/{model}/{resource}/{name}/meta/{custom}")
            assert response.status_code == 200, response.text
            assert response.json()["request_body_schema"]["type"] == "object"


@every_integration
def test_meta_for_an_account_is_its_crms_and_unknown_names_are_404(gateway, name):
    resource = next(r for (m, r) in SPECS[name].mappings if m == "crm")
    by_account = get(gateway, f"/unified/crm/{resource}/meta/list", integrated_account_id=gateway.accounts[name])
    by_name = get(gateway, f"/unified/crm/{resource}/{name}/meta/list")
    assert by_account.status_code == 200, by_account.text
    assert by_account.json() == by_name.json()
    assert get(gateway, f"/unified/crm/{resource}/meta/list").status_code == 400  # no account named
    assert get(gateway, f"/unified/crm/{resource}/no_such_crm/meta/list").status_code == 404
    assert get(gateway, f"/unified/crm/{resource}/{name}/meta/frobnicate").status_code == 404
    assert get(gateway, f"/unified/crm/no_such_resource/{name}/meta/list").status_code == 404
    for key, why in SPECS[name].not_mapped.items():
        response = get(gateway, f"/unified/{key}/{name}/meta/list")
        assert response.status_code == 404 and why in response.json()["message"]
    anonymous = requests.get(f"{gateway.url}/unified/crm/{resource}/{name}/meta/list", timeout=30)
    assert anonymous.status_code == 401


@every_integration
def test_capabilities_are_the_integration_files(gateway, name):
    spec = SPECS[name]
    response = get(gateway, f"/integration/{name}/capabilities")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["integration"]["name"] == name
    unified = {u["resource"]: u["methods"] for u in body["unified"]}
    assert unified == {r: [*m.methods, *m.custom_methods] for (_, r), m in spec.mappings.items()}
    proxy = {p["resource"]: {m["method"] for m in p["methods"]} for p in body["proxy"]}
    expected = {r: {m for m, method in methods.items() if unavailable_reason(method) is None}
                for r, methods in spec.resources.items()}
    assert proxy == {r: ms for r, ms in expected.items() if ms}
    assert {f["name"] for f in body["auth"]["fields"]} == {f.name for a in spec.auth for f in a.fields}
    assert body["not_mapped"] == spec.not_mapped

    only_lists = get(gateway, f"/integration/{name}/capabilities", type="unified", methods="list,get").json()
    assert "proxy" not in only_lists
    assert all(set(u["methods"]) <= {"list", "get"} for u in only_lists["unified"])
    assert get(gateway, f"/integration/{name}/capabilities", type="everything").status_code == 400

    account = get(gateway, f"/integrated-account/{gateway.accounts[name]}/capabilities")
    assert account.status_code == 200, account.text
    assert account.json()["account"]["id"] == gateway.accounts[name]
    assert account.json()["unified"] == body["unified"]
