"""The commands the README gives: `unigate token create` and `unigate demo` (what `make run` starts)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from support import INTEGRATIONS

UNIGATE = str(Path(sys.executable).parent / "unigate")


def environment(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "UNIGATE_DATA_DIR": str(data_dir)}
    for name in ("UNIGATE_DATABASE_URL", "UNIGATE_SANDBOX_URL", "UNIGATE_SECRET_KEY"):
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
        yield {"port": port, "token": token, "output": lines}
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
    """Each worker would start sandboxes of its own, with their own data: refused with the fix named."""
    result = subprocess.run([UNIGATE, "serve", "--workers", "2", "--port", str(free_port())],
                            env=environment(tmp_path), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "UNIGATE_SANDBOX_URL" in result.stderr
