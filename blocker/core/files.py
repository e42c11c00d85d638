"""Files named in the rules are data, not capabilities (DESIGN principle 15).

A name from the rules (``accounts_file``, a calendar's ``path`` or ``busy`` files)
resolves inside one data directory (``BLOCKER_DATA_DIR``, default: the rules file's
folder). Absolute paths outside it, ``..``, symlinks leading out of it, devices,
pipes and anything else that is not a regular file are refused; reading never
creates anything, never blocks on a pipe and never takes more than a set number of
bytes. Refusals say what is wrong with the *name*, never what the file holds.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path

from blocker.core.errors import InvalidInput

DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest file named in the rules that is read (accounts CSV, .ics): 10 MiB."""

_NAME_CHARS = 120


class UnsafePath(InvalidInput):
    """A file name from the rules that points outside the data directory, or at
    something that is not a regular file, or a file too large to read."""

    hint = "name a regular file inside the data directory (BLOCKER_DATA_DIR)"


def clean_text(text: str, *, limit: int | None = None) -> str:
    """``text`` without control characters or terminal escapes, for printing.

    Every character of Unicode category C (controls, format characters such as
    bidi overrides, unassigned, private use, surrogates) becomes ``?``; tabs and
    newlines too, so one value stays one line. ``limit`` cuts it with an ellipsis.
    """
    if text.isprintable():  # the usual case, in C: nothing of category C, no odd spaces
        out = text
    else:
        out = "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out


def shown(name: str | os.PathLike[str]) -> str:
    """A file name as it may appear in a message: cleaned and cut to a sane length."""
    return clean_text(os.fspath(name), limit=_NAME_CHARS)


def inside(data_dir: Path, name: str | os.PathLike[str]) -> Path:
    """``name`` (relative to ``data_dir``, or absolute inside it) as a path in it.

    Raises :class:`UnsafePath` for an empty name, a NUL byte, a ``..`` part, an
    absolute path outside the directory or a symlink that leads out of it. The
    file need not exist (a calendar file is created on its first write).
    """
    text = os.fspath(name)
    if not text.strip():
        raise UnsafePath("empty file name")
    if "\x00" in text:
        raise UnsafePath(f"file name {shown(text)!r} holds a NUL byte")
    path = Path(text)
    if ".." in path.parts:
        raise UnsafePath(f"file name {shown(text)!r}: '..' is not allowed")
    root = data_dir.resolve()
    candidate = path if path.is_absolute() else root / path
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise UnsafePath(f"file name {shown(text)!r} cannot be resolved") from exc
    if real != root and not real.is_relative_to(root):
        where = "is outside" if path.is_absolute() else "leads out of"
        raise UnsafePath(f"{shown(text)!r} {where} the data directory {shown(root)}")
    return real


def check_regular(path: Path, *, missing_ok: bool = False) -> bool:
    """True if ``path`` is a regular file; False if it is missing and ``missing_ok``.

    Raises :class:`UnsafePath` for a device, a pipe, a socket or a directory, and
    for a missing file unless ``missing_ok``. Nothing is opened or created.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        if missing_ok:
            return False
        raise UnsafePath(f"no such file: {shown(path)}") from None
    except OSError as exc:
        raise UnsafePath(f"cannot read {shown(path)}: {exc.strerror or 'error'}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePath(f"{shown(path)} is not a regular file ({_kind(info.st_mode)})")
    return True


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them.

    Opened without following a final symlink and without blocking (a named pipe
    neither hangs nor is read), checked to be a regular file on the open handle,
    then read up to the limit: a file larger than it (or one that grows past it
    while read, as ``/proc`` files may) is refused with :class:`UnsafePath`.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnsafePath(f"no such file: {shown(path)}") from None
    except OSError as exc:
        raise UnsafePath(f"cannot read {shown(path)}: {exc.strerror or 'error'}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePath(f"{shown(path)} is not a regular file ({_kind(info.st_mode)})")
        too_big = UnsafePath(
            f"{shown(path)} is larger than {max_bytes} bytes",
            hint="raise BLOCKER_MAX_FILE_BYTES if the file is really that large",
        )
        if info.st_size > max_bytes:
            raise too_big
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    return data


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "UnsafePath",
    "check_regular",
    "clean_text",
    "inside",
    "read_limited",
    "shown",
]
