"""The embedded OpenAI-compatible local server: FastAPI, SQLite and small local models.

It imports nothing from the client, the magics or the widgets: the two sides meet over HTTP only.

Layout: one package per API group, each with the same file names where it needs them (`routes.py`
the endpoints, `request.py` reading requests, `store.py` the SQL, `engine.py` the work):
`chat/`, `files/`, `vector_stores/`, `responses/`, `assistants/`, `conversations/`, `evals/`,
`fine_tuning/`, `organization/`, `usage/` and `inference/` (models, embeddings, moderations, legacy
completions, and the generation every other feature uses); `gateway/` hands generation to an upstream
engine when the server runs with `--upstream`. `core/` holds what they all share (database and
migrations, errors, request parsing, ids, paging, authentication, the job runner, the typed app
state) and imports no feature. Work that outlives a request (runs, eval runs, fine-tuning jobs,
background responses, vector-store ingest) is a `core.jobs.JobKind` each feature declares and
`app.py` hands to the one job runner; `models/` holds the statistical models and imports neither FastAPI
nor `core`. `app.py` wires them into one application; `server.py` runs it.

Example:
    >>> from jupyter_api_kit.local import start_local_server
    >>> server = start_local_server(db=":memory:")
    >>> server.base_url
    'http://127.0.0.1:.../v1'
    >>> server.stop()
"""


def start_local_server(*args, **kwargs):
    """Start the local server in a background thread; see `jupyter_api_kit.local.server.start_local_server`."""
    from jupyter_api_kit.local.server import start_local_server as _start

    return _start(*args, **kwargs)


__all__ = ["start_local_server"]
