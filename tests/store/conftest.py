"""Store fixtures: every test runs on SQLite, and on PostgreSQL when it is configured.

Set UNIGATE_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) to
add the PostgreSQL cases. Each of them gets a database of its own, created from that URL's
server and dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from support import postgres_admin

from unigate.settings import Settings

POSTGRES_URL = os.environ.get("UNIGATE_TEST_POSTGRES_URL")


def make_settings(data_dir: Path, database_url: str | None = None, secret_key: str | None = None) -> Settings:
    # Every field given: Settings would otherwise read the developer's UNIGATE_* variables.
    return Settings(data_dir=data_dir, database_url=database_url, secret_key=secret_key)


async def _postgres_admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    await postgres_admin(POSTGRES_URL, statement)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        yield make_settings(data_dir)
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL case: set UNIGATE_TEST_POSTGRES_URL=postgresql+asyncpg://user@host:port/db")
    name = f"unigate_test_{uuid.uuid4().hex[:16]}"
    asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield make_settings(data_dir, database_url=url)
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")
