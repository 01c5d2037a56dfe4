"""Integrated-account tokens: short-lived bearer tokens that reach one integrated account only
(https://preview.truto.one/docs/api-reference/admin/integrated-accounts/create-token), for a browser widget that must
not hold the API token.

A token is signed, not stored: `uiat_` + base64url(environment id, account id, expiry, nonce) + `.` +
base64url(HMAC-SHA256 of that payload). The HMAC key is derived (HKDF, its own label) from the store key
every gateway process already shares (store/crypto.py), so any process accepts a token another one issued,
and a token cannot be forged or widened without that key. A token stops working when it expires or when its
account is deleted (the account lookup then fails); revoking the API token that issued it does not end it
early, which is why it lasts 15 minutes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "uiat_"
LIFETIME_SECONDS = 15 * 60
_MAX_TOKEN_CHARS = 400


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AccountClaims:
    environment_id: str
    account_id: str
    expires_at: int  # Unix seconds


class AccountTokens:
    def __init__(self, store_key: bytes, lifetime: int = LIFETIME_SECONDS) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=b"unigate integrated-account tokens").derive(store_key)
        self.lifetime = lifetime

    def issue(self, environment_id: str, account_id: str) -> tuple[str, int]:
        """A new token for the account, and when it expires (Unix seconds)."""
        expires_at = int(time.time()) + self.lifetime
        payload = f"{environment_id}\n{account_id}\n{expires_at}\n{_b64(secrets.token_bytes(12))}".encode()
        signature = hmac.new(self._key, payload, hashlib.sha256).digest()
        return f"{PREFIX}{_b64(payload)}.{_b64(signature)}", expires_at

    def verify(self, token: str) -> AccountClaims | None:
        """The token's claims, or None for a token that is malformed, forged or expired."""
        if not token.startswith(PREFIX) or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
            return None
        encoded_payload, encoded_signature = token[len(PREFIX):].split(".")
        try:
            payload, signature = _unb64(encoded_payload), _unb64(encoded_signature)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(hmac.new(self._key, payload, hashlib.sha256).digest(), signature):
            return None
        try:
            environment_id, account_id, expires, _nonce = payload.decode().split("\n")
            expires_at = int(expires)
        except ValueError:
            return None
        if expires_at <= time.time():
            return None
        return AccountClaims(environment_id, account_id, expires_at)
