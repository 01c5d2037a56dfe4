"""Outbound hosts: a request goes only to a host the integration file declares.

Zoho's API host is the `api_domain` of the account's token response (`parse_response` in
https://github.com/zoho/zohocrm-python-sdk-8.0 switches to it); Pipeliner's is built from the account's region
and space id (`https://{service-url}/api/v100/rest/spaces/{space_id}`,
https://developers.pipelinersales.com/api-docs/overview/about-the-api). Both come from a caller-written context, so
a hostile context must be refused when it is written (400) and again when it is used, and no
request may leave for the host it names.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from pathlib import Path

import leakscan
import pytest
import requests
from support import SPECS

from unigate.engine.spec import INTEGRATIONS_DIR, SpecError, load_integration
from unigate.store import Store


class Listener:
    """A loopback TCP port that counts the connections made to it: a stand-in for an attacker's host."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


def hostile_api_domains(port: int) -> list[str]:
    return [
        "https://evil.example",
        "https://www.zohoapis.com.evil.example",
        "https://www.zohoapis.com@evil.example",
        "https://www.zohoapis.com:x@evil.example",
        "https://www.zohoapis.com%40evil.example",
        "https://www.zohoapis.com\\@evil.example",
        "https://www.zohoapis.com:8443",
        "https://www.zohoapis.com:443",
        "https://www.zohoapis.com/evil",
        "https://www.zohoapis.com/crm/v8?",
        "https://www.zohoapis.com#",
        "https://www.zohoapis.com\n.evil.example",
        "http://www.zohoapis.com",
        "//www.zohoapis.com",
        "www.zohoapis.com",
        f"https://127.0.0.1:{port}",
        f"https://www.zohoapis.com@127.0.0.1:{port}",
        f"https://localhost:{port}",
    ]


def hostile_pipeliner_contexts(port: int) -> list[dict[str, str]]:
    return [
        {"region": "evil.example#"},
        {"region": "evil.example/"},
        {"region": f"us-east.api.pipelinersales.com@127.0.0.1:{port}/x#"},
        {"region": f"127.0.0.1:{port}/"},
        {"region": "us-east.api.pipelinersales.com:8443/x?"},
        {"region": "us-east.evil"},  # https://us-east.evil.api.pipelinersales.com: a dot is not a region
        {"region": "US EAST"},
        {"space_id": "../../../evil"},
        {"space_id": "x?y="},
        {"space_id": "x#y"},
        {"space_id": "%2F..%2Fevil"},
        {"space_id": f"x@127.0.0.1:{port}"},
    ]


ZOHO_TOKEN = "zoho-token-for-a-hostile-host"
PIPELINER_PASSWORD = "pipeliner-password-for-a-hostile-host"
# A refused context must not show up in any log either (tests/leakscan.py).
leakscan.register_secret(ZOHO_TOKEN, "Zoho access token of the hostile-host tests")
leakscan.register_secret(PIPELINER_PASSWORD, "Pipeliner password of the hostile-host tests")


def zoho_context(api_domain: str) -> dict[str, str]:
    return {"access_token": ZOHO_TOKEN, "api_domain": api_domain}


def pipeliner_context(**overrides: str) -> dict[str, str]:
    return {"region": "us-east", "space_id": "space-1", "username": "api-user", "password": PIPELINER_PASSWORD,
            **overrides}


def hostile_cases(port: int) -> list[tuple[str, dict[str, str]]]:
    return ([("zoho_crm", zoho_context(d)) for d in hostile_api_domains(port)]
            + [("pipeliner", pipeliner_context(**c)) for c in hostile_pipeliner_contexts(port)])


def create(gateway, integration: str, context: dict, **extra) -> requests.Response:
    return gateway.admin("POST", "/integrated-account", json={"integration": integration, "context": context, **extra})


def assert_refused(response: requests.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"statusCode", "error", "message"} and body["statusCode"] == 400
    assert "context" in body["message"]


def account_count(gateway) -> int:
    return len(gateway.admin("GET", "/integrated-account", params={"limit": 1000}).json()["result"])


