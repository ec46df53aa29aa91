"""``python -m spoolsheet.testing.fake_google``: serve the fake, or replay cassettes against it.

serve [--host H] [--port P] [--bandwidth B] [--load FILE.xlsx --id ID]...   first line: the URL
replay DIR                                                   one line per cassette, then a summary
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from .core import FakeGoogle
from .replay import replay_dir, summary
from .server import FakeServer
from .xlsx import UnreadableWorkbook


def serve(args: argparse.Namespace) -> int:
    if len(args.load) != len(args.id):
        print("error: every --load needs its --id", file=sys.stderr)
        return 2
    fake = FakeGoogle()
    for path, spreadsheet_id in zip(args.load, args.id, strict=True):
        try:
            fake.load_xlsx(path, spreadsheet_id)
        except UnreadableWorkbook as exc:
            print(f"error: --load {exc}", file=sys.stderr)
            return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeServer(fake, args.host, args.port, bandwidth=args.bandwidth) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def replay(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        print(f"error: no directory {directory}", file=sys.stderr)
        return 2
    outcomes = []
    for outcome in replay_dir(directory):
        print(outcome.line(), flush=True)
        outcomes.append(outcome)
    print(summary(outcomes))
    return 1 if any(o.status == "FAIL" for o in outcomes) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spoolsheet.testing.fake_google",
        description="A local fake of Google Sheets v4 and Drive v3.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the fake on a loopback port until killed")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=0, help="port (0 = any free port)")
    serve_cmd.add_argument(
        "--bandwidth", type=float, metavar="BYTES", help="send every answer at this many bytes a second"
    )
    serve_cmd.add_argument(
        "--load", action="append", default=[], metavar="FILE.xlsx", help="preload a workbook (repeatable)"
    )
    serve_cmd.add_argument(
        "--id", action="append", default=[], metavar="ID", help="spreadsheet id of the matching --load"
    )
    serve_cmd.set_defaults(run=serve)
    replay_cmd = commands.add_parser("replay", help="replay recorded cassettes against fresh fakes")
    replay_cmd.add_argument("directory", help="directory of vcrpy JSON cassettes")
    replay_cmd.set_defaults(run=replay)
    args = parser.parse_args(argv)
    return args.run(args)
