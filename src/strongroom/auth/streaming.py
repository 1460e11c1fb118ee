"""The chunk-signature chain of streaming SigV4 uploads (aws-chunked with signed chunks and trailers).

Each chunk's signature signs the previous signature, so chunks cannot be dropped, reordered or spliced
between requests; the chain starts from the request's own (seed) signature. Pure: the aws-chunked
framing itself is parsed by ``api/chunked.py``, which asks this chain to verify each chunk.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["ChunkSignatureChain", "canonical_trailer"]

_CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
_TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER"
_EMPTY_SHA256_HEX = hashlib.sha256(b"").hexdigest()


def canonical_trailer(trailers: list[tuple[str, str]]) -> bytes:
    """The bytes a trailer signature covers: each trailer as "name:value\\n", names lowercased and sorted."""
    lines = sorted((name.strip().lower(), value.strip()) for name, value in trailers)
    return "".join(f"{name}:{value}\n" for name, value in lines).encode("utf-8")


class ChunkSignatureChain:
    """Verifies chunk and trailer signatures in order; the chain advances only on a match."""

    __slots__ = ("_key", "_prefix_date_scope", "_previous")

    def __init__(self, signing_key: bytes, amz_date_iso: str, scope: str, seed_signature: str) -> None:
        self._key = signing_key
        self._prefix_date_scope = f"{amz_date_iso}\n{scope}\n"
        self._previous = seed_signature

    @property
    def previous_signature(self) -> str:
        """The last signature accepted (the seed before any chunk)."""
        return self._previous

    def expected_chunk_signature(self, chunk_sha256_hex: str) -> str:
        """The signature the next chunk with this SHA-256 must carry."""
        sts = (
            f"{_CHUNK_ALGORITHM}\n{self._prefix_date_scope}{self._previous}\n"
            f"{_EMPTY_SHA256_HEX}\n{chunk_sha256_hex}"
        )
        return self._sign(sts)

    def expected_trailer_signature(self, trailer_bytes_canonical: bytes) -> str:
        """The signature the trailer section with these canonical bytes must carry."""
        digest = hashlib.sha256(trailer_bytes_canonical).hexdigest()
        return self._sign(f"{_TRAILER_ALGORITHM}\n{self._prefix_date_scope}{self._previous}\n{digest}")

    def verify_chunk(self, chunk_sha256_hex: str, claimed_signature: str) -> bool:
        """Check the next chunk's signature (constant time); on a match the chain moves on."""
        return self._accept(self.expected_chunk_signature(chunk_sha256_hex), claimed_signature)

    def verify_trailer(self, trailer_bytes_canonical: bytes, claimed_signature: str) -> bool:
        """Check the trailer signature (constant time) over its canonical bytes; a match ends the chain."""
        return self._accept(self.expected_trailer_signature(trailer_bytes_canonical), claimed_signature)

    def _sign(self, string_to_sign: str) -> str:
        return hmac.new(self._key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()

    def _accept(self, expected: str, claimed: str) -> bool:
        if not hmac.compare_digest(expected.encode("ascii"), claimed.encode("ascii", "replace")):
            return False
        self._previous = expected
        return True
