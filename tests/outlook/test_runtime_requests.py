"""Graph requests counted through ``Runtime.sync`` -- what the CLI, the API and the jobs
call -- with the connection made through the product's own sign-in (real msal over
HTTPS against the identity fake) and a new runtime per run, as separate CLI
processes sharing one SQLite store would be.

The history last contacts come from is part of the week's one read (issue 16 item
2): no request of its own, on the first sync or after.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from math import ceil
from pathlib import Path

import pytest
import requests

from blocker.connect import Connector
from blocker.core.clock import fixed_clock
from blocker.runtime import RunOutcome, Runtime
from blocker.settings import Settings
from blocker.store import TokenCipher
from providers.outlook_auth import SCOPES
from providers.outlook_mapping import PRESETS, category_for
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity, form_fields
from tests.fakes.microsoft.server import TLSFiles
from tests.fakes.microsoft.signin import auth_for, sign_in
from tests.support.clock import TEST_NOW, next_week

ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "http://127.0.0.1:9/oauth/microsoft/callback"


@dataclass
class World:
    """One deployment: settings on a SQLite file, the fakes, and the week to sync."""

    settings: Settings
    rules: Path
    graph: FakeGraph
    identity: FakeIdentity
    session: requests.Session
    week: str
    minutes: int = 0

    def process(self) -> Runtime:
        """A new runtime on the same store, a minute later: another CLI process."""
        self.minutes += 1
        clock = fixed_clock(TEST_NOW + timedelta(minutes=self.minutes))
        return Runtime.open(self.settings, self.rules, clock=clock)

    def connect(self, runtime: Runtime) -> None:
        """The dashboard's sign-in: start, the browser at the identity fake, finish."""
        connector = Connector(runtime)
        url = connector.start("outlook", "work", CALLBACK)
        _, fields = form_fields(self.session.get(url).text)
        connector.finish("outlook", fields)

    def sync(self) -> tuple[RunOutcome, int]:
        """One ``blocker sync`` of the week in a new process: its outcome, its requests."""
        runtime = self.process()
        try:
            before = self.graph.log.http()
            outcome = runtime.sync(None, "work", self.week, trigger="cli")
            return outcome, self.graph.log.http() - before
        finally:
            runtime.close()


@pytest.fixture
def world(
    tmp_path: Path,
    ms_identity: FakeIdentity,
    ms_graph: FakeGraph,
    ms_tls: TLSFiles,
    ms_session: requests.Session,
) -> Iterator[World]:
    ms_graph.token_ok = ms_identity.state.token_valid
    ms_graph.token_scopes = ms_identity.state.token_scopes
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    text = text[: text.index("\ncalendars:")] + "\ncalendars:\n  - {id: work, provider: outlook}\n"
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "accounts.csv", tmp_path / "examples" / "accounts.csv")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'blocker.db'}",
        encryption_key=TokenCipher.generate_key(),
        public_base_url="http://127.0.0.1:9",  # Graph cannot validate it: polling, no push
        microsoft_client_id=ms_identity.state.client_id,
        microsoft_client_secret=ms_identity.state.client_secret,
        microsoft_authority=ms_identity.authority(),
        microsoft_graph_root=ms_graph.root,
        microsoft_ca_bundle=ms_tls.ca_file,
    )
    yield World(settings, tmp_path / "rules.yaml", ms_graph, ms_identity, ms_session, next_week())


