"""Account keys: the short, stable, key-safe form of an account name in block keys.

Calendar events are found again by their block key, so an account's key must not
change between runs. The first keys were ``[a-z0-9]`` runs of the lower-cased
name: fine for ASCII names, but every Japanese, Arabic, Greek or Cyrillic name
became ``account`` (and collided), and ``Müller`` lost its ``ü``. Keys now:

- an ASCII name keeps exactly its old key (existing events stay matched);
- any other name is transliterated (anyascii: ``株式会社テスト`` -> ``zhushihuishetesuto``,
  ``Müller & Söhne GmbH`` -> ``muller-sohne-gmbh``); when nothing key-safe is left,
  the key is ``account-`` and a short hash of the name;
- names whose keys coincide in one book get a hash suffix of their own name, except
  a single ASCII name among them, which keeps its old key. The result depends on the
  set of names only, never on their order in the file.

``legacy_key`` is the old rule, so blocks written under it are found again (see
``key_aliases``) instead of being deleted and re-created.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping

from anyascii import anyascii

MAX_KEY_LENGTH = 60
"""Longest key a transliterated name gets (CJK transliterates to several letters a
character); longer ones are cut and made unique with the hash."""

_HASH_LENGTHS = (8, 16, 64)


def slugify(text: str) -> str:
    """Key-safe lower-case form of an ASCII text ('' if nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def legacy_key(name: str) -> str:
    """The key every account had before keys were Unicode-aware."""
    return slugify(name) or "account"


def name_hash(name: str, length: int = 8) -> str:
    """A stable short hex digest of the name (NFC, so composed and decomposed ``ü``
    are one name)."""
    data = unicodedata.normalize("NFC", name).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:length]


def _is_ascii(name: str) -> bool:
    return name.isascii()


def account_key(name: str) -> str:
    """The key of one name on its own (before telling colliding names apart)."""
    if _is_ascii(name):
        return legacy_key(name)
    base = slugify(anyascii(unicodedata.normalize("NFKC", name)))
    if not base:
        return f"account-{name_hash(name)}"
    if len(base) > MAX_KEY_LENGTH:
        return f"{base[:MAX_KEY_LENGTH].rstrip('-')}-{name_hash(name)}"
    return base


def same_name(name: str) -> str:
    """What makes two names the same account: case, width and spacing aside."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def assign_keys(names: Iterable[str]) -> dict[str, str]:
    """Name -> key for one book; keys are distinct for distinct names.

    Callers refuse names that are ``same_name`` duplicates first: they would get
    distinct keys here, but they are one account written twice.
    """
    unique = sorted(set(names))
    groups: dict[str, list[str]] = {}
    for name in unique:
        groups.setdefault(account_key(name), []).append(name)
    for length in _HASH_LENGTHS:
        keys: dict[str, str] = {}
        for base, members in groups.items():
            plain = [n for n in members if _is_ascii(n)]
            for name in members:
                alone = len(members) == 1 or (len(plain) == 1 and name == plain[0])
                keys[name] = base if alone else f"{base}-{name_hash(name, length)}"
        if len(set(keys.values())) == len(keys):
            return keys
    raise ValueError("account keys collide even with a full hash")  # pragma: no cover


def key_aliases(keys: Mapping[str, str]) -> dict[str, str]:
    """Old key -> new key for the accounts whose key changed, when the old one was
    unambiguous (two accounts once both ``account`` have no single heir)."""
    old: dict[str, list[str]] = {}
    for name, key in keys.items():
        old.setdefault(legacy_key(name), []).append(key)
    return {
        before: after[0]
        for before, after in old.items()
        if len(after) == 1 and after[0] != before and before not in keys.values()
    }
