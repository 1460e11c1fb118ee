"""(method, host, raw path, query, headers) -> Operation, bucket and key.

Keys come from the raw path, percent-decoded once (never the server's decoded path, which would
lose the difference between '/' and '%2F' handling and mangle odd keys). Virtual-host requests name
the bucket in the Host header: <bucket>.<domain>.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from ..errors import S3Error
from .operations import OPERATIONS, Operation, Target
from .request import S3Request

__all__ = ["Route", "route", "split_host"]

# Query parameters that name an S3 subresource; any of these unknown to the table -> NotImplemented.
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
        "inventory", "legal-hold", "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
        "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
        "restore", "retention", "select", "tagging", "torrent", "uploadId", "uploads", "versioning", "versions",
        "website", "session", "renameObject", "metadataConfiguration", "partNumber",
    }
)


@dataclass(frozen=True, slots=True)
class Route:
    """The resolved operation and its target."""

    operation: Operation
    bucket: str | None
    key: str | None


def split_host(host: str | None, domain: str) -> str | None:
    """The bucket named by a virtual-host Host header, or None for path style."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = "." + domain.lower()
    if name.endswith(suffix) and len(name) > len(suffix):
        return name[: -len(suffix)]
    return None


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise S3Error("InvalidURI") from exc


def _target(req: S3Request, domain: str) -> tuple[str | None, str | None]:
    raw = req.raw_path
    if not raw.startswith(b"/"):
        raise S3Error("InvalidURI")
    virtual = split_host(req.headers.get("host"), domain)
    if virtual is not None:
        key_raw = raw[1:]
        return virtual, (_decode(key_raw) if key_raw else None)
    rest = raw[1:]
    if not rest:
        return None, None
    bucket_raw, slash, key_raw = rest.partition(b"/")
    bucket = _decode(bucket_raw)
    if not slash or not key_raw:
        return bucket, None
    return bucket, _decode(key_raw)


def route(req: S3Request, domain: str) -> Route:
    """Find the one Operation row for this request (MethodNotAllowed / NotImplemented otherwise)."""
    bucket, key = _target(req, domain)
    target = Target.OBJECT if key is not None else Target.BUCKET if bucket is not None else Target.SERVICE
    present = {name for name, _ in req.query}
    candidates = [op for op in OPERATIONS if op.target is target and all(q in present for q in op.query)]
    candidates = [op for op in candidates if op.header is None or op.header in req.headers]
    same_method = [op for op in candidates if op.method == req.method]
    if not same_method:
        if present & SUBRESOURCES:
            raise S3Error("NotImplemented")
        raise S3Error("MethodNotAllowed", extra={"Method": req.method, "ResourceType": target.value.upper()})
    best = max(same_method, key=lambda op: (len(op.query), op.header is not None))
    unhandled = (present & SUBRESOURCES) - set(best.query)
    if unhandled - _TOLERATED.get(best.name, frozenset()):
        raise S3Error("NotImplemented", f"Subresource {sorted(unhandled)[0]!r} is not implemented yet")
    return Route(best, bucket, key)


# Query parameters that share names with subresources but are plain arguments of these operations.
_TOLERATED: dict[str, frozenset[str]] = {
    "GetObject": frozenset({"partNumber"}),
    "HeadObject": frozenset({"partNumber"}),
}
