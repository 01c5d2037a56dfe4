"""The hosted connect page in a real browser, opened by Truto's own Link SDK (`@truto/truto-link-sdk` from npm,
popup mode, `baseUrl` pointed at the gateway) from an app page on another origin: an API-key CRM (Copper, by
keyboard alone) and an OAuth CRM (HubSpot, through the sandbox's authorization server). The SDK's promise
must resolve with the new account, and the account must then serve a unified list.

Needs Debian's `chromium` (`.ci/run` installs it) and the SDK (`npm ci --prefix tests/browser`); without
either the tests skip, saying which. With UNIGATE_SCREENSHOTS set to a directory, the page's screenshots are
written there (docs/images/ holds the ones in docs/api.md).
"""

from __future__ import annotations

import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from support import SPECS

SDK = Path(__file__).parent / "node_modules" / "@truto" / "truto-link-sdk" / "dist" / "main.js"
CHROMIUM = os.environ.get("UNIGATE_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: install Debian's chromium package (.ci/run does)"),
    pytest.mark.skipif(not SDK.is_file(), reason="no Link SDK: run `npm ci --prefix tests/browser` (.ci/run does)"),
]

APP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>An app</title></head><body>
<p>An app that lets its users connect their CRM.</p>
<script type="module">
  import authenticate from "/sdk/main.js";
  window.connect = (token, options) => {
    window.result = null;
    authenticate(token, {...options, baseUrl: "%(gateway)s", iframe: false})
      .then((value) => { window.result = value; },
            (error) => { window.result = {rejected: true, error: String(error && error.message || error),
                                          error_type: error && error.error_type}; });
  };
  window.ready = true;
</script></body></html>"""


@pytest.fixture(scope="module")
def app_origin(gateway):
    """The app's page and the SDK, served from an origin of their own (as an app's would be)."""
    page = (APP_PAGE % {"gateway": gateway.url}).encode()
    sdk = SDK.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body, kind = (page, "text/html") if self.path == "/app" else (sdk, "text/javascript") \
                if self.path == "/sdk/main.js" else (b"", "text/plain")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def shoot(page, name: str) -> None:
    directory = os.environ.get("UNIGATE_SCREENSHOTS")
    if directory and not page.is_closed():
        page.screenshot(path=str(Path(directory) / f"connect-page-{name}.png"), full_page=True)


def link_token(gateway, integration: str) -> str:
    response = requests.post(f"{gateway.url}/link-token", headers=gateway.headers, timeout=30,
                             json={"tenant_id": f"browser-{integration}", "integrations": [integration, "pipedrive"],
                                   "is_sandbox": True})
    assert response.status_code == 201, response.text
    return response.json()["link_token"]


def open_connect(browser, app_origin, token: str, integration: str):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone's screen
    app = context.new_page()
    app.goto(f"{app_origin}/app")
    app.wait_for_function("window.ready === true")
    with app.expect_popup() as opened:
        app.evaluate("([token, integration]) => window.connect(token, {integration})", [token, integration])
    popup = opened.value
    if not popup.is_closed():
        try:
            popup.wait_for_load_state()
        except PlaywrightError:
            pass  # a page that reports at once (an error) may be closed by the SDK meanwhile
    return context, app, popup


def assert_connected(gateway, app, integration: str) -> None:
    app.wait_for_function("window.result !== null", timeout=20_000)
    result = app.evaluate("window.result")
    assert result.get("rejected") is not True, result
    assert result["result"] == "success" and result["integration"] == integration
    listed = requests.get(f"{gateway.url}/unified/crm/accounts", headers=gateway.headers, timeout=30,
                          params={"integrated_account_id": result["integrated_account_id"], "limit": 2})
    assert listed.status_code == 200, listed.text
    assert listed.json()["result_count"] == 2


def test_an_api_key_crm_connects_by_keyboard_through_the_link_sdk(gateway, sandbox, app_origin, browser):
    sandbox.control("copper").clear_faults()
    context, app, popup = open_connect(browser, app_origin, link_token(gateway, "copper"), "copper")
    try:
        assert popup.title() == "Connect Copper"
        shoot(popup, "copper-form")
        credentials = SPECS["copper"].sandbox_context
        # connect.js puts the focus in the first field; the rest is Tab, typing and Enter.
        popup.keyboard.type("a-wrong-key")
        popup.keyboard.press("Tab")
        popup.keyboard.type(credentials["user_email"])
        popup.keyboard.press("Enter")
        popup.wait_for_selector("p.error")
        assert "refused these credentials" in popup.inner_text("p.error")
        shoot(popup, "copper-refused")
        popup.fill("#api_key-api_key", credentials["api_key"])
        popup.fill("#api_key-user_email", credentials["user_email"])
        popup.keyboard.press("Enter")
        assert_connected(gateway, app, "copper")
    finally:
        context.close()


def test_an_oauth_crm_connects_through_the_link_sdk(gateway, sandbox, app_origin, browser):
    sandbox.control("hubspot").clear_faults()
    context, app, popup = open_connect(browser, app_origin, link_token(gateway, "hubspot"), "hubspot")
    try:
        shoot(popup, "hubspot")
        popup.get_by_role("link", name="Sign in with HubSpot").click()
        assert_connected(gateway, app, "hubspot")
    finally:
        context.close()


def test_a_used_link_rejects_the_sdks_promise(gateway, app_origin, browser):
    token = link_token(gateway, "copper")
    requests.post(f"{gateway.url}/connect-account", timeout=30, data={
        "link_token": token, "integration": "copper", "auth_method": "api_key",
        **{f"field.{k}": SPECS["copper"].sandbox_context[k] for k in ("api_key", "user_email")}}).raise_for_status()
    context, app, _ = open_connect(browser, app_origin, token, "copper")
    try:
        app.wait_for_function("window.result !== null", timeout=20_000)
        result = app.evaluate("window.result")
        assert result["rejected"] is True and result["error_type"] == "invalid_token", result
    finally:
        context.close()
