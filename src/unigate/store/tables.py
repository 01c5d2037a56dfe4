"""The store's tables, as SQLAlchemy 2 declarative models.

The repository queries them through SQLAlchemy Core (``Model.__table__``) to keep per-call
overhead low; the models are the single schema definition the migrations are checked
against.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so later migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL keeps the offset (``timestamptz``); SQLite has no time zone type, so the
    value is stored as naive UTC text and marked UTC again when read. Storing one fixed
    format on SQLite also keeps text comparison equal to time order, which keyset
    pagination relies on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EnvironmentRow(Base):
    __tablename__ = "environments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    environment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    # Hex SHA-256 of the token; the plaintext is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntegratedAccountRow(Base):
    __tablename__ = "integrated_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    environment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("environments.id", ondelete="CASCADE")
    )
    tenant_id: Mapped[str | None] = mapped_column(String(255), index=True)
    integration: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(50))
    is_sandbox: Mapped[bool] = mapped_column(Boolean())
    authentication_method: Mapped[str | None] = mapped_column(String(100))
    # crypto.Cipher output: the whole context, sealed with the row id as associated data.
    context_ciphertext: Mapped[bytes] = mapped_column(LargeBinary())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # Leads with environment_id, so it also serves every per-environment lookup; its
        # tail is the keyset pagination order.
        Index("ix_integrated_accounts_environment_id_created_at_id", "environment_id", "created_at", "id"),
    )


class IdempotencyKeyRow(Base):
    """One Idempotency-Key of one environment: claimed while its request runs, then its answer."""

    __tablename__ = "idempotency_keys"

    environment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Hex SHA-256 of the request's canonical form: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Who holds the key: completing or releasing it only acts on one's own claim.
    claim_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16))  # "in_flight" or "done"
    # crypto.Cipher output of the stored answer (it may hold CRM data); null while in flight.
    response_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An in-flight claim older than this was abandoned (its process died) and may be taken over.
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RateWindowRow(Base):
    """Requests counted in one fixed window for one subject (an API token's hash or an account id)."""

    __tablename__ = "gateway_rate_windows"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
class OAuthStateRow(Base):
    """A connect flow under way: the `state` sent to the CRM's authorize URL, used once by the callback."""

    __tablename__ = "oauth_states"

    # Hex SHA-256 of the state; the value itself travels only through the user's browser.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    environment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    integration: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str | None] = mapped_column(String(255))
    # Set when reconnecting an existing account.
    account_id: Mapped[str | None] = mapped_column(String(36))
    is_sandbox: Mapped[bool] = mapped_column(Boolean())
    # Where the user goes back to, and the callback URL given to the CRM (the code exchange repeats it).
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    callback_url: Mapped[str] = mapped_column(String(2048))
    # crypto.Cipher output of the PKCE code verifier (empty when the integration uses no PKCE).
    verifier_ciphertext: Mapped[bytes] = mapped_column(LargeBinary())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkTokenRow(Base):
    """A link token: lets one end user connect (or reconnect) a CRM through the hosted connect page, once."""

    __tablename__ = "link_tokens"

    # Hex SHA-256 of the token; the token itself is shown once, to the app that asked for it.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    environment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[str | None] = mapped_column(String(255))
    # Set for a reconnect: the account whose credentials the page replaces.
    account_id: Mapped[str | None] = mapped_column(String(36))
    # The CRMs the page offers (JSON list of names; null for all).
    integrations: Mapped[str | None] = mapped_column(String(2048))
    redirect_uri: Mapped[str | None] = mapped_column(String(2048))
    is_sandbox: Mapped[bool] = mapped_column(Boolean())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # When the page connected an account with it, and which: a token works once.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_account_id: Mapped[str | None] = mapped_column(String(36))


class WebhookRow(Base):
    """A receiver of the environment's events (https://truto.one/docs/guides/webhooks/overview)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    environment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("environments.id", ondelete="CASCADE"), index=True
    )
    target_url: Mapped[str] = mapped_column(String(2048))
    # JSON array of event names ("integrated_account:created", ...) or ["*"] for all of them.
    event_types: Mapped[str] = mapped_column(Text())
    is_active: Mapped[bool] = mapped_column(Boolean())
    # crypto.Cipher output of the signing secret, the webhook id as associated data: shown once, on create.
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDeliveryRow(Base):
    """One event for one webhook: the outbox row, written in the transaction of the change it reports.

    The job queue only carries its id; this row is what makes a delivery survive a killed process
    (engine/webhooks.py).
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(36), ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    # The event's id, the same for every webhook it goes to: receivers de-duplicate on it.
    event_id: Mapped[str] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(100))
    # The exact bytes sent (and signed): every attempt sends the same body.
    body: Mapped[bytes] = mapped_column(LargeBinary())
    state: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed, skipped
    attempts: Mapped[int] = mapped_column(Integer())
    # When the row may next be taken: now for a new one, the retry time after a failure, the end of
    # the lease while an attempt runs (so a process killed mid-attempt leaves it to be taken again).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_webhook_deliveries_state_available_at", "state", "available_at"),)


# Typed as the Tables they are (the declarative `__table__` is typed as any FromClause).
environments = cast(Table, EnvironmentRow.__table__)
api_tokens = cast(Table, ApiTokenRow.__table__)
integrated_accounts = cast(Table, IntegratedAccountRow.__table__)
idempotency_keys = cast(Table, IdempotencyKeyRow.__table__)
gateway_rate_windows = cast(Table, RateWindowRow.__table__)
oauth_states = cast(Table, OAuthStateRow.__table__)
link_tokens = cast(Table, LinkTokenRow.__table__)
webhooks = cast(Table, WebhookRow.__table__)
webhook_deliveries = cast(Table, WebhookDeliveryRow.__table__)
