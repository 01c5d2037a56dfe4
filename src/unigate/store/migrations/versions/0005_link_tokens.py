"""Link tokens: one row per token an app asked for, to connect a CRM through the hosted connect page.

Revision ID: 0005_link_tokens
Revises: 0004_webhooks
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_link_tokens"
down_revision: str | None = "0004_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("environment_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=True),
        sa.Column("account_id", sa.String(36), nullable=True),
        sa.Column("integrations", sa.String(2048), nullable=True),
        sa.Column("redirect_uri", sa.String(2048), nullable=True),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_account_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name="fk_link_tokens_environment_id_environments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_link_tokens"),
    )
    op.create_index("ix_link_tokens_environment_id", "link_tokens", ["environment_id"])
    op.create_index("ix_link_tokens_expires_at", "link_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("link_tokens")
