"""``python -m bench`` (``make bench``): every benchmark in turn, each printing its Markdown table.

The end-to-end benchmark starts PostgreSQL-, Redis- and gunicorn-backed processes on loopback
and takes a few minutes; run one benchmark alone with ``python -m bench.<name>``.
"""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = ("bench.engine", "bench.ics_feed", "bench.feeds_http", "bench.composition", "bench.batch", "bench.e2e_scheduling", "bench.api_reads")

for name in BENCHMARKS:
    print(f"\n## {name}\n", flush=True)
    sys.argv = [name]
    runpy.run_module(name, run_name="__main__")
