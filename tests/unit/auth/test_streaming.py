"""The chunk-signature chain against the AWS streaming examples (sigv4-streaming, sigv4-streaming-trailers)."""

from __future__ import annotations

import hashlib

from strongroom.auth.sigv4 import signing_key
from strongroom.auth.streaming import ChunkSignatureChain, canonical_trailer

KEY = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
AMZ_DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
PAYLOAD = b"a" * 66560
CHUNKS = [PAYLOAD[:65536], PAYLOAD[65536:], b""]

SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNK_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
TRAILER_CHUNK_SIGNATURES = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
]
TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_aws_chunked_upload_example_verifies_chunk_by_chunk() -> None:
    chain = ChunkSignatureChain(KEY, AMZ_DATE, SCOPE, SEED)
    for chunk, signature in zip(CHUNKS, CHUNK_SIGNATURES, strict=True):
        assert chain.verify_chunk(_sha(chunk), signature)
        assert chain.previous_signature == signature


def test_aws_trailer_example_verifies_chunks_and_trailer() -> None:
    chain = ChunkSignatureChain(KEY, AMZ_DATE, SCOPE, TRAILER_SEED)
    for chunk, signature in zip(CHUNKS, TRAILER_CHUNK_SIGNATURES, strict=True):
        assert chain.verify_chunk(_sha(chunk), signature)
    trailer = canonical_trailer([("x-amz-checksum-crc32c", "sOO8/Q==")])
    assert trailer == b"x-amz-checksum-crc32c:sOO8/Q==\n"
    assert chain.verify_trailer(trailer, TRAILER_SIGNATURE)


def test_wrong_chunk_signature_fails_and_does_not_advance() -> None:
    chain = ChunkSignatureChain(KEY, AMZ_DATE, SCOPE, SEED)
    assert not chain.verify_chunk(_sha(CHUNKS[0][:-1] + b"b"), CHUNK_SIGNATURES[0])
    assert not chain.verify_chunk(_sha(CHUNKS[0]), "not-hex-é")
    assert chain.previous_signature == SEED
    assert chain.verify_chunk(_sha(CHUNKS[0]), CHUNK_SIGNATURES[0])


def test_chunks_out_of_order_fail() -> None:
    chain = ChunkSignatureChain(KEY, AMZ_DATE, SCOPE, SEED)
    assert not chain.verify_chunk(_sha(CHUNKS[1]), CHUNK_SIGNATURES[1])


def test_wrong_trailer_value_fails() -> None:
    chain = ChunkSignatureChain(KEY, AMZ_DATE, SCOPE, TRAILER_SEED)
    for chunk, signature in zip(CHUNKS, TRAILER_CHUNK_SIGNATURES, strict=True):
        assert chain.verify_chunk(_sha(chunk), signature)
    assert not chain.verify_trailer(
        canonical_trailer([("x-amz-checksum-crc32c", "AAAAAA==")]), TRAILER_SIGNATURE
    )
