"""Render a page with the headers every browser page carries (no caching, strict CSP)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from fastapi.responses import HTMLResponse

from blocker.web.report_html import jinja_env

__all__ = ["NAV_ROLE", "page"]

NAV_ROLE: ContextVar[Callable[[], str | None] | None] = ContextVar("nav_role", default=None)
"""Set per request (``blocker.web.team_nav``): "lead" or "member" for the nav's team link,
asked only when a signed-in page is rendered."""

HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def page(
    name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("csrf", None)
    context.setdefault("page", "")
    if context["csrf"] and "team_nav" not in context:
        role = NAV_ROLE.get()
        context["team_nav"] = role() if role is not None else None
    html = jinja_env().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={**HEADERS, **(headers or {})})
