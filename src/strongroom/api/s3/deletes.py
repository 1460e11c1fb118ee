"""DeleteObjects: up to 1000 keys in one request, quiet mode, per-key errors.

AWS DeleteObjects: the body must carry Content-MD5 or an x-amz-checksum-* header; a key that is not
found is reported as Deleted; in quiet mode only errors are reported. A document that breaks the
schema (no Object, more than 1000, an Object without Key, a Quiet that is not a boolean) is
MalformedXML for the whole request; a key that cannot name an object is an <Error> for that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...grant import Grant
from ...service.model import NULL_VERSION, Bucket
from ...service.objects import validate_key
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, xml_response
from ..xml import Node, child_text, children, parse_xml, strip_ns
from .headers import verify_small_body

__all__ = ["delete_objects", "parse_delete", "DeleteRequest", "MAX_DELETE_KEYS", "DELETE_MAX_BYTES"]

MAX_DELETE_KEYS = 1000
# 1000 keys of up to 1024 bytes, each possibly escaped (&amp; is 5 bytes per byte), plus tags.
DELETE_MAX_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    """The parsed <Delete> document: quiet mode and (key, version id) pairs in request order."""

    quiet: bool
    objects: tuple[tuple[str, str | None], ...]


def _object(element: Element) -> tuple[str, str | None]:
    key = child_text(element, "Key")
    if key is None:
        raise S3Error("MalformedXML")
    return key, child_text(element, "VersionId")


def parse_delete(body: bytes) -> DeleteRequest:
    """<Delete><Quiet/><Object><Key/><VersionId/></Object>...</Delete> -> DeleteRequest."""
    root = parse_xml(body, max_bytes=DELETE_MAX_BYTES)
    if strip_ns(root.tag) != "Delete":
        raise S3Error("MalformedXML")
    quiet_text = child_text(root, "Quiet")
    if quiet_text is not None and quiet_text.strip().lower() not in ("true", "false"):
        raise S3Error("MalformedXML")
    elements = children(root, "Object")
    if not elements or len(elements) > MAX_DELETE_KEYS:
        raise S3Error("MalformedXML")
    quiet = quiet_text is not None and quiet_text.strip().lower() == "true"
    return DeleteRequest(quiet, tuple(_object(e) for e in elements))


def _error_entry(key: str, version_id: str | None, error: S3Error) -> tuple[str, Node]:
    entry: list[tuple[str, Node]] = [("Key", key)]
    if version_id is not None:
        entry.append(("VersionId", version_id))
    entry += [("Code", error.code), ("Message", error.message)]
    return "Error", entry


async def _delete_one(ctx: RequestContext, grant: Grant, bucket: Bucket, key: str, version_id: str | None) -> None:
    validate_key(key)
    if version_id is not None and version_id != NULL_VERSION:
        # Every version is the "null" version until versioning lands (TODO(#2)); nothing else exists.
        raise S3Error("NoSuchVersion", extra={"Key": key, "VersionId": version_id})
    await ctx.objects.delete(grant, bucket, key)


async def delete_objects(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteObjects: delete each listed key, reporting each result (or only the errors when quiet)."""
    body = await req.read_body(DELETE_MAX_BYTES)  # 1. parse
    verify_small_body(req, body, required=True)
    request = parse_delete(body)
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize once, for s3:DeleteObject
    results: list[tuple[str, Node]] = []
    for key, version_id in request.objects:  # 3. service, key by key (a missing key is Deleted)
        try:
            await _delete_one(ctx, grant, bucket, key, version_id)
        except S3Error as error:
            results.append(_error_entry(key, version_id, error))
            continue
        if not request.quiet:
            deleted: list[tuple[str, Node]] = [("Key", key)]
            if version_id is not None:
                deleted.append(("VersionId", version_id))
            results.append(("Deleted", deleted))
    return xml_response("DeleteResult", results)  # 4. render