def _movable(outcome: RunOutcome) -> tuple[object, object]:
    """Where a meeting lands on a flexible, unprotected block mid-week."""
    blocks = [b for b in outcome.plan.blocks if b.flexible and not b.protected and not b.all_day]
    target = blocks[len(blocks) // 2]
    return target.start, target.end


def test_first_sync_no_op_and_rebalance_from_separate_processes(world: World) -> None:
    runtime = world.process()
    world.connect(runtime)
    runtime.close()
    graph = world.graph

    first, cost = world.sync()
    writes = len(first.ops)
    assert first.errors == () and writes > 40
    # one read, then ceil(writes / 20) parallel batches; the categories ride in free members
    assert cost == 1 + ceil(writes / 20), graph.log.counts()
    assert graph.concurrency_rejections == 0
    made = {c["displayName"] for c in graph.mailbox.categories}
    assert made == {category_for(op.block.color)[0] for op in first.ops if op.block is not None}

    graph.log.clear()
    no_op, cost = world.sync()  # the CLI again, right after the write
    assert no_op.ops == () and no_op.errors == ()
    assert no_op.run is not None and no_op.run.extra["incremental"] == 1
    assert cost == 1, graph.log.counts()
    assert graph.log.batched("GET", "/me/events/") == 0, "the echoes' tags come from the store"

    start, end = _movable(first)
    graph.mailbox.add_foreign("Encroaching QBR", start, end, organizer="cfo@acme.example")  # type: ignore[arg-type]
    graph.log.clear()
    moved, cost = world.sync()
    assert moved.errors == () and 1 <= len(moved.ops) <= 20, moved.ops
    # the delta, the meeting looked up (delta omits tags: is it ours?), one write batch
    assert cost == 1 + 1 + 1, graph.log.counts()
    assert graph.log.batched("GET", "/me/events/") == 1

    graph.log.clear()
    again, cost = world.sync()
    assert again.ops == () and cost == 1
    assert graph.log.batched("GET", "/me/events/") == 0, "our PATCH's echo is known"
    assert graph.concurrency_rejections == 0
    painted = {
        e.data["categories"][0] for e in graph.mailbox.events.values() if e.data["categories"]
    }
    assert painted <= {c["displayName"] for c in graph.mailbox.categories}


def test_a_connection_without_mailbox_settings_syncs_uncoloured_and_says_so_once(
    world: World,
) -> None:
    """A connection made before colours needed MailboxSettings.ReadWrite: no category
    request at all, one notice in the run record, the reason on the connection; a
    reconnect that grants it brings colours back."""
    runtime = world.process()
    old = auth_for(world.identity, world.session, scopes=SCOPES)
    blob = sign_in(old, world.session)
    Connector(runtime).store("work", "outlook", blob, world.identity.state.user.email)
    runtime.close()
    graph = world.graph

    first, _ = world.sync()
    assert first.errors == () and first.ops
    assert sum(1 for _, path, _ in graph.log.entries if "masterCategories" in path) == 0
    assert all(e.data["categories"] == [] for e in graph.mailbox.events.values())
    world.sync()
    runtime = world.process()
    try:
        runs = runtime.store.runs("work")
        notices = [n for r in runs for n in r.notices]
        assert len(notices) == 1 and "MailboxSettings.ReadWrite" in notices[0]
        assert runs[-1].notices == tuple(notices), "told in the first run, not again"
        assert all(r.errors == () for r in runs), "a notice is not an error"
        conn = runtime.store.get_connection("work")
        assert conn is not None and conn.status == "connected"
        assert "Outlook colours are off" in conn.status_reason  # what the dashboard shows
        world.connect(runtime)  # the user connects again and allows it
        conn = runtime.store.get_connection("work")
        assert conn is not None and "colours" not in conn.status_reason
    finally:
        runtime.close()

    start, end = _movable(first)
    graph.mailbox.add_foreign("Encroaching QBR", start, end, organizer="cfo@acme.example")  # type: ignore[arg-type]
    graph.log.clear()
    moved, _ = world.sync()
    assert moved.errors == () and moved.ops
    runtime = world.process()
    try:
        mapped = runtime.store.mappings("work", world.week)
    finally:
        runtime.close()
    wanted = {
        mapped[op.key].event_id: category_for(op.block.color)
        for op in moved.ops
        if op.block is not None
    }
    for event_id, (name, _) in wanted.items():
        written = graph.mailbox.events[event_id]
        assert written.data["categories"] == [name], "a block written now carries its colour"
    made = {c["displayName"]: c["color"] for c in graph.mailbox.categories}
    assert made == dict(wanted.values())
    assert all(preset in PRESETS for preset in made.values())