def test_only_zoho_and_pipeliner_build_their_host_from_context_and_both_declare_patterns():
    """The audit of the ten integration files: who templates base_url, and that each one has patterns."""
    templated = {name for name, spec in SPECS.items() if "{{" in spec.base_url}
    assert templated == {"zoho_crm", "pipeliner"}
    for name in templated:
        assert SPECS[name].base_url_allowed, name
    for name, spec in SPECS.items():
        if name not in templated:
            assert spec.base_url.startswith("https://") and spec.base_url.count("/") == 2, (name, spec.base_url)


def test_creating_an_account_with_a_hostile_context_is_400_and_nothing_is_stored(gateway, listener):
    before = account_count(gateway)
    for integration, context in hostile_cases(listener.port):
        response = create(gateway, integration, context)
        assert_refused(response)
        assert context.get("access_token", context.get("password")) not in response.text
    assert account_count(gateway) == before
    assert listener.connections == 0


def test_patching_an_account_to_a_hostile_context_is_400_and_the_account_is_unchanged(gateway, listener):
    zoho = create(gateway, "zoho_crm", zoho_context("https://www.zohoapis.eu"))
    pipeliner = create(gateway, "pipeliner", pipeliner_context(region="eu-central"))
    assert zoho.status_code == 201 and pipeliner.status_code == 201, (zoho.text, pipeliner.text)
    accounts = {"zoho_crm": zoho.json(), "pipeliner": pipeliner.json()}
    for integration, context in hostile_cases(listener.port):
        account = accounts[integration]
        patch = {k: v for k, v in context.items() if k in ("api_domain", "region", "space_id")}
        response = gateway.admin("PATCH", f"/integrated-account/{account['id']}", json={"context": patch})
        assert_refused(response)
        stored = gateway.admin("GET", f"/integrated-account/{account['id']}").json()
        assert stored["context"] == account["context"] and stored["updated_at"] == account["updated_at"]
    assert listener.connections == 0
    for account in accounts.values():
        gateway.admin("DELETE", f"/integrated-account/{account['id']}")


def test_a_valid_regional_host_is_accepted(gateway):
    for integration, context in [("zoho_crm", zoho_context("https://www.zohoapis.com.au")),
                                 ("zoho_crm", zoho_context("https://sandbox.zohoapis.eu")),
                                 ("pipeliner", pipeliner_context(region="ca-central", space_id="A1_b-2"))]:
        response = create(gateway, integration, context)
        assert response.status_code == 201, response.text
        gateway.admin("DELETE", f"/integrated-account/{response.json()['id']}")


def test_a_hostile_context_already_in_the_store_is_refused_when_called(gateway, sandbox, listener):
    """Rows written before the check (or straight into the database) are checked again on every use."""
    async def store_accounts() -> list[str]:
        store = await Store.open(gateway.settings)
        try:
            environment = await store.ensure_environment("test-env")
            ids = []
            for integration, context in hostile_cases(listener.port):
                account = await store.create_account(environment.id, integration, context)
                ids.append(account.id)
            return ids
        finally:
            await store.close()

    for name in ("zoho_crm", "pipeliner"):
        sandbox.control(name).clear_requests()
    for account_id in asyncio.run(store_accounts()):
        response = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=10,
                                params={"integrated_account_id": account_id, "limit": 1})
        assert_refused(response)
        gateway.admin("DELETE", f"/integrated-account/{account_id}")
    assert listener.connections == 0
    for name in ("zoho_crm", "pipeliner"):
        assert sandbox.control(name).requests() == []


@pytest.mark.parametrize("space_id", ["../../hubspot", "..", "x?y", "x#y", "%2E%2E", "a/../../b", "x@y"])
def test_a_sandbox_account_cannot_leave_its_emulator(gateway, sandbox, space_id):
    """Pipeliner's sandbox URL takes the space id too: it must stay under the Pipeliner emulator's root."""
    for name in ("hubspot", "pipeliner"):
        sandbox.control(name).clear_requests()
    response = create(gateway, "pipeliner", {"space_id": space_id}, is_sandbox=True)
    assert_refused(response)
    assert sandbox.control("hubspot").requests() == [] and sandbox.control("pipeliner").requests() == []


# -- the loader --------------------------------------------------------------------------------------------

def copy_integration(tmp_path: Path, name: str, replace: dict[str, str]) -> Path:
    folder = tmp_path / name
    shutil.copytree(INTEGRATIONS_DIR / name, folder)
    text = (folder / "integration.yaml").read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    (folder / "integration.yaml").write_text(text)
    return folder


