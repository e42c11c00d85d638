"""Schemathesis against the app in-process: the OpenAPI document tells the truth.

Every operation is called with generated requests, valid and invalid ones, once
with the API token and once without; any 5xx, any answer that does not match its
declaration (status code, content type, headers, body), or a secured operation
that answers without the token fails the test. Run on SQLite and on PostgreSQL
(which refuses NUL characters SQLite takes). Bounded and deterministic: a fixed
number of examples per operation and mode, ``derandomize`` (the same requests on
every run), no example database, the app's clock pinned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from blocker.web.app import create_app
from tests.service.conftest import BUSY_ICS, NOW, TOKEN, make_settings, rules_yaml
from tests.store.pg import BACKENDS, fresh_pg_database

EXAMPLES = 10
"""Examples per operation, auth and generation mode: ~20 operations x 2 x 2 x 10 requests."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
"""5xx, and every answer against its declaration (status, content type, headers, body);
a secured operation must refuse a call without the token. Not ``positive_data_acceptance``:
a schema-valid week such as 2026-W99 is still refused, and says why."""

AUTH = {"token": {"Authorization": f"Bearer {TOKEN}"}, "anonymous": {}}

_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # report the first failure as found
)


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    workdir = tmp_path_factory.mktemp("fuzz")
    (workdir / "busy.ics").write_text(BUSY_ICS)
    (workdir / "rules.yaml").write_text(rules_yaml())
    with _database(request.param, workdir) as url:
        app = create_app(
            make_settings(workdir, database_url=url), clock=lambda: NOW, start_scheduler=False
        )
        try:
            yield app
        finally:
            shutdown_lifespans()  # runs the app's lifespan shutdown: the runtime is closed


@contextmanager
def _database(backend: str, workdir: Path) -> Iterator[str]:
    """The store of one fuzzed app: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'blocker.db'}"
        return
    with fresh_pg_database() as url:
        yield url


def _fuzz(api_schema: schemathesis.BaseSchema, headers: dict[str, str]) -> list[str]:
    """Run every operation in both generation modes; one entry per failing operation."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:  # nothing to make invalid (an operation without inputs)
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # one failure must not hide others
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app, headers=AUTH["token"])


@pytest.mark.parametrize("auth", sorted(AUTH))
def test_every_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema, auth: str
) -> None:
    failures = _fuzz(api_schema, AUTH[auth])
    assert not failures, "\n\n".join(failures)
