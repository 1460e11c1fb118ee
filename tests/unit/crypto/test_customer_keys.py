"""SSE-C customer keys: header validation, fingerprints that recognise a key and reveal nothing."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from strongroom.crypto.customer_keys import CustomerKeyError, fingerprint, matches, parse_customer_key
from strongroom.crypto.keys import DataKey


def _headers(key: bytes) -> tuple[str, str, str]:
    return "AES256", base64.b64encode(key).decode(), base64.b64encode(hashlib.md5(key).digest()).decode()


def test_valid_headers_give_the_key() -> None:
    raw = os.urandom(32)
    assert parse_customer_key(*_headers(raw)).reveal_secret_bytes() == raw


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: (None, h[1], h[2]), "incomplete"),
        (lambda h: (h[0], None, h[2]), "incomplete"),
        (lambda h: ("AES128", h[1], h[2]), "algorithm"),
        (lambda h: (h[0], "not base64!", h[2]), "encoding"),
        (lambda h: (h[0], base64.b64encode(b"short").decode(), base64.b64encode(hashlib.md5(b"short").digest()).decode()), "length"),
        (lambda h: (h[0], h[1], base64.b64encode(hashlib.md5(b"other").digest()).decode()), "md5"),
    ],
)
def test_bad_headers_say_which_part_is_wrong(mutate, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CustomerKeyError) as err:
        parse_customer_key(*mutate(_headers(os.urandom(32))))
    assert err.value.reason == reason


def test_fingerprint_recognises_the_same_key_only() -> None:
    key, other = DataKey.generate(), DataKey.generate()
    stored = fingerprint(key)
    assert matches(key, stored)
    assert not matches(other, stored)
    assert not matches(key, stored[:-1])
    assert not matches(key, b"\x02" + stored[1:])


def test_fingerprints_are_salted_and_do_not_contain_the_key() -> None:
    key = DataKey.generate()
    first, second = fingerprint(key), fingerprint(key)
    assert first != second
    assert key.reveal_secret_bytes() not in first
