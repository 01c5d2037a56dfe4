"""The commands the README gives: `unigate token create|list|revoke` and `unigate demo` (what `make run` starts)."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from support import INTEGRATIONS

UNIGATE = str(Path(sys.executable).parent / "unigate")


def environment(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir)}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SANDBOX_URL", "UNIGATE_SECRET_KEY", "UNIGATE_PORT", "UNIGATE_LOG_FORMAT",
                 "UNIGATE_LOG_LEVEL", "UNIGATE_ACCESS_LOG"):
        env.pop(name, None)
    return env


def test_token_create_prints_the_token_alone_on_the_last_line(tmp_path):
    env = environment(tmp_path)
    first = subprocess.run([UNIGATE, "token", "create", "--name", "ci", "--environment", "staging"], env=env,
                           capture_output=True, text=True, check=True)
    second = subprocess.run([UNIGATE, "token", "create", "--name", "ci2"], env=env, capture_output=True, text=True,
                            check=True)
    token_one = first.stdout.strip().splitlines()[-1]
    token_two = second.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ug_[A-Za-z0-9_-]{40,}", token_one)
    assert token_one != token_two
    database = (tmp_path / "unigate.db").read_bytes()
    assert token_one.encode() not in database  # stored only as a hash

    listed = subprocess.run([UNIGATE, "token", "list"], env=env, capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in listed.strip().splitlines()[1:]]
    assert [(r[1], r[2]) for r in rows] == [("ci", "staging"), ("ci2", "default")]
    assert token_one not in listed and token_two not in listed
    revoked = subprocess.run([UNIGATE, "token", "revoke", rows[0][0]], env=env, capture_output=True, text=True)
    assert revoked.returncode == 0, revoked.stderr
    again = subprocess.run([UNIGATE, "token", "revoke", rows[0][0]], env=env, capture_output=True, text=True)
    assert again.returncode == 1 and "unigate token list" in again.stderr
    listed = subprocess.run([UNIGATE, "token", "list"], env=env, capture_output=True, text=True, check=True).stdout
    assert [line.split("\t")[1] for line in listed.strip().splitlines()[1:]] == ["ci2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo(tmp_path):
    port = free_port()
    token = "ug_demo-token-for-the-tests-0123456789"
    process = subprocess.Popen([UNIGATE, "demo", "--port", str(port), "--api-token", token],
                               env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if lines[-2:-1] == ["API token:"]:
            break
    try:
        assert lines and lines[-1] == token, "\n".join(lines)
        later: queue.Queue[str] = queue.Queue()  # what the demo prints after its banner

        def read_on() -> None:
            for line in process.stdout:
                later.put(line.rstrip("\n"))

        threading.Thread(target=read_on, daemon=True).start()
        yield {"port": port, "token": token, "output": lines, "later": later}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_demo_serves_every_crm_and_its_curl_deletes(demo):
    output = "\n".join(demo["output"])
    accounts = dict(re.findall(r"^\s+(\w+)\s+([0-9a-f-]{36})$", output, re.MULTILINE))
    assert sorted(accounts) == INTEGRATIONS
    curl = re.search(r"curl -s -X DELETE -H '([^']+)' \\\n\s+'([^']+)'", output)
    assert curl, output
    if shutil.which("curl"):
        result = subprocess.run(["curl", "-s", "-X", "DELETE", "-H", curl.group(1), curl.group(2)],
                                capture_output=True, text=True, check=True)
        body = result.stdout
    else:
        body = requests.delete(curl.group(2), headers={"Authorization": curl.group(1).split(": ", 1)[1]}, timeout=10).text
    assert re.fullmatch(r'\{"id":"[^"]+".*\}', body), body


def test_demo_deletes_an_account_on_every_crm_with_trutos_sdk(demo):
    from truto_python_sdk import TrutoApi

    output = "\n".join(demo["output"])
    accounts = dict(re.findall(r"^\s+(\w+)\s+([0-9a-f-]{36})$", output, re.MULTILINE))

    async def run():
        api = TrutoApi(token=demo["token"], base_url=f"http://127.0.0.1:{demo['port']}")
        for name, account_id in sorted(accounts.items()):
            query = {"integrated_account_id": account_id, "limit": 1}
            first = await api.unified_api.list("crm", "accounts", dict(query)).next_page()
            deleted = await api.unified_api.delete("crm", "accounts", first[0]["id"], {"integrated_account_id": account_id})
            assert deleted["id"] == first[0]["id"], name

    asyncio.run(run())


def test_serve_with_workers_needs_a_shared_sandbox(tmp_path):
    """With sandbox accounts on, each worker would start sandboxes of its own, with their own data:
    refused with the fix named."""
    result = subprocess.run([UNIGATE, "serve", "--workers", "2", "--port", str(free_port())],
                            env={**environment(tmp_path), "UNIGATE_SANDBOXES": "on"}, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert "UNIGATE_SANDBOX_URL" in result.stderr


def test_serve_refuses_a_sandboxes_switch_it_does_not_know(tmp_path):
    result = subprocess.run([UNIGATE, "serve", "--port", str(free_port())],
                            env={**environment(tmp_path), "UNIGATE_SANDBOXES": "maybe"}, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert "UNIGATE_SANDBOXES must be on or off" in result.stderr


def test_serve_help_says_how_to_turn_sandbox_accounts_on_and_off():
    result = subprocess.run([UNIGATE, "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert "UNIGATE_SANDBOXES" in result.stdout and "403" in result.stdout


def test_demo_logs_one_short_line_per_request_and_none_in_its_banner(demo):
    """The banner is the demo's own output; after it, each request is one line a person can read."""
    assert not [line for line in demo["output"] if line.lstrip().startswith("{")], demo["output"]
    output = "\n".join(demo["output"])
    account = dict(re.findall(r"^\s+(\w+)\s+([0-9a-f-]{36})$", output, re.MULTILINE))["hubspot"]
    answer = requests.get(f"http://127.0.0.1:{demo['port']}/unified/crm/accounts",
                          params={"integrated_account_id": account, "limit": 1},
                          headers={"Authorization": f"Bearer {demo['token']}"}, timeout=10)
    assert answer.status_code == 200
    line = demo["later"].get(timeout=10)
    assert re.fullmatch(r"\d\d:\d\d:\d\d GET /unified/crm/accounts 200 \d+\.\d ms \(hubspot\)", line), line


