"""/v1/files: upload (multipart), list, retrieve, delete and download.

Uploads are checked against the size limit twice: from `Content-Length` before the body is read (so
an oversized upload is refused without being received), and while the bytes are copied to storage
(for uploads sent without a length).
"""

from __future__ import annotations

import json
import mimetypes

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.errors import BadRequest, PayloadTooLarge
from jupyter_api_kit.local.core.paging import Cursor, list_object
from jupyter_api_kit.local.files import store as file_storage

router = APIRouter()

#: room for the multipart framing and the small text fields around the file itself
_FORM_OVERHEAD = 64 * 1024
_FIELDS = ("file", "purpose", "expires_after[anchor]", "expires_after[seconds]", "expires_after")


def _expires_after(form) -> dict | None:
    """`expires_after` as the SDKs send it in a form (`expires_after[anchor]`, `expires_after[seconds]`),
    or as one JSON text field."""
    anchor, seconds = form.get("expires_after[anchor]"), form.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        raw = form.get("expires_after")
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise BadRequest("Invalid 'expires_after': send expires_after[anchor] and expires_after[seconds] "
                             "form fields, or a JSON object.", param="expires_after") from None
        return value
    return {"anchor": anchor, "seconds": seconds}


@router.post("/files")
async def create_file(request: Request, principal: Principal = Depends(authenticate)):
    app = request.app
    limit = file_storage.max_upload_bytes(app)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _FORM_OVERHEAD:
        raise PayloadTooLarge(f"File is too large: the request is {int(declared)} bytes and the limit for one "
                              f"file is {limit} bytes.", param="file")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("Uploads must be sent as multipart/form-data with the fields 'file' and 'purpose'.",
                         param="file")
    async with request.form(max_files=1, max_fields=len(_FIELDS)) as form:
        unknown = sorted(set(form.keys()) - set(_FIELDS))
        if unknown:
            raise BadRequest(f"Unrecognized request argument: '{unknown[0]}'. Supported fields are 'file', "
                             "'purpose' and 'expires_after'.", param=unknown[0])
        upload = form.get("file")
        if upload is None:
            raise BadRequest("Missing required parameter: 'file'.", param="file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("Invalid 'file': send the file's content as a file part (with a filename), "
                             "not as a text field.", param="file")
        purpose = form.get("purpose")
        if purpose is None:
            raise BadRequest("Missing required parameter: 'purpose'.", param="purpose")
        expires_after = _expires_after(form)
        # Copying to disk blocks: do it off the event loop.
        return await run_in_threadpool(file_storage.save_upload, app, upload.file, filename=upload.filename,
                                       purpose=purpose, expires_after=expires_after)


@router.get("/files")
def list_files(request: Request):
    app = request.app
    file_storage.purge_expired(app)
    query = request.query_params
    cursor = Cursor.from_query(query, default_order="desc", default_limit=10000, max_limit=10000)
    rows, more = file_storage.file_rows(app.state.store, cursor, query.get("purpose"))
    return list_object([file_storage.file_object(r) for r in rows], more)


@router.get("/files/{file_id}")
def retrieve_file(file_id: str, request: Request):
    return file_storage.file_record(request.app.state.store, file_id)


@router.delete("/files/{file_id}")
def delete_file(file_id: str, request: Request):
    file_storage.delete_file(request.app, file_id)
    return {"id": file_id, "object": "file", "deleted": True}


@router.get("/files/{file_id}/content")
def download_file(file_id: str, request: Request):
    row, path = file_storage.open_file(request.app, file_id)
    media = mimetypes.guess_type(row["filename"])[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=row["filename"], content_disposition_type="attachment")
