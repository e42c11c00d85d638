"""Encryption at rest for calendar tokens (Google refresh tokens, msal token caches).

A leaked database file must not hand out anyone's calendar, so every token blob
goes through Fernet (AES-128-CBC + HMAC-SHA256) before it reaches a table. The key
comes from settings (``BLOCKER_ENCRYPTION_KEY``); placeholders are refused up
front rather than silently "protecting" tokens with a well-known key. Several
comma-separated keys enable rotation: the first encrypts, all decrypt.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from blocker.core.errors import SettingsError

_PLACEHOLDERS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "secret",
        "placeholder",
        "example",
        "default",
        "key",
        "none",
        "null",
        "todo",
        "xxx",
        "test",
        "password",
        "your-key-here",
        "your_key_here",
    }
)

_HOW = (
    "generate one with "
    '`python -c "from blocker.store import TokenCipher; print(TokenCipher.generate_key())"`'
    " and set BLOCKER_ENCRYPTION_KEY"
)


def _check_key(key: str) -> Fernet:
    text = key.strip()
    if text.lower() in _PLACEHOLDERS or (text.startswith("<") and text.endswith(">")):
        raise SettingsError(
            "BLOCKER_ENCRYPTION_KEY is empty or a placeholder: calendar tokens "
            "cannot be stored safely with it",
            hint=_HOW,
        )
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SettingsError(
            "BLOCKER_ENCRYPTION_KEY is not a Fernet key (url-safe base64 of 32 bytes)",
            hint=_HOW,
        )
    # A real random key has ~30 distinct bytes; "AAAA...=" and friends are placeholders.
    if len(set(raw)) < 8:
        raise SettingsError(
            "BLOCKER_ENCRYPTION_KEY looks like a placeholder (too few distinct bytes)",
            hint=_HOW,
        )
    return Fernet(text.encode("ascii"))


class TokenCipher:
    """Encrypts and decrypts token blobs; built from the settings key (or keys)."""

    def __init__(self, key: str) -> None:
        keys = [part for part in key.split(",")] if "," in key else [key]
        self._fernet = MultiFernet([_check_key(part) for part in keys])

    @staticmethod
    def generate_key() -> str:
        """A fresh random key, in the form ``BLOCKER_ENCRYPTION_KEY`` expects."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, blob: bytes) -> bytes:
        return self._fernet.encrypt(blob)

    def decrypt(self, token: bytes) -> bytes:
        """Decrypt, or explain that the key changed: the tokens are useless without it."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise SettingsError(
                "stored calendar tokens cannot be decrypted with BLOCKER_ENCRYPTION_KEY: "
                "the key differs from the one they were saved with",
                hint=(
                    "restore the previous key (list it after the new one, comma-separated, "
                    "to rotate) or reconnect the calendars"
                ),
            ) from exc


__all__ = ["TokenCipher"]
