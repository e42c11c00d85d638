"""Read, edit, list and restore the rules YAML.

An edit is validated in full first: an invalid one answers 422 with every
located problem and the rules in force do not change; a valid one is saved as a
new version and put in force (the scheduler then re-plans).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from blocker.core.errors import Problem, RulesError
from blocker.runtime import Runtime
from blocker.web.audit_trail import audit
from blocker.web.deps import RuntimeDep
from blocker.web.schemas import (
    ErrorOut,
    ProblemOut,
    RulesProblems,
    RulesSaved,
    RulesVersionOut,
)
from blocker.web.services import rules_name, update_rules

router = APIRouter(prefix="/api/rules", tags=["rules"])

YAML = "application/yaml"
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": RulesProblems, "description": "invalid rules, nothing changed"}
}


VersionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A saved version's id")]


def _problems(exc: RulesError) -> JSONResponse:
    body = RulesProblems(problems=[ProblemOut.of(p) for p in exc.problems])
    return JSONResponse(body.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def decode_rules(runtime: Runtime, raw: bytes) -> str:
    """The rules text of a request body; not UTF-8 is a located RulesError, not a 500."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        line = good.count("\n") + 1
        column = len(good) - (good.rfind("\n") + 1) + 1
        raise RulesError(
            [
                Problem(
                    rules_name(runtime),
                    line,
                    column,
                    f"the rules are not UTF-8 text (byte 0x{raw[exc.start]:02x}): "
                    "save the file as UTF-8",
                )
            ]
        ) from None


@router.get(
    "",
    response_class=Response,
    responses={
        200: {
            "content": {
                YAML: {"schema": {"type": "object", "description": "the rules YAML document"}}
            },
            "description": "the rules in force, as the YAML text they were saved as",
        }
    },
)
def get_rules(runtime: RuntimeDep) -> Response:
    """The rules YAML in force, as text."""
    return Response(runtime.rules_text, media_type=YAML)


@router.put(
    "",
    response_model=RulesSaved,
    responses={
        **_INVALID,
        413: {"model": ErrorOut, "description": "larger than BLOCKER_API_MAX_BODY_BYTES"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The whole rules YAML (UTF-8)",
            "content": {YAML: {"schema": {"type": "string"}}},
        }
    },
)
async def put_rules(request: Request, runtime: RuntimeDep) -> RulesSaved | JSONResponse:
    """Replace the rules; 422 lists every problem and keeps the old rules running."""
    try:
        text = decode_rules(runtime, await request.body())
        version = await run_in_threadpool(update_rules, runtime, text)
    except RulesError as exc:
        return _problems(exc)
    await run_in_threadpool(audit, request, runtime, "rules.save", "rules", f"version {version}")
    return RulesSaved(version=version, calendars=runtime.calendar_ids())


@router.get("/versions", response_model=list[RulesVersionOut])
def list_versions(
    runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RulesVersionOut]:
    """Saved versions, newest first."""
    return [
        RulesVersionOut(id=v.id, created_at=v.created_at, is_current=v.is_current)
        for v in runtime.store.rules_version_list(limit=limit)
    ]


@router.post(
    "/versions/{version_id}/restore",
    response_model=RulesSaved,
    responses={
        422: {
            "description": "invalid rules (nothing changed), or an id that is not a number",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/RulesProblems"},
                            {"$ref": "#/components/schemas/HTTPValidationError"},
                        ]
                    }
                }
            },
        },
        404: {"model": ErrorOut, "description": "no such version"},
    },
)
def restore_version(
    request: Request, runtime: RuntimeDep, version_id: VersionId
) -> RulesSaved | JSONResponse:
    """Put a saved version back in force (validated again: files it names may be gone)."""
    try:
        version = runtime.restore_rules(version_id)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rules version {version_id}") from exc
    except RulesError as exc:
        return _problems(exc)
    audit(request, runtime, "rules.restore", "rules", f"version {version_id} back in force")
    return RulesSaved(version=version, calendars=runtime.calendar_ids())
