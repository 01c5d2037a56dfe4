"""Persistence: environments, API tokens (hashed) and integrated accounts (encrypted).

SQLite in the data directory by default, PostgreSQL when ``UNIGATE_DATABASE_URL`` says
so; the schema is migrated to the newest revision whenever the store opens.
"""

from unigate.store.crypto import DecryptionError
from unigate.store.records import UNSET, ApiToken, Environment, IntegratedAccount, LinkToken, OAuthState
from unigate.store.repository import LockedAccount, Store

__all__ = ["UNSET", "ApiToken", "DecryptionError", "Environment", "IntegratedAccount", "LinkToken", "LockedAccount", "OAuthState",
           "Store"]
