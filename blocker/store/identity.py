"""Who a user is, without keeping their address: a keyed hash plus the domain.

The product promises that no full email address is stored. A user is found by
HMAC-SHA256 of the normalised address under a random per-install salt (kept in
``install_secrets``), so look-ups hash their input and compare hashes; only the
domain, which the actuals already treat as non-personal, is kept in clear.

Why a per-install salt rather than ``BLOCKER_ENCRYPTION_KEY``: a store opened
without a key runs on an ephemeral one (local calendars only), and keys rotate;
either would silently turn every known user into a stranger. The salt still
stops precomputed tables across installs; guessing a given address needs the
database itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "EMAIL_SALT",
    "email_domain",
    "email_hash",
    "new_salt",
    "normal_email",
]

EMAIL_SALT = "email_salt"
"""The ``install_secrets`` row holding the salt (hex)."""


def normal_email(email: str) -> str:
    """Trimmed and lower-cased, so ``Ann@Example.com`` and ``ann@example.com`` are one user."""
    value = email.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an email address: {email!r}")
    return value


def email_domain(email: str) -> str:
    """The part after the last ``@`` of the normalised address."""
    return normal_email(email).rpartition("@")[2]


def email_hash(salt: str, email: str) -> str:
    """HMAC-SHA256 (hex) of the normalised address under the install's salt (hex)."""
    key = bytes.fromhex(salt)
    return hmac.new(key, normal_email(email).encode("utf-8"), hashlib.sha256).hexdigest()


def new_salt() -> str:
    """32 random bytes as hex (hex holds no ``@``, so no scan mistakes it for an address)."""
    return secrets.token_hex(32)
