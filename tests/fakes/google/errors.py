"""Google-shaped error bodies, so the real client parses reasons as it would in production."""

from __future__ import annotations

import json
from typing import Any

Reply = tuple[int, dict[str, str], bytes]
"""(status, headers, body) of one HTTP response, inside or outside a batch."""


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    out = {"Content-Type": "application/json; charset=UTF-8"}
    out.update(headers or {})
    return status, out, json.dumps(payload).encode()


def error_reply(
    status: int, reason: str, message: str, headers: dict[str, str] | None = None
) -> Reply:
    """The ``{"error": {"errors": [{"reason": ...}]}}`` body Google APIs return."""
    domain = "usageLimits" if "Limit" in reason or "quota" in reason.lower() else "global"
    body = {
        "error": {
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "code": status,
            "message": message,
        }
    }
    return json_reply(status, body, headers)


def empty_reply(status: int = 204) -> Reply:
    return status, {}, b""
