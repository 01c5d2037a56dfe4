"""The `oauth:` block of integration.yaml: loading, and the URLs the gateway derives from it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from support import SPECS

from unigate.auth.oauth import token_context, token_url
from unigate.engine.spec import INTEGRATIONS_DIR, SpecError, load_integration
from unigate.errors import GatewayError


def with_oauth(tmp_path: Path, **changes) -> Path:
    """A copy of the zoho_crm integration folder whose oauth block has `changes` applied."""
    folder = tmp_path / "zoho_crm"
    shutil.copytree(INTEGRATIONS_DIR / "zoho_crm", folder)
    raw = yaml.safe_load((folder / "integration.yaml").read_text())
    raw["oauth"].update(changes)
    raw["oauth"] = {k: v for k, v in raw["oauth"].items() if v is not None}
    (folder / "integration.yaml").write_text(yaml.safe_dump(raw))
    return folder


def test_every_oauth_block_loads_with_its_expressions_compiled():
    assert {name for name, spec in SPECS.items() if spec.oauth} == {
        "hubspot", "pipedrive", "zoho_crm", "outreach", "capsule", "zendesk_sell", "monday"}
    assert SPECS["pipedrive"].oauth.client_auth == "basic"  # https://pipedrive.readme.io/docs/marketplace-oauth-authorization
    assert SPECS["monday"].oauth.pkce is True  # https://developer.monday.com/apps/docs/oauth-2-1


@pytest.mark.parametrize("changes, words", [
    ({"client_auth": "header"}, "client_auth"),
    ({"token_url": None}, "token_url"),
    ({"context": "{"}, "oauth.context"),
    ({"token_url": "{{context.accounts-server}}/oauth/v2/token", "token_url_allowed": None}, "token_url_allowed"),
])
def test_a_broken_oauth_block_fails_at_load(tmp_path, changes, words):
    with pytest.raises(SpecError, match=words.replace(".", r"\.")):
        load_integration(with_oauth(tmp_path, **changes))


def test_a_templated_token_url_is_chosen_at_connect_time_and_checked(tmp_path):
    # Zoho redirects back with `accounts-server`: the user's data centre (https://www.zoho.com/accounts/protocol/oauth/multi-dc.html).
    zoho = load_integration(with_oauth(tmp_path, token_url="{{context.accounts-server}}/oauth/v2/token"))
    url = token_url(zoho, is_sandbox=False, sandbox_url=None, context={},
                    callback={"accounts-server": "https://accounts.zoho.eu", "location": "eu"})
    assert url == "https://accounts.zoho.eu/oauth/v2/token"
    # Refreshes use the URL kept in the context, checked again.
    assert token_url(zoho, is_sandbox=False, sandbox_url=None, context={"token_url": url}) == url
    with pytest.raises(GatewayError) as refused:
        token_url(zoho, is_sandbox=False, sandbox_url=None, context={},
                  callback={"accounts-server": "https://attacker.example.com"})
    assert refused.value.status == 400 and "not one of Zoho CRM's own token endpoints" in refused.value.message
    with pytest.raises(GatewayError):
        token_url(zoho, is_sandbox=False, sandbox_url=None, context={"token_url": "https://accounts.zoho.eu.evil/x"})


def test_the_token_response_becomes_the_context():
    zoho = SPECS["zoho_crm"]
    patch = token_context(zoho, {"access_token": "A", "expires_in": 3600, "token_type": "Bearer",
                                 "api_domain": "https://www.zohoapis.eu"})
    assert patch["access_token"] == "A"
    assert "refresh_token" not in patch  # a refresh without a new refresh token keeps the stored one
    assert patch["api_domain"] == "https://www.zohoapis.eu"  # the integration's oauth.context
    assert patch["expires_at"].endswith("Z")
    no_expiry = token_context(replace(zoho, oauth=replace(zoho.oauth, context=None)), {"access_token": "A"})
    assert no_expiry["expires_at"] is None and "api_domain" not in no_expiry
