"""``blocker serve``: the app factory under uvicorn, with graceful shutdown."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from blocker.settings import Settings
from blocker.web.app import create_app


def serve(
    settings: Settings,
    config_path: Path | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Run web app + scheduler until SIGINT/SIGTERM; runs in flight finish first."""
    if config_path is not None:
        settings = settings.model_copy(update={"rules_path": Path(config_path)})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )


__all__ = ["serve"]
