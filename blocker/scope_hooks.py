"""What a user's scope (:mod:`blocker.members`) answers differently from the shared
runtime: which document "the rules" edits and how it is validated, its saved
versions, and whose runs the dashboard lists. The shared runtime's answers are
here; :class:`blocker.members.MemberRuntime` overrides them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from blocker.core.models import RunRecord
from blocker.store import Store
from blocker.store.records import RulesVersion
from rules import Rules


class ScopeHooks:
    store: Store
    rules_path: Path | None

    def _parse(self, text: str) -> Rules:
        raise NotImplementedError

    def parse_editable(self, text: str) -> Rules:
        """``text`` as the editable rules would be validated on save (a user's scope:
        their overlay with the template), RulesError otherwise; changes nothing."""
        return self._parse(text)

    @property
    def rules_document(self) -> str:
        """The name problems in the editable rules are located by (a user's scope: their
        overlay, see :mod:`blocker.members`)."""
        return str(self.rules_path) if self.rules_path is not None else "rules.yaml"

    def rules_versions(self, limit: int) -> list[RulesVersion]:
        """Saved versions of the editable rules, newest first."""
        return self.store.rules_versions(limit=limit)

    def recent_runs(self, limit: int) -> list[RunRecord]:
        """The latest runs of the calendars this runtime acts on, newest first."""
        return self.store.runs(None, limit)

    def run_errors(self) -> AbstractContextManager[None]:
        """How a sync run's errors leave ``sync``: as they are here. A worker's runtime
        turns transient ones into retries (:mod:`blocker.distributed.app`); a user's
        scope answers as the runtime it wraps, so a member's run is retried too."""
        return nullcontext()

    def rules_version(self, version_id: int) -> RulesVersion | None:
        return self.store.get_rules_version(version_id)


__all__ = ["ScopeHooks"]
