"""Outbound webhooks (docs/api.md "Webhooks"): a loopback receiver gets every event, signed, once, with no
secret in it; failing receivers are retried with backoff and then deactivated; a receiver that was down
gets what was queued meanwhile. Runs on SQLite, and on PostgreSQL in the suite's PostgreSQL run."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
import uuid

import leakscan
import pytest
import requests
from oauth_support import Gateway, connect
from support import gateway_database, start_gateway, stop_process
from webhook_receiver import Receiver

from unigate.app import create_app
from unigate.cli import create_token
from unigate.engine.webhook_targets import check_target, is_public
from unigate.errors import GatewayError
from unigate.serving import start_in_thread
from unigate.settings import Settings
from unigate.store import Store
from unigate.store.webhooks import EVENTS

# Retries and sweeps made fast: the behaviour under test, not its production timing.
FAST = {"webhook_allow_private_targets": True, "webhook_retry_delay": 0.2, "webhook_retry_max_delay": 1.0,
        "webhook_sweep_interval": 0.3, "webhook_timeout": 2.0, "webhook_max_attempts": 30}


@pytest.fixture
def make_gateway(sandbox, tmp_path):
    """Start a gateway (in this process, on its own thread and loop) with the given webhook settings."""
    started = []

    def make(**overrides) -> Gateway:
        database = gateway_database("unigate_webhooks")
        database_url = database.__enter__()
        settings = Settings(data_dir=tmp_path / f"data{len(started)}", database_url=database_url, secret_key=None,
                            sandbox_url=sandbox.url, read_timeout=2.0, **{**FAST, **overrides})
        token = asyncio.run(create_token(settings, "webhook-tests", "webhook-env"))
        server = start_in_thread(create_app(settings))
        started.append((server, database))
        return Gateway(server.url, token, settings)

    yield make
    for server, database in started:
        server.stop()
        database.__exit__(None, None, None)


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def add_webhook(gateway: Gateway, url: str, event_types: list[str] | None = None) -> dict:
    response = requests.post(f"{gateway.url}/webhook", headers=gateway.headers, timeout=10,
                             json={"target_url": url, "event_types": event_types or ["*"]})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(settings: Settings, webhook_id: str) -> list[dict]:
    async def read() -> list[dict]:
        store = await Store.open(settings)
        try:
            return await store.webhooks.deliveries(webhook_id)
        finally:
            await store.close()

    return asyncio.run(read())


def test_every_event_arrives_signed_once_and_without_secrets(make_gateway, receiver, sandbox):
    gateway = make_gateway()
    hook = add_webhook(gateway, receiver.url)
    secret = hook["secret"]
    leakscan.register_secret(secret, "a webhook's signing secret")
    headers = gateway.headers
    made_up = "webhook-payload-must-not-carry-" + uuid.uuid4().hex
    leakscan.register_secret(made_up, "an account's access token")

    # integrated_account:created and :active, on the admin API's create
    created = requests.post(f"{gateway.url}/integrated-account", headers=headers, timeout=10,
                            json={"integration": "hubspot", "is_sandbox": True, "context": {"access_token": made_up}})
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    # :updated, then :authentication_error (set by the app here; by a refused refresh below), :reactivated
    for body in ({"tenant_id": "acme"}, {"status": "needs_reauth"}, {"status": "active"}):
        assert requests.patch(f"{gateway.url}/integrated-account/{account_id}", headers=headers, json=body,
                              timeout=10).status_code == 200
    # :deleted (its payload only the id)
    assert requests.delete(f"{gateway.url}/integrated-account/{account_id}", headers=headers,
                           timeout=10).status_code == 200
    # api_token:created, written by another program on the same store (the CLI): the outbox row waits
    # there, and the gateway's sweep sends it; api_token:deleted through the admin API.
    late = asyncio.run(create_token(gateway.settings, "late-token", "webhook-env"))
    tokens = requests.get(f"{gateway.url}/api-token", headers=headers, timeout=10).json()["result"]
    late_id = next(t["id"] for t in tokens if t["name"] == "late-token")
    assert requests.delete(f"{gateway.url}/api-token/{late_id}", headers=headers, timeout=10).status_code == 200
    # And the events of a real OAuth account: connected, its refresh refused, connected again.
    control = sandbox.control("hubspot")
    control.reset()
    try:
        oauth_id = connect(gateway, "hubspot")
        control.oauth(expire_all=True, revoke_refresh_tokens=True)
        assert gateway.unified("GET", oauth_id).status_code == 401
        assert connect(gateway, "hubspot", integrated_account_id=oauth_id, tenant_id=None, is_sandbox=None) == oauth_id
    finally:
        control.reset()
    assert requests.post(f"{gateway.url}/webhook/test", headers=headers, json={"id": hook["id"]},
                         timeout=10).json() == {"success": True}

    def names() -> list[str]:
        return [d.json["event"] for d in receiver.events()]

    expected = ["integrated_account:created", "integrated_account:active", "integrated_account:updated",
                "integrated_account:authentication_error", "integrated_account:reactivated",
                "integrated_account:deleted", "api_token:created", "api_token:deleted", "test"]
    receiver.wait_for(lambda: set(expected) <= set(names()) and names().count("integrated_account:created") == 2
                      and names().count("integrated_account:reactivated") == 2)
    time.sleep(1.0)  # anything sent twice would have come by now
    got = receiver.events()
    assert set(EVENTS) <= {d.json["event"] for d in got}
    ids = [d.json["id"] for d in got]
    assert len(ids) == len(set(ids)), "an event arrived twice"
    for delivery in got:
        body = delivery.json
        assert delivery.signed_by(secret), body["event"]
        assert set(body) == {"id", "event", "payload", "environment_id", "webhook_id", "created_at"}
        assert body["webhook_id"] == hook["id"] and body["environment_id"] == hook["environment_id"]
        assert delivery.headers["content-type"] == "application/json"
        raw = delivery.body.decode()
        assert made_up not in raw and secret not in raw and late not in raw
        assert "sandbox-hubspot-token" not in raw and "refresh_token\":\"" not in raw.replace('"********"', "")
    by_event = {d.json["event"]: d.json["payload"] for d in got}
    assert by_event["integrated_account:deleted"] == {"id": account_id}
    assert by_event["api_token:created"]["name"] == "late-token"
    assert by_event["test"] == {"foo": "bar"}
    first_created = next(d.json["payload"] for d in got if d.json["event"] == "integrated_account:created")
    assert first_created["id"] == account_id and first_created["context"]["access_token"] == "********"
    auth_errors = [d.json["payload"]["id"] for d in got if d.json["event"] == "integrated_account:authentication_error"]
    assert oauth_id in auth_errors and account_id in auth_errors
    assert all(d["state"] == "delivered" and d["attempts"] == 1 for d in deliveries(gateway.settings, hook["id"]))


def test_the_secret_is_shown_once_and_events_can_be_chosen(make_gateway, receiver):
    gateway = make_gateway()
    hook = add_webhook(gateway, receiver.url, ["api_token:created"])
    assert len(hook["secret"]) == 64
    for response in (requests.get(f"{gateway.url}/webhook/{hook['id']}", headers=gateway.headers, timeout=10),
                     requests.get(f"{gateway.url}/webhook", headers=gateway.headers, timeout=10)):
        assert response.status_code == 200 and hook["secret"] not in response.text and "********" in response.text
    asyncio.run(create_token(gateway.settings, "chosen", "webhook-env"))
    assert requests.post(f"{gateway.url}/integrated-account", headers=gateway.headers, timeout=10,
                         json={"integration": "hubspot", "is_sandbox": True}).status_code == 201
    receiver.wait_for(lambda: receiver.events("api_token:created"))
    time.sleep(0.5)
    assert [d.json["event"] for d in receiver.events()] == ["api_token:created"]
    patched = requests.patch(f"{gateway.url}/webhook/{hook['id']}", headers=gateway.headers, timeout=10,
                             json={"event_types": ["*"], "is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert requests.post(f"{gateway.url}/webhook/test", headers=gateway.headers, json={"id": hook["id"]},
                         timeout=10).status_code == 400
    assert requests.delete(f"{gateway.url}/webhook/{hook['id']}", headers=gateway.headers,
                           timeout=10).json() == {"id": hook["id"]}
    assert requests.get(f"{gateway.url}/webhook/{hook['id']}", headers=gateway.headers, timeout=10).status_code == 404
    for bad in ({"target_url": receiver.url, "event_types": ["nope"]}, {"target_url": receiver.url},
                {"target_url": "ftp://example.com/x", "event_types": ["*"]}):
        assert requests.post(f"{gateway.url}/webhook", headers=gateway.headers, json=bad,
                             timeout=10).status_code == 400


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook",
    "https://192.168.0.7/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://100.64.0.1/hook", "https://user@example.com/hook",
    "http://example.com/hook", "https://0.0.0.0/hook", "https://intranet/hook",
])
def test_private_and_loopback_targets_are_refused_unless_allowed(url):
    with pytest.raises(GatewayError) as refused:
        check_target(url, allow_private=False)
    assert refused.value.status == 400


def test_public_targets_pass_and_resolution_is_checked_too():
    assert check_target("https://hooks.example.com/unigate?x=1", allow_private=False)
    assert check_target("http://127.0.0.1:9/hook", allow_private=True)
    assert is_public("93.184.216.34") and not is_public("127.0.0.1") and not is_public("fe80::1")
    assert not is_public("::ffff:10.0.0.1")


def test_the_api_refuses_a_loopback_target_without_the_setting(make_gateway, receiver):
    gateway = make_gateway(webhook_allow_private_targets=False)
    refused = requests.post(f"{gateway.url}/webhook", headers=gateway.headers, timeout=10,
                            json={"target_url": receiver.url, "event_types": ["*"]})
    assert refused.status_code == 400 and "UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS" in refused.json()["message"]


def test_a_failing_receiver_is_retried_with_backoff_then_the_webhook_is_deactivated(make_gateway):
    failing = Receiver(status=500).start()
    try:
        gateway = make_gateway(webhook_max_attempts=4, webhook_retry_delay=0.3, webhook_retry_max_delay=5.0)
        hook = add_webhook(gateway, failing.url)
        assert requests.post(f"{gateway.url}/webhook/test", headers=gateway.headers, json={"id": hook["id"]},
                             timeout=10).status_code == 200
        failing.wait_for(lambda: len(failing.events()) >= 4, timeout=30)
        deadline = time.monotonic() + 10
        while requests.get(f"{gateway.url}/webhook/{hook['id']}", headers=gateway.headers,
                           timeout=10).json()["is_active"]:
            assert time.monotonic() < deadline, "the webhook was not deactivated"
            time.sleep(0.1)
        time.sleep(1.0)
        attempts = failing.events()
        assert len(attempts) == 4  # and no more once deactivated
        assert len({d.body for d in attempts}) == 1  # the same event, the same bytes, each attempt
        gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
        # 0.3 s, 0.6 s, 1.2 s: each wait about twice the one before (huey's scheduler ticks each second)
        assert gaps[0] >= 0.25 and gaps[2] >= 1.1 and gaps[2] > gaps[0], gaps
        [row] = deliveries(gateway.settings, hook["id"])
        assert row["state"] == "failed" and row["attempts"] == 4 and row["last_status"] == 500
        # Later events are not sent to a deactivated webhook.
        asyncio.run(create_token(gateway.settings, "after", "webhook-env"))
        time.sleep(1.0)
        assert len(failing.events()) == 4
    finally:
        failing.stop()


REDIS_URL = os.environ.get("UNIGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means no Redis to test with
        return False


@pytest.mark.parametrize("queue", ["database", "redis"])
def test_a_receiver_that_was_down_gets_what_was_queued_after_it_comes_back(make_gateway, queue):
    """The queue beside the database (SQLite file or PostgreSQL tables), and in Redis."""
    if queue == "redis" and not redis_answers():
        pytest.skip(f"no Redis answers at {REDIS_URL} (set UNIGATE_TEST_REDIS_URL)")
    receiver = Receiver()  # not started: nothing listens on its port
    gateway = make_gateway(webhook_retry_delay=0.2, webhook_retry_max_delay=1.0,
                           redis_url=REDIS_URL if queue == "redis" else None)
    hook = add_webhook(gateway, receiver.url)
    account_ids = []
    for _ in range(3):
        created = requests.post(f"{gateway.url}/integrated-account", headers=gateway.headers, timeout=10,
                                json={"integration": "hubspot", "is_sandbox": True})
        assert created.status_code == 201
        account_ids.append(created.json()["id"])
    time.sleep(2.0)
    assert any(d["attempts"] >= 2 for d in deliveries(gateway.settings, hook["id"]))  # tried, and tried again
    receiver.start()
    try:
        receiver.wait_for(lambda: len(receiver.events("integrated_account:created")) == 3, timeout=20)
        time.sleep(1.0)
        created_events = receiver.events("integrated_account:created")
        assert sorted(d.json["payload"]["id"] for d in created_events) == sorted(account_ids)
        ids = [d.json["id"] for d in receiver.events()]
        assert len(ids) == len(set(ids)) == 6  # created and active for each, once
        assert all(d.signed_by(hook["secret"]) for d in receiver.events())
    finally:
        receiver.stop()


def test_a_gateway_killed_mid_delivery_loses_nothing(sandbox, tmp_path):
    """SIGKILL while the receiver holds the delivery's request: the row's lease ends and the next process
    sends it again, with the same event id (at-least-once; receivers de-duplicate on `id`)."""
    receiver = Receiver(hold_first=60.0).start()
    with gateway_database("unigate_webhooks_kill") as database_url:
        data_dir = tmp_path / "data"
        settings = Settings(data_dir=data_dir, database_url=database_url, secret_key="webhook-kill-test-secret-key")
        token = asyncio.run(create_token(settings, "kill", "kill-env"))
        headers = {"Authorization": f"Bearer {token}"}
        env = {**{k: v for k, v in os.environ.items() if k != "UNIGATE_DATABASE_URL"},
               "UNIGATE_DATA_DIR": str(data_dir), "UNIGATE_SECRET_KEY": settings.secret_key or "",
               "UNIGATE_SANDBOX_URL": sandbox.url, "UNIGATE_LOG_LEVEL": "warning",
               "UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "UNIGATE_WEBHOOK_TIMEOUT": "1",
               "UNIGATE_WEBHOOK_SWEEP_INTERVAL": "0.3", "UNIGATE_WEBHOOK_RETRY_DELAY": "0.2"}
        if database_url:
            env["UNIGATE_DATABASE_URL"] = database_url
        first, url = start_gateway(env, tmp_path / "first.log")
        second = None
        try:
            hook = requests.post(f"{url}/webhook", headers=headers, timeout=10,
                                 json={"target_url": receiver.url, "event_types": ["api_token:deleted"]}).json()
            doomed = asyncio.run(create_token(settings, "doomed", "kill-env"))
            leakscan.register_secret(doomed, "a token revoked in the kill test")
            doomed_id = next(t["id"] for t in requests.get(f"{url}/api-token", headers=headers, timeout=10).json()[
                "result"] if t["name"] == "doomed")
            assert requests.delete(f"{url}/api-token/{doomed_id}", headers=headers, timeout=10).status_code == 200
            receiver.wait_for(lambda: len(receiver.events()) == 1)  # in flight: the receiver holds it
            first.send_signal(signal.SIGKILL)
            first.wait()
            second, url = start_gateway(env, tmp_path / "second.log")
            receiver.wait_for(lambda: len(receiver.events()) == 2, timeout=30)
            again, original = receiver.events()[1], receiver.events()[0]
            assert again.body == original.body and again.signed_by(hook["secret"])
            assert again.json["payload"]["id"] == doomed_id
            deadline = time.monotonic() + 10
            while (rows := deliveries(settings, hook["id"]))[0]["state"] != "delivered":
                assert time.monotonic() < deadline, rows
                time.sleep(0.1)
            assert rows[0]["attempts"] == 2
        finally:
            if first.poll() is None:
                stop_process(first)
            if second is not None:
                stop_process(second)
            receiver.stop()
