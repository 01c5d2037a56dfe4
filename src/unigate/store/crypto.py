"""Encryption at rest for integrated-account credentials.

Every context is sealed with AES-256-GCM under one store key. A ciphertext is::

    version (1 byte) | key id (4 bytes) | nonce (12 bytes) | AES-GCM ciphertext + tag

The version byte says how to read the rest; the key id names the key that sealed it, so a
later key rotation can keep old keys for reading while new writes use the new key. The
nonce is fresh and random for every write (never reuse a nonce under one GCM key), and the
caller passes the row's id as associated data, so a ciphertext copied into another row
fails to open.

Where the key comes from, in order:

1. ``UNIGATE_SECRET_KEY``. A urlsafe-base64 encoding of exactly 32 bytes is used as the
   key itself (generate one with ``python -c "import secrets,base64;
   print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"``). Any other string
   is stretched to 32 bytes with HKDF-SHA256. HKDF is not a password hash: a short or
   guessable string gives a guessable key, so use a long random value.
2. Otherwise ``<data_dir>/secret.key``, generated once with random bytes and readable
   only by its owner (0600). Back it up with the database: without it the stored
   credentials cannot be read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_SIZE = 32
NONCE_SIZE = 12
KEY_ID_SIZE = 4
FORMAT_V1 = 1
_HEADER_SIZE = 1 + KEY_ID_SIZE + NONCE_SIZE
KEY_FILE_NAME = "secret.key"

# Fixed salt and info: the derivation must give the same key on every start, and they
# keep this key apart from anything else that might be derived from the same secret.
_HKDF_SALT = b"unigate.store.secret-key.v1"
_HKDF_INFO = b"unigate credentials aes-256-gcm"


class DecryptionError(Exception):
    """A ciphertext could not be opened: wrong key, wrong row, or tampered bytes."""


def key_from_secret(secret: str) -> bytes:
    """Turn ``UNIGATE_SECRET_KEY`` into a 32-byte key (see the module docstring)."""
    raw = _decode_raw_key(secret.strip())
    if raw is not None:
        return raw
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=_HKDF_SALT, info=_HKDF_INFO)
    return hkdf.derive(secret.encode("utf-8"))


def _decode_raw_key(value: str) -> bytes | None:
    # Tolerate a missing "=" padding: some tools strip it.
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    # Round-trip check: reject strings that merely happen to decode (e.g. with junk characters).
    if len(raw) != KEY_SIZE or base64.urlsafe_b64encode(raw).rstrip(b"=") != padded.rstrip("=").encode():
        return None
    return raw


def load_or_create_key_file(data_dir: Path) -> bytes:
    """Read ``<data_dir>/secret.key``, creating it (0600) the first time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE_NAME
    encoded = base64.urlsafe_b64encode(secrets.token_bytes(KEY_SIZE)) + b"\n"
    try:
        # O_EXCL: of several processes starting at once, exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    try:
        os.fchmod(fd, 0o600)  # the umask may have removed bits; never added any
        os.write(fd, encoded)
        os.fsync(fd)
    finally:
        os.close(fd)
    return _read_key_file(path)


def _read_key_file(path: Path, wait: float = 2.0) -> bytes:
    # Another process may have created the file a moment ago and not written it yet.
    deadline = time.monotonic() + wait
    while True:
        text = path.read_text("ascii").strip()
        if text or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    key = _decode_raw_key(text)
    if key is None:
        raise ValueError(f"{path} does not hold a urlsafe-base64 32-byte key")
    return key


def resolve_key(secret_key: str | None, data_dir: Path) -> bytes:
    """The store key: from the configured secret if set, else from the key file."""
    if secret_key:
        return key_from_secret(secret_key)
    return load_or_create_key_file(data_dir)


def key_id(key: bytes) -> bytes:
    """A short, non-secret name for a key, stored in front of each ciphertext."""
    return hashlib.sha256(b"unigate key id\x00" + key).digest()[:KEY_ID_SIZE]


class Cipher:
    """Seals and opens byte strings with AES-256-GCM; safe to share across tasks."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError("the store key must be 32 bytes")
        self._aead = AESGCM(key)
        self._key_id = key_id(key)
        self._prefix = bytes([FORMAT_V1]) + self._key_id

    @property
    def key_id(self) -> bytes:
        return self._key_id

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return self._prefix + nonce + self._aead.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        if len(ciphertext) < _HEADER_SIZE + 16 or ciphertext[0] != FORMAT_V1:
            raise DecryptionError("unknown ciphertext format")
        if ciphertext[1 : 1 + KEY_ID_SIZE] != self._key_id:
            raise DecryptionError(
                "ciphertext was sealed with a different key; check UNIGATE_SECRET_KEY or secret.key"
            )
        nonce = ciphertext[1 + KEY_ID_SIZE : _HEADER_SIZE]
        try:
            return self._aead.decrypt(nonce, ciphertext[_HEADER_SIZE:], associated_data)
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication (tampered or moved)") from None
