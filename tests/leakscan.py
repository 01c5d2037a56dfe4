"""Whole-suite secret-leak scan: no secret the suite used may appear in anything it logged.

A pytest plugin (conftest.py: `pytest_plugins = ["leakscan", ...]`). For the whole session it

- sets the root logger to DEBUG and writes every log record of this process (the in-process
  gateways and sandboxes included) to a session log file, exception tracebacks included;
- scans output files of subprocesses that tests start with `start_process` (or hand to `scan_file`);
- keeps a registry of secrets: every API token the store creates or imports, the secret fields
  of each integration's `sandbox.context`, the sandbox OAuth servers' client secrets and every
  access and refresh token they issue, configured OAuth apps' client secrets, the encryption key
  (from `UNIGATE_SECRET_KEY` or the key file), and whatever a test hands to `register_secret`
  (real-looking credentials it made up);
- at session end fails the run (exit code 1) if any secret appears in any of it, naming the
  secret's source and where it appeared, never the secret itself.

Under pytest-xdist (`make test` runs `-n 2`) every worker captures and scans its own process; the
controller collects their findings and fails the run as above.

Logs of the test's own HTTP clients are left out (CLIENT_LOGGERS): they are the caller's side,
which sends credentials by design, not unigate's.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Shorter values are too likely to occur by chance ("t", "key") to be worth reporting.
MIN_SECRET_LENGTH = 8
CLIENT_LOGGERS = ("urllib3", "requests", "hubspot", "basecrm", "monday", "zohocrm", "truto", "charset_normalizer",
                  "hypothesis", "schemathesis")

_secrets: dict[str, str] = {}  # value -> its source, e.g. "API token 'ci'"
_files: list[tuple[Path, str]] = []  # subprocess output to scan: (file, what it is)
_lock = threading.Lock()
_state: dict[str, Any] = {"test": "(session set-up)", "log": None, "handler": None, "report": None,
                          "worker_leaks": [], "worker_secrets": 0}


def register_secret(value: Any, source: str = "registered by a test") -> None:
    """Add a value that must never appear in a log. Bytes keys are registered in their text forms."""
    if isinstance(value, bytes):
        for form in (base64.urlsafe_b64encode(value).decode(), base64.b64encode(value).decode(), value.hex()):
            register_secret(form.rstrip("="), source)
        return
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets.setdefault(value, source)


def scan_file(path: Path | str, what: str) -> None:
    """Scan this file (e.g. a subprocess's captured stdout and stderr) at the end of the session."""
    with _lock:
        _files.append((Path(path), what))


def start_process(args: list[str], *, name: str, **popen_kwargs: Any) -> subprocess.Popen:
    """Popen with stdout and stderr going to a file that the scan reads at session end."""
    directory = Path(_state["log"]).parent if _state["log"] else Path(tempfile.mkdtemp(prefix="leakscan-"))
    output = directory / f"{name}-{os.getpid()}-{len(_files)}.log"
    handle = open(output, "ab")  # noqa: SIM115 - the child writes to it after this returns
    scan_file(output, f"output of {name} ({' '.join(map(str, args[:3]))}) started by {_state['test']}")
    try:
        return subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, **popen_kwargs)
    finally:
        handle.close()


def registered() -> dict[str, str]:
    with _lock:
        return dict(_secrets)


def find_leaks(text_lines: Iterable[tuple[str, str]]) -> list[str]:
    """For (where, text) pairs: "source leaked in where" for each registered secret found."""
    secrets = registered()
    if not secrets:
        return []
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
    found = []
    for where, text in text_lines:
        for match in pattern.finditer(text):
            found.append(f"{secrets[match.group(0)]} appeared in {where}")
    return found


