"""Render a page with the headers every browser page carries (no caching, strict CSP)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse

from blocker.web.report_html import jinja_env

__all__ = ["page"]

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
    html = jinja_env().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={**HEADERS, **(headers or {})})
