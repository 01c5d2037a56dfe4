"""Size limits on every route (docs/reliability.md, "Limits"): a body over `max_body_bytes` is 413, a
query string over `max_query_bytes` is 414, each with the stable error body, and the gateway keeps
serving. Token checks end in a constant-time comparison.
"""

from __future__ import annotations

import asyncio
import hmac

import pytest
import requests

from unigate.app import create_app
from unigate.cli import create_token
from unigate.serving import start_in_thread
from unigate.settings import Settings
from unigate.store import Store

BODY_LIMIT = 4096
QUERY_LIMIT = 1024


class Small:
    def __init__(self, url: str, token: str, account_id: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.account_id = account_id

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("headers", self.headers)
        return requests.request(method, f"{self.url}{path}", timeout=10, **kwargs)


@pytest.fixture(scope="module")
def small(sandbox, tmp_path_factory):
    """A gateway with small limits, so the tests send kilobytes, not megabytes."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("limits"), database_url=None, secret_key=None,
                        sandbox_url=sandbox.url, max_body_bytes=BODY_LIMIT, max_query_bytes=QUERY_LIMIT)
    token = asyncio.run(create_token(settings, "limits", "limits-env"))
    server = start_in_thread(create_app(settings))
    client = Small(server.url, token, "")
    created = client.request("POST", "/integrated-account", json={"integration": "hubspot", "is_sandbox": True})
    assert created.status_code == 201, created.text
    client.account_id = created.json()["id"]
    yield client
    server.stop()


def assert_error(response: requests.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {"statusCode": status, "error": body["error"], "message": body["message"]}
    assert fragment in body["message"]


def still_serving(small: Small) -> None:
    response = small.request("GET", "/unified/crm/accounts", params={"integrated_account_id": small.account_id,
                                                                      "limit": 1})
    assert response.status_code == 200, response.text


def padded_context(size: int) -> dict:
    return {"integration": "hubspot", "is_sandbox": True, "context": {"note": "x" * size}}


@pytest.mark.parametrize("method, path", [("POST", "/integrated-account"), ("PATCH", "/integrated-account/{id}"),
                                          ("POST", "/unified/crm/accounts"), ("PATCH", "/unified/crm/accounts/1")])
def test_a_body_over_the_limit_is_413_on_every_write_route(small, method, path):
    url = path.replace("{id}", small.account_id)
    params = {"integrated_account_id": small.account_id} if url.startswith("/unified") else None
    response = small.request(method, url, params=params, json=padded_context(BODY_LIMIT))
    assert_error(response, 413, f"over {BODY_LIMIT} bytes")
    still_serving(small)


@pytest.mark.parametrize("path", ["/integrated-account", "/unified/crm/accounts"])
def test_a_chunked_body_without_content_length_is_cut_off_at_the_limit(small, path):
    def chunks():
        for _ in range(BODY_LIMIT // 512 + 2):
            yield b"x" * 512

    params = {"integrated_account_id": small.account_id} if path.startswith("/unified") else None
    response = small.request("POST", path, params=params, data=chunks(),
                             headers={**small.headers, "Content-Type": "application/json"})
    assert_error(response, 413, f"over {BODY_LIMIT} bytes")
    still_serving(small)


def test_a_body_just_under_the_limit_is_read(small):
    response = small.request("POST", "/integrated-account", json=padded_context(BODY_LIMIT - 200))
    assert response.status_code == 201, response.text
    assert small.request("DELETE", f"/integrated-account/{response.json()['id']}").status_code == 200


def test_nothing_over_the_limit_is_stored(small):
    before = small.request("GET", "/integrated-account", params={"limit": 1000}).json()["result"]
    small.request("POST", "/integrated-account", json=padded_context(BODY_LIMIT * 2))
    after = small.request("GET", "/integrated-account", params={"limit": 1000}).json()["result"]
    assert [a["id"] for a in after] == [a["id"] for a in before]


@pytest.mark.parametrize("path", ["/unified/crm/accounts", "/integrated-account", "/integrated-account/{id}",
                                  "/integration", "/integration/hubspot", "/health", "/openapi.json", "/nope"])
def test_a_query_string_over_the_limit_is_414_on_every_route(small, path):
    url = f"{small.url}{path.replace('{id}', small.account_id)}?integrated_account_id={small.account_id}&pad="
    url += "a" * (QUERY_LIMIT - len(url.split("?", 1)[1]) + 1)
    response = requests.get(url, headers=small.headers, timeout=10)
    assert_error(response, 414, f"at most {QUERY_LIMIT} are accepted")
    still_serving(small)


def test_a_query_string_at_the_limit_is_served(small):
    # The padding rides in remote_query (passed to the CRM as given); an unknown list parameter is a 400.
    query = f"integrated_account_id={small.account_id}&limit=1&remote_query%5Bpad%5D="
    query += "a" * (QUERY_LIMIT - len(query))
    assert len(query) == QUERY_LIMIT
    response = requests.get(f"{small.url}/unified/crm/accounts?{query}", headers=small.headers, timeout=10)
    assert response.status_code == 200, response.text


def test_the_token_lookup_ends_in_a_constant_time_comparison(tmp_path, monkeypatch):
    """The store finds the row by the token's SHA-256 and confirms it with hmac.compare_digest."""
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    async def run() -> tuple[str | None, str | None]:
        store = await Store.open(Settings(data_dir=tmp_path, database_url=None, secret_key=None))
        try:
            environment = await store.ensure_environment("timing")
            _, token = await store.create_token("timing", environment.id)
            return await store.environment_for_token(token), await store.environment_for_token(token + "x")
        finally:
            await store.close()

    found, wrong = asyncio.run(run())
    assert found is not None and wrong is None
    assert len(compared) == 1 and compared[0][0] == compared[0][1]  # one row found, compared by hash
