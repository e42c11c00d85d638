"""The API's description: ``/openapi.json`` and a readable ``/docs``, both behind sign-in.

FastAPI's own ``/docs`` loads Swagger UI from a CDN: third-party JavaScript on the
dashboard's origin, where the session cookie and CSRF tokens live. This page is
rendered here from the same OpenAPI document, with no script at all, and both
need the API token or a dashboard session (the schema maps the attack surface).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from blocker.web.deps import RuntimeDep
from blocker.web.html import page as _page
from blocker.web.routes.connect import require_user
from blocker.web.sessions import csrf_of as _csrf
from blocker.web.sessions import session_of as _session
from blocker.web.sessions import to_login as _to_login

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "put", "post", "patch", "delete")


@router.get("/openapi.json", dependencies=[Depends(require_user)])
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI document (API token, or a signed-in browser)."""
    return JSONResponse(request.app.openapi(), headers={"Cache-Control": "no-store"})


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return f"list of {_schema_name(schema['items'])}"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_schema_name(s) for s in schema[key])
    return str(schema.get("type", "any"))


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "secured": bool(op.get("security")),
                    "parameters": [
                        {
                            "name": p.get("name", ""),
                            "where": p.get("in", ""),
                            "required": bool(p.get("required")),
                            "type": _schema_name(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": [
                        f"{media} ({_schema_name(c.get('schema', {}))})"
                        for media, c in body.items()
                    ],
                    "responses": [
                        {
                            "status": code,
                            "description": r.get("description", ""),
                            "body": ", ".join(
                                f"{media} ({_schema_name(c.get('schema', {}))})"
                                for media, c in r.get("content", {}).items()
                            ),
                        }
                        for code, r in op.get("responses", {}).items()
                    ],
                }
            )
    return out


@router.get("/docs", response_model=None)
def docs(request: Request, runtime: RuntimeDep) -> Response:
    """Every operation with its parameters and answers, as plain HTML (no scripts)."""
    session = _session(request, runtime)
    if session is None:
        return _to_login(request)
    document: dict[str, Any] = request.app.openapi()
    return _page(
        "api_docs.html",
        page="docs",
        csrf=_csrf(runtime, session),
        title=document.get("info", {}).get("title", "API"),
        version=document.get("info", {}).get("version", ""),
        operations=_operations(document),
        models=sorted(document.get("components", {}).get("schemas", {})),
    )


__all__ = ["router"]
