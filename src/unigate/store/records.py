"""What the store hands out: plain frozen values, detached from any database session."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal


@dataclass(frozen=True)
class Environment:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    environment_id: str
    created_at: datetime


@dataclass(frozen=True)
class IntegratedAccount:
    id: str
    environment_id: str
    tenant_id: str | None
    integration: str
    status: str
    is_sandbox: bool
    authentication_method: str | None
    context: dict[str, Any]  # decrypted; holds the credentials, never log or echo it whole
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OAuthState:
    """A connect flow the callback may complete once (see Store.take_oauth_state)."""

    environment_id: str
    integration: str
    tenant_id: str | None
    account_id: str | None  # the account being reconnected, if any
    is_sandbox: bool
    redirect_uri: str
    callback_url: str
    code_verifier: str | None  # decrypted PKCE verifier; secret
    expires_at: datetime


@dataclass(frozen=True)
class LinkToken:
    """What a link token lets its holder connect on the hosted page (see Store.create_link_token)."""

    environment_id: str
    tenant_id: str | None
    account_id: str | None  # the account a reconnect replaces the credentials of
    integrations: tuple[str, ...] | None  # the CRMs offered; None for all
    redirect_uri: str | None
    is_sandbox: bool
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_account_id: str | None


class _Unset(enum.Enum):
    # An enum member, so type checkers can narrow `x is UNSET` and it survives copy/pickle.
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> Literal[False]:
        return False


UNSET: Final = _Unset.UNSET
"""Marks an argument of ``Store.update_account`` as "leave unchanged" (``None`` is a value)."""

Unset = Literal[_Unset.UNSET]
