"""The ``sfmagic`` command.

``sfmagic emulator`` serves a local Salesforce org until interrupted and prints
what a client needs to reach it: the instance URL, the CA file to trust, the demo
admin's credentials, the demo connected app and a ready bearer token.
``sfmagic demo`` answers a sample query from the demo org and stops;
``sfmagic lab`` opens the tutorial notebooks in JupyterLab.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sfmagic import __version__

if TYPE_CHECKING:
    from sfmagic.emulator.org import RunningOrg

__all__ = ["build_parser", "main"]

_EMULATOR_DESCRIPTION = """\
Serve a local Salesforce org over HTTPS until interrupted (Ctrl+C or SIGTERM).

The org speaks the REST data API (query, describe, records, limits) as
simple-salesforce expects it, stores records in SQLite and signs its server
certificate with a CA of its own. The command prints the instance URL, the CA
file to trust, the demo admin's username, password and security token, the demo
connected app's client id and secret, and a bearer token to start with. These
are credentials of this local emulator only.
"""

_EMULATOR_EPILOG = """\
examples:
  sfmagic emulator --demo
  sfmagic emulator --data ~/.sfmagic/org --port 8443
  sfmagic emulator --scale 100000 --schema custom_objects.json
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sfmagic`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="sfmagic",
        description="Salesforce as a first-class citizen of Jupyter.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    emulator = commands.add_parser(
        "emulator",
        help="Serve a local Salesforce org over HTTPS.",
        description=_EMULATOR_DESCRIPTION,
        epilog=_EMULATOR_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    emulator.add_argument(
        "--port",
        type=_port,
        default=0,
        help="TCP port to listen on. The default, 0, lets the system pick a free "
        "port; the URL printed at startup shows which.",
    )
    emulator.add_argument(
        "--host",
        default="127.0.0.1",
        help="Address to listen on. The default is the loopback address "
        "127.0.0.1; pass another address only if other machines must reach the "
        "emulator.",
    )
    emulator.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="Directory that keeps the org (org.sqlite, the CA and the server "
        "certificate) across restarts. Without it the org lives in memory and "
        "is gone when the command stops.",
    )
    emulator.add_argument(
        "--demo",
        action="store_true",
        help="Fill an empty org with the demo data set: users, a lead queue, "
        "about 300 accounts with contacts, cases, leads, opportunities, tasks, "
        "events and notes.",
    )
    emulator.add_argument(
        "--scale",
        type=_positive,
        metavar="N",
        help="Generate N accounts with proportional children instead of the demo "
        "size (implies --demo); useful for benchmarks.",
    )
    emulator.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="TOML or JSON file describing custom objects and fields to add to "
        "the standard objects (format: sfmagic.emulator.custom_schema).",
    )
    emulator.add_argument(
        "--time-zone",
        type=_time_zone,
        metavar="ZONE",
        help="The org's time zone, used by SOQL date literals such as TODAY "
        "(an IANA name; default America/Los_Angeles).",
    )
    emulator.add_argument(
        "--session-lifetime",
        type=_positive,
        metavar="SECONDS",
        help="How long access tokens stay valid (default 7200, two hours).",
    )
    emulator.add_argument(
        "--daily-api-limit",
        type=_positive,
        metavar="N",
        help="Daily API request allocation reported in Sforce-Limit-Info and "
        "limits/; requests past it are refused (default 15000).",
    )
    emulator.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="Level of the emulator's log on standard error; 'info' logs one "
        "line per request (default: warning).",
    )
    emulator.set_defaults(handler=run_emulator)

    demo = commands.add_parser(
        "demo",
        help="Start the demo org, answer a sample query over HTTPS, and stop.",
        description="Start the demo org in the embedded emulator (in memory), ask "
        "it over HTTPS for the newest leads waiting in the 'Inbound Leads' queue, "
        "print them, and stop.",
    )
    demo.add_argument(
        "--limit",
        type=_positive,
        default=10,
        metavar="N",
        help="How many leads to show (default 10).",
    )
    demo.set_defaults(handler=run_demo)

    lab = commands.add_parser(
        "lab",
        help="Open the tutorial notebooks in JupyterLab.",
        description=_LAB_DESCRIPTION,
        epilog=_LAB_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lab.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=Path("notebooks"),
        metavar="DIR",
        help="Folder to open (default: ./notebooks, the tutorials of a clone of "
        "the sfmagic repository).",
    )
    lab.add_argument(
        "--port",
        type=_port,
        default=0,
        help="Port for JupyterLab (default: the first free one from 8888).",
    )
    lab.add_argument(
        "--no-browser",
        action="store_true",
        help="Do not open a web browser; JupyterLab prints the URL to open.",
    )
    lab.set_defaults(handler=run_lab)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sfmagic`` command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


def run_emulator(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Serve an org as the ``emulator`` subcommand's arguments ask, until a signal."""
    out = out or sys.stdout
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s"
    )
    from sfmagic.emulator.custom_schema import CustomSchemaError
    from sfmagic.emulator.org import start_org
    from sfmagic.emulator.settings import OrgSettings

    settings = OrgSettings()
    if args.time_zone:
        settings.time_zone = args.time_zone
    if args.session_lifetime:
        settings.session_lifetime = args.session_lifetime
    if args.daily_api_limit:
        settings.daily_api_limit = args.daily_api_limit

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        try:
            org = start_org(
                demo=args.demo,
                data=args.data,
                scale=args.scale,
                port=args.port,
                host=args.host,
                settings=settings,
                schema_file=args.schema,
                log_level=args.log_level,
            )
        except (OSError, CustomSchemaError) as error:
            print(f"sfmagic emulator: error: cannot start: {error}", file=sys.stderr)
            return 1
        with org:
            _print_org(org, out)
            while not stop.wait(0.5):
                pass
            print("sfmagic emulator: stopping", file=out, flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


DEMO_QUERY = (
    "SELECT Name, Company, Status, LeadSource, CreatedDate FROM Lead "
    "WHERE Owner.Name = 'Inbound Leads' AND IsConverted = false "
    "ORDER BY CreatedDate DESC LIMIT {limit}"
)
_DEMO_COLUMNS = ("Name", "Company", "Status", "LeadSource", "CreatedDate")


def run_demo(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Start the demo org, print the answer to a sample query, and stop."""
    out = out or sys.stdout
    from sfmagic.emulator import start
    from sfmagic.emulator.settings import CURRENT_API_VERSION

    soql = DEMO_QUERY.format(limit=args.limit)
    with start(demo=True) as org:
        session = org.session()
        session.headers["Authorization"] = f"Bearer {org.access_token()}"
        response = session.get(
            f"{org.instance_url}/services/data/v{CURRENT_API_VERSION}/query/",
            params={"q": soql},
            timeout=60,
        )
        response.raise_for_status()
        answer = response.json()
        print(f"Demo org at {org.instance_url}", file=out)
        print(f"SOQL: {soql}", file=out)
        print(f"{answer['totalSize']} leads:", file=out)
        _print_table(answer["records"], _DEMO_COLUMNS, out)
    return 0


_LAB_DESCRIPTION = """\
Open the tutorial notebooks in JupyterLab, on this machine only (127.0.0.1).

Each tutorial starts with `%sf_login --local`, which runs the embedded emulator
with the demo org inside the notebook's kernel; swap that one line for
`%sf_login --login-url https://login.salesforce.com` (or a profile) to work
with a real org. JupyterLab comes with the `lab` extra:
`pip install 'sfmagic[lab]'`.
"""

_LAB_EPILOG = """\
examples:
  sfmagic lab
  sfmagic lab my-notebooks --port 8890 --no-browser
