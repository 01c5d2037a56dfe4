"""The retry policy's decisions and the reading of providers' wait headers (engine/retry.py,
engine/ratelimit.py). The end-to-end behaviour over HTTP is in test_fault_matrix.py."""

from __future__ import annotations

import textwrap
import time
from email.utils import formatdate

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from support import SPECS

from unigate.engine.ratelimit import retry_wait
from unigate.engine.retry import RetryPolicy
from unigate.engine.spec import RateLimitRules, SpecError, load_integration
from unigate.settings import Settings

POLICY = RetryPolicy(retries=3, base_delay=0.1, max_delay=0.3, budget=10.0)


def headers(**values: str) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict({k.replace("_", "-"): v for k, v in values.items()}))


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_safe_methods_retry_transient_statuses(method, status):
    assert POLICY.may_retry(method, 0, status=status)
    assert not POLICY.may_retry(method, 3, status=status)  # the count is spent


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500, 501])
def test_other_statuses_are_never_retried(status):
    """Truto's errors (https://truto.one/docs/api-reference/overview/errors): do not retry 400, 401, 403, 404, 409 or 422."""
    assert not POLICY.may_retry("GET", 0, status=status)


@pytest.mark.parametrize("failure", ["timeout", "connect", "disconnected", "broken"])
def test_safe_methods_retry_every_connection_failure(failure):
    assert POLICY.may_retry("GET", 0, failure=failure)
    assert POLICY.may_retry("DELETE", 2, failure=failure)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_writes_are_never_sent_twice(method):
    for status in (429, 502, 503, 504):
        assert not POLICY.may_retry(method, 0, status=status)
    for failure in ("timeout", "connect", "disconnected", "broken"):
        assert not POLICY.may_retry(method, 0, failure=failure)


def test_a_post_the_integration_declares_a_read_is_retried_like_a_get():
    policy = RetryPolicy(retries=3)
    assert policy.may_retry("POST", 0, status=429, safe=True)
    assert policy.may_retry("POST", 0, failure="disconnected", safe=True)
    assert not policy.may_retry("POST", 0, status=500, safe=True)  # only the transient statuses
    # Declared in the files where it is true: monday's GraphQL reads and Copper's search, not writes.
    assert SPECS["monday"].resource_method("items", "list").safe_to_repeat
    assert SPECS["copper"].resource_method("companies", "list").safe_to_repeat
    assert not SPECS["monday"].resource_method("items", "create").safe_to_repeat


def test_safe_to_repeat_must_be_a_boolean(tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "integration.yaml").write_text(textwrap.dedent("""
        name: toy
        base_url: https://api.toy.example
        resources:
          things:
            list: {method: POST, path: /search, safe_to_repeat: "yes"}
    """))
    with pytest.raises(SpecError, match="safe_to_repeat"):
        load_integration(folder)


def test_put_is_resent_once_only_when_the_connection_closed_unanswered():
    assert POLICY.may_retry("PUT", 0, failure="disconnected")
    assert not POLICY.may_retry("PUT", 1, failure="disconnected")
    assert not POLICY.may_retry("PUT", 0, failure="broken")   # an answer had started: it may have been applied
    assert not POLICY.may_retry("PUT", 0, failure="timeout")
    assert not POLICY.may_retry("PUT", 0, status=503)


def test_backoff_is_full_jitter_under_the_capped_exponential():
    for retries_done, ceiling in ((0, 0.1), (1, 0.2), (2, 0.3), (5, 0.3)):
        waits = [POLICY.backoff(retries_done) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1  # jittered, not a fixed step


def test_policy_from_settings():
    settings = Settings(retries=5, retry_base_delay=0.2, retry_max_delay=1.5, retry_budget=4.0)
    assert RetryPolicy.from_settings(settings) == RetryPolicy(retries=5, base_delay=0.2, max_delay=1.5, budget=4.0)


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("UNIGATE_RETRY_BUDGET", "3.5")
    monkeypatch.setenv("UNIGATE_RETRIES", "1")
    monkeypatch.setenv("UNIGATE_RETRY_BASE_DELAY", "0.05")
    settings = Settings()
    assert (settings.retry_budget, settings.retries, settings.retry_base_delay) == (3.5, 1, 0.05)
    monkeypatch.delenv("UNIGATE_RETRY_BUDGET")
    assert Settings().retry_budget == 10.0


# -- provider waits ----------------------------------------------------------------------------------

RULES = RateLimitRules(retry_after=(("retry-after", "http"), ("x-ratelimit-reset", "epoch_seconds")))


def test_retry_after_seconds_and_http_date():
    assert retry_wait(RULES, 429, headers(retry_after="7")) == 7.0
    in_a_minute = formatdate(time.time() + 60, usegmt=True)
    assert 55 <= retry_wait(RULES, 429, headers(retry_after=in_a_minute)) <= 60
    past = formatdate(time.time() - 60, usegmt=True)
    assert retry_wait(RULES, 429, headers(retry_after=past)) == 0.0


def test_a_reset_header_in_its_declared_format_and_the_longest_wait_wins():
    reset = str(int(time.time()) + 30)
    assert 28 <= retry_wait(RULES, 429, headers(x_ratelimit_reset=reset)) <= 30
    assert 28 <= retry_wait(RULES, 429, headers(retry_after="2", x_ratelimit_reset=reset)) <= 30
    millis = RateLimitRules(retry_after=(("x-ratelimit-reset", "epoch_milliseconds"),))
    assert 8 <= retry_wait(millis, 429, headers(x_ratelimit_reset=str(int((time.time() + 10) * 1000)))) <= 10


def test_a_503_reads_only_retry_after_and_other_statuses_none():
    reset = str(int(time.time()) + 30)
    assert retry_wait(RULES, 503, headers(x_ratelimit_reset=reset)) is None
    assert retry_wait(RULES, 503, headers(retry_after="3", x_ratelimit_reset=reset)) == 3.0
    assert retry_wait(RULES, 502, headers(retry_after="3")) is None


def test_unreadable_waits_are_ignored():
    assert retry_wait(RULES, 429, headers(retry_after="soon")) is None
    assert retry_wait(RULES, 429, headers()) is None


def test_every_integration_declares_its_wait_headers():
    """Each CRM's integration.yaml names its wait headers (each vendor's rate-limit documentation)."""
    from support import SPECS

    for name, spec in SPECS.items():
        assert ("retry-after", "http") in spec.rate_limit.retry_after, name
    # https://developer.capsulecrm.com/v2/overview/handling-api-responses
    assert ("x-ratelimit-reset", "epoch_seconds") in SPECS["capsule"].rate_limit.retry_after
    assert ("x-ratelimit-reset", "epoch_milliseconds") in SPECS["zoho_crm"].rate_limit.retry_after


def test_a_bad_retry_after_format_fails_at_load(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "integration.yaml").write_text(textwrap.dedent("""
        name: bad
        base_url: https://bad.example
        rate_limit:
          retry_after:
            - {header: x-reset, format: fortnights}
        resources: {}
    """))
    with pytest.raises(SpecError, match=r"retry_after\[0\]\.format"):
        load_integration(folder)
