"""PostObject: browser-based uploads, POST /bucket with an HTML form (multipart/form-data).

https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html. The request carries no
Authorization header: the form signs its own policy, so this handler authenticates from the form
fields (auth/postpolicy.py) and then authorises like any other write. The fields before ``file``
are buffered (capped, api/formdata.py); the file's bytes stream straight into the same sealed write
path as PutObject, with the policy's content-length-range enforced while they stream. Any failure
stores nothing.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import quote, urlsplit

from ... import clock
from ...auth.postpolicy import PolicyLimits, check_policy, form_credentials, verify_form_signature
from ...errors import S3Error
from ...service.model import ObjectKey, ObjectVersion, Principal
from ...service.objects import validate_key
from ..context import RequestContext
from ..formdata import Field, FileData, FileEnd, FileStart, FormDataParser, FormEvent, parse_boundary
from ..request import S3Request
from ..response import Response, empty_response
from ..xml import render_xml
from .acl import new_object_owner, write_acl_headers
from .headers import body_checks, parse_sse_request, sse_response_headers, stored_headers
from .tagging import parse_tagging_xml

__all__ = ["post_object"]

# success_action_status values S3 honours; anything else answers 204.
_SUCCESS_STATUSES = {"200": 200, "201": 201, "204": 204}
# Fields that become the object's headers, as PutObject's request headers would.
_CONTENT_FIELDS = frozenset({"content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires"})
# x-amz-* fields that are about the form's signature or framing, not the object.
_NOT_HEADERS = frozenset({"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "x-amz-security-token", "x-amz-trailer", "x-amz-content-sha256"})
# Bytes read after the file part (the closing delimiter, ignored fields) before giving up on reuse.
MAX_EPILOGUE_BYTES = 64 * 1024


class _Form:
    """The request body as form events: the fields first, then the file's bytes."""

    def __init__(self, req: S3Request, boundary: bytes) -> None:
        self._body = req.body()
        self._parser = FormDataParser(boundary)
        self._pending: deque[FormEvent] = deque()

    async def _next(self) -> FormEvent | None:
        while not self._pending:
            chunk = await anext(self._body, None)
            if chunk is None:
                self._parser.finish()
                return None
            self._pending.extend(self._parser.feed(chunk))
        return self._pending.popleft()

    async def fields(self) -> tuple[dict[str, str], FileStart | None]:
        """Fields before the file (lowercase names) and the file part's start, if there is one."""
        fields: dict[str, str] = {}
        while True:
            event = await self._next()
            if event is None or isinstance(event, FileStart):
                return fields, event
            assert isinstance(event, Field)
            name = event.name.lower()
            if name in fields:
                raise S3Error("InvalidArgument", f"Conflicting values provided for the form field '{event.name}'.", extra={"ArgumentName": event.name})
            fields[name] = event.value

    async def file(self, limits: PolicyLimits) -> AsyncIterator[bytes]:
        """The file's bytes; EntityTooLarge/EntityTooSmall against the policy's range (nothing is committed)."""
        size = 0
        while True:
            event = await self._next()
            if event is None or isinstance(event, FileEnd):
                break
            assert isinstance(event, FileData)
            size += len(event.data)
            if limits.max_bytes is not None and size > limits.max_bytes:
                raise S3Error("EntityTooLarge", extra={"ProposedSize": str(size), "MaxSizeAllowed": str(limits.max_bytes)})
            yield event.data
        if size < limits.min_bytes:
            raise S3Error("EntityTooSmall", extra={"ProposedSize": str(size), "MinSizeAllowed": str(limits.min_bytes)})

    async def drain(self) -> None:
        """Read what follows the file (ignored, as S3 ignores it), up to a cap."""
        read = 0
        try:
            async for chunk in self._body:
                read += len(chunk)
                if read > MAX_EPILOGUE_BYTES:
                    return  # the app closes the connection after answering
        except S3Error:
            return  # the object is committed; a short epilogue changes nothing


def _object_key(fields: dict[str, str], start: FileStart) -> ObjectKey:
    if "key" not in fields:
        raise S3Error("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", extra={"ArgumentName": "key", "ArgumentValue": ""})
    return validate_key(fields["key"].replace("${filename}", start.filename or ""))


