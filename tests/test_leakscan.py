"""The whole-suite secret-leak scan (tests/leakscan.py) fails a run whose logs hold a secret."""

from __future__ import annotations

from pathlib import Path

import leakscan
import pytest

import unigate

SRC = str(Path(unigate.__file__).resolve().parents[1])
TESTS = Path(__file__).resolve().parent

INNER_CONFTEST = 'pytest_plugins = ["leakscan"]\n'
LEAKY = '''
import logging
import leakscan

def test_logs_a_secret():
    leakscan.register_secret("inner-oauth-client-secret-0123", "OAuth client secret of the inner test")
    logging.getLogger("unigate.inner").debug("refreshing with %s", "inner-oauth-client-secret-0123")
'''
CLEAN = '''
import logging
import leakscan

def test_logs_no_secret():
    leakscan.register_secret("inner-oauth-client-secret-0123", "OAuth client secret of the inner test")
    logging.getLogger("unigate.inner").debug("refreshing with %s", "********")
'''
SANDBOX_CREDENTIAL = '''
import logging

def test_logs_a_sandbox_credential():
    logging.getLogger("unigate.inner").warning("calling hubspot with sandbox-hubspot-token")
'''
SUBPROCESS = '''
import sys
import leakscan

def test_a_subprocess_prints_a_secret():
    leakscan.register_secret("inner-refresh-token-abcdef", "refresh token of the inner test")
    process = leakscan.start_process([sys.executable, "-c", "print('token inner-refresh-token-abcdef')"],
                                     name="printer")
    assert process.wait(timeout=30) == 0
'''


@pytest.fixture
def inner(pytester, monkeypatch):
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(leakscan=(TESTS / "leakscan.py").read_text())
    monkeypatch.setenv("PYTHONPATH", SRC)
    return pytester


def run(pytester, source: str):
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")


def test_a_registered_secret_in_a_debug_record_fails_the_run(inner):
    result = run(inner, LEAKY)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "1 passed" in output  # the test itself passed: the scan failed the run
    assert "LEAK: OAuth client secret of the inner test appeared in a log record during " \
           "test_inner.py::test_logs_a_secret" in output
    assert "inner-oauth-client-secret-0123" not in output  # named, never printed


def test_a_leak_in_a_parallel_worker_fails_the_run(inner):
    """Under pytest-xdist (as `make test` runs) the scan runs in each worker; the controller fails the run."""
    inner.makepyfile(test_inner=LEAKY, test_inner_clean=CLEAN.replace("test_logs_no_secret", "test_clean"))
    result = inner.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-n", "2")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "2 passed" in output
    assert "LEAK: OAuth client secret of the inner test appeared in a log record during " \
           "test_inner.py::test_logs_a_secret" in output
    assert "inner-oauth-client-secret-0123" not in output


def test_a_run_without_leaks_passes(inner):
    result = run(inner, CLEAN)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "none in the captured logs" in result.stdout.str()


def test_sandbox_credentials_are_registered_without_a_test_doing_it(inner):
    result = run(inner, SANDBOX_CREDENTIAL)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "LEAK: sandbox credential hubspot.access_token appeared in" in result.stdout.str()


def test_subprocess_output_is_scanned(inner):
    result = run(inner, SUBPROCESS)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert "LEAK: refresh token of the inner test appeared in the output of printer" in result.stdout.str()


def test_tokens_and_the_store_key_are_registered_where_they_are_made(tmp_path):
    import asyncio

    from unigate.cli import create_token
    from unigate.settings import Settings

    token = asyncio.run(create_token(Settings(data_dir=tmp_path, database_url=None, secret_key=None), "scan", "env"))
    secrets = leakscan.registered()
    assert secrets[token] == "API token 'scan'"
    key_text = (tmp_path / "secret.key").read_text().strip().rstrip("=")
    assert secrets[key_text] == "the store encryption key"
    assert leakscan.find_leaks([("a line", f"Bearer {token}")]) == \
        ["API token 'scan' appeared in a line"]


def test_sandbox_oauth_client_secrets_and_issued_tokens_are_registered():
    from unigate.sandbox import _oauth, hubspot

    server = _oauth.OAuthServer(profile=hubspot.OAUTH_PROFILE)
    body = server._issue(hubspot.OAUTH_PROFILE.client_id, None, refresh=True, ttl=60)
    secrets = leakscan.registered()
    assert secrets[body["access_token"]] == "OAuth access token issued by the hubspot sandbox"
    assert secrets[body["refresh_token"]] == "OAuth refresh token issued by the hubspot sandbox"
    assert secrets[_oauth.client_secret_for("hubspot")] == "sandbox OAuth client secret of hubspot"


def test_configured_oauth_app_secrets_are_registered(monkeypatch):
    from unigate.settings import Settings

    monkeypatch.setenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_ID", "app-client-id")
    monkeypatch.setenv("UNIGATE_OAUTH_HUBSPOT_CLIENT_SECRET", "app-client-secret-for-the-scan")
    assert Settings().oauth_client("hubspot") == ("app-client-id", "app-client-secret-for-the-scan")
    assert leakscan.registered()["app-client-secret-for-the-scan"] == "OAuth client secret of the hubspot app"
