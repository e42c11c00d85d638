"""Fixtures shared by the provider tests: writing small .ics files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

IcsWriter = Callable[[str, str], Path]


@pytest.fixture
def write_ics(tmp_path: Path) -> IcsWriter:
    """Write VEVENT/VTIMEZONE text (LF or CRLF lines) into a VCALENDAR file; return its path."""

    def write(name: str, components: str) -> Path:
        body = components.strip("\n").replace("\r\n", "\n").replace("\n", "\r\n")
        head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        text = f"{head}{body}\r\nEND:VCALENDAR\r\n"
        path = tmp_path / name
        path.write_bytes(text.encode())
        return path

    return write
