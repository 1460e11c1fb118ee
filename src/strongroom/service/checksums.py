"""Object checksums (x-amz-checksum-*): incremental hashing, multipart composite and full-object values.

What S3 allows (User Guide, "Checking object integrity"): FULL_OBJECT checksums for the CRCs
(CRC32, CRC32C, CRC64NVME), which for multipart are the CRC of the whole object, computed here by
combining the part CRCs; COMPOSITE checksums for CRC32, CRC32C, SHA1 and SHA256, which are the
checksum of the concatenated part digests followed by "-<part count>". CRC64NVME is FULL_OBJECT only.

The CRCs come from awscrt (its C code, and its CRC combine functions); the SHAs from hashlib. Pure:
no I/O, no knowledge of HTTP beyond the header names, which are wire names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Protocol

from awscrt import checksums as _crt  # type: ignore[import-untyped]

from strongroom.errors import S3Error

__all__ = [
    "ALLOWED_CHECKSUM_TYPES",
    "Checksum",
    "ChecksumAlgorithm",
    "ChecksumType",
    "combine_full_object",
    "composite_checksum",
    "new_checksum",
    "parse_checksum_algorithm",
    "parse_checksum_header_value",
    "require_checksum_type",
]


class ChecksumAlgorithm(StrEnum):
    """The checksum algorithms S3 accepts; values are the AWS spellings."""

    CRC32 = "CRC32"
    CRC32C = "CRC32C"
    SHA1 = "SHA1"
    SHA256 = "SHA256"
    CRC64NVME = "CRC64NVME"

    @property
    def header_name(self) -> str:
        """The request/response header carrying this checksum, e.g. x-amz-checksum-crc32."""
        return f"x-amz-checksum-{self.value.lower()}"

    @property
    def digest_size(self) -> int:
        """Length in bytes of the raw digest."""
        return _DIGEST_SIZES[self]

    @property
    def is_crc(self) -> bool:
        """True for the CRC algorithms (the ones whose values can be combined)."""
        return self in _CRC_FUNCTIONS


class ChecksumType(StrEnum):
    """How a multipart object's checksum is formed; values are the AWS spellings."""

    COMPOSITE = "COMPOSITE"
    FULL_OBJECT = "FULL_OBJECT"


# Which checksum types each algorithm supports (S3 User Guide, "Checking object integrity").
ALLOWED_CHECKSUM_TYPES: Mapping[ChecksumAlgorithm, frozenset[ChecksumType]] = {
    ChecksumAlgorithm.CRC32: frozenset({ChecksumType.COMPOSITE, ChecksumType.FULL_OBJECT}),
    ChecksumAlgorithm.CRC32C: frozenset({ChecksumType.COMPOSITE, ChecksumType.FULL_OBJECT}),
    ChecksumAlgorithm.CRC64NVME: frozenset({ChecksumType.FULL_OBJECT}),
    ChecksumAlgorithm.SHA1: frozenset({ChecksumType.COMPOSITE}),
    ChecksumAlgorithm.SHA256: frozenset({ChecksumType.COMPOSITE}),
}

_DIGEST_SIZES: Mapping[ChecksumAlgorithm, int] = {
    ChecksumAlgorithm.CRC32: 4,
    ChecksumAlgorithm.CRC32C: 4,
    ChecksumAlgorithm.CRC64NVME: 8,
    ChecksumAlgorithm.SHA1: 20,
    ChecksumAlgorithm.SHA256: 32,
}

# (update(data, previous) -> crc, combine(crc1, crc2, len2) -> crc)
_CrcUpdate = Callable[[bytes, int], int]
_CrcCombine = Callable[[int, int, int], int]
_CRC_FUNCTIONS: Mapping[ChecksumAlgorithm, tuple[_CrcUpdate, _CrcCombine]] = {
    ChecksumAlgorithm.CRC32: (_crt.crc32, _crt.combine_crc32),
    ChecksumAlgorithm.CRC32C: (_crt.crc32c, _crt.combine_crc32c),
    ChecksumAlgorithm.CRC64NVME: (_crt.crc64nvme, _crt.combine_crc64nvme),
}
_SHA_CONSTRUCTORS: Mapping[ChecksumAlgorithm, str] = {
    ChecksumAlgorithm.SHA1: "sha1",
    ChecksumAlgorithm.SHA256: "sha256",
}