"""


def lab_command(args: argparse.Namespace) -> list[str]:
    """The JupyterLab command line that ``sfmagic lab`` runs for ``args``."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--ServerApp.root_dir={args.directory.resolve()}",
    ]
    if args.port:
        command.append(f"--port={args.port}")
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Jupyter refuses to run as root unless told; containers often are root.
        command.append("--allow-root")
    return command


def run_lab(args: argparse.Namespace) -> int:
    """Run JupyterLab on the tutorials until it stops; returns its exit status."""
    if not args.directory.is_dir():
        print(
            f"sfmagic lab: error: {args.directory} is not a folder; run this from "
            "a clone of the sfmagic repository or name a folder of notebooks.",
            file=sys.stderr,
        )
        return 2
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "sfmagic lab: error: JupyterLab is not installed; install it with "
            "pip install 'sfmagic[lab]'.",
            file=sys.stderr,
        )
        return 2
    process = subprocess.Popen(lab_command(args))
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()


def _print_table(
    records: Sequence[dict[str, object]], columns: Sequence[str], out: TextIO
) -> None:
    rows = [[str(record.get(name) or "") for name in columns] for record in records]
    widths = [
        max([len(name)] + [len(row[i]) for row in rows])
        for i, name in enumerate(columns)
    ]
    print(
        "  ".join(name.ljust(w) for name, w in zip(columns, widths, strict=True)),
        file=out,
    )
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)),
            file=out,
        )


def _print_org(org: RunningOrg, out: TextIO) -> None:
    lines = [
        ("instance URL", org.instance_url),
        ("CA file", str(org.ca_file)),
        ("org id", org.org_id),
        ("username", org.username),
        ("password", org.password),
        ("security token", org.security_token),
        ("client id", org.client_id),
        ("client secret", org.client_secret),
        ("redirect URI", org.redirect_uri),
        ("access token", org.access_token()),
    ]
    print("sfmagic emulator is serving a local Salesforce org", file=out)
    width = max(len(label) for label, _ in lines) + 1
    for label, value in lines:
        print(f"  {label + ':':<{width}} {value}", file=out)
    print("Press Ctrl+C to stop.", file=out, flush=True)


def _time_zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a known time zone") from None
    return text


def _port(text: str) -> int:
    number = _integer(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return number


def _positive(text: str) -> int:
    number = _integer(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
