"""Fuzzing past the document: path ids, cursors and admin filters the OpenAPI schema never generates.

tests/test_schemathesis.py fuzzes what `/openapi.json` describes; callers also send what it does not:
ids whose bytes are not UTF-8, cursors wrapping any JSON (or none), filters repeated or bracketed. Each
answer must be JSON in Truto's error shape when it is an error, and never a 5xx of the gateway's own (a
5xx only as a provider's error, `truto_is_remote_error: true`). Reads only, so the emulators' data stays
as seeded.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import INTEGRATIONS

EXAMPLES = 60
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def assert_bounded_answer(response: requests.Response) -> None:
    where = f"{response.request.method} {response.request.url[:300]} -> {response.status_code}"
    assert response.headers["content-type"].startswith("application/json"), where
    body = response.json()
    if response.status_code >= 400:
        assert body["statusCode"] == response.status_code and body["error"] and body["message"], where
    if response.status_code >= 500:
        assert body.get("truto_is_remote_error") is True, f"{where}: {response.text[:500]}"


# Any bytes, percent-encoded one by one (most are not UTF-8), or any text, encoded as a client would.
raw_ids = st.one_of(
    st.binary(min_size=1, max_size=40).map(lambda data: "".join(f"%{byte:02X}" for byte in data)),
    st.text(min_size=1, max_size=40).map(lambda text: quote(text, safe="")),
    st.sampled_from(["%ff", "%00", "..", "%2e%2e", "a%2Fb", "%C0%AF", "%ED%A0%80", "x" * 3000]),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)


def wrapped(value) -> str:
    """A cursor in the gateway's own envelope (base64url JSON `{"p": position}`) around any value."""
    return base64.urlsafe_b64encode(json.dumps({"p": value}).encode()).rstrip(b"=").decode()


cursors = st.one_of(json_values.map(wrapped), st.text(max_size=60),
                    json_values.map(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode()))

filter_names = st.sampled_from(["tenant_id", "status", "integration.name", "integration", "next_cursor", "limit"])
filter_suffixes = st.sampled_from(["", "", "[]", "[0]", "[name]", "[a][b]"])
filter_pairs = st.lists(st.tuples(st.builds(lambda n, s: n + s, filter_names, filter_suffixes),
                                  st.text(max_size=300)), min_size=1, max_size=4)


@FUZZ
@given(name=st.sampled_from(INTEGRATIONS), raw_id=raw_ids)
def test_any_path_id_gets_a_bounded_answer(gateway, name, raw_id):
    url = f"{gateway.url}/unified/crm/accounts/{raw_id}?integrated_account_id={gateway.accounts[name]}"
    assert_bounded_answer(requests.get(url, headers=gateway.headers, timeout=15))


@FUZZ
@given(name=st.sampled_from(INTEGRATIONS), cursor=cursors, limit=st.sampled_from([None, "1", "3"]))
def test_any_cursor_gets_a_bounded_answer(gateway, name, cursor, limit):
    params = {"next_cursor": cursor, **({"limit": limit} if limit else {})}
    response = gateway.unified("GET", name, params=params)
    assert_bounded_answer(response)
    assert response.status_code in (200, 400, 404), response.text[:300]


@FUZZ
@given(pairs=filter_pairs)
def test_any_admin_filter_gets_200_or_400(gateway, pairs):
    url = f"{gateway.url}/integrated-account?{urlencode(pairs)}"
    response = requests.get(url, headers=gateway.headers, timeout=15)
    assert_bounded_answer(response)
    assert response.status_code in (200, 400), response.text[:300]
