"""STS session tokens: sealed claims that round-trip, and refusals for anything altered, foreign or expired."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.auth.session_tokens import (
    SessionClaims,
    new_session_key_id,
    new_session_secret,
    open_session,
    seal_session,
)
from strongroom.crypto.keys import DataKey
from strongroom.errors import S3Error
from strongroom.kms.root_key import as_keyring

KEYRING = as_keyring(DataKey.generate())


def _claims(**changes: object) -> SessionClaims:
    base = {"access_key_id": new_session_key_id(), "secret": new_session_secret(), "account_id": "111122223333", "kind": "role",
            "name": "reader", "entity_id": "AROAEXAMPLE", "session_name": "pod-1", "expires": 2000.0,
            "policy": '{"Version":"2012-10-17","Statement":[]}', "policy_arns": ("arn:aws:iam::111122223333:policy/p",),
            "tags": {"team": "data"}, "source_identity": "alice"}
    base.update(changes)
    return SessionClaims(**base)  # type: ignore[arg-type]


def test_a_token_round_trips_its_claims() -> None:
    claims = _claims()
    assert open_session(KEYRING, seal_session(KEYRING, claims), claims.access_key_id, now=1000.0) == claims
    assert claims.access_key_id.startswith("ASIA") and len(claims.access_key_id) == 20


def test_expired_wrong_key_and_foreign_tokens_are_refused() -> None:
    claims = _claims()
    token = seal_session(KEYRING, claims)
    with pytest.raises(S3Error) as exc:
        open_session(KEYRING, token, claims.access_key_id, now=2000.0)
    assert exc.value.code == "ExpiredToken"
    with pytest.raises(S3Error) as exc:
        open_session(KEYRING, token, new_session_key_id(), now=1000.0)
    assert exc.value.code == "InvalidToken"
    other = as_keyring(DataKey.generate())
    with pytest.raises(S3Error) as exc:
        open_session(other, token, claims.access_key_id, now=1000.0)
    assert exc.value.code == "InvalidToken"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_any_altered_byte_is_invalid(position: int, flip: int) -> None:
    claims = _claims()
    sealed = bytearray(base64.urlsafe_b64decode(seal_session(KEYRING, claims)))
    sealed[position % len(sealed)] ^= flip
    with pytest.raises(S3Error) as exc:
        open_session(KEYRING, base64.urlsafe_b64encode(bytes(sealed)).decode(), claims.access_key_id, now=1000.0)
    assert exc.value.code == "InvalidToken"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_garbage_is_invalid_never_a_crash(token: str) -> None:
    with pytest.raises(S3Error) as exc:
        open_session(KEYRING, token, "ASIAAAAAAAAAAAAAAAAA", now=0.0)
    assert exc.value.code == "InvalidToken"