class Checksum(Protocol):
    """An incremental checksum of one algorithm."""

    @property
    def algorithm(self) -> ChecksumAlgorithm:
        """The algorithm this checksum computes."""
        ...

    def update(self, data: bytes) -> None:
        """Feed more bytes."""
        ...

    def digest(self) -> bytes:
        """The raw digest of everything fed so far (CRCs big-endian)."""
        ...

    def b64(self) -> str:
        """The digest as S3 writes it in headers and XML: standard base64."""
        ...


class _CrcChecksum:
    __slots__ = ("_algorithm", "_update", "_value")

    def __init__(self, algorithm: ChecksumAlgorithm) -> None:
        self._algorithm = algorithm
        self._update = _CRC_FUNCTIONS[algorithm][0]
        self._value = 0

    @property
    def algorithm(self) -> ChecksumAlgorithm:
        return self._algorithm

    def update(self, data: bytes) -> None:
        self._value = int(self._update(data, self._value))

    def digest(self) -> bytes:
        return self._value.to_bytes(self._algorithm.digest_size, "big")

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _ShaChecksum:
    __slots__ = ("_algorithm", "_hash")

    def __init__(self, algorithm: ChecksumAlgorithm) -> None:
        self._algorithm = algorithm
        self._hash = hashlib.new(_SHA_CONSTRUCTORS[algorithm])

    @property
    def algorithm(self) -> ChecksumAlgorithm:
        return self._algorithm

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


def new_checksum(algorithm: ChecksumAlgorithm) -> Checksum:
    """A fresh incremental checksum for ``algorithm``."""
    if algorithm.is_crc:
        return _CrcChecksum(algorithm)
    return _ShaChecksum(algorithm)


def parse_checksum_algorithm(value: str, *, header: str = "x-amz-checksum-algorithm") -> ChecksumAlgorithm:
    """Parse a checksum algorithm name from a header (case-insensitive, as the SDKs vary)."""
    try:
        return ChecksumAlgorithm(value.strip().upper())
    except ValueError:
        raise S3Error("InvalidRequest", f"Value for {header} header is invalid.") from None


def parse_checksum_header_value(algorithm: ChecksumAlgorithm, value: str) -> bytes:
    """Decode an x-amz-checksum-* value: canonical base64 of exactly the algorithm's digest size."""
    invalid = S3Error("InvalidRequest", f"Value for {algorithm.header_name} header is invalid.")
    text = value.strip()
    if not text.isascii():
        raise invalid
    try:
        digest = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise invalid from None
    # Exact length, and canonical text (no stray padding bits), so a value has one spelling only.
    if len(digest) != algorithm.digest_size or base64.b64encode(digest).decode("ascii") != text:
        raise invalid
    return digest


def require_checksum_type(algorithm: ChecksumAlgorithm, checksum_type: ChecksumType) -> None:
    """Raise InvalidRequest unless S3 allows this checksum type with this algorithm."""
    if checksum_type not in ALLOWED_CHECKSUM_TYPES[algorithm]:
        raise S3Error(
            "InvalidRequest",
            f"The {checksum_type.value} checksum type cannot be used with the "
            f"{algorithm.value.lower()} checksum algorithm.",
        )


def composite_checksum(algorithm: ChecksumAlgorithm, part_digests: Sequence[bytes]) -> str:
    """The COMPOSITE multipart checksum: base64(checksum(concatenated part digests)) + "-N"."""
    require_checksum_type(algorithm, ChecksumType.COMPOSITE)
    outer = new_checksum(algorithm)
    for digest in part_digests:
        if len(digest) != algorithm.digest_size:
            raise ValueError(f"a {algorithm.value} part digest is {algorithm.digest_size} bytes")
        outer.update(digest)
    return f"{outer.b64()}-{len(part_digests)}"


def combine_full_object(algorithm: ChecksumAlgorithm, parts: Sequence[tuple[bytes, int]]) -> str:
    """The FULL_OBJECT checksum of a multipart object from its parts' (CRC digest, byte length)."""
    require_checksum_type(algorithm, ChecksumType.FULL_OBJECT)
    combine = _CRC_FUNCTIONS[algorithm][1]
    value = 0  # the CRC of no bytes, for every algorithm here
    for digest, length in parts:
        if len(digest) != algorithm.digest_size or length < 0:
            raise ValueError(f"bad {algorithm.value} part: {len(digest)}-byte digest, length {length}")
        value = int(combine(value, int.from_bytes(digest, "big"), length))
    return base64.b64encode(value.to_bytes(algorithm.digest_size, "big")).decode("ascii")
