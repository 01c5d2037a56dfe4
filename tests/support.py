"""Helpers shared by the test modules (importable thanks to `pythonpath = ["tests"]`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from unigate.engine.spec import load_integrations
from unigate.models import load_resources

SPECS = load_integrations()
INTEGRATIONS = sorted(SPECS)
ACCOUNTS_SCHEMA = load_resources()[("crm", "accounts")]


def accounts_mapping(name: str):
    return SPECS[name].mappings[("crm", "accounts")]


def supports(name: str, method: str) -> bool:
    return method in accounts_mapping(name).methods


def list_all(gateway, name: str, limit: int = 7, params: dict | None = None, max_pages: int = 200) -> list[list[dict]]:
    """Every page of the unified list, checking the envelope on the way."""
    pages = []
    cursor = None
    for _ in range(max_pages):
        query = {"limit": limit, **(params or {})}
        if cursor is not None:
            query["next_cursor"] = cursor
        response = gateway.unified("GET", name, params=query)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) >= {"result", "next_cursor", "prev_cursor", "result_count"}
        assert body["result_count"] == len(body["result"])
        assert len(body["result"]) <= limit
        if body["next_cursor"] is not None:
            # research/clients-and-jsonata.md §1.4: the Python SDK stops at an empty page.
            assert body["result"], "an empty page must not carry a next_cursor"
        pages.append(body["result"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the list did not end")


def sample_write_body(name: str, existing: dict[str, Any]) -> dict[str, Any]:
    """A create body with every field the integration declares writable.

    Values a CRM validates against its own data (owner ids, tags, industry enumerations) are taken
    from an existing record of the sandbox.
    """
    writable = set(accounts_mapping(name).writable)
    marker = uuid.uuid4().hex[:8]
    candidates: dict[str, Any] = {
        "name": f"Contract Co {marker}",
        "description": f"Created by the contract suite ({marker})",
        "industry": existing.get("industry") or "Software",
        "website": f"https://contract-{marker}.example.com",
        "number_of_employees": 42,
        "owner": existing.get("owner"),
        "addresses": [{"street_1": "1 Contract Street", "city": "Springfield", "state": "Oregon",
                       "postal_code": "97477", "country": "United States"}],
        "phone_numbers": [{"number": "+1 541 555 0100"}],
        "urls": [{"url": f"https://contract-{marker}.example.com"}],
        "tags": (existing.get("tags") or [])[:1],
    }
    return {k: v for k, v in candidates.items() if k in writable and v not in (None, [])}


def assert_reads_back(name: str, sent: dict[str, Any], got: dict[str, Any]) -> None:
    """The unified record holds what was written (for the fields the integration can write)."""
    for key in ("name", "description", "industry", "website", "number_of_employees"):
        if key in sent:
            assert got.get(key) == sent[key], f"{name}: {key} sent {sent[key]!r}, read back {got.get(key)!r}"
    if "owner" in sent:
        assert (got.get("owner") or {}).get("id") == sent["owner"]["id"], f"{name}: owner"
    if "addresses" in sent:
        address = (got.get("addresses") or [{}])[0]
        for key in ("street_1", "city"):
            assert address.get(key) == sent["addresses"][0][key], f"{name}: addresses[0].{key}: {address}"
    if "phone_numbers" in sent:
        numbers = [p.get("number") for p in got.get("phone_numbers") or []]
        assert sent["phone_numbers"][0]["number"] in numbers, f"{name}: phone_numbers {numbers}"
    if "urls" in sent:
        urls = [u.get("url") for u in got.get("urls") or []]
        assert sent["urls"][0]["url"] in urls, f"{name}: urls {urls}"
    if "tags" in sent:
        wanted = sent["tags"][0]
        tags = got.get("tags") or []
        assert any((t.get("id") and t.get("id") == wanted.get("id")) or (t.get("name") and t.get("name") == wanted.get("name"))
                   for t in tags), f"{name}: tags {tags}"


def wrong_credentials(name: str) -> dict[str, Any]:
    """The sandbox context with every secret credential replaced by a wrong value."""
    spec = SPECS[name]
    context = dict(spec.sandbox_context)
    for field in spec.auth[0].fields:
        if field.secret:
            context[field.name] = "wrong-credential"
    return context


async def postgres_admin(server_url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the PostgreSQL server of a SQLAlchemy URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gateway(env: dict[str, str], log_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`unigate serve` as a process of its own, its output in `log_path`; returns once /health answers."""
    import leakscan

    port = free_port()
    # The sources under test, whichever checkout they are in (not only the one installed as `unigate`).
    import unigate

    env = {**env, "PYTHONPATH": str(Path(unigate.__file__).resolve().parents[1])}
    leakscan.scan_file(log_path, f"output of unigate serve ({log_path.name})")  # secrets must not show in it
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "unigate.cli", "serve", "--port", str(port), *args],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"unigate serve exited: {log_path.read_text()}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"unigate serve did not answer: {log_path.read_text()}")


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


TEST_DATABASE = os.environ.get("UNIGATE_TEST_DATABASE", "sqlite")


@contextlib.contextmanager
def gateway_database(prefix: str = "unigate_gw"):
    """The database URL for a test gateway: None (SQLite in its data dir) normally; a fresh PostgreSQL
    database, dropped afterwards, when UNIGATE_TEST_DATABASE=postgresql (the suite's second run in CI,
    see the Makefile)."""
    if TEST_DATABASE != "postgresql":
        yield None
        return
    server_url = os.environ.get("UNIGATE_TEST_POSTGRES_URL")
    if not server_url:
        raise RuntimeError("UNIGATE_TEST_DATABASE=postgresql needs UNIGATE_TEST_POSTGRES_URL")
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(postgres_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(postgres_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def assert_unified_record(unified: dict[str, Any], want: dict[str, Any], same_instant) -> None:
    """`unified` holds every expected field: timestamps compared as instants (`same_instant(got, want)`)
    and written as RFC 3339 UTC, addresses compared without their empty members, the rest as equals."""
    for key, value in want.items():
        got = unified.get(key)
        if key.endswith("_at"):
            assert same_instant(got, value), f"{key}: {got!r} from {value!r}"
            if got is not None:
                assert got.endswith("Z") and "T" in got  # RFC 3339 UTC
        elif key == "addresses":
            assert [{k: v for k, v in a.items() if v is not None} for a in got] == \
                   [{k: v for k, v in a.items() if v is not None} for a in value], key
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"
