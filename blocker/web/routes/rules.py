"""Read, edit, list and restore the rules YAML.

An edit is validated in full first: an invalid one answers 422 with every
located problem and the rules in force do not change; a valid one is saved as a
new version and put in force (the scheduler then re-plans).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.responses import JSONResponse, Response

from blocker.errors import RulesError
from blocker.web.deps import RuntimeDep
from blocker.web.schemas import ProblemOut, RulesProblems, RulesSaved, RulesVersionOut

router = APIRouter(prefix="/api/rules", tags=["rules"])

YAML = "application/yaml"
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": RulesProblems, "description": "invalid rules, nothing changed"}
}


def _problems(exc: RulesError) -> JSONResponse:
    body = RulesProblems(problems=[ProblemOut.of(p) for p in exc.problems])
    return JSONResponse(body.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


@router.get(
    "",
    response_class=Response,
    responses={200: {"content": {YAML: {"schema": {"type": "string"}}}}},
)
def get_rules(runtime: RuntimeDep) -> Response:
    """The rules YAML in force, as text."""
    return Response(runtime.rules_text, media_type=YAML)


@router.put("", response_model=RulesSaved, responses=_INVALID)
def put_rules(
    runtime: RuntimeDep,
    text: Annotated[str, Body(media_type=YAML, description="The whole rules YAML")],
) -> RulesSaved | JSONResponse:
    """Replace the rules; 422 lists every problem and keeps the old rules running."""
    try:
        version = runtime.update_rules(text)
    except RulesError as exc:
        return _problems(exc)
    return RulesSaved(version=version, calendars=runtime.calendar_ids())


@router.get("/versions", response_model=list[RulesVersionOut])
def list_versions(
    runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RulesVersionOut]:
    """Saved versions, newest first."""
    return [
        RulesVersionOut(id=v.id, created_at=v.created_at, is_current=v.is_current)
        for v in runtime.store.rules_versions(limit=limit)
    ]


@router.post(
    "/versions/{version_id}/restore",
    response_model=RulesSaved,
    responses={**_INVALID, 404: {"description": "no such version"}},
)
def restore_version(runtime: RuntimeDep, version_id: int) -> RulesSaved | JSONResponse:
    """Put a saved version back in force (validated again: files it names may be gone)."""
    try:
        version = runtime.restore_rules(version_id)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rules version {version_id}") from exc
    except RulesError as exc:
        return _problems(exc)
    return RulesSaved(version=version, calendars=runtime.calendar_ids())
