"""The ``iskra-ls`` command: the language server and its account helpers.

``iskra-ls`` (or ``serve``) runs the server over stdio; ``login``, ``logout``
and ``status`` manage the token file the server watches and read the machine's quota
ledger (:mod:`iskra_ls.cli_account`); ``stub-server`` runs the bundled Iskra-compatible
service; ``demo`` shows both end to end.

Expected failures (no token, 401, 429, unreachable service, Ctrl-C, closed
stdin) print one line, ``iskra-ls: <what went wrong and what to do>``, and
exit non-zero; only a bug shows a traceback. The token is never printed.
Heavy imports (pygls, openai) happen inside the command that needs them, so
``--version`` and ``status`` start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from iskra_ls import __version__, cli_account, errors
from iskra_ls.logs import mask, setup_logging

PROG = "iskra-ls"


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, e.g. 127.0.0.1:2087")
    return host or "127.0.0.1", int(port)


def _serve_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: an option given before the subcommand is not reset by the subparser.
    parser.add_argument("--tcp", type=_host_port, metavar="HOST:PORT", default=argparse.SUPPRESS,
                        help="listen on a loopback TCP socket instead of stdio "
                             "(one client; stdio is the safe default)")
    parser.add_argument("--stdio", action="store_true", default=argparse.SUPPRESS,
                        help="use stdio (the default; accepted for editors that add it)")
    parser.add_argument("--clientProcessId", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", default=argparse.SUPPRESS, metavar="URL",
                        help="Iskra API root (default: $ISKRA_API_URL or the public service)")
    parser.add_argument("--log-level", default=argparse.SUPPRESS,
                        choices=["error", "warning", "info", "debug"],
                        help="log level (logs go to stderr)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Iskra AI in any LSP editor: inline completions and code actions.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _common_options(parser)
    _serve_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the language server (the default)")
    _common_options(serve)
    _serve_options(serve)

    login = sub.add_parser("login", help="sign in and store the token")
    _common_options(login)
    login.add_argument("--token", metavar="JWT",
                       help="store a token you already have ('-' reads it from stdin)")
    login.add_argument("--email", metavar="E", help="e-mail address to send the code to")
    login.add_argument("--json", action="store_true",
                       help="for editors: JSON lines on stdout, each code read from a stdin "
                       "line, the token printed instead of stored (needs --email)")

    logout = sub.add_parser("logout", help="forget the stored token")
    _common_options(logout)

    status = sub.add_parser("status", help="show the account's tier and today's usage")
    _common_options(status)
    status.add_argument("--json", action="store_true",
                        help="print Iskra's /auth/me object (user, usage)")

    stub = sub.add_parser(
        "stub-server", help="run the bundled Iskra-compatible server",
        description=STUB_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(stub)
    stub.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    stub.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    stub.add_argument("--latency", type=float, metavar="S", help="delay before each answer")
    stub.add_argument("--tokens-per-second", type=float, metavar="N",
                      help="streaming speed")
    stub.add_argument("--limit", type=int, metavar="N", help="requests per day per account")

    demo = sub.add_parser("demo", help="show a completion and a code action end to end")
    _common_options(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``iskra-ls`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    command = args.command or "serve"
    level = getattr(args, "log_level", None)
    try:
        if command == "serve":
            return _serve(args, level or os.environ.get("ISKRA_LOG_LEVEL") or "info")
        setup_logging(level or ("info" if command == "stub-server" else "warning"))
        if command == "login" and args.json:
            return asyncio.run(cli_account.login_json(args))
        if command == "login":
            email = None
            if args.token is None:
                email = (args.email or input("E-mail: ")).strip()
                if not email:
                    raise errors.IskraError("An e-mail address is needed to sign in.")
            return asyncio.run(cli_account.login(args, email))
        if command == "logout":
            return cli_account.logout()
        if command == "status":
            return asyncio.run(cli_account.status(args))
        if command == "stub-server":
            return _stub_server(args)
        if command == "demo":
            from iskra_ls.demo import main as demo_main

            return demo_main()
        parser.error(f"unknown command {command!r}")
    except errors.IskraError as exc:
        return _fail(cli_account.for_the_command_line(exc))
    except KeyboardInterrupt:
        return _fail("interrupted.", code=130)
    except EOFError:
        return _fail("no input (stdin is closed); nothing was changed.")
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}.")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return 0


def _fail(message: str, code: int = 1) -> int:
    print(f"{PROG}: {mask(message)}", file=sys.stderr, flush=True)
    return code


TERMINAL_HINT = (
    f"{PROG}: this is a language server: your editor starts it and speaks LSP over stdin/stdout "
    f"(set-up: README, Editors). Try `{PROG} demo` or `{PROG} --help`; Ctrl-C quits."
)


def _serve(args: argparse.Namespace, level: str) -> int:
    tcp = getattr(args, "tcp", None)
    if tcp is not None:
        from iskra_ls.transport import check_tcp_host

        check_tcp_host(tcp[0])  # before anything is bound: loopback only
    if getattr(args, "api_url", None):
        os.environ["ISKRA_API_URL"] = args.api_url  # the server's settings default
    if getattr(args, "tcp", None) is None and sys.stdin is not None and sys.stdin.isatty():
        # Typed in a terminal: say what this is, and let one Ctrl-C end it. Python's own
        # KeyboardInterrupt reaches the event loop only after the stdin reader thread wakes,
        # and at exit that thread still holds stdin's lock (a fatal error, exit 134).
        print(TERMINAL_HINT, file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, _quit_on_interrupt)
    setup_logging(level)
    from iskra_ls.server import run_server

    run_server(tcp=getattr(args, "tcp", None))
    return 0


def _quit_on_interrupt(_signum: int, _frame: object) -> None:
    """Ctrl-C at the terminal: nothing is in flight that an editor would miss; leave at once."""
    sys.stderr.flush()
    os._exit(130)


STUB_DESCRIPTION = """\
A stand-in for the Iskra service on 127.0.0.1, for trying iskra-ls and the editor plugins
without an account: its model answers with scripted suggestions, and it counts 20 requests
a day per account like the free tier.

Sign in against it from another terminal (any e-mail works; nothing is sent anywhere):

  ISKRA_API_URL=http://127.0.0.1:PORT iskra-ls login

Each sign-in gets a new random 6-digit code, printed in this server's terminal as
"Iskra stub: code for <e-mail> is <code>": type it at the Code: prompt. Editors reach the
stub when they start iskra-ls with the same ISKRA_API_URL."""


def _stub_server(args: argparse.Namespace) -> int:
    from iskra_ls.stub import run_stub_server

    knobs: dict[str, Any] = {}
    for name in ("latency", "tokens_per_second", "limit"):
        value = getattr(args, name)
        if value is not None:
            knobs[name] = value
    run_stub_server(host=args.host, port=args.port, **knobs)
    return 0
