"""The Capsule emulator driven by a Capsule client from PyPI: capsulecrm-python
(https://pypi.org/project/capsulecrm-python/, https://github.com/GearPlug/capsulecrm-python), pointed at
the emulator instead of https://api.capsulecrm.com.

The client runs the OAuth 2 flow against the emulator's authorise and token endpoints, then calls API
v2 the way it calls Capsule: parties, the structured filter, users, custom field definitions and tags, and
reads Capsule's errors as its own exceptions.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from capsulecrm import exceptions
from capsulecrm.client import Client

REDIRECT_URI = "http://127.0.0.1:9/capsule-callback"


@pytest.fixture
def ctl(sandbox):
    control = sandbox.control("capsule")
    control.reset()
    return control


def pointed_at(root: str) -> Client:
    """A client whose OAuth and API addresses are the emulator's (the library builds every URL from these).
    Its endpoints start with a slash ("/parties"), so the API base has none at its end."""
    client = Client("sandbox-capsule-client-id", "sandbox-capsule-client-secret")
    client.AUTHORITY_URL = f"{root}/"
    client.base_url = f"{root}/api/v2"
    return client


@pytest.fixture
def client(ctl):
    """A client holding a token from the OAuth flow it drives itself: its authorisation URL, then the code
    exchanged at the token endpoint (the library's `exchange_code` sends no redirect_uri, which RFC 6749
    §4.1.3 requires when the authorise request had one, so the exchange names it here)."""
    capsule = pointed_at(ctl.url)
    approved = requests.get(capsule.authorization_url(REDIRECT_URI, state="xyz"), allow_redirects=False, timeout=5)
    assert approved.status_code in (302, 303)
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    assert query["state"] == ["xyz"]
    exchanged = requests.post(capsule.AUTHORITY_URL + capsule.TOKEN_ENDPOINT, timeout=5, data={
        "client_id": capsule.client_id, "client_secret": capsule.client_secret, "code": query["code"][0],
        "grant_type": "authorization_code", "redirect_uri": REDIRECT_URI})
    assert exchanged.status_code == 200, exchanged.text
    token = exchanged.json()
    assert token["token_type"].lower() == "bearer" and token["refresh_token"] and token["subdomain"]
    capsule.set_token(token)
    refreshed = capsule.refresh_token(token["refresh_token"])      # the library's own refresh call
    assert refreshed["access_token"] != token["access_token"]
    capsule.set_token(refreshed)
    return capsule


def test_create_organisation_and_person_then_list(client, ctl):
    """create_organisation / create_person wrap the party as Capsule wants; the answers are Capsule's
    {"party": {...}}; list_parties pages {"parties": [...]} and embeds tags when asked."""
    org = client.create_organisation({
        "name": "Acme INC", "about": "Made with capsulecrm-python",
        "phoneNumbers": [{"type": "Work", "number": "+1 617 555 0100"}],
        "websites": [{"service": "URL", "address": "www.acme.example"}],
        "emailAddresses": [{"type": "Work", "address": "info@acme.example"}],
        "tags": [{"name": "Client library"}],
    })["party"]
    assert org["type"] == "organisation" and org["name"] == "Acme INC"
    assert org["websites"][0]["url"] == "http://www.acme.example"
    person = client.create_person({"firstName": "Scott", "lastName": "Spacey", "jobTitle": "Buyer",
                                   "organisation": {"id": org["id"]},
                                   "emailAddresses": [{"type": "Work", "address": "scott@acme.example"}]})["party"]
    assert person["type"] == "person" and person["organisation"]["id"] == org["id"]

    tags = client.list_tag("/parties", page=1, perpage=100)["tags"]      # GET /parties/tags
    assert "Client library" in {t["name"] for t in tags} and all(set(t) >= {"id", "name", "dataTag"} for t in tags)
    listed = client.list_parties(page=1, perpage=100, embed="tags")["parties"]
    by_id = {p["id"]: p for p in listed}
    assert org["id"] in by_id and person["id"] in by_id
    assert [t["name"] for t in by_id[org["id"]]["tags"]] == ["Client library"]
    stored = {p["id"]: p for p in ctl.records()}
    assert stored[person["id"]]["jobTitle"] == "Buyer"


def test_filter_users_and_field_definitions(client):
    """filter_order_data posts {"filter": {"conditions": [...]}} to /{entity}/filters/results; the users,
    the current user and the party field definitions come back in Capsule's wrappers."""
    people = client.filter_order_data("/parties", conditions=[{"field": "type", "operator": "is", "value": "person"}],
                                      per_page=100)["parties"]
    assert people and {p["type"] for p in people} == {"person"}
    users = client.list_users()["users"]
    assert client.get_current_user()["user"]["id"] == users[0]["id"]
    definitions = client.get_custom_fields("/parties")["definitions"]
    assert {"Industry", "Employees"} <= {d["name"] for d in definitions}
    # an entity's tags (list_tag: GET /{entity}/tags), the data tags among them naming the definitions' groups
    party_tags = client.list_tag("/parties", page=1, perpage=100)["tags"]
    data_tags = {t["id"]: t["name"] for t in party_tags if t["dataTag"]}
    assert {d["tag"]["id"] for d in definitions if d["tag"]} <= set(data_tags)
    deal_tags = client.list_tag("/opportunities", page=1, perpage=100)["tags"]
    assert {t["name"] for t in deal_tags if t["dataTag"]} >= {"Deal Sizing"}
    assert not set(data_tags) & {t["id"] for t in deal_tags}


def test_capsule_errors_are_the_library_s_exceptions(client, ctl):
    """Capsule's 422 (a party without a type's required name) is ValidationFailedError with Capsule's
    {"message", "errors"}; a wrong token is AuthenticationFailedError."""
    with pytest.raises(exceptions.ValidationFailedError) as refused:
        client.create_organisation({"about": "no name"})
    body = refused.value.args[0]
    assert body["message"] == "Validation Failed" and body["errors"][0]["field"] == "name"

    stranger = pointed_at(ctl.url)
    stranger.set_token({"access_token": "not-a-capsule-token"})
    with pytest.raises(exceptions.AuthenticationFailedError):
        stranger.list_parties()
