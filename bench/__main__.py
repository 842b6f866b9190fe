"""``python -m bench`` (``make bench``): every benchmark in turn, then ONE table of the figures
that have a target, with their ratios and whether each is met.

Each benchmark runs in its own process (a fresh interpreter, as its figures assume) and prints
its own Markdown tables, shown as they come; the summary gathers the rows of every table with a
``target`` column. Run one benchmark alone with ``python -m bench.<name>``; ``--full`` there
runs the bigger variants. The whole default run stays within five minutes on the 2-core machine.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = (
    "bench.engine", "bench.ics_feed", "bench.feeds_http", "bench.composition", "bench.batch",
    "bench.e2e_scheduling", "bench.api_reads", "bench.busy_times",
)
BUDGET_SECONDS = 300


def tables(text: str) -> list[list[list[str]]]:
    """The Markdown tables in ``text``, each a list of rows of cells (the separator row left out)."""
    found, current = [], []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def targeted_rows(name: str, text: str) -> list[tuple[str, str, str, str, str, str]]:
    """``(benchmark, figure, measured, target, ratio, met)`` of every row of a table that has a
    target column (cells it lacks stay empty)."""
    rows = []
    for table in tables(text):
        header = [cell.lower() for cell in table[0]]
        if not any("target" in cell for cell in header):
            continue

        def cell(row: list[str], *names: str, header: list[str] = header) -> str:
            for index, title in enumerate(header):
                if index < len(row) and any(title.startswith(n) for n in names):
                    return row[index]
            return ""

        for row in table[1:]:
            target = cell(row, "target")
            if not target or target in ("—", "-"):
                continue
            measured = cell(row, "measured", "result", "median", "now", "value") or (row[1] if len(row) > 1 else "")
            if measured == target:
                measured = ""
            rows.append((name.removeprefix("bench."), row[0], measured, target, cell(row, "ratio"), cell(row, "met")))
    return rows


def main() -> int:
    started = time.monotonic()
    summary, failed = [], []
    for name in BENCHMARKS:
        print(f"\n## {name}\n", flush=True)
        begun = time.monotonic()
        result = subprocess.run([sys.executable, "-m", name], capture_output=True, text=True, check=False)
        print(result.stdout, flush=True)
        if result.returncode != 0:
            failed.append(name)
            print(result.stderr[-3000:], file=sys.stderr, flush=True)
        summary += targeted_rows(name, result.stdout)
        print(f"({name}: {time.monotonic() - begun:.0f} s)", flush=True)
    total = time.monotonic() - started
    print("\n## Summary: every figure with a target\n")
    print("| benchmark | figure | measured | target | ratio | met |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for row in summary:
        print("| " + " | ".join(row) + " |")
    within = "yes" if total <= BUDGET_SECONDS else "no"
    print(f"| bench | the whole `make bench` | {total:.0f} s | ≤ {BUDGET_SECONDS} s | {total / BUDGET_SECONDS:.2f}× | {within} |")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
