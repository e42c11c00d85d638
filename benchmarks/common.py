"""Shared helpers of the benchmark sections: percentiles, the machine, result files.

Each section writes its Markdown fragment (and its raw figures as JSON) under
``benchmarks/results/``; ``python -m benchmarks`` then assembles BENCHMARKS.md
from every fragment present, so running a subset keeps the other sections.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line asked for."""

    quick: bool
    seed: int
    jobs: int = 1
    """Sections that can (lived: one persona a process) run this many at once."""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """Where and with what the figures were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ortools": version("ortools"),
        "sqlalchemy": version("sqlalchemy"),
        "psycopg": version("psycopg"),
        "uvicorn": version("uvicorn"),
    }


def save(section: str, markdown: str, figures: dict[str, Any]) -> None:
    """Write one section's fragment and raw figures."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = machine()
    (RESULTS / f"{section}.md").write_text(markdown.rstrip() + "\n")
    (RESULTS / f"{section}.json").write_text(
        json.dumps({"machine": stamp, "figures": figures}, indent=1, default=str) + "\n"
    )


def load(section: str) -> dict[str, Any] | None:
    path = RESULTS / f"{section}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def pct(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f} %"


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms"


class ServedApp:
    """An app under uvicorn on a free loopback port, in a daemon thread: the product's
    own HTTP entry point, as the benchmarks that time requests need it."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        self.app = app
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.01)

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
