"""Run syncline's benchmarks: ``python -m bench [NAME ...]`` (``make bench``).

Every benchmark module in this folder exposes ``run() -> list[Figure]``; each figure is printed
beside a baseline measured in the same run. ``--list`` shows the names; ``--json FILE`` also
writes the figures as JSON. Exit code 1 when a benchmark crashed (a missed target is reported,
not fatal: the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench.common import Figure, report


def available() -> list[str]:
    """Benchmark module names found in this package (every module but common and the helper
    modules whose names start with an underscore)."""
    folder = Path(__file__).parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(folder)])
        if m.name not in ("common", "__main__") and not m.name.startswith("_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    names = available()
    if args.list:
        print("\n".join(names))
        return 0
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}")
    figures: list[Figure] = []
    crashed: list[str] = []
    for name in args.names or names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            figures.extend(module.run())
        except Exception:
            traceback.print_exc()
            crashed.append(name)
        print(f"   {name} took {time.perf_counter() - started:.1f} s", flush=True)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2))
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
