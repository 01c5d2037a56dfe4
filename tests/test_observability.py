"""What operators and callers can see: request ids, Server-Timing, /metrics, JSON logs, /health."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from support import postgres_admin, start_gateway, stop_process

from unigate.cli import create_token
from unigate.observability.logs import JsonFormatter, request_id_var, write_info_line
from unigate.settings import Settings

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")


def metric_value(gateway, name: str, **labels: str) -> float:
    text = requests.get(f"{gateway.url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


# -- request ids ---------------------------------------------------------------------------------

def test_a_callers_request_id_is_returned_on_success_and_on_error(gateway):
    ok = gateway.unified("GET", "hubspot", params={"limit": 1}, headers={**gateway.headers, "X-Request-Id": "trace-42"})
    assert ok.status_code == 200
    assert ok.headers["x-request-id"] == "trace-42"
    refused = requests.get(f"{gateway.url}/integrated-account", headers={"X-Request-Id": "trace-43"}, timeout=5)
    assert refused.status_code == 401
    assert refused.headers["x-request-id"] == "trace-43"


@pytest.mark.parametrize("given", [None, "", "x" * 129, "has space", "new\\nline", "ümlaut"])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(gateway, given):
    headers = dict(gateway.headers)
    if given is not None:
        headers["X-Request-Id"] = given.encode("utf-8").decode("latin-1")
    response = gateway.unified("GET", "pipedrive", params={"limit": 1}, headers=headers)
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_every_request_gets_its_own_id(gateway):
    ids = {requests.get(f"{gateway.url}/health", timeout=5).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


# -- Server-Timing ---------------------------------------------------------------------------------

def timing_parts(response: requests.Response) -> dict[str, str]:
    return dict(part.strip().split(";", 1) for part in response.headers["server-timing"].split(","))


def test_server_timing_is_on_provider_errors_too(gateway):
    """A provider's 404 still tells the caller how long the provider took (https://truto.one/docs/api-reference/overview/rate-limits)."""
    missing = gateway.unified("GET", "hubspot", "999999999")
    assert missing.status_code == 404
    parts = timing_parts(missing)
    assert float(parts["provider"].removeprefix("dur=")) > 0
    assert float(parts["gateway"].removeprefix("dur=")) >= 0
    assert parts["retries"] == "desc=0"


def test_server_timing_is_on_gateway_errors_with_no_provider_time(gateway):
    response = gateway.unified("GET", "hubspot", params={"truto_response_format": "bogus"})
    assert response.status_code == 400
    parts = timing_parts(response)
    assert parts["provider"] == "dur=0.00"


# -- /metrics -----------------------------------------------------------------------------------------

def test_metrics_count_requests_by_integration_resource_method_and_status(gateway):
    labels = {"integration": "capsule", "resource": "crm/accounts", "method": "list", "status": "200"}
    before = metric_value(gateway, "unigate_requests_total", **labels)
    for _ in range(3):
        assert gateway.unified("GET", "capsule", params={"limit": 2}).status_code == 200
    assert metric_value(gateway, "unigate_requests_total", **labels) == before + 3

    missing = {"integration": "capsule", "resource": "crm/accounts", "method": "get", "status": "404"}
    before_missing = metric_value(gateway, "unigate_requests_total", **missing)
    assert gateway.unified("GET", "capsule", "987654321").status_code == 404
    assert metric_value(gateway, "unigate_requests_total", **missing) == before_missing + 1


def test_metrics_time_the_gateways_own_share(gateway):
    labels = {"integration": "copper", "method": "list"}
    before = metric_value(gateway, "unigate_gateway_seconds_count", **labels)
    assert gateway.unified("GET", "copper", params={"limit": 1}).status_code == 200
    assert metric_value(gateway, "unigate_gateway_seconds_count", **labels) == before + 1


def test_metrics_is_prometheus_text(gateway):
    response = requests.get(f"{gateway.url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"unigate_requests", "unigate_provider_request_seconds", "unigate_provider_retries",
            "unigate_token_refreshes", "unigate_rate_limit_wait_seconds"} <= names


