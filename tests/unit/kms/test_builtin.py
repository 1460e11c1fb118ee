"""The built-in KMS's domain rules on real SQLite: keys, states, aliases, tags, cryptography, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.grant import Grant
from strongroom.kms.builtin import BuiltinKms, KeyState, KmsError
from strongroom.kms.provider import KeyUnavailable
from strongroom.meta import schema
from strongroom.meta.engine import MetaStore
from strongroom.policy import ACCOUNT_PRINCIPAL, Caller, PolicySet, RequestContext, authorize

MINE, THEIRS = "111111111111", "222222222222"


def grant(account: str) -> Grant:
    arn = f"arn:aws:iam::{account}:root"
    return authorize(RequestContext("kms:Test", "*", Caller(arn, account), account), PolicySet(identity=(ACCOUNT_PRINCIPAL,)))


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[BuiltinKms]:
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        yield BuiltinKms(DataKey.generate(), meta, "us-east-1")
    finally:
        meta.close()


def test_created_key_is_enabled_and_resolvable_by_id_arn_and_alias(kms: BuiltinKms) -> None:
    key = kms.create_key(grant(MINE), "my key", {"team": "a"})
    assert key.state is KeyState.ENABLED
    assert key.arn == f"arn:aws:kms:us-east-1:{MINE}:key/{key.key_id}"
    kms.create_alias(grant(MINE), "alias/mine", key)
    for ref in (key.key_id, key.arn, "alias/mine", f"arn:aws:kms:us-east-1:{MINE}:alias/mine"):
        assert kms.resolve(MINE, ref) == key
    assert kms.list_tags(key, 50, None) == ([("team", "a")], None)


@pytest.mark.parametrize("ref", ["nope", "alias/nope", "00000000-0000-0000-0000-000000000000", f"arn:aws:kms:eu-west-1:{MINE}:key/x"])
def test_unknown_references_are_not_found(kms: BuiltinKms, ref: str) -> None:
    with pytest.raises(KmsError) as err:
        kms.resolve(MINE, ref)
    assert err.value.code == "NotFoundException"


def test_another_accounts_key_is_found_only_by_arn_and_used_only_with_a_grant_for_it(kms: BuiltinKms) -> None:
    key = kms.create_key(grant(THEIRS), "", {})
    with pytest.raises(KmsError) as err:
        kms.resolve(MINE, key.key_id)
    assert err.value.code == "NotFoundException"
    # An ARN names its account: the lookup finds the key, and its key policy decides (KMS API layer).
    assert kms.resolve(MINE, key.arn) == key
    blob = kms.encrypt(grant(THEIRS), key, b"x", {})
    assert kms.key_of_ciphertext(MINE, blob) == key
    # An account-wide grant of another account never reaches the key (defence in depth).
    with pytest.raises(KmsError) as err:
        kms.encrypt(grant(MINE), key, b"x", {})
    assert err.value.code == "AccessDeniedException"
    assert kms.list_keys(MINE, 100, None) == ([], None)


def test_encrypt_decrypt_binds_the_encryption_context(kms: BuiltinKms) -> None:
    g = grant(MINE)
    key = kms.create_key(g, "", {})
    blob = kms.encrypt(g, key, b"attack at dawn", {"purpose": "test"})
    assert kms.key_of_ciphertext(MINE, blob) == key
    assert kms.decrypt(g, key, blob, {"purpose": "test"}) == b"attack at dawn"
    for context in ({}, {"purpose": "other"}, {"purpose": "test", "extra": "x"}):
        with pytest.raises(KmsError) as err:
            kms.decrypt(g, key, blob, context)
        assert err.value.code == "InvalidCiphertextException"


def test_garbage_ciphertext_is_invalid(kms: BuiltinKms) -> None:
    with pytest.raises(KmsError) as err:
        kms.key_of_ciphertext(MINE, b"\x01\x02garbage")
    assert err.value.code == "InvalidCiphertextException"


def test_disabled_key_refuses_cryptography_until_enabled(kms: BuiltinKms) -> None:
    g = grant(MINE)
    key = kms.create_key(g, "", {})
    blob = kms.encrypt(g, key, b"x", {})
    kms.set_state(g, key, KeyState.DISABLED)
    disabled = kms.resolve(MINE, key.key_id)
    assert disabled.state is KeyState.DISABLED
    for call in (lambda: kms.encrypt(g, disabled, b"x", {}), lambda: kms.decrypt(g, disabled, blob, {})):
        with pytest.raises(KmsError) as err:
            call()
        assert err.value.code == "DisabledException"
    kms.set_state(g, disabled, KeyState.ENABLED)
    assert kms.decrypt(g, kms.resolve(MINE, key.key_id), blob, {}) == b"x"


def test_alias_rules(kms: BuiltinKms) -> None:
    g = grant(MINE)
    key, other = kms.create_key(g, "", {}), kms.create_key(g, "", {})
    kms.create_alias(g, "alias/app/one", key)
    cases = [("alias/app/one", "AlreadyExistsException"), ("noprefix", "ValidationException"),
             ("alias/aws/s3", "NotAuthorizedException"), ("alias/bad name", "ValidationException"), ("alias/", "ValidationException")]
    for name, code in cases:
        with pytest.raises(KmsError) as err:
            kms.create_alias(g, name, other)
        assert err.value.code == code, name
    kms.update_alias(g, "alias/app/one", other)
    assert kms.resolve(MINE, "alias/app/one") == other
    assert [a.alias_name for a in kms.list_aliases(MINE, other.key_id, 100, None)[0]] == ["alias/app/one"]
    kms.delete_alias(g, "alias/app/one")
    with pytest.raises(KmsError) as err:
        kms.delete_alias(g, "alias/app/one")
    assert err.value.code == "NotFoundException"
    # The same name in another account is another alias.
    kms.create_alias(grant(THEIRS), "alias/app/one", kms.create_key(grant(THEIRS), "", {}))
    assert kms.list_aliases(MINE, None, 100, None) == ([], None)


def test_listing_pages_with_markers(kms: BuiltinKms) -> None:
    g = grant(MINE)
    ids = sorted(kms.create_key(g, "", {}).key_id for _ in range(5))
    page, marker = kms.list_keys(MINE, 2, None)
    seen = [k.key_id for k in page]
    while marker is not None:
        page, marker = kms.list_keys(MINE, 2, marker)
        seen += [k.key_id for k in page]
    assert seen == ids


def test_tags_upsert_untag_and_limits(kms: BuiltinKms) -> None:
    g = grant(MINE)
    key = kms.create_key(g, "", {"a": "1"})
    kms.tag(g, key, {"a": "2", "b": "3"})
    kms.untag(g, key, ["b", "absent"])
    assert kms.list_tags(key, 50, None) == ([("a", "2")], None)
    for tags, code in (({"aws:x": "y"}, "TagException"), ({f"k{i}": "" for i in range(50)}, "LimitExceededException")):
        with pytest.raises(KmsError) as err:
            kms.tag(g, key, tags)
        assert err.value.code == code
    assert kms.list_tags(key, 50, None) == ([("a", "2")], None)


def test_key_material_is_stored_sealed_by_the_root_key(tmp_path: Path) -> None:
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        kms = BuiltinKms(DataKey.generate(), meta, "us-east-1")
        key = kms.create_key(grant(MINE), "", {})
        plaintext, blob = kms.generate_data_key_bytes(grant(MINE), key, 32, {})
        stored = meta.read_sync(lambda c: c.execute(select(schema.kms_keys.c.key_material)).scalar_one())
        assert plaintext not in stored and len(stored) == 1 + 12 + 32 + 16
        with pytest.raises(IntegrityError):  # another root key cannot open the material
            BuiltinKms(DataKey.generate(), meta, "us-east-1").decrypt(grant(MINE), key, blob, {})
    finally:
        meta.close()


def test_key_provider_wraps_and_unwraps_data_keys(kms: BuiltinKms) -> None:
    key = kms.create_key(grant(MINE), "", {})
    data_key, wrapped = kms.generate_data_key(key.arn, {"bucket": "b"})
    assert wrapped.key_id == key.arn
    assert kms.unwrap(wrapped, {"bucket": "b"}) == data_key
    assert kms.describe(key.key_id).state == "Enabled"
    with pytest.raises(IntegrityError):
        kms.unwrap(wrapped, {"bucket": "other"})
    kms.set_state(grant(MINE), key, KeyState.DISABLED)
    with pytest.raises(KeyUnavailable):
        kms.unwrap(wrapped, {"bucket": "b"})
    with pytest.raises(KeyUnavailable):
        kms.generate_data_key(None, {})
