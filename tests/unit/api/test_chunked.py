"""The aws-chunked decoder: AWS examples, random splits, mutations, caps and trailer variants."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.api.chunked import MAX_CHUNK_HEADER_BYTES, MAX_TRAILER_BYTES, AwsChunkedDecoder
from strongroom.auth.sigv4 import signing_key
from strongroom.auth.streaming import ChunkSignatureChain, canonical_trailer
from strongroom.errors import S3Error

KEY = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
AMZ_DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
PAYLOAD = b"a" * 66560
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"


def _chain(seed: str = SEED) -> ChunkSignatureChain:
    return ChunkSignatureChain(KEY, AMZ_DATE, SCOPE, seed)


def aws_example_body() -> bytes:
    """The body of the documented chunked PUT: 64 KiB + 1 KiB + final chunk, as AWS prints it."""
    return (
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
        + PAYLOAD[:65536]
        + b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
        + PAYLOAD[65536:]
        + b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
    )


def aws_signed_trailer_body() -> bytes:
    """The body of the documented signed-trailer PUT (CRC32C trailer)."""
    return (
        b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"
        + PAYLOAD[:65536]
        + b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n"
        + PAYLOAD[65536:]
        + b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n"
        + b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
        + b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
        + b"\r\n"
    )


def _crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def encode(
    payload: bytes,
    chunk: int,
    *,
    signed: bool,
    trailers: list[tuple[str, str]] | None = None,
    seed: str = SEED,
) -> bytes:
    """Encode like an SDK would: signed or unsigned chunks, optional trailers (signed if chunks are)."""
    signer = _chain(seed) if signed else None
    pieces = [payload[i : i + chunk] for i in range(0, len(payload), chunk)] + [b""]
    out = bytearray()
    for piece in pieces:
        out += f"{len(piece):x}".encode()
        if signer is not None:
            signature = signer.expected_chunk_signature(hashlib.sha256(piece).hexdigest())
            assert signer.verify_chunk(hashlib.sha256(piece).hexdigest(), signature)
            out += b";chunk-signature=" + signature.encode()
        out += b"\r\n" + piece
        if piece:
            out += b"\r\n"
    for name, value in trailers or []:
        out += f"{name}:{value}\r\n".encode()
    if trailers is not None and signer is not None:
        out += f"x-amz-trailer-signature:{signer.expected_trailer_signature(canonical_trailer(trailers))}\r\n".encode()
    return bytes(out + b"\r\n")


def decode(decoder: AwsChunkedDecoder, body: bytes, cuts: list[int] | None = None) -> bytes:
    points = sorted({0, len(body), *(cuts or [])})
    out = bytearray()
    for start, end in zip(points, points[1:], strict=False):
        for piece in decoder.feed(body[start:end]):
            out += piece
    decoder.finish()
    return bytes(out)


def _error(decoder: AwsChunkedDecoder, body: bytes) -> S3Error:
    with pytest.raises(S3Error) as caught:
        decode(decoder, body)
    return caught.value


# --- AWS examples -----------------------------------------------------------------------------------


def test_aws_signed_example_decodes_and_verifies() -> None:
    decoder = AwsChunkedDecoder(chain=_chain(), expect_trailer=False)
    assert len(aws_example_body()) == 66824  # the documented Content-Length
    assert decode(decoder, aws_example_body()) == PAYLOAD
    assert decoder.decoded_bytes == 66560 and decoder.trailers == {} and decoder.done


def test_aws_signed_trailer_example_decodes_and_verifies_trailer() -> None:
    decoder = AwsChunkedDecoder(chain=_chain(TRAILER_SEED), expect_trailer=True)
    assert decode(decoder, aws_signed_trailer_body()) == PAYLOAD
    assert decoder.finish() == {"x-amz-checksum-crc32c": "sOO8/Q=="}


def test_signed_chunk_is_released_only_when_complete() -> None:
    decoder = AwsChunkedDecoder(chain=_chain(), expect_trailer=False)
    body = aws_example_body()
    assert decoder.feed(body[:65000]) == []
    assert decoder.feed(body[65000:66000]) == [PAYLOAD[:65536]]


def test_unsigned_data_streams_as_it_arrives() -> None:
    decoder = AwsChunkedDecoder(chain=None, expect_trailer=True)
    body = encode(PAYLOAD, 65536, signed=False, trailers=[("x-amz-checksum-crc32", _crc32_b64(PAYLOAD))])
    assert decoder.feed(body[:1000]) == [PAYLOAD[: 1000 - len(b"10000\r\n")]]


# --- random splits ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=66824), max_size=12))
def test_any_split_of_the_aws_example_decodes_identically(cuts: list[int]) -> None:
    decoder = AwsChunkedDecoder(chain=_chain(), expect_trailer=False)
    assert decode(decoder, aws_example_body(), cuts) == PAYLOAD


@settings(max_examples=80, deadline=None)
@given(
    payload=st.binary(max_size=3000),
    chunk=st.integers(min_value=1, max_value=700),
    signed=st.booleans(),
    trailer=st.booleans(),
    data=st.data(),
)
def test_any_split_of_any_encoding_decodes_identically(
    payload: bytes, chunk: int, signed: bool, trailer: bool, data: st.DataObject
) -> None:
    trailers = [("x-amz-checksum-crc32", _crc32_b64(payload))] if trailer else None
    body = encode(payload, chunk, signed=signed, trailers=trailers)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(body)), max_size=20))
    decoder = AwsChunkedDecoder(chain=_chain() if signed else None, expect_trailer=trailer)
    assert decode(decoder, body, cuts) == payload
    assert decoder.decoded_bytes == len(payload)
    assert decoder.trailers == dict(trailers or [])


# --- mutations --------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [100, 65000, 65800, 66600])
def test_flipped_data_byte_is_signature_does_not_match(offset: int) -> None:
    body = bytearray(aws_example_body())
    body[offset] ^= 0x01
    error = _error(AwsChunkedDecoder(chain=_chain(), expect_trailer=False), bytes(body))
    assert error.code == "SignatureDoesNotMatch" and error.status == 403


def test_flipped_data_byte_is_never_released() -> None:
    body = bytearray(aws_example_body())
    body[100] ^= 0x01
    decoder = AwsChunkedDecoder(chain=_chain(), expect_trailer=False)
    assert decoder.feed(bytes(body[:65000])) == []
    with pytest.raises(S3Error):
        decoder.feed(bytes(body[65000:]))
    assert decoder.decoded_bytes == 0


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=66823))
def test_truncated_body_is_incomplete_body_at_finish(cut: int) -> None:
    decoder = AwsChunkedDecoder(chain=_chain(), expect_trailer=False)
    decoder.feed(aws_example_body()[:cut])
    with pytest.raises(S3Error) as caught:
        decoder.finish()
    assert caught.value.code == "IncompleteBody"


def test_missing_trailer_section_is_incomplete_body() -> None:
    body = encode(b"hello", 5, signed=False, trailers=[("x-amz-checksum-crc32", _crc32_b64(b"hello"))])
    decoder = AwsChunkedDecoder(chain=None, expect_trailer=True)
    decoder.feed(body[: body.index(b"x-amz")])
    with pytest.raises(S3Error) as caught:
        decoder.finish()
    assert caught.value.code == "IncompleteBody"


def test_oversized_chunk_header_line_is_rejected_without_waiting_for_crlf() -> None:
    decoder = AwsChunkedDecoder(chain=_chain(), expect_trailer=False)
    with pytest.raises(S3Error) as caught:
        decoder.feed(b"10000;chunk-signature=" + b"a" * MAX_CHUNK_HEADER_BYTES)
    assert caught.value.code == "InvalidRequest"


def test_oversized_trailer_section_is_rejected() -> None:
    decoder = AwsChunkedDecoder(chain=None, expect_trailer=True)
    decoder.feed(b"0\r\n")
    with pytest.raises(S3Error) as caught:
        for i in range(MAX_TRAILER_BYTES // 20 + 2):
            decoder.feed(f"x-amz-meta-{i:05d}:{'v' * 5}\r\n".encode())
    assert caught.value.code == "InvalidRequest"


def test_chunk_larger_than_the_cap_is_rejected() -> None:
    decoder = AwsChunkedDecoder(chain=None, expect_trailer=False, max_chunk_bytes=1024)
    with pytest.raises(S3Error) as caught:
        decoder.feed(b"401\r\n")
    assert caught.value.code == "InvalidRequest"


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n",
        b"\r\n",
        b"+5\r\nhello\r\n0\r\n\r\n",
        b" 5\r\nhello\r\n0\r\n\r\n",
        b"11111111111111111\r\n",
        b"5\nhello\r\n0\r\n\r\n",
        b"5\r\nhelloXY0\r\n\r\n",
        b"5;ext=1\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello\r\n0\r\n\r\nextra",
        b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
    ],
)
def test_malformed_unsigned_framing_is_invalid_request(body: bytes) -> None:
    error = _error(AwsChunkedDecoder(chain=None, expect_trailer=False), body)
    assert error.code == "InvalidRequest" and error.status == 400


@pytest.mark.parametrize(
    "header",
    [
        b"5\r\n",
        b"5;chunk-signature=abc\r\n",
        b"5;chunk-signature=" + b"A" * 64 + b"\r\n",
        b"5;sig=" + b"a" * 64 + b"\r\n",
    ],
)
def test_signed_chunk_without_a_well_formed_signature_is_rejected(header: bytes) -> None:
    error = _error(AwsChunkedDecoder(chain=_chain(), expect_trailer=False), header + b"hello\r\n")
    assert error.code == "InvalidRequest"


def test_reordered_signed_chunks_do_not_verify() -> None:
    body = encode(b"x" * 20 + b"y" * 20, 20, signed=True)
    first, second = body.index(b"14;"), body.index(b"14;", 10)
    swapped = body[second : body.index(b"0;")] + body[first:second] + body[body.index(b"0;") :]
    error = _error(AwsChunkedDecoder(chain=_chain(), expect_trailer=False), swapped)
    assert error.code == "SignatureDoesNotMatch"


# --- trailers ---------------------------------------------------------------------------------------


def test_unsigned_trailer_variant_with_crc32_checksum() -> None:
    checksum = _crc32_b64(PAYLOAD)
    body = encode(PAYLOAD, 8192, signed=False, trailers=[("X-Amz-Checksum-CRC32", checksum)])
    decoder = AwsChunkedDecoder(chain=None, expect_trailer=True)
    assert decode(decoder, body) == PAYLOAD
    assert decoder.trailers == {"x-amz-checksum-crc32": checksum}


def test_signed_trailer_with_wrong_value_is_signature_does_not_match() -> None:
    body = aws_signed_trailer_body().replace(b"sOO8/Q==", b"AAAAAA==")
    error = _error(AwsChunkedDecoder(chain=_chain(TRAILER_SEED), expect_trailer=True), body)
    assert error.code == "SignatureDoesNotMatch"


def test_signed_trailer_without_its_signature_is_signature_does_not_match() -> None:
    body = aws_signed_trailer_body()
    start = body.index(b"x-amz-trailer-signature")
    body = body[:start] + body[body.index(b"\r\n", start) + 2 :]
    error = _error(AwsChunkedDecoder(chain=_chain(TRAILER_SEED), expect_trailer=True), body)
    assert error.code == "SignatureDoesNotMatch"


def test_trailer_signature_in_an_unsigned_body_is_rejected() -> None:
    body = b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:" + b"a" * 64 + b"\r\n\r\n"
    error = _error(AwsChunkedDecoder(chain=None, expect_trailer=True), body)
    assert error.code == "InvalidRequest"


@pytest.mark.parametrize(
    "line", [b"no-colon", b":value", b"bad name:v", b"x-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b"]
)
def test_malformed_or_repeated_trailer_is_invalid_request(line: bytes) -> None:
    error = _error(AwsChunkedDecoder(chain=None, expect_trailer=True), b"0\r\n" + line + b"\r\n\r\n")
    assert error.code == "InvalidRequest"
