"""The console command `jupyter-api-kit`.

Example:
    $ jupyter-api-kit serve --port 8765 --db :memory:
    http://127.0.0.1:8765/v1
"""

from __future__ import annotations

import argparse
import os
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter-api-kit", description="jupyter_api_kit command line")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the OpenAI-compatible local server until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--db", default=None, help="SQLite file, or :memory: (default: the user data directory)")
    serve.add_argument("--api-key", default=None, help="require this key on every request")
    serve.add_argument("--admin-key", default=None, help="admin key of the organization endpoints (default: "
                       "OPENAI_ADMIN_KEY, else a new one printed at start)")
    return parser


def main(argv=None) -> int:
    """Run the `jupyter-api-kit` command with `argv` (default: the process arguments) and return its
    exit status: 0 after `serve` stops, 1 when the port cannot be used, 2 for a refused setting (an
    open server on a non-loopback address). Messages go to stderr; `serve` prints its URL when ready.

    Example:
        >>> main(["serve", "--host", "0.0.0.0"])       # no --api-key: refused before binding
        2
        >>> main(["serve", "--port", "8765"])          # serves until Ctrl-C  # doctest: +SKIP
    """
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from jupyter_api_kit.local.server import check_bind, serve_forever

        try:
            check_bind(args.host, args.api_key)
        except ValueError as exc:
            print(f"jupyter-api-kit: {exc}", file=sys.stderr)
            return 2

        admin_key = args.admin_key or os.environ.get("OPENAI_ADMIN_KEY")
        if not admin_key:
            from jupyter_api_kit.local.organization.keys import new_secret

            admin_key = new_secret("sk-admin-")
            print(f"jupyter-api-kit: admin key for this run (organization endpoints): {admin_key}", file=sys.stderr)

        def ready(url):
            print(url, flush=True)

        try:
            serve_forever(args.host, args.port, args.db, args.api_key, on_ready=ready, admin_key=admin_key)
        except OSError as exc:
            print(f"jupyter-api-kit: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
