"""Bucket default encryption: PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption.

The configuration is the bucket's "encryption" document (service/sse.py BucketEncryption); the
writes that name no encryption get it in ``RequestContext.encryption``. Every bucket has a default:
without a document it is SSE-S3, and GetBucketEncryption reports that rule, as AWS does since it
encrypts every bucket by default (older S3 answered ServerSideEncryptionConfigurationNotFoundError).
DeleteBucketEncryption returns the bucket to that default.

A KMSMasterKeyID is stored as written and checked when a write uses it (an unknown key then fails
that write with KMS.NotFoundException), as AWS validates it lazily. BucketKeyEnabled is stored as
written too; it takes effect for SSE-KMS writes only (never with DSSE-KMS, as AWS).

BlockedEncryptionTypes (SSE-C or NONE) is part of the same rule. A bucket whose owner never set it
blocks SSE-C writes unless the operator's ``allow_ssec_on_new_buckets`` says otherwise (AWS's default
for new buckets since April 2026). A PutBucketEncryption that omits it keeps the bucket's current
setting, so re-stating the default algorithm never silently re-allows SSE-C; GetBucketEncryption always
reports the effective value.
"""

from __future__ import annotations

import dataclasses
from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...service.model import SseMode
from ...service.sse import BLOCKED_SSE_C, ENCRYPTION_CONFIG_KIND, BucketEncryption
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import Node, parse_xml, strip_ns
from .headers import verify_small_body

__all__ = ["put_bucket_encryption", "get_bucket_encryption", "delete_bucket_encryption", "parse_encryption_xml", "ENCRYPTION_MAX_BYTES"]

ENCRYPTION_MAX_BYTES = 16 * 1024
_BOOLEANS = {"true": True, "false": False}
_UNBLOCKED = "NONE"


def _only_children(parent: Element, allowed: set[str], required: set[str]) -> dict[str, Element]:
    """The element's children by name: each at most once, none unknown, the required present (MalformedXML)."""
    found: dict[str, Element] = {}
    for element in parent:
        name = strip_ns(element.tag)
        if name not in allowed or name in found:
            raise S3Error("MalformedXML")
        found[name] = element
    if not required <= found.keys():
        raise S3Error("MalformedXML")
    return found


def _algorithm(value: str) -> SseMode:
    if value not in (SseMode.S3.value, SseMode.KMS.value, SseMode.KMS_DSSE.value):
        raise S3Error("MalformedXML")  # not a value of the SSEAlgorithm enum of the published schema
    return SseMode(value)


