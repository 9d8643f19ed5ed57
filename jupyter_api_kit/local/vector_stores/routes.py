"""/v1/vector_stores: stores, their files, file batches, file content and search (16 operations).

Files are processed in the background (see `vector_stores.engine`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.db import dumps
from jupyter_api_kit.local.core.errors import BadRequest, NotFound, found
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor
from jupyter_api_kit.local.core.params import (
    Params,
    check_metadata,
    json_body,
    type_name,
)
from jupyter_api_kit.local.core.request_models import checked
from jupyter_api_kit.local.core.usage_log import record
from jupyter_api_kit.local.files.store import file_record, read_file_bytes
from jupyter_api_kit.local.files.text import extract_text
from jupyter_api_kit.local.vector_stores.embedding import embed_query, embedding_model
from jupyter_api_kit.local.vector_stores import engine as ingest
from jupyter_api_kit.local.vector_stores import store as vdb
from jupyter_api_kit.local.vector_stores.chunking import parse_strategy
from jupyter_api_kit.local.vector_stores.request import MAX_STORE_FILES, CreateVectorStoreBody
from jupyter_api_kit.local.vector_stores.search import (
    RANKERS,
    parse_filter,
    rewrite_query,
    search,
)

router = APIRouter()
MAX_BATCH_FILES = 2000


def _only(body: dict, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"Unrecognized request argument supplied: '{unknown[0]}'.", param=unknown[0])


def _check_files(store, file_ids, param: str) -> list[str]:
    if not isinstance(file_ids, list):
        raise BadRequest(f"Invalid type for '{param}': expected an array of file ids.", param=param)
    for i, fid in enumerate(file_ids):
        if not isinstance(fid, str) or not fid:
            raise BadRequest(f"Invalid type for '{param}[{i}]': expected a file id string.", param=f"{param}[{i}]")
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
def create_vector_store(request: Request, body: dict = Depends(checked(CreateVectorStoreBody)),
                        principal: Principal = Depends(authenticate)):
    p = Params(body)
    store = request.app.state.store
    name = p.str("name", default="", max_length=256)
    metadata = check_metadata(body.get("metadata"))
    expires_after = vdb.check_expires_after(body.get("expires_after"))
    file_ids = p.list("file_ids", default=[], max_items=MAX_STORE_FILES)
    file_ids = _check_files(store, file_ids, "file_ids")
    if body.get("chunking_strategy") is not None and not file_ids:
        raise BadRequest("Invalid 'chunking_strategy': it applies to 'file_ids', which is empty.",
                         param="chunking_strategy")
    strategy = parse_strategy(body.get("chunking_strategy"))
    vsid = ingest.create_store(request.app, name=name, file_ids=file_ids, strategy=strategy, metadata=metadata,
                               expires_after=expires_after, principal=principal)
    return _store(request, vsid)


@router.get("/vector_stores")
def list_vector_stores(request: Request):
    store = request.app.state.store
    cursor = Cursor.from_query(request.query_params)
    return vdb.keyed_page(store, "vector_stores", "1", (), cursor, lambda r: vdb.store_object(store, r))


@router.get("/vector_stores/{vector_store_id}")
def retrieve_vector_store(vector_store_id: str, request: Request):
    return _store(request, vector_store_id)


@router.post("/vector_stores/{vector_store_id}")
def modify_vector_store(vector_store_id: str, request: Request, body: dict = Depends(json_body)):
    _only(body, {"name", "expires_after", "metadata"})
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    changes = {}
    if "name" in body:
        changes["name"] = Params(body).str("name", default="", max_length=256)
    if "metadata" in body:
        changes["metadata"] = dumps(check_metadata(body["metadata"]))
    if "expires_after" in body:
        after = vdb.check_expires_after(body["expires_after"])
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
def create_vector_store_file(vector_store_id: str, request: Request, body: dict = Depends(json_body),
                             principal: Principal = Depends(authenticate)):
    _only(body, {"file_id", "chunking_strategy", "attributes"})
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    file_id = Params(body).str("file_id", required=True)
    _check_files(store, [file_id], "file_id")
    attributes = vdb.check_attributes(body.get("attributes"))
    strategy = parse_strategy(body.get("chunking_strategy"))
    vdb.attach_one(store, vector_store_id, file_id, attributes, strategy)
    ingest.start(request.app, vector_store_id, [file_id], principal)
    return vdb.file_object(vdb.file_row(store, vector_store_id, file_id))


def _status_filter(query) -> tuple[str, tuple]:
    wanted = Params(query).str("filter", choices=vdb.STATUSES)
    return ("status = ?", (wanted,)) if wanted else ("1", ())


@router.get("/vector_stores/{vector_store_id}/files")
def list_vector_store_files(vector_store_id: str, request: Request):
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    cursor = Cursor.from_query(request.query_params)
    where, args = _status_filter(request.query_params)
    return vdb.keyed_page(store, "vector_store_files", f"vector_store_id = ? AND {where}",
                          (vector_store_id, *args), cursor, vdb.file_object, key="file_id")


@router.get("/vector_stores/{vector_store_id}/files/{file_id}")
def retrieve_vector_store_file(vector_store_id: str, file_id: str, request: Request):
    return vdb.file_object(vdb.file_row(request.app.state.store, vector_store_id, file_id))


@router.post("/vector_stores/{vector_store_id}/files/{file_id}")
def update_vector_store_file_attributes(vector_store_id: str, file_id: str, request: Request,
                                        body: dict = Depends(json_body)):
    _only(body, {"attributes"})
    if "attributes" not in body:
        raise BadRequest("Missing required parameter: 'attributes'.", param="attributes")
    store = request.app.state.store
    vdb.file_row(store, vector_store_id, file_id)
    attributes = vdb.check_attributes(body["attributes"])
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
def create_vector_store_file_batch(vector_store_id: str, request: Request, body: dict = Depends(json_body),
                                   principal: Principal = Depends(authenticate)):
    _only(body, {"file_ids", "files", "chunking_strategy", "attributes"})
    store = request.app.state.store
    vdb.store_row(store, vector_store_id)
    if ("file_ids" in body) == ("files" in body):
        raise BadRequest("Pass exactly one of 'file_ids' (a list of file ids) or 'files' (a list of "
                         "{file_id, attributes, chunking_strategy}).", param="file_ids")
    strategy = parse_strategy(body.get("chunking_strategy"))
    attributes = vdb.check_attributes(body.get("attributes"))
    p = Params(body)
    if "file_ids" in body:
        ids = _check_files(store, p.list("file_ids", required=True, max_items=MAX_BATCH_FILES), "file_ids")
        entries = [(fid, attributes, strategy) for fid in ids]
    else:
        entries = []
        for i, item in enumerate(p.list("files", required=True, max_items=MAX_BATCH_FILES)):
            where = f"files[{i}]"
            if not isinstance(item, dict):
                raise BadRequest(f"Invalid type for '{where}': expected an object, got {type_name(item)}.",
                                 param=where)
            _only(item, {"file_id", "attributes", "chunking_strategy"})
            fid = Params(item, prefix=f"{where}.").str("file_id", required=True)
            _check_files(store, [fid], f"{where}.file_id")
            own = vdb.check_attributes(item.get("attributes"), f"{where}.attributes")
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
def list_files_in_vector_store_batch(vector_store_id: str, batch_id: str, request: Request):
    store = request.app.state.store
    vdb.batch_row(store, vector_store_id, batch_id)
    cursor = Cursor.from_query(request.query_params)
    where, args = _status_filter(request.query_params)
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
def search_vector_store(vector_store_id: str, request: Request, body: dict = Depends(json_body),
                        principal: Principal = Depends(authenticate)):
    _only(body, {"query", "rewrite_query", "max_num_results", "filters", "ranking_options"})
    store = request.app.state.store
    vs = _store(request, vector_store_id)
    if vs["status"] == "expired":
        raise BadRequest(f"Vector store '{vector_store_id}' has expired and can no longer be searched.",
                         param="vector_store_id")
    p = Params(body)
    queries = parse_queries(body.get("query"))
    if p.bool("rewrite_query"):
        queries = [rewrite_query(q) for q in queries]
    limit = p.int("max_num_results", default=10, minimum=1, maximum=50)
    filters = parse_filter(body["filters"]) if body.get("filters") is not None else None
    ranking = Params(p.dict("ranking_options", default={}), prefix="ranking_options.")
    _only(ranking.data, {"ranker", "score_threshold"})
    ranker = ranking.str("ranker", default="auto", choices=RANKERS)
    threshold = ranking.number("score_threshold", default=0.0, minimum=0, maximum=1)
    results = search(store, [vector_store_id], queries, max_num_results=limit, filters=filters, ranker=ranker,
                     score_threshold=threshold, embed=embed_query(request.app))
    vdb.touch(store, vector_store_id)
    model = embedding_model(request.app)
    record(store, "embeddings", model=model.id, principal=principal,
           input_tokens=sum(model.count_tokens(q) for q in queries))
    return {"object": "vector_store.search_results.page", "search_query": queries, "data": results,
            "has_more": False, "next_page": None}
