"""Key policies in the built-in KMS: the default document, the request context of a key use, storage,
and S3's use of a key for the caller named in S3_CALLER (real SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.crypto.keys import DataKey
from strongroom.errors import S3Error
from strongroom.grant import Grant
from strongroom.kms.builtin import BuiltinKms
from strongroom.kms.caller import KmsCaller, s3_via_service
from strongroom.kms.key_policy import (
    S3_CALLER,
    decide_key_use,
    default_key_policy,
    key_use_context,
    parse_key_policy,
)
from strongroom.meta.engine import MetaStore
from strongroom.policy import ACCOUNT_PRINCIPAL, Caller, PolicySet, RequestContext, authorize

MINE, THEIRS = "111111111111", "222222222222"
ROOT = f"arn:aws:iam::{MINE}:root"


def grant(account: str, action: str = "kms:CreateKey", resource: str = "*") -> Grant:
    context = RequestContext(action, resource, Caller(f"arn:aws:iam::{account}:root", account), account)
    return authorize(context, PolicySet(identity=(ACCOUNT_PRINCIPAL,)))


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[BuiltinKms]:
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        yield BuiltinKms(DataKey.generate(), meta, "us-east-1")
    finally:
        meta.close()


def test_default_policy_is_awss_document_and_parses() -> None:
    text = default_key_policy(MINE)
    assert json.loads(text)["Statement"][0] == {
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*",
    }
    assert '"Version" : "2012-10-17"' in text  # AWS's spacing
    assert parse_key_policy(text).statements[0].sid == "Enable IAM User Permissions"


def test_key_use_context_names_the_kms_condition_keys() -> None:
    caller = KmsCaller(f"arn:aws:iam::{MINE}:user/alice", MINE, via_service=s3_via_service("eu-west-1"), source_ip="10.1.2.3")
    context = key_use_context(caller, "arn:aws:kms:us-east-1:222222222222:key/k", THEIRS, "kms:Decrypt",
                              {"aws:s3:arn": "arn:aws:s3:::b/k", "strongroom:blob": "internal"})
    keys = context.keys
    assert keys["kms:calleraccount"] == MINE and keys["aws:principalaccount"] == MINE
    assert keys["kms:viaservice"] == "s3.eu-west-1.amazonaws.com" and keys["aws:sourceip"] == "10.1.2.3"
    assert keys["aws:username"] == "alice" and keys["aws:principalarn"] == caller.principal_arn
    assert keys["kms:encryptioncontext:aws:s3:arn"] == "arn:aws:s3:::b/k"
    assert keys["kms:encryptioncontextkeys"] == ("aws:s3:arn",)  # the server's own binding is no condition key
    assert "kms:encryptioncontext:strongroom:blob" not in keys
    assert context.resource_account == THEIRS and not context.same_account
    assert "kms:encryptioncontextkeys" not in key_use_context(caller, "arn", MINE, "kms:DescribeKey").keys


def test_decisions_on_the_default_policy() -> None:
    policy = parse_key_policy(default_key_policy(MINE))
    mine = KmsCaller(ROOT, MINE)
    theirs = KmsCaller(f"arn:aws:iam::{THEIRS}:root", THEIRS)
    key = f"arn:aws:kms:us-east-1:{MINE}:key/k"
    assert decide_key_use(policy, key_use_context(mine, key, MINE, "kms:Decrypt")).allowed
    assert not decide_key_use(policy, key_use_context(theirs, key, MINE, "kms:Decrypt")).allowed


def test_policies_are_stored_with_the_key_and_put_needs_a_grant_for_it(kms: BuiltinKms) -> None:
    key = kms.create_key(grant(MINE), "", {})
    assert kms.policies.text(key.key_id, MINE) == default_key_policy(MINE)
    custom = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": MINE}, "Action": "kms:*", "Resource": "*"}]})
    kms.policies.put(grant(MINE, "kms:PutKeyPolicy", key.arn), key.key_id, key.arn, custom)
    assert kms.policies.text(key.key_id, MINE) == custom
    with pytest.raises(S3Error):  # a grant for another action or key is no grant to change this policy
        kms.policies.put(grant(MINE, "kms:DescribeKey", key.arn), key.key_id, key.arn, custom)
    created = kms.create_key(grant(MINE), "", {}, custom)
    assert kms.policies.text(created.key_id, MINE) == custom


def test_s3_use_is_decided_for_the_caller_in_s3_caller(kms: BuiltinKms) -> None:
    key = kms.create_key(grant(MINE), "", {})
    context = {"aws:s3:arn": "arn:aws:s3:::b/k"}
    kms.policies.check_s3_use(key.arn, "kms:Decrypt", context)  # no caller: a worker of the server, not evaluated
    token = S3_CALLER.set(KmsCaller(f"arn:aws:iam::{THEIRS}:root", THEIRS, via_service=s3_via_service("us-east-1")))
    try:
        with pytest.raises(S3Error) as err:
            kms.policies.check_s3_use(key.arn, "kms:Decrypt", context)
        assert err.value.code == "AccessDenied" and "kms:Decrypt" in err.value.message
        with pytest.raises(S3Error):  # generating a data key through the provider is decided too
            kms.generate_data_key(key.arn, context)
    finally:
        S3_CALLER.reset(token)
    token = S3_CALLER.set(KmsCaller(ROOT, MINE, via_service=s3_via_service("us-east-1")))
    try:
        kms.policies.check_s3_use(key.arn, "kms:Decrypt", context)
        kms.generate_data_key(key.arn, context)
    finally:
        S3_CALLER.reset(token)
