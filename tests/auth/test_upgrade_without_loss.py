"""Upgrade without loss, end to end (issue 20, part 9), on SQLite and PostgreSQL.

A single-user deployment from before teams: its database at revision 0008 (the
last one without users' roles) holding what that release wrote after two syncs of
the example rules' local calendar: the connection, the runs, the event mappings,
the applied blocks and the rules' versions, and the blocks in the ``.ics`` file.
Its rows are made by the sync engine (whose row encoding, ``blocker.store.codec``,
is the one 0008's release had) and written into the 0008 schema column by column,
so nothing of a later revision is in it. Then, as an operator upgrading would:

1. ``blocker user add --admin`` in a real process migrates it to head (the CLI's
   own start path) and makes the first admin;
2. the service starts on it (``Runtime.open``), the admin signs in with Google
   (the fake identity provider) and the dashboard shows the old calendar connected
   and its run history;
3. ``blocker sync --config`` in a real process syncs the same week as before: the
   blocks already written are kept, none is written twice.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Column, Engine, MetaData, Table, insert, inspect, select

from blocker.core.clock import fixed_clock
from blocker.core.weeks import next_week
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.db import schema_is_current
from blocker.store.tables import Base
from tests.auth.conftest import copy_example, signin_service
from tests.fakes.oidc import FakePerson
from tests.store.pg import BACKENDS, fresh_pg_database
from tests.support.clock import TEST_NOW, now_arg, subprocess_env

BLOCKER = Path(sys.executable).parent / "blocker"
OLD_REVISION = "0008"
OWNER = "owner@brightpath.example"  # whose the calendars were: derived from the rules
ADMIN = "jordan@brightpath.example"  # the person who runs the deployment
WEEK = next_week(TEST_NOW.date())
CALENDAR = "local"  # the example rules' calendar (blocks in out/calendar.ics)


@pytest.fixture(params=BACKENDS)
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(scratch database at head, the deployment's database), on one backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}", f"sqlite:///{tmp_path / 'blocker.db'}"
        return
    with fresh_pg_database() as scratch, fresh_pg_database() as deployment:
        yield scratch, deployment


def _synced_by_the_engine(folder: Path, url: str) -> None:
    """Two runs of the example rules' calendar: a preview, then the sync that writes."""
    migrate(url)
    settings = Settings(database_url=url, rules_path=folder / "rules.yaml")
    runtime = Runtime.open(settings, folder / "rules.yaml", clock=fixed_clock(TEST_NOW))
    try:
        runtime.sync(None, CALENDAR, WEEK, trigger="cli", dry_run=True)
        outcome = runtime.sync(None, CALENDAR, WEEK, trigger="cli")
        assert not outcome.errors and any(op.action == "create" for op in outcome.ops)
    finally:
        runtime.close()


def _written_at_0008(scratch: Engine, old: Engine, owner_key: str) -> dict[str, int]:
    """Every row of the scratch database into the 0008 one, in the columns 0008 has
    (typed as the store writes them; ids assigned by the old database, the user's
    address keyed by its own install secret). Rows per table."""
    have = set(inspect(old).get_table_names())
    counts: dict[str, int] = {}
    owner_id: int | None = None
    with scratch.connect() as src, old.begin() as dst:
        for table in Base.metadata.sorted_tables:
            if table.name not in have or table.name == "install_secrets":
                continue  # the old database has its own install secret
            columns = {c["name"] for c in inspect(old).get_columns(table.name)}
            kept = [c for c in table.columns if c.name in columns and c.name != "id"]
            rows = [dict(r) for r in src.execute(select(*kept)).mappings()]
            if not rows:
                continue
            target = Table(table.name, MetaData(), *(Column(c.name, c.type) for c in kept))
            for row in rows:
                if table.name == "users":
                    row["email_hash"] = owner_key
                elif "user_id" in row:
                    row["user_id"] = owner_id
            dst.execute(insert(target), rows)
            if table.name == "users":
                assert len(rows) == 1, "a single-user deployment"
                owner_id = dst.execute(select(table.c.id)).scalar_one()
            counts[table.name] = len(rows)
    return counts


