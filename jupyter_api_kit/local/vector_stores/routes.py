"""/v1/vector_stores: stores, their files, file batches, file content and search (16 operations).

Files are processed in the background (see `vector_stores.engine`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.db import dumps
from jupyter_api_kit.local.core.errors import BadRequest, NotFound, found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor, paging
from jupyter_api_kit.local.core.request_models import checked, query
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.files.store import file_record, read_file_bytes
from jupyter_api_kit.local.files.text import extract_text
from jupyter_api_kit.local.vector_stores.embedding import embed_query, embedding_model
from jupyter_api_kit.local.vector_stores import engine as ingest
from jupyter_api_kit.local.vector_stores import store as vdb
from jupyter_api_kit.local.vector_stores.chunking import parse_strategy
from jupyter_api_kit.local.vector_stores.request import (
    AttributesBody,
    CreateVectorStoreBody,
    FileBatchBody,
    FilesQuery,
    SearchBody,
    UpdateVectorStoreBody,
    VectorStoreFileBody,
)
from jupyter_api_kit.local.vector_stores.search import (
    parse_filter,
    rewrite_query,
    search,
)

router = APIRouter()


def _check_files(store, file_ids: list[str], param: str) -> list[str]:
    """The files exist (a request model has checked they are strings)."""
    for i, fid in enumerate(file_ids):
        try:
            file_record(store, fid)
        except NotFound:
            raise NotFound(f"No file found with id '{fid}' ({param}[{i}]); upload it with POST /v1/files "
                           "first.", param=f"{param}[{i}]") from None
    return list(dict.fromkeys(file_ids))  # a file listed twice is attached once


def _store(request: Request, vector_store_id: str) -> dict:
    store = request.app.state.store
    return vdb.store_object(store, vdb.store_row(store, vector_store_id))


# -- stores -------------------------------------------------------------------------------------------

@router.post("/vector_stores")
def create_vector_store(request: Request, body: dict = Depends(checked(CreateVectorStoreBody, required=True)),
                        principal: Principal = Depends(authenticate)):
    store = request.app.state.store
    name = body.get("name") or ""
    metadata = body.get("metadata") or {}
    expires_after = body.get("expires_after")
    file_ids = _check_files(store, body.get("file_ids") or [], "file_ids")
    if body.get("chunking_strategy") is not None and not file_ids:
        raise BadRequest("Invalid 'chunking_strategy': it applies to 'file_ids', which is empty.",
                         param="chunking_strategy")
    strategy = parse_strategy(body.get("chunking_strategy"))
    vsid = ingest.create_store(request.app, name=name, file_ids=file_ids, strategy=strategy, metadata=metadata,
                               expires_after=expires_after, principal=principal)
    return _store(request, vsid)


@router.get("/vector_stores")
def list_vector_stores(request: Request, cursor: Cursor = Depends(paging())):
    store = request.app.state.store
    return vdb.keyed_page(store, "vector_stores", "1", (), cursor, lambda r: vdb.store_object(store, r))


@router.get("/vector_stores/{vector_store_id}")
def retrieve_vector_store(vector_store_id: str, request: Request):
    return _store(request, vector_store_id)


@router.post("/vector_stores/{vector_store_id}")
def modify_vector_store(vector_store_id: str, request: Request,
                        body: dict = Depends(checked(UpdateVectorStoreBody, required=True))):
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    changes = {}
    if "name" in body:
        changes["name"] = body["name"] or ""
    if "metadata" in body:
        changes["metadata"] = dumps(body["metadata"] or {})
    if "expires_after" in body:
        after = body["expires_after"]
        changes["expires_after"] = dumps(after) if after else None
        changes["last_active_at"] = now()  # the expiry clock restarts from this change
    vdb.update_store(store, vector_store_id, changes)
    return _store(request, vector_store_id)


@router.delete("/vector_stores/{vector_store_id}")
def delete_vector_store(vector_store_id: str, request: Request):
    vdb.delete_store(request.app.state.store, vector_store_id)
    return {"id": vector_store_id, "object": "vector_store.deleted", "deleted": True}


# -- files ---------------------------------------------------------------------------------------------

@router.post("/vector_stores/{vector_store_id}/files")
def create_vector_store_file(vector_store_id: str, request: Request,
                             body: dict = Depends(checked(VectorStoreFileBody)),
                             principal: Principal = Depends(authenticate)):
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    file_id = body["file_id"]
    _check_files(store, [file_id], "file_id")
    attributes = body.get("attributes")
    strategy = parse_strategy(body.get("chunking_strategy"))
    vdb.attach_one(store, vector_store_id, file_id, attributes, strategy)
    ingest.start(request.app, vector_store_id, [file_id], principal)
    return vdb.file_object(vdb.file_row(store, vector_store_id, file_id))


def _status_filter(options: FilesQuery) -> tuple[str, tuple]:
    return ("status = ?", (options.filter,)) if options.filter else ("1", ())


@router.get("/vector_stores/{vector_store_id}/files")
def list_vector_store_files(vector_store_id: str, request: Request, cursor: Cursor = Depends(paging()),
                            options: FilesQuery = Depends(query(FilesQuery))):
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    where, args = _status_filter(options)
    return vdb.keyed_page(store, "vector_store_files", f"vector_store_id = ? AND {where}",
                          (vector_store_id, *args), cursor, vdb.file_object, key="file_id")


@router.get("/vector_stores/{vector_store_id}/files/{file_id}")
def retrieve_vector_store_file(vector_store_id: str, file_id: str, request: Request):
    return vdb.file_object(vdb.file_row(request.app.state.store, vector_store_id, file_id))


@router.post("/vector_stores/{vector_store_id}/files/{file_id}")
def update_vector_store_file_attributes(vector_store_id: str, file_id: str, request: Request,
                                        body: dict = Depends(checked(AttributesBody))):
    store = request.app.state.store
    vdb.file_row(store, vector_store_id, file_id)
    attributes = body["attributes"]
    vdb.set_attributes(store, vector_store_id, file_id, attributes)
    return vdb.file_object(vdb.file_row(store, vector_store_id, file_id))


@router.delete("/vector_stores/{vector_store_id}/files/{file_id}")
def delete_vector_store_file(vector_store_id: str, file_id: str, request: Request):
    store = request.app.state.store
    vdb.file_row(store, vector_store_id, file_id)
    vdb.detach(store, vector_store_id, file_id)
    return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}


@router.get("/vector_stores/{vector_store_id}/files/{file_id}/content")
def retrieve_vector_store_file_content(vector_store_id: str, file_id: str, request: Request):
    row = vdb.file_row(request.app.state.store, vector_store_id, file_id)
    data = []
    if row["status"] == "completed":
        name = file_record(request.app.state.store, file_id)["filename"]
        data = [{"type": "text", "text": extract_text(read_file_bytes(request.app, file_id), name)}]
    return {"object": "vector_store.file_content.page", "data": data, "has_more": False, "next_page": None}


# -- file batches -------------------------------------------------------------------------------------

@router.post("/vector_stores/{vector_store_id}/file_batches")
def create_vector_store_file_batch(vector_store_id: str, request: Request,
                                   body: dict = Depends(checked(FileBatchBody)),
                                   principal: Principal = Depends(authenticate)):
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    if (body.get("file_ids") is None) == (body.get("files") is None):
        raise BadRequest("Pass exactly one of 'file_ids' (a list of file ids) or 'files' (a list of "
                         "{file_id, attributes, chunking_strategy}).", param="file_ids")
    strategy = parse_strategy(body.get("chunking_strategy"))
    attributes = body.get("attributes")
    if body.get("file_ids") is not None:
        ids = _check_files(store, body["file_ids"], "file_ids")
        entries = [(fid, attributes, strategy) for fid in ids]
    else:
        entries = []
        for i, item in enumerate(body["files"]):
            where = f"files[{i}]"
            fid = item["file_id"]
            _check_files(store, [fid], f"{where}.file_id")
            own = item.get("attributes")
            entries.append((fid, own if own is not None else attributes,
                            parse_strategy(item["chunking_strategy"], f"{where}.chunking_strategy")
                            if item.get("chunking_strategy") is not None else strategy))
        entries = list({e[0]: e for e in entries}.values())
    batch_id = new_id("vsfb_")
    vdb.insert_batch(store, vector_store_id, batch_id, entries)
    ingest.start(request.app, vector_store_id, [e[0] for e in entries], principal)
    return vdb.batch_object(store, vdb.batch_row(store, vector_store_id, batch_id))


@router.get("/vector_stores/{vector_store_id}/file_batches/{batch_id}")
def retrieve_vector_store_file_batch(vector_store_id: str, batch_id: str, request: Request):
    store = request.app.state.store
    return vdb.batch_object(store, vdb.batch_row(store, vector_store_id, batch_id))


@router.post("/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel")
def cancel_vector_store_file_batch(vector_store_id: str, batch_id: str, request: Request):
    store = request.app.state.store
    batch = vdb.batch_object(store, vdb.batch_row(store, vector_store_id, batch_id))
    if batch["status"] in ("completed", "failed"):
        raise BadRequest(f"Cannot cancel file batch '{batch_id}': it is already {batch['status']}.",
                         param="batch_id")
    vdb.cancel_batch(store, batch_id)
    return vdb.batch_object(store, vdb.batch_row(store, vector_store_id, batch_id))


@router.get("/vector_stores/{vector_store_id}/file_batches/{batch_id}/files")
def list_files_in_vector_store_batch(vector_store_id: str, batch_id: str, request: Request,
                                     cursor: Cursor = Depends(paging()),
                                     options: FilesQuery = Depends(query(FilesQuery))):
    store = request.app.state.store
    vdb.batch_row(store, vector_store_id, batch_id)
    where, args = _status_filter(options)
    return vdb.keyed_page(store, "vector_store_files", f"vector_store_id = ? AND batch_id = ? AND {where}",
                          (vector_store_id, batch_id, *args), cursor, vdb.file_object, key="file_id")


# -- search -------------------------------------------------------------------------------------------

def parse_queries(value) -> list[str]:
    """A search's `query`: one non-empty string, or a non-empty list of them.

    Example:
        >>> parse_queries("moons"), parse_queries(["moons", "rings"])
        (['moons'], ['moons', 'rings'])
        >>> parse_queries([""])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'query': expected a non-empty string or a non-empty array ...
    """
    if isinstance(value, str) and value.strip():
        return [value]
    if isinstance(value, list) and value and all(isinstance(q, str) and q.strip() for q in value):
        return list(value)
    raise BadRequest("Invalid 'query': expected a non-empty string or a non-empty array of non-empty strings.",
                     param="query")


@router.post("/vector_stores/{vector_store_id}/search")
def search_vector_store(vector_store_id: str, request: Request, body: dict = Depends(checked(SearchBody)),
                        principal: Principal = Depends(authenticate)):
    store = request.app.state.store
    vs = _store(request, vector_store_id)
    if vs["status"] == "expired":
        raise BadRequest(f"Vector store '{vector_store_id}' has expired and can no longer be searched.",
                         param="vector_store_id")
    queries = parse_queries(body["query"])
    if body.get("rewrite_query"):
        queries = [rewrite_query(q) for q in queries]
    limit = body.get("max_num_results") or 10
    filters = parse_filter(body["filters"]) if body.get("filters") is not None else None
    ranking = body.get("ranking_options") or {}
    ranker = ranking.get("ranker") or "auto"
    threshold = float(ranking.get("score_threshold") or 0.0)
    results = search(store, [vector_store_id], queries, max_num_results=limit, filters=filters, ranker=ranker,
                     score_threshold=threshold, embed=embed_query(request.app))
    vdb.touch(store, vector_store_id)
    model = embedding_model(request.app)
    record(store, "embeddings", model=model.id, principal=principal,
           input_tokens=sum(model.count_tokens(q) for q in queries))
    return {"object": "vector_store.search_results.page", "search_query": queries, "data": results,
            "has_more": False, "next_page": None}
