"""Small helpers shared by the browser tests (no fixtures here)."""

from __future__ import annotations

import re
from typing import Any

from tests.service.conftest import TOKEN

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def rgb(hex_color: str) -> str:
    """``#D50000`` -> ``rgb(213, 0, 0)``, the form getComputedStyle answers in."""
    digits = hex_color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def number(text: str) -> float:
    """The first number in a cell ("42.5 %" -> 42.5, "4.2 h" -> 4.2)."""
    match = _NUMBER.search(text.replace("\u2212", "-"))
    assert match, f"no number in {text!r}"
    return float(match.group())


def sign_in(page: Any, base_url: str, path: str = "/") -> None:
    """Through the real sign-in form, as a user would."""
    page.goto(base_url + path)
    assert "/login" in page.url
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
