"""``python -m benchmarks [SECTION ...] [--quick] [--seed N] [--jobs N]``.

SECTION: quality, speed, requests, latency, scale, lived, hostile, team. Runs the chosen
sections (all by default), writes their fragments under benchmarks/results/ and
assembles BENCHMARKS.md from every fragment present.
"""

from __future__ import annotations

import argparse
import importlib
import time

from benchmarks.common import RESULTS, ROOT, Options, machine, table

SECTIONS = ("quality", "speed", "requests", "latency", "scale", "lived", "hostile", "team")
MODULES = {
    "quality": "benchmarks.quality",
    "speed": "benchmarks.quality",
    "requests": "benchmarks.requests",
    "latency": "benchmarks.latency",
    "scale": "benchmarks.scale",
    "lived": "benchmarks.lived",
    "hostile": "benchmarks.hostile",
    "team": "benchmarks.lead_view",
}

INTRO = """\
# Benchmarks

Regenerate with `python -m benchmarks` (all sections, about 2 hours on 2 cores, 72
minutes of which are section 5's 1,000 and 10,000 members),
`python -m benchmarks quality speed` (a subset; the other sections keep their last
figures) or `--quick` (fewer weeks, users and notifications: a smoke run, not the
figures below). Every figure comes from the code in `benchmarks/`; ratios are
measured in the same run. The machine is shared and noisy: read absolute times as
indications, ratios as the result.
"""


def assemble() -> str:
    parts = [INTRO]
    stamp = machine()
    rows = [[k, v] for k, v in stamp.items()]
    parts.append("Assembled on:\n\n" + table(["", ""], rows) + "\n")
    for section in SECTIONS:
        path = RESULTS / f"{section}.md"
        if path.exists():
            parts.append(path.read_text())
        else:
            parts.append(f"## {section}\n\nNot run yet.\n")
    # Hand-kept parts: the reading of the figures, and the "Past one node" section
    # measured by tests/distributed/bench_past_one_node.py (PostgreSQL workers).
    for name in ("READING.md", "PAST_ONE_NODE.md"):
        extra = ROOT / "benchmarks" / name
        if extra.exists():
            parts.append(extra.read_text())
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="a fast, smaller run")
    parser.add_argument("--seed", type=int, default=2026, help="first generator seed")
    parser.add_argument(
        "--jobs", type=int, default=1, help="lived: personas lived at once, one process each"
    )
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    chosen = set(args.sections or SECTIONS)
    options = Options(quick=args.quick, seed=args.seed, jobs=max(1, args.jobs))
    done: set[str] = set()
    for section in SECTIONS:
        if section not in chosen or MODULES[section] in done:
            continue
        began = time.perf_counter()
        print(f"{section}...", flush=True)
        module = importlib.import_module(MODULES[section])
        module.main(options, chosen)
        done.add(MODULES[section])
        print(f"{section}: {time.perf_counter() - began:.0f} s", flush=True)
    (ROOT / "BENCHMARKS.md").write_text(assemble())


if __name__ == "__main__":
    main()