def _blocker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BLOCKER), *args], capture_output=True, text=True, env=env, timeout=180, check=False
    )


def _block_uids(folder: Path) -> list[str]:
    text = (folder / "out" / "calendar.ics").read_text(encoding="utf-8")
    return re.findall(r"^UID:(.+?)\r?$", text, flags=re.MULTILINE)


def test_a_single_user_deployment_upgrades_without_loss(
    tmp_path: Path, urls: tuple[str, str]
) -> None:
    scratch_url, url = urls
    folder = copy_example(tmp_path)
    _synced_by_the_engine(folder, scratch_url)
    blocks_before = _block_uids(folder)
    assert blocks_before, "the old release wrote blocks"

    old = make_engine(url)
    key = TokenCipher.generate_key()
    try:
        migrate(old, OLD_REVISION)
        owner_key = Store(old, TokenCipher(key)).user_key(OWNER)
        scratch = make_engine(scratch_url)
        try:
            counts = _written_at_0008(scratch, old, owner_key)
        finally:
            scratch.dispose()
        assert {"users", "calendar_connections", "runs", "event_mappings"} <= set(counts)
        assert counts["runs"] == 2 and "rules_versions" in counts
        assert not schema_is_current(old)
    finally:
        old.dispose()

    env = {
        **os.environ,
        **subprocess_env(),
        "BLOCKER_DATABASE_URL": url,
        "BLOCKER_ENCRYPTION_KEY": key,
    }
    made = _blocker(env, "user", "add", "--admin", ADMIN)
    assert made.returncode == 0, made.stderr
    assert f"{ADMIN}: admin, active" in made.stdout
    upgraded = make_engine(url)
    try:
        assert schema_is_current(upgraded)
    finally:
        upgraded.dispose()

    with signin_service(folder, database_url=url, encryption_key=key) as service:
        store = service.store
        assert len(store.runs(CALENDAR, 50)) == 2
        service.google.state.person = FakePerson(ADMIN)
        with httpx.Client(base_url=service.base_url, timeout=60) as browser:
            landed = browser.get("/auth/google/start", params={"next": "/"}, follow_redirects=True)
            assert landed.status_code == 200, landed.text
            dashboard = browser.get("/", params={"week": WEEK, "calendar": CALENDAR})
            assert dashboard.status_code == 200, dashboard.text
            page = dashboard.text
            calendar = page[page.index(f'<li data-calendar="{CALENDAR}"') :].split("</li>")[0]
            assert 'data-state="local"' in calendar  # connected: a file on this computer
            assert "last sync" in calendar and "never" not in calendar
            runs = page[page.index('id="runs"') :]
            assert runs.count(f'<span class="cal-id" title="{CALENDAR}">') == 2
            assert "preview only" in runs and re.search(r"\d+ created", runs)
            people = browser.get("/admin/users", headers={"Accept": "text/html"})
            assert people.status_code == 200 and f"{ADMIN} (you)" in people.text
        connection = store.get_connection(CALENDAR)
        admin = store.team_user(ADMIN)
        assert connection is not None and admin is not None
        assert store.template_owner_id() == admin.id  # the old calendar is the admin's
        mappings_before = len(store.mappings(CALENDAR, WEEK))

    synced = _blocker(
        env, "sync", "--config", str(folder / "rules.yaml"), "--week", WEEK, "--now", now_arg()
    )
    assert synced.returncode == 0, synced.stderr
    assert sorted(_block_uids(folder)) == sorted(blocks_before)  # kept, none twice
    after = Store(make_engine(url), TokenCipher(key))
    try:
        runs = after.runs(CALENDAR, 50)
        assert len(runs) == 3 and runs[0].trigger == "cli" and not runs[0].errors
        assert not [op for op in runs[0].ops if op.action == "create"]
        assert len(after.mappings(CALENDAR, WEEK)) == mappings_before
    finally:
        after.close()
