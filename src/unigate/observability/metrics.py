"""Prometheus metrics, served at `/metrics`.

Every counter and histogram is declared here, and code elsewhere records through the small functions
below, so the label sets stay consistent and a metric's meaning is written down once.

Each process keeps its own values (docs/deploy.md): with `unigate serve --workers N`, set
`PROMETHEUS_MULTIPROC_DIR` to a shared empty directory and `/metrics` aggregates all workers.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# Provider calls are mostly 10 ms to a few seconds; gateway time is sub-millisecond.
_PROVIDER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_GATEWAY_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1)

REQUESTS = Counter(
    "unigate_requests_total", "Unified API requests answered, by integration, resource, method and status.",
    ("integration", "resource", "method", "status"))
GATEWAY_SECONDS = Histogram(
    "unigate_gateway_seconds", "Time the gateway itself spent on a unified request (provider time excluded).",
    ("integration", "method"), buckets=_GATEWAY_BUCKETS)
PROVIDER_SECONDS = Histogram(
    "unigate_provider_request_seconds", "Provider HTTP calls, from sending to the full answer, by status.",
    ("integration", "status"), buckets=_PROVIDER_BUCKETS)
RETRIES = Counter(
    "unigate_provider_retries_total", "Provider calls sent again, by integration and the reason.",
    ("integration", "reason"))
REFRESHES = Counter(
    "unigate_token_refreshes_total", "OAuth access-token refreshes, by integration and outcome.",
    ("integration", "outcome"))
RATE_LIMIT_WAITS = Counter(
    "unigate_rate_limit_wait_seconds_total", "Seconds spent waiting for a provider's rate limit to reset.",
    ("integration",))
GATEWAY_LIMITED = Counter(
    "unigate_gateway_rate_limited_total", "Requests refused by the gateway's own rate limits, by scope.",
    ("scope",))


# The per-request series, by label values: `labels()` validates and locks on every call, which showed
# in profiles of the hot path; the children it returns are stable, so they are looked up once.
_request_series: dict[tuple[str, str, str, int], Any] = {}
_gateway_series: dict[tuple[str, str], Any] = {}
_provider_series: dict[tuple[str, int | str], Any] = {}


def record_request(integration: str, resource: str, method: str, status: int) -> None:
    key = (integration, resource, method, status)
    series = _request_series.get(key)
    if series is None:
        series = _request_series[key] = REQUESTS.labels(integration, resource, method, str(status))
    series.inc()


def observe_gateway(integration: str, method: str, seconds: float) -> None:
    key = (integration, method)
    series = _gateway_series.get(key)
    if series is None:
        series = _gateway_series[key] = GATEWAY_SECONDS.labels(integration, method)
    series.observe(seconds)


def observe_provider(integration: str, status: int | str, seconds: float) -> None:
    """`status` is the HTTP status, or a failure's name (`timeout`, `connection`) when none came."""
    key = (integration, status)
    series = _provider_series.get(key)
    if series is None:
        series = _provider_series[key] = PROVIDER_SECONDS.labels(integration, str(status))
    series.observe(seconds)


def record_retry(integration: str, reason: str) -> None:
    RETRIES.labels(integration, reason).inc()


def record_refresh(integration: str, outcome: str) -> None:
    """`outcome`: `ok`, `refused` (the account needs reconnecting) or `failed` (try again later)."""
    REFRESHES.labels(integration, outcome).inc()


def record_rate_limit_wait(integration: str, seconds: float) -> None:
    RATE_LIMIT_WAITS.labels(integration).inc(seconds)


def record_gateway_limited(scope: str) -> None:
    """`scope`: `token` or `account`."""
    GATEWAY_LIMITED.labels(scope).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type; all workers' values when multiprocess mode is on."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