async def _signer(ctx: RequestContext, fields: dict[str, str]) -> tuple[Principal | None, PolicyLimits]:
    """Verify the form's signature and policy; an unsigned form is anonymous (authorisation decides)."""
    creds = form_credentials(fields, allow_sigv2=ctx.services.settings.allow_sigv2)
    if creds is None:
        return None, PolicyLimits()
    key = await ctx.services.credentials.lookup(creds.access_key)
    verify_form_signature(creds, key.secret)
    return key.principal, check_policy(creds.policy_b64, fields, clock.now())


def _as_headers(req: S3Request, fields: dict[str, str]) -> S3Request:
    """The form's object fields seen as PutObject request headers, so the same rules apply to both."""
    headers = {k: v for k, v in fields.items() if k in _CONTENT_FIELDS or (k.startswith("x-amz-") and k not in _NOT_HEADERS)}
    if "acl" in fields:
        headers["x-amz-acl"] = fields["acl"]
    return dataclasses.replace(req, headers=headers, auth=None)


async def post_object(req: S3Request, ctx: RequestContext) -> Response:
    """PostObject: store the form's file under the form's key, authorised by the form's signature."""
    boundary = parse_boundary(req.headers.get("content-type"))  # 1. parse
    if boundary is None:
        raise S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", extra={"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"})
    form = _Form(req, boundary)
    fields, start = await form.fields()
    if start is None:
        raise S3Error("IncorrectNumberOfFilesInPostRequest")
    key = _object_key(fields, start)
    assert req.bucket is not None
    # The policy sees the bucket the request targets (never a form field) and the key after ${filename}.
    principal, limits = await _signer(ctx, {**fields, "key": key, "bucket": req.bucket})
    req.key = key
    grant, bucket = await ctx.authorize_bucket_as(req, principal)  # 2. authorize
    as_put = _as_headers(req, fields)
    headers, checks, sse = stored_headers(as_put), body_checks(as_put), parse_sse_request(as_put)
    headers.update(await write_acl_headers(as_put, ctx, bucket))
    tags = parse_tagging_xml(fields["tagging"].encode("utf-8")) if "tagging" in fields else None
    encryption = await ctx.encryption(sse, bucket)  # the form's x-amz-server-side-encryption, else the bucket's default
    version = await ctx.objects.put(  # 3. service
        grant, bucket, key, form.file(limits), headers=headers, tags=tags or None, checks=checks, encryption=encryption,
        owner_account=await new_object_owner(as_put, ctx, bucket),
    )
    await form.drain()
    return _success(req, ctx, fields, version)  # 4. render


def _location(req: S3Request, ctx: RequestContext, version: ObjectVersion) -> str:
    from ..router import split_host  # the router imports the operation table, which imports this module

    host = req.headers.get("host", "")
    scheme = str(req.scope.get("scheme", "http"))
    if split_host(host, ctx.services.settings.domain) == version.bucket:
        return f"{scheme}://{host}/{quote(version.key, safe='/')}"
    return f"{scheme}://{host}/{version.bucket}/{quote(version.key, safe='/')}"


def _redirect(target: str, version: ObjectVersion) -> str | None:
    """success_action_redirect with bucket, key and etag appended; None when it is not a URL."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in (("bucket", version.bucket), ("key", version.key), ("etag", version.etag)))
    return f"{target}{'&' if parts.query else '?'}{query}"


def _success(req: S3Request, ctx: RequestContext, fields: dict[str, str], version: ObjectVersion) -> Response:
    location = _location(req, ctx, version)
    headers = {"etag": version.etag, "location": location, **sse_response_headers(version.headers)}
    if version.version_id != "null":
        headers["x-amz-version-id"] = version.version_id
    redirect = _redirect(fields.get("success_action_redirect") or fields.get("redirect") or "", version)
    if redirect is not None:
        return empty_response(303, {**headers, "location": redirect})
    status = _SUCCESS_STATUSES.get(fields.get("success_action_status", ""), 204)
    if status != 201:
        return empty_response(status, headers)
    # AWS renders PostResponse without a namespace.
    body = render_xml("PostResponse", [("Location", location), ("Bucket", version.bucket), ("Key", version.key), ("ETag", version.etag)], xmlns=None)
    return Response(201, {**headers, "content-type": "application/xml"}, body)