# -- structured logs ---------------------------------------------------------------------------------

def test_serve_logs_one_json_line_per_request_with_its_request_id(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, database_url=None, secret_key=None)
    token = asyncio.run(create_token(settings, "logs", "logs-env"))
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_LOG_LEVEL": "info"}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SECRET_KEY", "UNIGATE_LOG_FORMAT"):
        env.pop(name, None)
    log_path = tmp_path / "serve.log"
    process, url = start_gateway(env, log_path)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        account = requests.post(f"{url}/integrated-account", headers=headers, timeout=10,
                                json={"integration": "hubspot", "is_sandbox": True}).json()["id"]
        listed = requests.get(f"{url}/unified/crm/accounts", timeout=10,
                              headers={**headers, "X-Request-Id": "from-the-caller-7"},
                              params={"integrated_account_id": account, "limit": 3})
        assert listed.status_code == 200
    finally:
        stop_process(process)
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON, uvicorn's own included
    access = [e for e in entries if e.get("request_id") == "from-the-caller-7"]
    assert len(access) == 1, lines
    entry = access[0]
    assert entry["logger"] == "unigate.access" and entry["level"] == "info"
    assert entry["status"] == 200 and entry["method"] == "GET" and entry["path"] == "/unified/crm/accounts"
    assert entry["integration"] == "hubspot" and entry["operation"] == "list"
    assert entry["provider_ms"] > 0 and entry["duration_ms"] >= entry["provider_ms"]
    assert token not in log_path.read_text()


def _json_logger(name: str, stream) -> logging.Logger:
    logger = logging.getLogger(name)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_an_access_line_written_directly_is_the_line_logging_would_write():
    stream = io.StringIO()
    logger = _json_logger("unigate.test-direct", stream)
    fields = {"method": "GET", "path": "/unified/crm/accounts/7", "status": 200, "duration_ms": 1.25,
              "integration": "hubspot", "retries": 0}
    token = request_id_var.set("req-1")
    try:
        logger.info("GET /unified/crm/accounts/7 200", extra=fields)
        write_info_line(logger, "GET /unified/crm/accounts/7 200", fields)
    finally:
        request_id_var.reset(token)
    through_logging, direct = (json.loads(line) for line in stream.getvalue().splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", direct.pop("time"))
    through_logging.pop("time")
    assert list(direct) == list(through_logging)  # same members, in the same order
    assert direct == through_logging
    assert direct["request_id"] == "req-1" and direct["logger"] == "unigate.test-direct"


def test_an_access_line_goes_through_logging_when_other_handlers_listen(caplog):
    stream = io.StringIO()
    logger = _json_logger("unigate.test-captured", stream)
    logger.propagate = True  # the test's capturing handler on the root logger hears it too
    with caplog.at_level(logging.INFO, logger="unigate.test-captured"):
        write_info_line(logger, "GET /x 200", {"status": 200})
    assert [r.getMessage() for r in caplog.records if r.name == "unigate.test-captured"] == ["GET /x 200"]
    assert json.loads(stream.getvalue())["status"] == 200


# -- /health ----------------------------------------------------------------------------------------

@pytest.mark.skipif(not POSTGRES_URL, reason="set UNIGATE_TEST_POSTGRES_URL to take a database away from a gateway")
def test_health_reports_an_unreachable_database_with_503(sandbox, tmp_path):
    name = f"unigate_health_{uuid.uuid4().hex[:12]}"
    asyncio.run(postgres_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "UNIGATE_DATA_DIR": str(tmp_path / "data"), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_DATABASE_URL": url, "UNIGATE_SECRET_KEY": "health-test-key"}
    process, gateway_url = start_gateway(env, tmp_path / "serve.log")
    try:
        healthy = requests.get(f"{gateway_url}/health", timeout=5)
        assert healthy.json() == {"status": "ok", "database": "ok", "change_feed": "listening"}
        asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))
        sick = requests.get(f"{gateway_url}/health", timeout=10)
        assert sick.status_code == 503
        assert sick.json()["status"] == "unavailable" and sick.json()["database"] == "unreachable"
        assert process.poll() is None  # still running, still answering
    finally:
        stop_process(process)
        asyncio.run(postgres_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_serve_with_two_workers_shares_one_database_and_adds_up_their_metrics(sandbox, tmp_path):
    """`unigate serve --workers 2`: both workers serve the same accounts, and /metrics (asked of
    whichever worker) counts every worker's requests (PROMETHEUS_MULTIPROC_DIR, set by `serve`)."""
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, database_url=None, secret_key="two-workers-key")
    token = asyncio.run(create_token(settings, "workers", "workers-env"))
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_SECRET_KEY": "two-workers-key", "UNIGATE_LOG_LEVEL": "info"}
    for name in ("UNIGATE_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    process, url = start_gateway(env, tmp_path / "serve.log", "--workers", "2")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        account = requests.post(f"{url}/integrated-account", headers=headers, timeout=10,
                                json={"integration": "zendesk_sell", "is_sandbox": True}).json()["id"]
        # Slow answers and concurrent callers, in rounds until both workers have answered (the kernel
        # decides which worker accepts a connection).
        sandbox.control("zendesk_sell").fault(delay=0.1, times=-1)

        def call(_):
            return requests.get(f"{url}/unified/crm/accounts", headers={**headers, "Connection": "close"},
                                params={"integrated_account_id": account, "limit": 1}, timeout=10)

        calls = 0
        while len(access_pids(tmp_path / "serve.log")) < 2 and calls < 400:
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = [response.status_code for response in pool.map(call, range(16))]
            assert statuses == [200] * 16
            calls += 16
        assert len(access_pids(tmp_path / "serve.log")) == 2, "one worker answered every call"
        text = requests.get(f"{url}/metrics", timeout=5).text
        counted = sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                      if sample.name == "unigate_requests_total" and sample.labels.get("integration") == "zendesk_sell")
        assert counted == calls
    finally:
        sandbox.control("zendesk_sell").clear_faults()
        stop_process(process)


