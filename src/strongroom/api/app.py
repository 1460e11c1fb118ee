"""The ASGI application: request ids, routing, authentication, dispatch, and the only place
exceptions become responses.

S3Error -> its body and status in the request's protocol (S3 XML, AWS JSON for KMS, query XML for IAM); anything
else -> InternalError 500, logged with the request id, nothing internal sent. Once response headers have gone out, an error can no longer become an
error response: it is logged, counted and the connection aborted (invariant 5).
"""

from __future__ import annotations

import base64
import logging
import os
import random
from collections.abc import Awaitable, Callable
from enum import Enum

from ..crypto.errors import IntegrityError
from ..errors import S3Error
from ..kms.audited import S3_REQUEST
from ..kms.caller import s3_via_service
from ..kms.provider import KeyUnavailable
from ..service.cors import CORS_KIND, CorsConfiguration
from .admin import handle_admin, is_admin_request
from .asgi import Receive, Scope, Send
from .context import RequestContext, Services
from .control import handle_control, is_control_request
from .iam import handle_iam, iam_error_body, is_iam_request
from .kms import handle_kms, is_kms_request, kms_error_body
from .kms.audit import kms_caller
from .metrics import handle_metrics, is_metrics_request
from .request import ClientDisconnected, S3Request
from .response import Response
from .router import route, split_host
from .s3.cors import cors_response_headers
from .sts import handle_sts, is_sts_request
from .via_access_point import ALIAS_SUFFIX, through_access_point
from .xml import render_xml

__all__ = ["S3App", "Protocol"]

log = logging.getLogger("strongroom.api")

SERVER_NAME = b"Strongroom"


# Request ids are public labels, not secrets: a seeded PRNG keeps the system's (slow, here ~50 us)
# random source off the event loop's per-request path.
_ids = random.Random(os.urandom(32))


def _new_request_id() -> str:
    return f"{_ids.getrandbits(64):016X}"


def _new_host_id() -> str:
    return base64.b64encode(_ids.getrandbits(192).to_bytes(24, "big")).decode()


