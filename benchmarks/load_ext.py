"""Benchmark ``import sfmagic`` and ``%load_ext sfmagic`` in a fresh interpreter.

Each run starts a new Python process (so nothing is imported yet), times
``import sfmagic``, then ``%load_ext sfmagic`` in an IPython
``InteractiveShell``, and, as the yardstick, ``import ipywidgets`` and
``import pandas`` afterwards: what the lazy imports save. Run it from the
repository root::

    python benchmarks/load_ext.py            # 5 runs
    python benchmarks/load_ext.py --runs 10

It prints the medians in milliseconds and the ratio of each to the load, and
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

SCRIPT = """
import json, time
started = time.perf_counter()
import sfmagic
imported = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = time.perf_counter()
shell.run_line_magic("load_ext", "sfmagic")
loaded = time.perf_counter()
import ipywidgets
widgets = time.perf_counter()
import pandas
done = time.perf_counter()
print(json.dumps({
    "import sfmagic": imported - started,
    "%load_ext sfmagic": loaded - before,
    "import ipywidgets (saved)": widgets - loaded,
    "import pandas (saved)": done - widgets,
}))
"""


def one_run() -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="Fresh processes to time.")
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    load = medians["%load_ext sfmagic"]
    width = max(len(key) for key in medians)
    print(f"{'step':<{width}}  median ms  x load")
    for key, seconds in medians.items():
        print(f"{key:<{width}}  {seconds * 1000:9.1f}  {seconds / load:6.1f}")


if __name__ == "__main__":
    main()
