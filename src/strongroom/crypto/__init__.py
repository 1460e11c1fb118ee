"""Pure cryptographic primitives: data keys, envelope wrapping, and the sealed blob format.

This package owns every use of AEAD and HKDF in Strongroom (STYLE.md, "Crypto, keys and stored formats").
It imports nothing of ours; every failed check raises the one ``IntegrityError``.
"""

from __future__ import annotations

from strongroom.crypto.envelope import encode_context, open_bytes, seal_bytes, unwrap_key, wrap_key
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.crypto.sealed import (
    HEADER_BYTES,
    SEGMENT_BYTES,
    TAG_BYTES,
    Opener,
    Sealer,
    SegmentSpan,
    open_all,
    seal_all,
    sealed_length,
    segment_count,
    span_for_range,
)

__all__ = [
    "HEADER_BYTES",
    "SEGMENT_BYTES",
    "TAG_BYTES",
    "DataKey",
    "IntegrityError",
    "Opener",
    "Sealer",
    "SegmentSpan",
    "encode_context",
    "open_all",
    "open_bytes",
    "seal_all",
    "seal_bytes",
    "sealed_length",
    "segment_count",
    "span_for_range",
    "unwrap_key",
    "wrap_key",
]
