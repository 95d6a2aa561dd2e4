"""Document endpoints: upload (multipart), list and delete user documents.

Writing needs the admin key (`ADVISOR_ADMIN_KEY`, sent as `Authorization: Bearer KEY` or
`X-Admin-Key: KEY`). With no key configured the writing endpoints are refused outright rather
than left open. The key and the declared size are checked before the body is read, so an
anonymous or oversized upload costs the server nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from advisor.components import Advisor
from advisor.http.deps import AdminDep, AdvisorDep
from advisor.http.errors import ApiError, responses
from advisor.http.limits import MULTIPART_SLACK_BYTES
from advisor.indexing.documents import AddedDocument

ERRORS = responses(401, 403, 404, 411, 413, 415, 422, 503)
CollectionQuery = Annotated[
    str | None, Query(description="Collection to use; default: the workspace (uploads, delete) or all (list).")
]


router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.get("", responses=ERRORS)
def get_documents(advisor: AdvisorDep, collection: CollectionQuery = None) -> dict[str, list[dict[str, Any]]]:
    """Committed documents with their collection, chunk count, format and pages."""
    return {"documents": [r.to_json() for r in advisor.documents(collection)]}


@router.post(
    "",
    status_code=201,
    responses=ERRORS,
    dependencies=[AdminDep],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                        "required": ["file"],
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
                        "required": ["paths"],
                    }
                },
            },
        }
    },
)
async def post_documents(request: Request, advisor: AdvisorDep, collection: CollectionQuery = None) -> JSONResponse:
    """Upload one or more files (multipart field `file`, repeatable), or name files on the server
    (JSON `{"paths": [...]}`, only under ADVISOR_ALLOWED_ROOTS). All are checked first; if one is
    refused, none is stored. 201 when something was added or changed, 200 when all were known."""
    settings = advisor.settings
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():  # a chunked body could not be refused before it is all on disk
        raise ApiError(411, "length_required", "send a Content-Length header with the upload")
    if int(declared) > settings.max_upload_bytes + MULTIPART_SLACK_BYTES:
        raise ApiError(
            413,
            "too_large",
            f"the upload is over the {settings.max_upload_mb:g} MB limit (ADVISOR_MAX_UPLOAD_MB, per request)",
        )
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return await _post_paths(request, advisor, collection)
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the file as multipart/form-data (field 'file')")
    # Starlette spools each file to a temporary file as it arrives (BodySizeLimit counts every
    # byte); the files are handed on as files, never read whole into memory.
    form = await request.form(max_part_size=settings.max_upload_bytes + MULTIPART_SLACK_BYTES)
    try:
        uploads = [item for item in form.getlist("file") if isinstance(item, UploadFile)]
        return await _added(advisor.add_files, [(upload.filename or "", upload.file) for upload in uploads], collection)
    finally:
        await form.close()


async def _post_paths(request: Request, advisor: Advisor, collection: str | None) -> JSONResponse:
    """`{"paths": [...]}`: files already on the server, only under ADVISOR_ALLOWED_ROOTS."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise ApiError(422, "invalid_request", "the body is not valid JSON") from exc
    paths = body.get("paths") if isinstance(body, dict) else None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ApiError(422, "invalid_request", 'expected {"paths": ["/allowed/folder/file.pdf", ...]}')
    return await _added(advisor.add_server_paths, paths, collection)


async def _added(add: Callable[..., list[AddedDocument]], items: list[Any], collection: str | None) -> JSONResponse:
    """Ingest off the event loop; 201 when anything was added or updated, 200 when all was unchanged."""
    results: list[AddedDocument] = await run_in_threadpool(add, items, collection)
    status = 201 if any(r.outcome != "unchanged" for r in results) else 200
    return JSONResponse(status_code=status, content={"documents": [r.to_json() for r in results]})


@router.delete("/{doc_id}", responses=ERRORS, dependencies=[AdminDep])
def remove_document(doc_id: str, advisor: AdvisorDep, collection: CollectionQuery = None) -> dict[str, Any]:
    """Delete a document's chunks from the vector store; the lexical index follows."""
    record = advisor.delete_document(doc_id, collection)
    if record is None:
        where = collection or advisor.settings.workspace_collection
        raise ApiError(404, "not_found", f"no document '{doc_id}' in collection '{where}'")
    return {"deleted": record.to_json()}
