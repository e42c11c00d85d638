"""TokenCipher: real Fernet, refused placeholders, clear errors on a wrong key."""

from __future__ import annotations

import base64

import pytest

from blocker.core.errors import SettingsError
from blocker.store import TokenCipher

TOKEN = b'{"refresh_token": "1//0g-very-secret-refresh-token"}'


def test_round_trip_and_ciphertext_hides_the_token() -> None:
    cipher = TokenCipher(TokenCipher.generate_key())
    encrypted = cipher.encrypt(TOKEN)
    assert b"very-secret" not in encrypted
    assert cipher.decrypt(encrypted) == TOKEN


def test_generated_keys_differ() -> None:
    assert TokenCipher.generate_key() != TokenCipher.generate_key()


@pytest.mark.parametrize(
    "key",
    [
        "",
        "   ",
        "changeme",
        "CHANGEME",
        "change-me",
        "<your-fernet-key>",
        "secret",
        base64.urlsafe_b64encode(bytes(32)).decode(),  # 32 zero bytes: "AAAA...="
        base64.urlsafe_b64encode(b"ab" * 16).decode(),  # valid length, two distinct bytes
    ],
)
def test_placeholder_keys_are_refused(key: str) -> None:
    with pytest.raises(SettingsError, match="placeholder") as info:
        TokenCipher(key)
    assert "generate_key" in info.value.user_message()


@pytest.mark.parametrize("key", ["not a key at all", "c2hvcnQ=", "é" * 44])
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(SettingsError, match="not a Fernet key"):
        TokenCipher(key)


def test_wrong_key_says_the_key_changed() -> None:
    encrypted = TokenCipher(TokenCipher.generate_key()).encrypt(TOKEN)
    with pytest.raises(SettingsError, match="cannot be decrypted") as info:
        TokenCipher(TokenCipher.generate_key()).decrypt(encrypted)
    assert "reconnect" in info.value.user_message()


def test_rotation_new_key_first_still_reads_old_tokens() -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    legacy = TokenCipher(old).encrypt(TOKEN)
    rotated = TokenCipher(f"{new},{old}")
    assert rotated.decrypt(legacy) == TOKEN
    fresh = rotated.encrypt(TOKEN)
    assert TokenCipher(new).decrypt(fresh) == TOKEN
    with pytest.raises(SettingsError):
        TokenCipher(old).decrypt(fresh)