class _SessionLog(logging.Handler):
    """Every record, formatted as a log file would show it, one line each (newlines escaped)."""

    def __init__(self, path: Path) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self._file = open(path, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return
        try:
            text = self.format(record).replace("\\", "\\\\").replace("\n", "\\n")
            self._file.write(f"{_state['test']}\t{text}\n")
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is logging's own error
            self.handleError(record)

    def close(self) -> None:
        # logging.config.dictConfig (uvicorn calls it) closes every handler; this one lives on
        # until the scan, which ends it with finish().
        self._file.flush()

    def finish(self) -> None:
        self._file.close()
        super().close()


# -- automatic sources -------------------------------------------------------------------------------

def _register_sandbox_contexts() -> None:
    from unigate.engine.spec import load_integrations

    for name, integration in load_integrations().items():
        for field in integration.secret_fields():
            value: Any = integration.sandbox_context
            for part in field.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            register_secret(value, f"sandbox credential {name}.{field}")


def _wrap_secret_sources() -> None:
    """Tokens and keys are registered where they are made, whoever calls."""
    from unigate.store import crypto, repository, webhooks

    create_token = repository.Store.create_token
    create_webhook = webhooks.Webhooks.create
    import_token = repository.Store.import_token
    resolve_key = repository.resolve_key

    async def created(self, name, environment_id):
        token, plaintext = await create_token(self, name, environment_id)
        register_secret(plaintext, f"API token {name!r}")
        return token, plaintext

    async def imported(self, name, environment_id, plaintext):
        register_secret(plaintext, f"API token {name!r}")
        return await import_token(self, name, environment_id, plaintext)

    async def webhook_created(self, *args, **kwargs):
        webhook, secret = await create_webhook(self, *args, **kwargs)
        register_secret(secret, "a webhook's signing secret")
        return webhook, secret

    def key(secret_key, data_dir):
        register_secret(secret_key, "UNIGATE_SECRET_KEY")
        value = resolve_key(secret_key, data_dir)
        register_secret(value, "the store encryption key")
        return value

    _wrap_sandbox_oauth()
    _wrap_oauth_apps()
    repository.Store.create_token = created  # type: ignore[method-assign]
    repository.Store.import_token = imported  # type: ignore[method-assign]
    webhooks.Webhooks.create = webhook_created  # type: ignore[method-assign]
    repository.resolve_key = key  # type: ignore[assignment]
    crypto.resolve_key = key  # type: ignore[assignment]


def _wrap_sandbox_oauth() -> None:
    """The emulators' OAuth servers: their client secrets, and every access and refresh token they issue."""
    from unigate.engine.spec import load_integrations
    from unigate.sandbox import _oauth

    for name in load_integrations():
        register_secret(_oauth.client_secret_for(name), f"sandbox OAuth client secret of {name}")
    issue = _oauth.OAuthServer._issue

    def issued(self, *args, **kwargs):
        body = issue(self, *args, **kwargs)
        register_secret(body.get("access_token"), f"OAuth access token issued by the {self.profile.name} sandbox")
        # A token for a data space other than the default ends in `~<key>`; the token alone is as secret.
        token, separator, _ = (body.get("access_token") or "").rpartition("~")
        if separator:
            register_secret(token, f"OAuth access token issued by the {self.profile.name} sandbox")
        register_secret(body.get("refresh_token"), f"OAuth refresh token issued by the {self.profile.name} sandbox")
        return body

    _oauth.OAuthServer._issue = issued  # type: ignore[method-assign]


def _wrap_oauth_apps() -> None:
    """Client secrets of configured OAuth apps (`UNIGATE_OAUTH_<NAME>_CLIENT_SECRET`), wherever they are read."""
    from unigate.settings import Settings

    for name, value in os.environ.items():
        if name.startswith("UNIGATE_OAUTH_") and name.endswith("_CLIENT_SECRET"):
            register_secret(value, name)
    oauth_client = Settings.oauth_client  # a staticmethod, read through the class: a plain function

    def configured(integration):
        client = oauth_client(integration)
        if client is not None:
            register_secret(client[1], f"OAuth client secret of the {integration} app")
        return client

    Settings.oauth_client = staticmethod(configured)  # type: ignore[method-assign]


# -- pytest hooks ----------------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist each worker runs tests, so each captures and scans its own logs; the controller
    # gathers the workers' findings (pytest_testnodedown) and fails the run on any of them.
    if _state["handler"] is not None:
        return
    directory = Path(tempfile.mkdtemp(prefix="leakscan-"))
    _state["log"] = directory / "session.log"
    handler = _SessionLog(_state["log"])
    _state["handler"] = handler
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    register_secret(os.environ.get("UNIGATE_SECRET_KEY"), "UNIGATE_SECRET_KEY")
    _register_sandbox_contexts()
    _wrap_secret_sources()


def pytest_runtest_logstart(nodeid: str, location) -> None:
    _state["test"] = nodeid


def pytest_runtest_logfinish(nodeid: str, location) -> None:
    _state["test"] = "(between tests)"


def _captured() -> Iterator[tuple[str, str]]:
    """(where, text) for every line the session captured."""
    with open(_state["log"], encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, 1):
            test, _, text = line.partition("\t")
            yield f"a log record during {test} (session log line {number})", text
    for path, what in list(_files):
        if path.exists():
            with open(path, encoding="utf-8", errors="replace") as output:
                for number, line in enumerate(output, 1):
                    yield f"the {what}, line {number}", line


def _scan() -> list[str]:
    _state["handler"].close()
    return find_leaks(_captured())


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _state["handler"] is None:
        return
    leaks = _scan()
    logging.getLogger().removeHandler(_state["handler"])
    _state["handler"].finish()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports and fails the run
        workeroutput["leakscan"] = {"leaks": leaks, "secrets": len(registered()), "log": str(_state["log"])}
    else:
        leaks = leaks + _state["worker_leaks"]
    _state["report"] = leaks
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        shutil.rmtree(Path(_state["log"]).parent, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist controller: a worker finished; keep what its scan found (a worker that crashed sends none)."""
    found = getattr(node, "workeroutput", {}).get("leakscan")
    if found is None:
        _state["worker_leaks"].append(f"worker {getattr(node, 'gateway', node)!s}: no leak-scan report "
                                      "(it ended before its scan ran)")
        return
    _state["worker_leaks"].extend(f"{leak} (worker log {found['log']})" for leak in found["leaks"])
    _state["worker_secrets"] = max(_state["worker_secrets"], found["secrets"])


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    leaks = _state["report"]
    if leaks is None:
        return
    if leaks:
        terminalreporter.section("secret leak scan", sep="=", red=True, bold=True)
        shown = sorted(set(leaks))
        for leak in shown[:50]:
            terminalreporter.write_line(f"LEAK: {leak}")
        if len(shown) > 50:
            terminalreporter.write_line(f"... and {len(shown) - 50} more")
        terminalreporter.write_line(f"The run fails: {len(leaks)} secret occurrence(s) in captured logs "
                                    f"(session log {_state['log']}).")
    else:
        secrets = max(len(registered()), _state["worker_secrets"])
        terminalreporter.write_line(f"secret leak scan: {secrets} secrets, none in the captured logs.")