def test_the_loader_refuses_a_context_built_base_url_without_patterns(tmp_path):
    folder = copy_integration(tmp_path, "hubspot", {"base_url: https://api.hubapi.com":
                                                    'base_url: "https://{{context.host}}"'})
    with pytest.raises(SpecError, match="base_url_allowed must list"):
        load_integration(folder)


def test_the_loader_refuses_patterns_that_are_not_https(tmp_path):
    folder = copy_integration(tmp_path, "zoho_crm", {r"'^https://(www|sandbox|developer)": r"'^.*(www|sandbox|developer)"})
    with pytest.raises(SpecError, match="must start with https://"):
        load_integration(folder)


def test_the_loader_refuses_a_sandbox_url_that_does_not_start_at_the_emulator(tmp_path):
    folder = copy_integration(tmp_path, "zoho_crm", {'base_url: "{{sandbox_url}}/crm/v8"':
                                                     'base_url: "{{context.api_domain}}/crm/v8"'})
    with pytest.raises(SpecError, match=r"sandbox\.base_url"):
        load_integration(folder)


def test_the_shipped_integrations_load(tmp_path):
    """The checks accept the ten real files (zoho_crm and pipeliner with their patterns)."""
    for name in SPECS:
        assert load_integration(INTEGRATIONS_DIR / name).name == name


# -- path values ------------------------------------------------------------------------------------------
# tests/test_contract.py covers GET; writes take the same path templates, so the same ids must stay
# one segment there too (docs/integrations.md: values put into a path are encoded as one segment).

HOSTILE_IDS = ["../", "../../x", "a?b=c", "a#b", "a%2Fb", "a%252Fb", "%2E%2E%2F"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_hostile_ids_in_writes_stay_one_path_segment(gateway, sandbox, name, method):
    if method.lower().replace("patch", "update") not in SPECS[name].mappings[("crm", "accounts")].methods:
        pytest.skip(f"{name} does not support {method}")
    control = sandbox.control(name)
    body = {"name": "Renamed"} if method == "PATCH" else None
    gateway.unified(method, name, "plainid", json=body)  # steps cached per account run now, not below
    control.clear_requests()
    gateway.unified(method, name, "plainid", json=body)
    baseline = {r["raw_path"].count("/") for r in control.requests()}
    for hostile in HOSTILE_IDS:
        control.clear_requests()
        encoded = requests.utils.quote(hostile, safe="").replace(".", "%2E")
        response = requests.request(method, f"{gateway.url}/unified/crm/accounts/{encoded}", json=body,
                                    headers=gateway.headers, timeout=10,
                                    params={"integrated_account_id": gateway.accounts[name]})
        # Starlette-based emulators redirect a path ending in an encoded `/` (307); the gateway does
        # not follow it and reports a provider error: what matters here is the path that was sent.
        assert response.status_code < 500 or response.json().get("truto_is_remote_error"), (hostile, response.text)
        for request in control.requests():
            path = request["raw_path"].split("?", 1)[0]
            assert path.startswith(f"/{name}/"), (hostile, path)
            assert "/../" not in path and not path.endswith("/..") and "#" not in path, (hostile, path)
            assert path.count("/") in baseline, (hostile, path, baseline)


@pytest.mark.parametrize("status", [301, 302, 304, 307, 308])
def test_a_provider_redirect_to_another_host_is_not_followed(gateway, sandbox, listener, status):
    """Credentials go only to the declared host: a redirect is answered as a provider error, never followed. A 304
    is an empty page only to a request the mapping made conditional (If-Modified-Since); this list asked for none."""
    control = sandbox.control("hubspot")
    for response_format in ("unified", "raw", "stream"):
        control.clear_requests()
        control.fault(status=status, headers={"Location": f"http://127.0.0.1:{listener.port}/steal"}, times=1)
        try:
            response = gateway.unified("GET", "hubspot", params={"limit": 1, "truto_response_format": response_format})
        finally:
            control.clear_faults()
        assert response.status_code == 502, response.text  # not an empty page that reads as "no records"
        body = response.json()
        assert body["truto_is_remote_error"] is True and "redirect" in body["message"]
        assert len(control.requests()) == 1
    assert listener.connections == 0
