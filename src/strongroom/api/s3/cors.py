"""Bucket CORS: PutBucketCors, GetBucketCors, DeleteBucketCors (the ``?cors`` subresource), and the
CORS response headers the preflight handler and the S3 app send from a matching rule.

The rules are stored as the bucket's "cors" document (service/cors.py owns their meaning). A bucket
without one answers GetBucketCors with 404 NoSuchCORSConfiguration, as AWS does.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...service.cors import CORS_KIND, CORS_MAX_BYTES, CORS_MAX_RULES, CorsConfiguration, CorsRule, make_rule
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import Node, parse_xml, strip_ns
from .headers import verify_small_body

__all__ = ["put_bucket_cors", "get_bucket_cors", "delete_bucket_cors", "parse_cors_configuration", "cors_response_headers"]

_LISTS = {"AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"}
_SINGLE = {"ID", "MaxAgeSeconds"}
# Vary on every answer from a CORS rule: a cache must not give one origin's answer to another.
_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def _parse_rule(element: Element) -> CorsRule:
    lists: dict[str, list[str]] = {name: [] for name in _LISTS}
    single: dict[str, str] = {}
    for child in element:
        name, text = strip_ns(child.tag), (child.text or "").strip()
        if len(child) or (name not in _LISTS and name not in _SINGLE) or name in single:
            raise S3Error("MalformedXML")
        if name in _SINGLE:
            single[name] = text
        else:
            lists[name].append(text)
    return make_rule(
        origins=lists["AllowedOrigin"], methods=lists["AllowedMethod"], headers=lists["AllowedHeader"],
        expose=lists["ExposeHeader"], max_age_seconds=single.get("MaxAgeSeconds"), rule_id=single.get("ID"),
    )


def parse_cors_configuration(body: bytes) -> CorsConfiguration:
    """<CORSConfiguration> with 1..100 <CORSRule>; anything else in it is MalformedXML."""
    root = parse_xml(body, max_bytes=CORS_MAX_BYTES)
    if strip_ns(root.tag) != "CORSConfiguration" or any(strip_ns(c.tag) != "CORSRule" for c in root):
        raise S3Error("MalformedXML")
    if len(root) > CORS_MAX_RULES:  # before validating each rule: a bounded amount of work
        raise S3Error("InvalidRequest", f"The CORS configuration can have at most {CORS_MAX_RULES} rules.")
    return CorsConfiguration(tuple(_parse_rule(rule) for rule in root))


def _render_rule(rule: CorsRule) -> Node:
    content: list[tuple[str, Node]] = []
    if rule.id is not None:
        content.append(("ID", rule.id))
    content += [("AllowedHeader", h) for h in rule.allowed_headers]
    content += [("AllowedMethod", m) for m in rule.allowed_methods]
    content += [("AllowedOrigin", o) for o in rule.allowed_origins]
    content += [("ExposeHeader", h) for h in rule.expose_headers]
    if rule.max_age_seconds is not None:
        content.append(("MaxAgeSeconds", rule.max_age_seconds))
    return content


def cors_response_headers(rule: CorsRule, origin: str, requested_headers: tuple[str, ...] | None = None) -> dict[str, str]:
    """The headers S3 answers a request from ``origin`` with when ``rule`` allows it.

    ``requested_headers`` (a preflight's Access-Control-Request-Headers) are echoed as allowed; an
    actual request passes None. A rule for every origin answers ``*`` without credentials; any other
    rule names the origin and allows credentials (AWS's answer in both cases).
    """
    headers = {"access-control-allow-origin": "*" if rule.any_origin else origin,
               "access-control-allow-methods": ", ".join(rule.allowed_methods)}
    if requested_headers:
        headers["access-control-allow-headers"] = ", ".join(requested_headers)
    if rule.expose_headers:
        headers["access-control-expose-headers"] = ", ".join(rule.expose_headers)
    if rule.max_age_seconds is not None:
        headers["access-control-max-age"] = str(rule.max_age_seconds)
    if not rule.any_origin:
        headers["access-control-allow-credentials"] = "true"
    headers["vary"] = _VARY
    return headers


async def put_bucket_cors(req: S3Request, ctx: RequestContext) -> Response:
    """PutBucketCors: replace the bucket's CORS rules (a body digest is required, as AWS's model says)."""
    body = await req.read_body(CORS_MAX_BYTES)
    verify_small_body(req, body, required=True)
    config = parse_cors_configuration(body)
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.put_config(grant, bucket.name, CORS_KIND, config.to_json())
    return empty_response(200)


async def get_bucket_cors(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketCors: the bucket's rules, or NoSuchCORSConfiguration."""
    _grant, bucket = await ctx.authorize_bucket(req)
    config = CorsConfiguration.from_json(await ctx.buckets.get_config(bucket.name, CORS_KIND))
    if config is None:
        raise S3Error("NoSuchCORSConfiguration", resource=bucket.name, extra={"BucketName": bucket.name})
    return xml_response("CORSConfiguration", [("CORSRule", _render_rule(rule)) for rule in config.rules])


async def delete_bucket_cors(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteBucketCors: remove the rules (absent is fine); preflights are refused again."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete_config(grant, bucket.name, CORS_KIND)
    return empty_response(204)
