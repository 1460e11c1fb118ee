"""DataKey: never shows its bytes, refuses pickling, compares in constant time."""

from __future__ import annotations

import copy
import pickle

import pytest

from strongroom.crypto import DataKey

SECRET = bytes(range(32))


def test_repr_and_str_show_only_a_short_key_id() -> None:
    key = DataKey.from_bytes(SECRET)
    for text in (repr(key), str(key), f"{key}"):
        assert SECRET.hex() not in text
        assert SECRET.hex()[:8] not in text
        assert text == f"DataKey(id={key.key_id})"
    assert len(key.key_id) == 8
    int(key.key_id, 16)


def test_key_id_is_stable_and_differs_between_keys() -> None:
    assert DataKey.from_bytes(SECRET).key_id == DataKey.from_bytes(SECRET).key_id
    assert DataKey.generate().key_id != DataKey.generate().key_id


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickling_raises(protocol: int) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(DataKey.generate(), protocol=protocol)


def test_getstate_raises() -> None:
    with pytest.raises(TypeError):
        DataKey.generate().__getstate__()


def test_copies_are_the_same_immutable_object() -> None:
    key = DataKey.generate()
    assert copy.copy(key) is key
    assert copy.deepcopy(key) is key
    with pytest.raises(AttributeError):
        key._secret = b"x" * 32


def test_direct_construction_is_refused() -> None:
    with pytest.raises(TypeError):
        DataKey(SECRET)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_from_bytes_requires_exactly_32_bytes(length: int) -> None:
    with pytest.raises(ValueError):
        DataKey.from_bytes(b"k" * length)


def test_from_bytes_copies_and_reveal_returns_the_bytes() -> None:
    buffer = bytearray(SECRET)
    key = DataKey.from_bytes(buffer)
    buffer[0] ^= 0xFF
    assert key.reveal_secret_bytes() == SECRET


def test_generate_gives_fresh_32_byte_keys() -> None:
    a, b = DataKey.generate(), DataKey.generate()
    assert len(a.reveal_secret_bytes()) == 32
    assert a != b


def test_equality_compares_key_bytes() -> None:
    assert DataKey.from_bytes(SECRET) == DataKey.from_bytes(SECRET)
    assert DataKey.from_bytes(SECRET) != DataKey.from_bytes(bytes(32))
    assert DataKey.from_bytes(SECRET) != SECRET
    assert len({DataKey.from_bytes(SECRET), DataKey.from_bytes(SECRET)}) == 1
