"""The rules YAML file on disk: read as UTF-8 (or a located error), replaced atomically.

The file is the rules' source of truth at start-up and an API edit writes it back,
so a reader (the CLI, a restarted service) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from blocker.core.errors import Problem, RulesError
from blocker.core.files import shown


def read_rules_file(path: Path) -> str:
    """The rules file's text; one that is missing, unreadable or not UTF-8 is a
    located error (exit 2 from the CLI), not a traceback."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RulesError(
            [Problem(shown(path), 1, 1, f"cannot read rules file: no such file: {shown(path)}")]
        ) from None
    except OSError as exc:
        reason = exc.strerror or "error"
        raise RulesError(
            [Problem(shown(path), 1, 1, f"cannot read rules file: {reason}")]
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RulesError(
            [Problem(str(path), line, col, "the file is not UTF-8 text: save it as UTF-8")]
        ) from exc


def write_rules_file(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` atomically (a temporary file renamed over it)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["read_rules_file", "write_rules_file"]
