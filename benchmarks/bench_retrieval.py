"""Ingesting and searching 200 small files on the local server, with the client over HTTP.

Subject, per round: upload 200 text files (~400 bytes each), attach them to a new vector store as one
file batch, wait until every file is processed, then run 20 searches. Three rows:

- `retrieval: ingest + search, 200 files`: the whole round; baseline: uploading the same 200 files
  and nothing else (so the ratio shows what chunking, embedding, storing and searching add to the
  bare uploads; below 1 means the subject takes longer).
- `retrieval: batch + wait, 200 files`: attaching and processing; baseline: chunking and embedding
  the same texts in-process with the same code, no HTTP and no SQLite.
- `retrieval: 20 searches over 200 files`: the searches over HTTP; baseline: the same 20 queries
  as a brute-force numpy search in-process over the same chunk vectors (embed the query, one
  matrix product, top 10).

The server runs in its own process (`jupyter-api-kit serve`, in-memory database, files in a
temporary directory); each figure is the median of ROUNDS rounds, upload-only and full rounds
alternating so that load from other processes affects both alike.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time

import numpy as np

from benchmarks.server_process import KEY, served

FILES = 200
SEARCHES = 20
ROUNDS = 5
_WORDS = ("planet moon orbit star comet galaxy telescope gravity crater ring atmosphere volcano ocean river "
          "mountain forest desert bread soup oven flour spice garden harvest river bridge engine signal "
          "music rhythm melody poem story history empire trade market").split()


def _texts(seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(FILES):
        sentences = [" ".join(rng.choice(_WORDS) for _ in range(9)).capitalize() + "." for _ in range(6)]
        out.append(f"Note {i}. " + " ".join(sentences))
    return out


def _queries() -> list[str]:
    rng = random.Random(1)
    return [" ".join(rng.sample(_WORDS, 3)) for _ in range(SEARCHES)]


def _upload(client, texts) -> list[str]:
    return [client.files.create(file=t.encode(), filename=f"note{i}.txt", purpose="assistants").id
            for i, t in enumerate(texts)]


def _subject_round(client, texts, queries) -> tuple[float, float, float]:
    """(total, batch + wait, searches) seconds of one full round."""
    started = time.perf_counter()
    ids = _upload(client, texts)
    store = client.vector_stores.create(name="bench")
    indexing = time.perf_counter()
    batch = client.vector_stores.file_batches.create(store.id, file_ids=ids)
    batch = client.vector_stores.file_batches.poll(store.id, batch.id, interval=0.02)
    assert batch.file_counts.completed == FILES, dict(batch.file_counts)
    searching = time.perf_counter()
    for q in queries:
        assert client.vector_stores.search(store.id, query=q).data
    done = time.perf_counter()
    client.vector_stores.delete(store.id)
    for fid in ids:
        client.files.delete(fid)
    return done - started, searching - indexing, done - searching


def _upload_round(client, texts) -> float:
    started = time.perf_counter()
    ids = _upload(client, texts)
    elapsed = time.perf_counter() - started
    for fid in ids:
        client.files.delete(fid)
    return elapsed


def _in_process_index(texts):
    """Chunk and embed in-process with the server's own code: (seconds, chunk matrix)."""
    from jupyter_api_kit.local.vector_stores.chunking import chunk_text, parse_strategy
    from jupyter_api_kit.local.models.embedding import get_embedding_model

    model, strategy = get_embedding_model(), parse_strategy(None)
    started = time.perf_counter()
    chunks = [c.text for t in texts for c in chunk_text(t, strategy)]
    matrix = model.embed(chunks)
    return time.perf_counter() - started, matrix


def _numpy_search(matrix, queries) -> float:
    from jupyter_api_kit.local.models.embedding import get_embedding_model

    model = get_embedding_model()
    started = time.perf_counter()
    for q in queries:
        scores = matrix @ model.embed(q)[0]
        np.argsort(-scores)[:10]
    return time.perf_counter() - started


def run() -> list[dict]:
    from jupyter_api_kit.client import Client

    texts, queries = _texts(), _queries()
    with tempfile.TemporaryDirectory() as data_dir:
        with served(data_dir) as url:
            client = Client(base_url=url, api_key=KEY, max_retries=0)
            _upload_round(client, texts[:5])  # warm up: connections, model loading
            subject, uploads = [], []
            for _ in range(ROUNDS):
                uploads.append(_upload_round(client, texts))
                subject.append(_subject_round(client, texts, queries))
            client.close()
    _in_process_index(texts[:5])
    index_runs, search_runs = [], []
    for _ in range(ROUNDS):
        seconds, matrix = _in_process_index(texts)
        index_runs.append(seconds)
        search_runs.append(_numpy_search(matrix, queries))

    def row(name, subject_s, baseline_s, baseline, note=""):
        return {"benchmark": name, "subject_s": subject_s, "baseline_s": baseline_s,
                "ratio": baseline_s / subject_s, "baseline": baseline, "note": note}

    med = statistics.median
    return [
        row(f"retrieval: ingest + search, {FILES} files", med(s[0] for s in subject), med(uploads),
            f"the same {FILES} uploads without indexing or search",
            f"upload + 1 file batch + wait + {SEARCHES} searches over HTTP"),
        row(f"retrieval: batch + wait, {FILES} files", med(s[1] for s in subject), med(index_runs),
            "chunk + embed the same texts in-process (no HTTP, no SQLite)"),
        row(f"retrieval: {SEARCHES} searches over {FILES} files", med(s[2] for s in subject), med(search_runs),
            "brute-force numpy search in-process over the same vectors"),
    ]


if __name__ == "__main__":
    for r in run():
        print(f"{r['benchmark']:<40} {r['subject_s']:8.3f}s  baseline {r['baseline_s']:8.3f}s  "
              f"ratio {r['ratio']:6.3f}  ({r['baseline']})")