def parse_encryption_xml(body: bytes) -> BucketEncryption:
    """<ServerSideEncryptionConfiguration><Rule>...</Rule></ServerSideEncryptionConfiguration> -> one rule, validated."""
    root = parse_xml(body, max_bytes=ENCRYPTION_MAX_BYTES)
    if strip_ns(root.tag) != "ServerSideEncryptionConfiguration" or len(root) != 1:
        raise S3Error("MalformedXML")  # exactly one Rule, as AWS allows
    rule = _only_children(root, {"Rule"}, {"Rule"})["Rule"]
    parts = _only_children(rule, {"ApplyServerSideEncryptionByDefault", "BucketKeyEnabled", "BlockedEncryptionTypes"}, set())
    if not parts.keys() & {"ApplyServerSideEncryptionByDefault", "BlockedEncryptionTypes"}:
        raise S3Error("MalformedXML")
    algorithm, key_id = SseMode.S3, None
    if "ApplyServerSideEncryptionByDefault" in parts:
        default = _only_children(parts["ApplyServerSideEncryptionByDefault"], {"SSEAlgorithm", "KMSMasterKeyID"}, {"SSEAlgorithm"})
        algorithm = _algorithm((default["SSEAlgorithm"].text or "").strip())
        key_id = (default["KMSMasterKeyID"].text or "").strip() if "KMSMasterKeyID" in default else None
    if key_id is not None and algorithm is SseMode.S3:
        raise S3Error("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                      extra={"ArgumentName": "ApplyServerSideEncryptionByDefault"})
    if key_id == "":
        raise S3Error("InvalidArgument", "KMS key id must not be empty", extra={"ArgumentName": "KMSMasterKeyID", "ArgumentValue": ""})
    enabled = False
    if "BucketKeyEnabled" in parts:
        text = (parts["BucketKeyEnabled"].text or "").strip().lower()
        if text not in _BOOLEANS:
            raise S3Error("MalformedXML")
        enabled = _BOOLEANS[text]
    blocked = _blocked_types(parts["BlockedEncryptionTypes"]) if "BlockedEncryptionTypes" in parts else None
    return BucketEncryption(algorithm, key_id, enabled, blocked)


def _blocked_types(element: Element) -> frozenset[str]:
    """<BlockedEncryptionTypes><EncryptionType>SSE-C|NONE</EncryptionType>...: NONE is the empty set."""
    values = []
    for child in element:
        if strip_ns(child.tag) != "EncryptionType":
            raise S3Error("MalformedXML")
        values.append((child.text or "").strip())
    if not values or not set(values) <= {BLOCKED_SSE_C, _UNBLOCKED}:
        raise S3Error("InvalidArgument", "BlockedEncryptionTypes takes SSE-C or NONE.",
                      extra={"ArgumentName": "BlockedEncryptionTypes", "ArgumentValue": ",".join(values)})
    if _UNBLOCKED in values and len(set(values)) > 1:
        raise S3Error("InvalidArgument", "NONE cannot be combined with another blocked encryption type.",
                      extra={"ArgumentName": "BlockedEncryptionTypes", "ArgumentValue": ",".join(values)})
    return frozenset(values) - {_UNBLOCKED}


def _render(config: BucketEncryption, ssec_blocked: bool) -> Response:
    default: list[tuple[str, Node]] = [("SSEAlgorithm", config.algorithm.value)]
    if config.kms_key_id is not None:
        default.append(("KMSMasterKeyID", config.kms_key_id))
    rule: Node = [
        ("ApplyServerSideEncryptionByDefault", default),
        ("BucketKeyEnabled", "true" if config.bucket_key_enabled else "false"),
        ("BlockedEncryptionTypes", [("EncryptionType", BLOCKED_SSE_C if ssec_blocked else _UNBLOCKED)]),
    ]
    return xml_response("ServerSideEncryptionConfiguration", [("Rule", rule)])


async def put_bucket_encryption(req: S3Request, ctx: RequestContext) -> Response:
    """PutBucketEncryption: replace the bucket's default encryption."""
    body = await req.read_body(ENCRYPTION_MAX_BYTES)  # 1. parse
    verify_small_body(req, body, required=True)
    config = parse_encryption_xml(body)
    grant, bucket = await ctx.authorize_bucket(req)  # 2. authorize
    if config.blocked_types is None:  # keep what the bucket blocks unless the rule says
        current = BucketEncryption.from_json(await ctx.buckets.get_config(bucket.name, ENCRYPTION_CONFIG_KIND))
        config = dataclasses.replace(config, blocked_types=current.blocked_types)
    await ctx.buckets.put_config(grant, bucket.name, ENCRYPTION_CONFIG_KIND, config.to_json())  # 3. service
    return empty_response(200)  # 4. render


async def get_bucket_encryption(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketEncryption: the bucket's default encryption (the SSE-S3 rule when none was set)."""
    _grant, bucket = await ctx.authorize_bucket(req)
    config = BucketEncryption.from_json(await ctx.buckets.get_config(bucket.name, ENCRYPTION_CONFIG_KIND))
    return _render(config, config.blocks_customer_keys(ctx.services.settings.allow_ssec_on_new_buckets))


async def delete_bucket_encryption(req: S3Request, ctx: RequestContext) -> Response:
    """DeleteBucketEncryption: back to the SSE-S3 default (absent is fine)."""
    grant, bucket = await ctx.authorize_bucket(req)
    await ctx.buckets.delete_config(grant, bucket.name, ENCRYPTION_CONFIG_KIND)
    return empty_response(204)