def held_port():
    """A port with a listening socket on it, as another program would hold it."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


@pytest.mark.parametrize("command", ["demo", "serve"])
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_busy_port_is_one_line_naming_it_and_nothing_is_left_behind(tmp_path, command, how):
    holder, port = held_port()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = environment(tmp_path / "data")
    env.pop("UNIGATE_DATA_DIR")  # the demo makes its own temporary folder then
    env["TMPDIR"] = str(temporary)
    arguments = [UNIGATE, command]
    if how == "flag":
        env["UNIGATE_PORT"] = str(free_port())  # the flag wins over the environment
        arguments += ["--port", str(port)]
    else:
        env["UNIGATE_PORT"] = str(port)
    with holder:
        result = subprocess.run(arguments, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port} on 127.0.0.1 is in use" in lines[0]
    assert "--port" in lines[0] and "UNIGATE_PORT" in lines[0]
    assert list(temporary.iterdir()) == []


def test_a_port_that_is_not_a_number_is_refused_naming_both_ways_to_set_it(tmp_path):
    env = {**environment(tmp_path), "UNIGATE_PORT": "eighty"}
    result = subprocess.run([UNIGATE, "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "'eighty' is not a port number" in result.stderr and "UNIGATE_PORT" in result.stderr


def help_text(*command: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([UNIGATE, *command, "--help"], env=env, capture_output=True, text=True, timeout=30,
                            check=True)
    return " ".join(result.stdout.split())  # argparse wraps lines at the terminal's width


def test_help_shows_each_default_and_the_port_variable(tmp_path):
    for command in (["serve"], ["demo"]):
        text = help_text(*command, env=environment(tmp_path))
        assert "--host HOST address to listen on (default: 127.0.0.1)" in text
        assert "(UNIGATE_PORT when set) (default: 8000)" in text
        assert "UNIGATE_PORT" in text and "UNIGATE_DATA_DIR" in text and "UNIGATE_LOG_FORMAT" in text
    assert "(default: 1)" in help_text("serve")
    assert "(default: json)" in help_text("serve", env=environment(tmp_path))
    assert "(default: short)" in help_text("demo", env=environment(tmp_path))
    assert "(default: 9001)" in help_text("demo", env={**environment(tmp_path), "UNIGATE_PORT": "9001"})
    assert "(default: default)" in help_text("token", "create")
    assert "UNIGATE_DATABASE_URL" in help_text("token", "create")
    assert "coverage" in help_text()


def test_serve_help_names_every_variable_the_gateway_reads():
    source = Path(__file__).resolve().parent.parent / "src" / "unigate"
    names = {name for path in source.rglob("*.py") for name in re.findall(r"UNIGATE_[A-Z_]*[A-Z]_?", path.read_text())}
    assert "UNIGATE_DATABASE_URL" in names
    text = help_text("serve")
    missing = sorted(name for name in names if name not in text)
    assert not missing, f"unigate serve --help does not list {missing}"


def test_the_demo_logs_json_when_asked_and_serve_by_default(monkeypatch):
    from unigate.cli import build_parser

    monkeypatch.delenv("UNIGATE_LOG_FORMAT", raising=False)
    assert build_parser().parse_args(["demo"]).log_format == "short"
    assert build_parser().parse_args(["demo", "--log-format", "json"]).log_format == "json"
    assert build_parser().parse_args(["serve"]).log_format == "json"
    monkeypatch.setenv("UNIGATE_LOG_FORMAT", "json")
    assert build_parser().parse_args(["demo"]).log_format == "json"
    assert build_parser().parse_args(["serve", "--log-format", "short"]).log_format == "short"
