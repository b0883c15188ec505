"""Query results into pandas: sfmagic against the usual recipes, client side.

Starts the emulator in its own process (``python -m sfmagic emulator --scale N``),
reads the instance URL, CA file and access token it prints, then runs each
variant in a fresh Python process and measures that process's CPU time, wall
time and peak memory above its state before the query:

* ``sfmagic``: ``sfmagic.client.frames.run_query`` (pages read by pyarrow.json
  with an explicit schema);
* ``sfmagic-orjson``: the same, with every page read by orjson into column
  arrays instead;
* ``sfmagic-bulk``: ``run_query(bulk=True)`` (Bulk API 2.0, CSV read by
  pyarrow.csv);
* ``sf-dataframe``: simple-salesforce ``query_all`` + ``pd.DataFrame``;
* ``sf-normalize``: ``query_all`` + ``pd.json_normalize`` + the same dtypes as
  sfmagic (the recipe people paste into notebooks);
* ``sf-bulk2``: simple-salesforce ``bulk2`` download + ``pd.read_csv``;
* ``parquet-10k`` and ``parquet-all``: ``run_query(to="….parquet")`` on the
  first 10,000 rows and on all of them, to show that streaming to Parquet keeps
  peak memory flat as the row count grows;
* ``floor``: the same pages fetched with requests and parsed by orjson, no
  DataFrame at all.

Usage::

    python benchmarks/query.py                 # 100,000 accounts
    python benchmarks/query.py --scale 20000 --variants sfmagic,floor

The query selects 12 fields of Account: text, Owner.Name, a datetime, a date, a
currency, a boolean and an integer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SOQL = (
    "SELECT Id, Name, Owner.Name, CreatedDate, LastActivityDate, AnnualRevenue, "
    "IsDeleted, NumberOfEmployees, Industry, Type, BillingCity, Phone FROM Account"
)
VARIANTS = [
    "floor",
    "sfmagic",
    "sfmagic-orjson",
    "sfmagic-bulk",
    "sf-dataframe",
    "sf-normalize",
    "sf-bulk2",
    "parquet-10k",
    "parquet-all",
]
API_VERSION = "62.0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_variant(args.run, json.loads(args.org))))
        return 0
    with emulator(args.scale) as org:
        results = {}
        for name in args.variants.split(","):
            results[name] = measure(name, org)
            print(f"{name:15} {format_row(results[name])}", flush=True)
    print_ratios(results)
    return 0


class emulator:  # noqa: N801 - used as a context manager, like open()
    """The emulator in a subprocess, stopped on exit."""

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> dict[str, str]:
        command = [sys.executable, "-m", "sfmagic", "emulator"]
        command += ["--scale", str(self.scale), "--port", "0"]
        started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=dict(os.environ)
        )
        found: dict[str, str] = {}
        assert self.process.stdout is not None
        for line in self.process.stdout:
            match = re.match(r"\s+([a-zA-Z ]+):\s+(\S+)", line)
            if match:
                found[match.group(1)] = match.group(2)
            if line.startswith("Press Ctrl+C"):
                break
        if "access token" not in found:
            raise SystemExit("the emulator did not start")
        took = time.perf_counter() - started
        print(f"emulator with {self.scale:,} accounts ready in {took:.0f} s")
        return {
            "url": found["instance URL"],
            "ca": found["CA file"],
            "token": found["access token"],
        }

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def measure(name: str, org: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--run", name, "--org", json.dumps(org)]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        return {"error": output.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def format_row(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"failed: {result['error']}"
    return (
        f"cpu {result['cpu']:6.2f} s  wall {result['wall']:6.2f} s  "
        f"peak +{result['peak_mb']:6.0f} MB  frame {result['frame_mb']:5.0f} MB  "
        f"rows {result['rows']:,}"
    )


def print_ratios(results: dict[str, dict[str, Any]]) -> None:
    base = results.get("sfmagic")
    if not base or "error" in base:
        return
    print("\nCPU time relative to sfmagic (higher = sfmagic faster):")
    for name, result in results.items():
        if name != "sfmagic" and "error" not in result:
            print(f"  {name:15} {result['cpu'] / base['cpu']:5.2f}x")
    page = 2000 * 700 / 2**20
    limit = 1.5 * base["frame_mb"] + page
    print(
        f"sfmagic peak {base['peak_mb']:.0f} MB; goal at most 1.5 x frame + one page "
        f"= {limit:.0f} MB"
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_variant(name: str, org: dict[str, str]) -> dict[str, Any]:
    """Run one variant in this process and measure it."""
    prepare = PREPARE[name]
    work = prepare(org)
    before = _rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    frame = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = len(frame) if frame is not None else 0
    frame_mb = (
        frame.memory_usage(deep=True).sum() / 2**20
        if hasattr(frame, "memory_usage")
        else 0.0
    )
    return {
        "cpu": cpu,
        "wall": wall,
        "peak_mb": peak - before,
        "frame_mb": float(frame_mb),
        "rows": rows,
    }


def _session(org: dict[str, str]) -> Any:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    # The emulator closes connections idle for 5 s; simple-salesforce's bulk2
    # polls every 5 s, so let GETs retry on a connection closed under them.
    retry = Retry(total=3, allowed_methods=frozenset({"GET"}), backoff_factor=0.1)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.trust_env = False
    session.verify = org["ca"]
    session.headers["Authorization"] = f"Bearer {org['token']}"
    return session


def _sfmagic(bulk: bool, reader: str = "arrow") -> Any:
    def prepare(org: dict[str, str]) -> Any:
        import pandas  # noqa: F401 - imported before measuring
        import pyarrow.json  # noqa: F401

        from sfmagic.client import frames, shaping
        from sfmagic.client.query_transport import SessionTransport

        if reader == "orjson":
            shaping.read_page = lambda body, plan, schema=None: (
                shaping.read_page_orjson(body, plan)
            )
        transport = SessionTransport(_session(org), org["url"], API_VERSION)
        # Describe is fetched once per connection; warm it outside the timing.
        frames.run_query(transport, SOQL + " LIMIT 1", progress=False)

        def work() -> Any:
            result = frames.run_query(transport, SOQL, bulk=bulk, progress=False)
            return result.frame

        return work

    return prepare


def _parquet(limit: str) -> Any:
    def prepare(org: dict[str, str]) -> Any:
        import pandas  # noqa: F401 - imported before measuring
        import pyarrow.parquet  # noqa: F401

        from sfmagic.client import frames
        from sfmagic.client.query_transport import SessionTransport

        transport = SessionTransport(_session(org), org["url"], API_VERSION)
        frames.run_query(transport, SOQL + " LIMIT 1", progress=False)
        target = Path(tempfile.mkdtemp()) / "accounts.parquet"

        def work() -> Any:
            result = frames.run_query(
                transport, SOQL + limit, to=target, progress=False
            )
            return [0] * result.rows

        return work

    return prepare


def _simple_salesforce(org: dict[str, str]) -> Any:
    from simple_salesforce.api import Salesforce

    return Salesforce(
        instance_url=org["url"],
        session_id=org["token"],
        session=_session(org),
        version=API_VERSION,
    )


def _sf_dataframe(org: dict[str, str]) -> Any:
    import pandas as pd

    sf = _simple_salesforce(org)

    def work() -> Any:
        return pd.DataFrame(sf.query_all(SOQL)["records"])

    return work


def _sf_normalize(org: dict[str, str]) -> Any:
    import pandas as pd

    sf = _simple_salesforce(org)

    def work() -> Any:
        records = sf.query_all(SOQL)["records"]
        frame = pd.json_normalize(records)
        frame = frame.drop(
            columns=[c for c in frame.columns if c.split(".")[-1] in ("attributes",)]
            + [
                c
                for c in frame.columns
                if ".attributes." in c or c.startswith("attributes.")
            ]
        )
        for column in ("CreatedDate",):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        frame["LastActivityDate"] = pd.to_datetime(frame["LastActivityDate"]).dt.date
        frame["AnnualRevenue"] = frame["AnnualRevenue"].astype("float64")
        frame["IsDeleted"] = frame["IsDeleted"].astype("boolean")
        frame["NumberOfEmployees"] = frame["NumberOfEmployees"].astype("Int64")
        for column in ("Id", "Name", "Owner.Name", "Industry", "Type", "BillingCity"):
            frame[column] = frame[column].astype("string[pyarrow]")
        frame["Phone"] = frame["Phone"].astype("string[pyarrow]")
        return frame

    return work


def _sf_bulk2(org: dict[str, str]) -> Any:
    import pandas as pd

    sf = _simple_salesforce(org)
    folder = tempfile.mkdtemp()

    def work() -> Any:
        sf.bulk2.Account.download(SOQL, path=folder, max_records=100_000)
        parts = [pd.read_csv(path) for path in sorted(Path(folder).iterdir())]
        return pd.concat(parts, ignore_index=True)

    return work


def _floor(org: dict[str, str]) -> Any:
    import orjson

    session = _session(org)
    base = org["url"]

    def work() -> Any:
        url = f"{base}/services/data/v{API_VERSION}/query/"
        response = session.get(url, params={"q": SOQL})
        rows = 0
        while True:
            page = orjson.loads(response.content)
            rows += len(page["records"])
            if not page.get("nextRecordsUrl"):
                break
            response = session.get(base + page["nextRecordsUrl"])
        return [0] * rows

    return work


PREPARE = {
    "floor": _floor,
    "sfmagic": _sfmagic(bulk=False),
    "sfmagic-orjson": _sfmagic(bulk=False, reader="orjson"),
    "sfmagic-bulk": _sfmagic(bulk=True),
    "sf-dataframe": _sf_dataframe,
    "sf-normalize": _sf_normalize,
    "sf-bulk2": _sf_bulk2,
    "parquet-10k": _parquet(" LIMIT 10000"),
    "parquet-all": _parquet(""),
}


if __name__ == "__main__":
    sys.exit(main())
