"""The console command `jupyter-api-kit`.

Example:
    $ jupyter-api-kit serve --port 8765 --db :memory:
    jupyter-api-kit: API key for this run (send it as Authorization: Bearer KEY): sk-local-...
    jupyter-api-kit: admin key for this run (organization endpoints): sk-admin-...
    http://127.0.0.1:8765/v1
    $ jupyter-api-kit serve --upstream http://127.0.0.1:11434/v1 --upstream-model-map fast=llama3.2:1b
    jupyter-api-kit: gateway to http://127.0.0.1:11434/v1 (no key): its models answer beside the local ones
    http://127.0.0.1:8765/v1
"""

from __future__ import annotations

import argparse
import os
import sys

from jupyter_api_kit.config import LOCAL_KEY_ENV


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter-api-kit", description="jupyter_api_kit command line")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the OpenAI-compatible local server until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--db", default=None, help="SQLite file, or :memory: (default: the user data directory)")
    serve.add_argument("--api-key", default=None, help="require this key on every request (default: "
                       f"{LOCAL_KEY_ENV}, else a new one printed at start); other users of this machine can see "
                       f"command lines, so prefer {LOCAL_KEY_ENV}")
    serve.add_argument("--open", dest="open_access", action="store_true",
                       help="take requests with any key or none, as a server for this machine's users alike "
                       "(loopback only)")
    serve.add_argument("--admin-key", default=None, help="admin key of the organization endpoints (default: "
                       "OPENAI_ADMIN_KEY, else a new one printed at start)")
    serve.add_argument("--upstream", metavar="URL", default=None,
                       help="gateway mode: the /v1 URL of an OpenAI-compatible engine (vLLM, llama.cpp, Ollama, the "
                       "OpenAI API) that answers for every model that is not local")
    serve.add_argument("--upstream-key-env", metavar="NAME", default=None,
                       help="environment variable holding the upstream's API key (the key itself is never "
                       "passed on the command line)")
    serve.add_argument("--upstream-model-map", metavar="A=B,...", default=None,
                       help="names this server gives upstream models: requests for A go upstream as B")
    serve.add_argument("--upstream-embedding-model", metavar="MODEL", default=None,
                       help="upstream model that embeds vector store files (default: local-embed)")
    serve.add_argument("--upstream-timeout", metavar="SECONDS", type=float, default=120.0,
                       help="longest wait for the upstream's answer or its next streamed chunk (default 120); "
                       "past it the call fails with a 504")
    serve.add_argument("--no-assistants", dest="assistants", action="store_false",
                       help="switch the Assistants API off (/assistants, /threads answer 404), as OpenAI did on "
                       "2026-08-26; Conversations and Responses stay")
    return parser


def _gateway(args):
    """The gateway the arguments ask for (None without --upstream); a ValueError says what is wrong."""
    if not args.upstream:
        if args.upstream_key_env or args.upstream_model_map or args.upstream_embedding_model:
            raise ValueError("--upstream-key-env, --upstream-model-map and --upstream-embedding-model need "
                             "--upstream URL")
        return None
    if not args.upstream.startswith(("http://", "https://")):
        raise ValueError(f"--upstream: expected an http:// or https:// URL, got {args.upstream!r}")
    if args.upstream_key_env and not os.environ.get(args.upstream_key_env):
        raise ValueError(f"--upstream-key-env: the environment variable {args.upstream_key_env} is not set")
    if args.upstream_timeout <= 0:
        raise ValueError("--upstream-timeout: expected a number of seconds above 0")
    from jupyter_api_kit.local.gateway import open_gateway
    from jupyter_api_kit.local.gateway.upstream import shown_url

    gateway = open_gateway(args.upstream, args.upstream_key_env, args.upstream_model_map,
                           args.upstream_embedding_model, read_timeout=args.upstream_timeout)
    key = f"key from ${args.upstream_key_env}" if args.upstream_key_env else "no key"
    print(f"jupyter-api-kit: gateway to {shown_url(gateway.upstream.base_url)} ({key}): its models answer beside "
          "the local ones", file=sys.stderr)
    return gateway


def _api_key(args) -> tuple[str | None, str | None]:
    """The key the server will require: --api-key, else $JUPYTER_API_KIT_LOCAL_KEY, else a new one; None
    with --open. With it, the line to print at start: the new key, or what --open means."""
    from jupyter_api_kit.local.server import server_key

    chosen = args.api_key or os.environ.get(LOCAL_KEY_ENV) or None
    if args.open_access:
        if args.api_key:
            raise ValueError("--open and --api-key exclude each other: an open server takes any key")
        return None, ("--open: any process on this machine, other users' included, can use this server and read "
                      "what it stores")
    key = server_key(chosen, False)
    return key, None if chosen else f"API key for this run (send it as Authorization: Bearer KEY): {key}"


def main(argv=None) -> int:
    """Run the `jupyter-api-kit` command with `argv` (default: the process arguments) and return its
    exit status: 0 after `serve` stops, 1 when the port cannot be used, 2 for a refused setting (an
    open server on a non-loopback address, a bad --upstream setting). Messages go to stderr; `serve`
    prints its URL when ready, and `main(["serve", "--port", "8765"])` serves until Ctrl-C.

    Example:
        >>> main(["serve", "--host", "0.0.0.0", "--open"])       # open to the network: refused before binding
        2
        >>> main(["serve", "--upstream", "http://127.0.0.1:11434/v1", "--upstream-model-map", "oops"])
        2
    """
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from jupyter_api_kit.local.server import check_bind, serve_forever

        try:
            api_key, notice = _api_key(args)
            check_bind(args.host, api_key)
            upstream = _gateway(args)
        except ValueError as exc:
            print(f"jupyter-api-kit: {exc}", file=sys.stderr)
            return 2
        if notice:
            print(f"jupyter-api-kit: {notice}", file=sys.stderr)

        admin_key = args.admin_key or os.environ.get("OPENAI_ADMIN_KEY")
        if not admin_key:
            from jupyter_api_kit.local.organization.keys import new_secret

            admin_key = new_secret("sk-admin-")
            print(f"jupyter-api-kit: admin key for this run (organization endpoints): {admin_key}", file=sys.stderr)

        def ready(url):
            print(url, flush=True)

        try:
            serve_forever(args.host, args.port, args.db, api_key, on_ready=ready, admin_key=admin_key,
                          upstream=upstream, assistants=args.assistants)
        except OSError as exc:
            print(f"jupyter-api-kit: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
