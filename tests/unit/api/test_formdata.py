"""The multipart/form-data parser: fields, streamed file bytes, random splits, caps and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.api.formdata import (
    MAX_FIELD_BYTES,
    MAX_PART_HEADER_BYTES,
    MAX_PRELUDE_BYTES,
    Field,
    FileData,
    FileEnd,
    FileStart,
    FormDataParser,
    FormEvent,
    parse_boundary,
)
from strongroom.errors import S3Error

BOUNDARY = b"----strongroomBoundary7MA4YWxkTrZu0gW"


def form(fields: list[tuple[str, str]], file: bytes | None, filename: str = "photo.jpg", after: list[tuple[str, str]] | None = None) -> bytes:
    """A browser-shaped form body."""
    out = bytearray(b"preamble to ignore\r\n")
    for name, value in fields:
        out += b"--" + BOUNDARY + b"\r\n"
        out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    if file is not None:
        out += b"--" + BOUNDARY + b"\r\n"
        out += f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        out += file + b"\r\n"
    for name, value in after or []:
        out += b"--" + BOUNDARY + b"\r\n"
        out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    out += b"--" + BOUNDARY + b"--\r\nepilogue"
    return bytes(out)


def run(body: bytes, cuts: list[int] | None = None) -> list[FormEvent]:
    """Feed the body in pieces cut at the given offsets; merge adjacent file data."""
    parser = FormDataParser(BOUNDARY)
    events: list[FormEvent] = []
    points = sorted({0, len(body), *(c for c in (cuts or []) if 0 <= c <= len(body))})
    for start, end in zip(points, points[1:], strict=False):
        events.extend(parser.feed(body[start:end]))
    parser.finish()
    merged: list[FormEvent] = []
    for event in events:
        if isinstance(event, FileData) and merged and isinstance(merged[-1], FileData):
            merged[-1] = FileData(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


FIELDS = [("key", "uploads/${filename}"), ("Policy", "eyJleHBpcmF0aW9uIjoi"), ("x-amz-meta-note", "caf\u00e9")]
PAYLOAD = b"\r\n--not the boundary\r\n" + bytes(range(256)) * 40 + b"\r\n-"


def expected(payload: bytes = PAYLOAD) -> list[FormEvent]:
    data: list[FormEvent] = [FileData(payload)] if payload else []
    return [*(Field(n, v) for n, v in FIELDS), FileStart("photo.jpg", "image/jpeg"), *data, FileEnd()]


def test_fields_then_file_then_end() -> None:
    assert run(form(FIELDS, PAYLOAD)) == expected()


def test_fields_after_the_file_are_ignored() -> None:
    assert run(form(FIELDS, PAYLOAD, after=[("acl", "public-read")])) == expected()


def test_empty_file_has_start_and_end_only() -> None:
    assert run(form(FIELDS, b"")) == [*(Field(n, v) for n, v in FIELDS), FileStart("photo.jpg", "image/jpeg"), FileEnd()]


def test_form_without_file_ends_with_no_file_events() -> None:
    parser = FormDataParser(BOUNDARY)
    events = parser.feed(form(FIELDS, None))
    parser.finish()
    assert events == [Field(n, v) for n, v in FIELDS] and not parser.saw_file


def test_body_without_leading_preamble_or_epilogue() -> None:
    body = form(FIELDS, PAYLOAD).removeprefix(b"preamble to ignore\r\n").removesuffix(b"epilogue")
    assert run(body) == expected()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(form(FIELDS, PAYLOAD))), max_size=40))
def test_any_split_of_the_body_gives_the_same_events(cuts: list[int]) -> None:
    assert run(form(FIELDS, PAYLOAD), cuts) == expected()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=0, max_value=4000), max_size=20))
def test_any_file_bytes_round_trip(payload: bytes, cuts: list[int]) -> None:
    if b"--" + BOUNDARY in payload:
        return  # a boundary must not occur in the content (RFC 2046 5.1.1)
    assert run(form(FIELDS, payload), cuts) == expected(payload)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(form(FIELDS, PAYLOAD)) - 1), st.binary(min_size=1, max_size=4))
def test_mutations_parse_or_raise_s3_errors(offset: int, junk: bytes) -> None:
    body = bytearray(form(FIELDS, PAYLOAD))
    body[offset : offset + len(junk)] = junk
    try:
        run(bytes(body), [offset, offset + 3])
    except S3Error as exc:
        assert exc.status == 400


def test_file_bytes_stream_before_the_body_ends() -> None:
    parser = FormDataParser(BOUNDARY)
    body = form(FIELDS, b"x" * 100_000)
    events = parser.feed(body[:60_000])
    streamed = sum(len(e.data) for e in events if isinstance(e, FileData))
    assert streamed > 50_000  # nothing waits for the end of the file


def test_field_larger_than_cap_is_refused() -> None:
    with pytest.raises(S3Error) as info:
        run(form([("policy", "p" * (MAX_FIELD_BYTES + 1))], b"x"))
    assert info.value.status == 400


def test_prelude_larger_than_cap_is_refused_even_in_small_fields() -> None:
    many = [(f"x-ignore-{i}", "v" * 1000) for i in range(MAX_PRELUDE_BYTES // 1000 + 1)]
    with pytest.raises(S3Error):
        run(form(many, b"x"), list(range(0, 200_000, 512)))


def test_large_file_in_one_chunk_is_not_counted_as_prelude() -> None:
    assert run(form(FIELDS, b"y" * (MAX_PRELUDE_BYTES * 4))) == expected(b"y" * (MAX_PRELUDE_BYTES * 4))


def test_part_headers_larger_than_cap_are_refused() -> None:
    body = b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + b"p" * MAX_PART_HEADER_BYTES + b"\r\n\r\nv\r\n"
    with pytest.raises(S3Error):
        run(body + b"--" + BOUNDARY + b"--")


@pytest.mark.parametrize(
    "body",
    [
        b"",  # nothing at all
        b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nvalue",  # truncated
        b"--" + BOUNDARY + b"\r\nContent-Type: text/plain\r\n\r\nv\r\n--" + BOUNDARY + b"--",  # no name
        b"--" + BOUNDARY + b"\r\nno colon here\r\n\r\nv\r\n--" + BOUNDARY + b"--",
        b"--" + BOUNDARY + b"garbage\r\n",
    ],
)
def test_malformed_bodies_are_malformed_post_request(body: bytes) -> None:
    with pytest.raises(S3Error) as info:
        run(body)
    assert (info.value.code, info.value.status) == ("MalformedPOSTRequest", 400)


def test_quoted_names_and_filenames() -> None:
    body = (
        b"--" + BOUNDARY + b'\r\ncontent-disposition: form-data; name="k;ey"\r\n\r\nv\r\n'
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name=file; filename="a \\"b\\".txt"\r\n\r\ndata\r\n'
        b"--" + BOUNDARY + b"--"
    )
    assert run(body) == [Field("k;ey", "v"), FileStart('a "b".txt', None), FileData(b"data"), FileEnd()]


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=abc", b"abc"),
        ('Multipart/Form-Data; charset=utf-8; boundary="a b;c"', b"a b;c"),
        ("multipart/mixed; boundary=abc", None),
        ("application/x-www-form-urlencoded", None),
        ("multipart/form-data", None),
        ("multipart/form-data; boundary=" + "b" * 71, None),
        (None, None),
    ],
)
def test_parse_boundary(content_type: str | None, boundary: bytes | None) -> None:
    assert parse_boundary(content_type) == boundary