def access_pids(log_path) -> set[int]:
    """The workers that logged an answer to a unified call."""
    return {json.loads(line)["pid"] for line in log_path.read_text().splitlines()
            if '"unigate.access"' in line and "/unified/" in line}


def test_unknown_routes_mint_no_metric_series(gateway):
    """Labels come only from known resources and integrations: random paths must not grow /metrics."""
    for index in range(3):
        response = requests.get(f"{gateway.url}/unified/crm/made-up-{index}", headers=gateway.headers, timeout=5,
                                params={"integrated_account_id": gateway.accounts["hubspot"]})
        assert response.status_code == 404
    assert "made-up" not in requests.get(f"{gateway.url}/metrics", timeout=5).text


def test_access_lines_can_be_switched_off_alone(sandbox, tmp_path):
    """UNIGATE_ACCESS_LOG=off: no line per request, other info lines still written (docs/deploy.md)."""
    data_dir = tmp_path / "data"
    token = asyncio.run(create_token(Settings(data_dir=data_dir, database_url=None, secret_key=None), "quiet", "q"))
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir), "UNIGATE_SANDBOX_URL": sandbox.url,
           "UNIGATE_LOG_LEVEL": "info", "UNIGATE_ACCESS_LOG": "off"}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SECRET_KEY", "UNIGATE_LOG_FORMAT"):
        env.pop(name, None)
    log_path = tmp_path / "serve.log"
    process, url = start_gateway(env, log_path)
    try:
        assert requests.get(f"{url}/integrated-account", headers={"Authorization": f"Bearer {token}"},
                            timeout=10).status_code == 200
    finally:
        stop_process(process)
    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    assert entries, "the start-up lines are still there"
    assert not [e for e in entries if e["logger"] == "unigate.access"]
