"""Typed access to what ``create_app`` keeps on ``app.state``, for live-service fixtures."""

from __future__ import annotations

from fastapi import FastAPI

from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler


class AppStateAccess:
    """Mixin for a fixture dataclass holding ``app``: its runtime and scheduler."""

    app: FastAPI

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def scheduler(self) -> BlockerScheduler:
        scheduler: BlockerScheduler | None = self.app.state.scheduler
        assert scheduler is not None
        return scheduler
