"""Envelope wrapping: data keys and small secrets bound to a canonical encryption context."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import (
    DataKey,
    IntegrityError,
    encode_context,
    open_bytes,
    seal_bytes,
    unwrap_key,
    wrap_key,
)
from strongroom.crypto.envelope import WRAPPED_KEY_BYTES

KEK = DataKey.generate()
KEY = DataKey.generate()
CONTEXT = encode_context(
    {"bucket": "photos", "key": "cat.jpg", "version": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"}
)


def test_wrap_unwrap_round_trip() -> None:
    wrapped = wrap_key(KEK, KEY, CONTEXT)
    assert len(wrapped) == WRAPPED_KEY_BYTES == 61
    assert KEY.reveal_secret_bytes() not in wrapped
    assert unwrap_key(KEK, wrapped, CONTEXT) == KEY


def test_wrapping_twice_gives_different_bytes() -> None:
    assert wrap_key(KEK, KEY, CONTEXT) != wrap_key(KEK, KEY, CONTEXT)


def test_wrong_context_is_integrity_error() -> None:
    wrapped = wrap_key(KEK, KEY, CONTEXT)
    other = encode_context({"bucket": "photos", "key": "dog.jpg", "version": "1"})
    with pytest.raises(IntegrityError):
        unwrap_key(KEK, wrapped, other)
    with pytest.raises(IntegrityError):
        unwrap_key(KEK, wrapped, b"")


def test_wrong_kek_is_integrity_error() -> None:
    with pytest.raises(IntegrityError):
        unwrap_key(DataKey.generate(), wrap_key(KEK, KEY, CONTEXT), CONTEXT)


@settings(max_examples=200)
@given(position=st.integers(0, WRAPPED_KEY_BYTES - 1), bit=st.integers(0, 7))
def test_tampered_wrapped_key_is_integrity_error(position: int, bit: int) -> None:
    wrapped = bytearray(wrap_key(KEK, KEY, CONTEXT))
    wrapped[position] ^= 1 << bit
    with pytest.raises(IntegrityError) as raised:
        unwrap_key(KEK, bytes(wrapped), CONTEXT)
    assert str(raised.value) == "integrity check failed"


@pytest.mark.parametrize("cut", [1, 16, 60, 61])
def test_truncated_or_extended_wrapped_key_is_integrity_error(cut: int) -> None:
    wrapped = wrap_key(KEK, KEY, CONTEXT)
    with pytest.raises(IntegrityError):
        unwrap_key(KEK, wrapped[:-cut], CONTEXT)
    with pytest.raises(IntegrityError):
        unwrap_key(KEK, wrapped + b"\x00", CONTEXT)


def test_seal_open_bytes_round_trip_and_tamper() -> None:
    secret = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    sealed = seal_bytes(KEK, secret, CONTEXT)
    assert secret not in sealed
    assert open_bytes(KEK, sealed, CONTEXT) == secret
    assert open_bytes(KEK, seal_bytes(KEK, b"", CONTEXT), CONTEXT) == b""
    for bad in (sealed[:-1], sealed[:5], b"", b"\x02" + sealed[1:]):
        with pytest.raises(IntegrityError):
            open_bytes(KEK, bad, CONTEXT)
    with pytest.raises(IntegrityError):
        open_bytes(KEK, sealed, b"other")
    with pytest.raises(IntegrityError):
        open_bytes(DataKey.generate(), sealed, CONTEXT)


def test_wrapped_key_and_sealed_secret_are_not_interchangeable() -> None:
    as_secret = seal_bytes(KEK, KEY.reveal_secret_bytes(), CONTEXT)
    with pytest.raises(IntegrityError):
        unwrap_key(KEK, as_secret, CONTEXT)
    with pytest.raises(IntegrityError):
        open_bytes(KEK, wrap_key(KEK, KEY, CONTEXT), CONTEXT)


def test_encode_context_is_sorted_and_length_prefixed() -> None:
    assert encode_context({}) == b"\x00\x00\x00\x00"
    assert encode_context({"b": "2", "a": "1"}) == encode_context({"a": "1", "b": "2"})
    assert encode_context({"a": "1"}) == b"\x00\x00\x00\x01" + b"\x00\x00\x00\x01a" + b"\x00\x00\x00\x011"
    assert encode_context({"é": "ü"}) == b"\x00\x00\x00\x01\x00\x00\x00\x02\xc3\xa9\x00\x00\x00\x02\xc3\xbc"


def test_encode_context_is_unambiguous() -> None:
    assert encode_context({"ab": "c"}) != encode_context({"a": "bc"})
    assert encode_context({"a": "b", "c": "d"}) != encode_context({"a": "b\x00\x00\x00\x01c"})


@given(st.dictionaries(st.text(), st.text()), st.dictionaries(st.text(), st.text()))
def test_encode_context_is_injective(a: dict[str, str], b: dict[str, str]) -> None:
    assert (encode_context(a) == encode_context(b)) == (a == b)


def test_encode_context_rejects_lone_surrogates() -> None:
    with pytest.raises(ValueError):
        encode_context({"k": "\ud800"})
