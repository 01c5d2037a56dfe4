"""`unigate serve`'s app: start-up objects frozen out of the collector once the app has started
(serving.FreezeAfterStartup), and the served gateway answering unified calls."""

from __future__ import annotations

import asyncio
import gc
import os

import pytest
import requests
from support import start_gateway, stop_process

from unigate.cli import create_token
from unigate.serving import FreezeAfterStartup
from unigate.settings import Settings


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process goes on collecting as usual


def test_freezes_once_the_app_has_started_and_passes_requests_through(unfrozen):
    seen = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            message = await receive()
            seen.append((message["type"], gc.get_freeze_count()))  # still starting: nothing frozen yet
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            seen.append((message["type"], gc.get_freeze_count()))
            await send({"type": "lifespan.shutdown.complete"})
            return
        seen.append((scope["type"], scope["path"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run() -> list:
        wrapped = FreezeAfterStartup(app)
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent = []

        async def receive():
            return incoming.pop(0)

        async def send(message):
            sent.append((message["type"], gc.get_freeze_count() > 0))

        await wrapped({"type": "lifespan"}, receive, send)
        await wrapped({"type": "http", "path": "/health"}, receive, send)
        return sent

    sent = asyncio.run(run())
    assert seen[0] == ("lifespan.startup", 0)
    assert seen[1][0] == "lifespan.shutdown" and seen[1][1] > 0
    assert seen[2] == ("http", "/health")
    # startup.complete reaches the server after the freeze; other messages pass unchanged.
    assert sent == [("lifespan.startup.complete", True), ("lifespan.shutdown.complete", True),
                    ("http.response.start", True), ("http.response.body", True)]


def test_unigate_serve_answers_unified_calls(sandbox, tmp_path):
    """The served app (the factory `unigate serve` names) is the whole gateway."""
    settings = Settings(data_dir=tmp_path, database_url=None, secret_key=None, sandbox_url=sandbox.url)
    token = asyncio.run(create_token(settings, "serve", "default"))
    env = {**os.environ, "UNIGATE_DATA_DIR": str(tmp_path), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_LOG_LEVEL": "warning"}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SECRET_KEY"):
        env.pop(name, None)
    process, base = start_gateway(env, tmp_path / "serve.log")
    try:
        headers = {"Authorization": f"Bearer {token}"}
        created = requests.post(f"{base}/integrated-account", headers=headers, timeout=10,
                                json={"integration": "hubspot", "is_sandbox": True})
        assert created.status_code == 201, created.text
        sandbox.control("hubspot").reset(5)
        listed = requests.get(f"{base}/unified/crm/accounts", headers=headers, timeout=10,
                              params={"integrated_account_id": created.json()["id"], "limit": 2})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert [record["name"] for record in body["result"]] == ["Northwind Analytics", "Bluepeak Analytics"]
        assert body["next_cursor"]
    finally:
        stop_process(process)
        sandbox.control("hubspot").reset()
