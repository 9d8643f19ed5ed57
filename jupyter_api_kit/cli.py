"""The console command `jupyter-api-kit`.

Example:
    $ jupyter-api-kit serve --port 8765 --db :memory:
    http://127.0.0.1:8765/v1
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter-api-kit", description="jupyter_api_kit command line")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the OpenAI-compatible local server until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--db", default=None, help="SQLite file, or :memory: (default: the user data directory)")
    serve.add_argument("--api-key", default=None, help="require this key on every request")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from jupyter_api_kit.local.server import check_bind, serve_forever

        try:
            check_bind(args.host, args.api_key)
        except ValueError as exc:
            print(f"jupyter-api-kit: {exc}", file=sys.stderr)
            return 2

        def ready(url):
            print(url, flush=True)

        try:
            serve_forever(args.host, args.port, args.db, args.api_key, on_ready=ready)
        except OSError as exc:
            print(f"jupyter-api-kit: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
