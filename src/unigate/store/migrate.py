"""Schema migrations, run programmatically: no alembic.ini is needed on disk.

``Store.open`` calls :func:`upgrade_to_head` on every start. Developers create new
revisions with the same configuration::

    python -c "from unigate.store.migrate import alembic_config; from alembic import command; \\
               command.revision(alembic_config('sqlite:///dev.db'), 'message', autogenerate=True)"
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from unigate.store.engine import Engines

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number: the PostgreSQL advisory lock that lets one gateway process
# migrate while the others starting at the same moment wait for it.
_PG_MIGRATION_LOCK = 0x756E6967617465  # "unigate"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser treats "%" as interpolation; URLs may hold percent-escapes.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_to_head(engines: Engines) -> None:
    """Bring the schema to the newest revision in one transaction."""
    # On SQLite the write engine begins with BEGIN IMMEDIATE, which serialises
    # concurrent starts the same way the advisory lock does on PostgreSQL.
    async with engines.writes.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        await conn.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    # env.py picks this up and migrates on it instead of opening its own connection.
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