def _header_bytes(value: str) -> bytes:
    """latin-1 where it can carry the value (HTTP clients decode header bytes as latin-1), else UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class Protocol(Enum):
    """The wire protocol of a request: decides how its errors are rendered (DESIGN.md, Errors)."""

    S3 = "s3"  # REST + XML
    KMS = "kms"  # AWS JSON 1.1, X-Amz-Target: TrentService.*
    IAM = "iam"  # AWS query protocol, SigV4 scope service iam


def _error_body(error: S3Error, request_id: str, host_id: str) -> bytes:
    content: list[tuple[str, object]] = [("Code", error.code), ("Message", error.message)]
    if error.resource:
        content.append(("Resource", error.resource))
    content.extend(error.extra.items())
    content.extend([("RequestId", request_id), ("HostId", host_id)])
    return render_xml("Error", content, xmlns=None)  # type: ignore[arg-type]


class S3App:
    """The plain ASGI callable serving the S3 API."""

    def __init__(
        self,
        services: Services,
        on_startup: Callable[[], Awaitable[None]] | None = None,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.services = services
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request_id = _new_request_id()
        host_id = _new_host_id()
        ids = [(b"x-amz-request-id", request_id.encode()), (b"x-amz-id-2", host_id.encode()), (b"server", SERVER_NAME)]
        started = False

        async def send_tracked(message: dict[str, object]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        req: S3Request | None = None
        protocol = Protocol.S3
        try:
            req = S3Request.from_scope(scope, receive, request_id, self.services.settings.trusted_proxies)
            if is_kms_request(req):  # before the S3 router: a POST to "/" is no S3 operation
                protocol = Protocol.KMS
                response = await handle_kms(req, self.services)
            elif is_sts_request(req):  # STS speaks IAM's query protocol (and its error shape)
                protocol = Protocol.IAM
                response = await handle_sts(req, self.services)
            elif is_iam_request(req):  # before the S3 router too: POST "/" signed for the service iam
                protocol = Protocol.IAM
                response = await handle_iam(req, self.services)
            elif is_control_request(req):  # S3 Control: account settings, under /v20180820/ with x-amz-account-id
                response = await handle_control(req, self.services)
            elif is_metrics_request(req, self.services.settings.domain):  # unauthenticated, by network
                response = await handle_metrics(req, self.services.settings)
            elif is_admin_request(req, self.services.settings.domain):  # the reserved /_strongroom/ prefix: no bucket has that name
                response = await handle_admin(req, self.services)
            else:
                response = await self._handle(req)
                response.headers.update(await self._cors_headers(req))
            await self._send(req, response, ids, send_tracked)
        except ClientDisconnected:
            log.info("client disconnected", extra={"request_id": request_id})
        except S3Error as error:
            if started:
                log.error("S3 error after response start: %s", error.code, extra={"request_id": request_id})
                raise
            cors = await self._cors_headers_for_error(req) if protocol is Protocol.S3 else []
            await self._send_error(scope, error, request_id, host_id, self._closing(req, ids) + cors, send, protocol)
        except (IntegrityError, KeyUnavailable) as exc:
            log.error("integrity failure on %s %s: %r", scope.get("method"), scope.get("path"), exc, extra={"request_id": request_id})
            if started:
                raise  # aborts the connection: never send the rest of the bytes
            await self._send_error(scope, S3Error("InternalError", "The object failed its integrity check."), request_id, host_id, self._closing(req, ids), send, protocol)
        except UnicodeDecodeError:
            await self._send_error(scope, S3Error("InvalidURI"), request_id, host_id, self._closing(req, ids), send, protocol)
        except Exception:
            log.exception("internal error", extra={"request_id": request_id})
            if started:
                raise
            await self._send_error(scope, S3Error("InternalError"), request_id, host_id, self._closing(req, ids), send, protocol)

    @staticmethod
    def _closing(req: S3Request | None, ids: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Answer early without reading the body? Then close the connection after the answer."""
        if req is None or req.body_unread:
            return [*ids, (b"connection", b"close")]
        return ids

    async def _cors_headers(self, req: S3Request) -> dict[str, str]:
        """CORS headers for an actual S3 request from a browser origin: the bucket's first rule allowing
        the Origin and the method answers (AWS sends them on errors too, so a page can read a 403/404).

        Free for requests without Origin; the bucket's rules come from the config cache. A request that
        names Access-Control-Request-Method is matched on that method, as Ceph RGW (and s3-tests) do;
        browsers never send it outside a preflight. Preflights (OPTIONS) answer for themselves.
        """
        origin = req.headers.get("origin")
        if origin is None or req.bucket is None or req.method == "OPTIONS":
            return {}
        config = CorsConfiguration.from_json(await self.services.buckets.cached_config(req.bucket, CORS_KIND))
        if config is None:
            return {}
        rule = config.match(origin, req.headers.get("access-control-request-method", req.method))
        return {} if rule is None else cors_response_headers(rule, origin)

    async def _cors_headers_for_error(self, req: S3Request | None) -> list[tuple[bytes, bytes]]:
        """_cors_headers for an error answer; a failing lookup there costs the headers, never the answer."""
        if req is None or "origin" not in req.headers:
            return []
        try:
            headers = await self._cors_headers(req)
        except Exception:
            log.exception("CORS lookup for an error response failed", extra={"request_id": req.request_id})
            return []
        return [(k.encode("latin-1"), _header_bytes(v)) for k, v in headers.items()]

    async def _handle(self, req: S3Request) -> Response:
        r = route(req, self.services.settings.domain)
        req.bucket, req.key = r.bucket, r.key
        if r.bucket is not None and r.bucket.endswith(ALIAS_SUFFIX):  # no bucket name ends so: an access point
            req.access_point = await through_access_point(self.services.access_points, r.bucket, r.operation.name)
            req.bucket = req.access_point.bucket
        if not req.secure and not self.services.settings.allow_ssec_over_http and _carries_ssec(req):
            raise S3Error("InvalidRequest", "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
        if r.operation.method == "OPTIONS":  # CORS preflights are unsigned by design (Fetch standard)
            return await r.operation.handler(req, RequestContext(self.services, r.operation, None))
        auth = await req.authenticate(
            self.services.credentials, allow_sigv2=self.services.settings.allow_sigv2,
            virtual_host_bucket=split_host(req.headers.get("host"), self.services.settings.domain),
        )
        # S3's uses of KMS keys are audited with this request's facts (kms/audited.py).
        S3_REQUEST.set(kms_caller(req, s3_via_service(self.services.settings.region)))
        ctx = RequestContext(self.services, r.operation, auth.principal)
        return await r.operation.handler(req, ctx)

    async def _send(self, req: S3Request, response: Response, ids: list[tuple[bytes, bytes]], send: Callable[[dict[str, object]], Awaitable[None]]) -> None:
        headers = self._closing(req, ids)
        headers.extend((k.encode("latin-1"), _header_bytes(v)) for k, v in response.headers.items())
        if "content-length" not in response.headers:
            headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if req.method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if response.stream is None:
            await send({"type": "http.response.body", "body": response.body})
            return
        async for piece in response.stream:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _send_error(
        self, scope: Scope, error: S3Error, request_id: str, host_id: str, ids: list[tuple[bytes, bytes]], send: Send, protocol: Protocol = Protocol.S3
    ) -> None:
        level = logging.WARNING if error.status >= 500 else logging.INFO
        log.log(level, "%s %s -> %s %s", scope.get("method"), scope.get("path"), error.status, error.code, extra={"request_id": request_id})
        headers = list(ids)
        status = error.status
        if protocol is Protocol.KMS:
            status, body = kms_error_body(error)
            headers += [(b"x-amzn-requestid", request_id.encode()), (b"content-type", b"application/x-amz-json-1.1")]
        elif protocol is Protocol.IAM:
            status, body = iam_error_body(error, request_id)
            headers += [(b"x-amzn-requestid", request_id.encode()), (b"content-type", b"text/xml")]
        else:
            body = b"" if scope.get("method") == "HEAD" or error.status == 304 else _error_body(error, request_id, host_id)
            headers.extend((k.encode("latin-1"), _header_bytes(v)) for k, v in error.headers.items())
            if body:
                headers.append((b"content-type", b"application/xml"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._on_startup is not None:
                    await self._on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._on_shutdown is not None:
                    await self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _carries_ssec(req: S3Request) -> bool:
    """Does the request send an SSE-C key (its own or a copy source's)? Such requests need TLS (AWS)."""
    return any(
        name.startswith(("x-amz-server-side-encryption-customer-", "x-amz-copy-source-server-side-encryption-customer-"))
        for name in req.headers
    )
