"""KMS key policies through boto3's kms client: the default policy, Get/Put/ListKeyPolicies and their
errors, the lockout safety check, CreateKey's Policy, and every key use decided by the key policy:
explicit denies, conditions (kms:EncryptionContext:*, kms:CallerAccount), users of an account and
cross-account use of a key ARN. Users of the account reach a key through its root statement only as far
as their identity policies allow. Includes the key policies of the seeds (000 and 004)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo
from iamclients import make_iam
from keypolicies import account_fixtures, code, message, policy, root
from kms.test_kms_api import make_kms

ADMIN_ACTIONS = ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Create*", "kms:Enable*", "kms:Disable*", "kms:TagResource"]


kms, kms_alt, main_account, alt_account = account_fixtures()


@pytest.fixture
def key(kms) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return kms.create_key(Description="key policy test")["KeyMetadata"]  # type: ignore[no-any-return]


def _user(server: ServerInfo, account: str = "main", identity_actions: list[str] | None = None) -> tuple[str, Any]:
    """A new user of an account with an access key, and a kms client signing as it; ``identity_actions``:
    what its identity policy (an inline user policy) allows on every key."""
    name = f"u{uuid.uuid4().hex[:10]}"
    access, secret = f"AKIA{uuid.uuid4().hex[:16].upper()}", uuid.uuid4().hex + uuid.uuid4().hex[:8]
    server.cli("admin", "user", "add", account, name)
    server.cli("admin", "key", "create", account, "--user", name, "--access-key", access, "--secret-key", secret)
    if identity_actions:
        make_iam(server.endpoint).put_user_policy(UserName=name, PolicyName="kms", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": identity_actions, "Resource": "*"}]}))
    return name, make_kms(server.endpoint, access, secret)


def test_a_new_key_has_the_default_policy_as_aws_writes_it(kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    answer = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert answer["PolicyName"] == "default"
    assert json.loads(answer["Policy"]) == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{main_account}:root"}, "Action": "kms:*", "Resource": "*",
        }],
    }
    assert kms.get_key_policy(KeyId=key["Arn"])["Policy"] == answer["Policy"]  # PolicyName defaults to "default"
    listed = kms.list_key_policies(KeyId=key["KeyId"])
    assert listed["PolicyNames"] == ["default"] and listed["Truncated"] is False


def test_put_key_policy_round_trips_the_document_exactly(kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps({"Version": "2012-10-17", "Id": "mine", "Statement": [root(main_account), {
        "Sid": "Tagging", "Effect": "Allow", "Principal": {"AWS": main_account}, "Action": ["kms:TagResource"], "Resource": "*",
    }]}, indent=4)
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=text)
    assert kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == text
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"still usable")


def test_policy_name_must_be_default(kms, key) -> None:  # type: ignore[no-untyped-def]
    for call in (
        lambda: kms.get_key_policy(KeyId=key["KeyId"], PolicyName="other"),
        lambda: kms.put_key_policy(KeyId=key["KeyId"], PolicyName="other", Policy=policy(root("111111111111"))),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("NotFoundException", 400)


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("not json at all", "not valid JSON"),
        ('{"Version": "2012-10-17"}', "no Statement"),
        (policy({"Effect": "Permit", "Principal": "*", "Action": "kms:*", "Resource": "*"}), "Effect must be"),
        (policy({"Effect": "Allow", "Principal": "*", "Action": "Decrypt", "Resource": "*"}), "invalid action 'Decrypt'"),
        (policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}), "Principal or NotPrincipal is required"),
        (policy({"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringEqualz": {"kms:ViaService": "x"}}}),
         "Invalid Condition type : StringEqualz"),
        (json.dumps({"Version": "2019-01-01", "Statement": []}), "Invalid policy Version"),
        (policy({"Sid": "x" * 40000, "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}), "larger than 32768 bytes"),
    ],
)
def test_malformed_policies_are_refused_with_the_reason(kms, key, document: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    before = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    with pytest.raises(ClientError) as exc:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=document)
    assert code(exc) == ("MalformedPolicyDocumentException", 400)
    assert fragment in message(exc)
    with pytest.raises(ClientError) as exc:
        kms.create_key(Policy=document)
    assert code(exc) == ("MalformedPolicyDocumentException", 400)
    assert kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == before


def test_lockout_safety_check_and_its_bypass(kms, key, alt_account) -> None:  # type: ignore[no-untyped-def]
    only_alt = policy(root(alt_account))
    with pytest.raises(ClientError) as exc:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=only_alt)
    assert code(exc) == ("MalformedPolicyDocumentException", 400)
    assert "will not allow you to update the key policy in the future" in message(exc)
    kms.describe_key(KeyId=key["KeyId"])  # unchanged: still ours
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=only_alt, BypassPolicyLockoutSafetyCheck=True)
    for call in (
        lambda: kms.describe_key(KeyId=key["KeyId"]),
        lambda: kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default"),
        lambda: kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=only_alt, BypassPolicyLockoutSafetyCheck=True),
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDeniedException", 400)
        assert "because no resource-based policy allows" in message(exc)


def test_create_key_with_a_policy(kms, main_account, alt_account) -> None:  # type: ignore[no-untyped-def]
    text = policy(root(main_account), {
        "Sid": "NoDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
    })
    key = kms.create_key(Description="with policy", Policy=text)["KeyMetadata"]
    assert kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == text
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert code(exc) == ("AccessDeniedException", 400)
    assert "explicit deny" in message(exc)
    # A policy that would lock its creator out needs the bypass, on CreateKey too.
    with pytest.raises(ClientError) as exc:
        kms.create_key(Policy=policy(root(alt_account)))
    assert code(exc) == ("MalformedPolicyDocumentException", 400)
    locked = kms.create_key(Policy=policy(root(alt_account)), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=locked["KeyId"])
    assert code(exc) == ("AccessDeniedException", 400)


def test_explicit_deny_beats_the_root_statement(kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Sid": "NoDataKeys", "Effect": "Deny", "Principal": {"AWS": main_account}, "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
    }))
    for call in (
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
        lambda: kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDeniedException", 400)
        assert "with an explicit deny in a resource-based policy" in message(exc)
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"encrypt is not denied")
    # ReEncrypt needs ReEncryptFrom on the source and ReEncryptTo on the destination.
    other = kms.create_key()["KeyMetadata"]
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other["KeyId"])
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Effect": "Deny", "Principal": "*", "Action": "kms:ReEncryptFrom", "Resource": "*",
    }))
    with pytest.raises(ClientError) as exc:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other["KeyId"])
    assert code(exc) == ("AccessDeniedException", 400)


def test_another_account_needs_the_key_policy(kms, kms_alt, key, main_account, alt_account) -> None:  # type: ignore[no-untyped-def]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"shared secret", EncryptionContext={"app": "x"})["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms_alt.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert code(exc) == ("AccessDeniedException", 400)
    assert f"arn:aws:iam::{alt_account}:root is not authorized to perform: kms:Encrypt" in message(exc)
    # Seed 000's second statement, granted to another account: use, but not administer, the key.
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Sid": "Allow OpenWebUI Pod Identity", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{alt_account}:root"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": "*",
    }))
    assert kms_alt.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms_alt.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "x"})["Plaintext"] == b"shared secret"
    data_key = kms_alt.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    with pytest.raises(ClientError) as exc:  # not in the statement
        kms_alt.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert code(exc) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as exc:  # a bare key id is looked up in the caller's own account
        kms_alt.describe_key(KeyId=key["KeyId"])
    assert code(exc) == ("NotFoundException", 400)
    for call in (  # operations AWS never allows across accounts
        lambda: kms_alt.disable_key(KeyId=key["Arn"]),
        lambda: kms_alt.get_key_policy(KeyId=key["Arn"], PolicyName="default"),
        lambda: kms_alt.tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "a", "TagValue": "b"}]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDeniedException", 400)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_caller_account_condition(kms, kms_alt, key, main_account, alt_account) -> None:  # type: ignore[no-untyped-def]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN_ACTIONS), {
        "Sid": "Only the other account encrypts", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Encrypt", "kms:Decrypt"],
        "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": alt_account}},
    }))
    blob = kms_alt.encrypt(KeyId=key["Arn"], Plaintext=b"from alt")["CiphertextBlob"]
    assert kms_alt.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from alt"
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(exc) == ("AccessDeniedException", 400)
    kms.describe_key(KeyId=key["KeyId"])  # the administrative statement still holds


def test_seed_004_encryption_contextpolicy(server, kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    """Seed 004's key policy as written, its role adapted to a user of the account: no root statement,
    so storing it needs the lockout bypass, and afterwards only that user, and only with
    application=s3proxy in the encryption context, may use the key."""
    name, proxy = _user(server)
    seed = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Enable S3 Proxy Encryption", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{main_account}:user/{name}"},
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:application": "s3proxy"}},
        }],
    }
    with pytest.raises(ClientError) as exc:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(seed))
    assert code(exc) == ("MalformedPolicyDocumentException", 400)
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(seed), BypassPolicyLockoutSafetyCheck=True)
    context = {"application": "s3proxy", "environment": "production", "data_classification": "sensitive"}
    blob = proxy.encrypt(KeyId=key["Arn"], Plaintext=b"proxied", EncryptionContext=context)["CiphertextBlob"]
    assert proxy.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"proxied"
    data_key = proxy.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256", EncryptionContext={"application": "s3proxy"})
    assert len(data_key["Plaintext"]) == 32
    for bad in ({}, {"application": "other"}, {"application": "S3PROXY"}):
        with pytest.raises(ClientError) as exc:
            proxy.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=bad)
        assert code(exc) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as exc:  # DescribeKey has no encryption context: the condition fails
        proxy.describe_key(KeyId=key["Arn"])
    assert code(exc) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as exc:  # the account's root is not named any more
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)
    assert code(exc) == ("AccessDeniedException", 400)


def test_deny_unless_encryption_context_and_context_keys(kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Sid": "RequireApplication", "Effect": "Deny", "Principal": "*", "Action": ["kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:EncryptionContext:application": "s3proxy"}},
    }, {
        "Sid": "OnlyKnownContextKeys", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
        "Condition": {"ForAnyValue:StringNotEquals": {"kms:EncryptionContextKeys": ["application", "environment"]}},
    }))
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"application": "s3proxy", "environment": "prod"})
    for bad in ({}, {"application": "other"}, {"application": "s3proxy", "owner": "me"}):
        with pytest.raises(ClientError) as exc:
            kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=bad)
        assert code(exc) == ("AccessDeniedException", 400)
        assert "explicit deny" in message(exc)


def test_the_root_statement_lets_users_in_as_far_as_their_identity_policies_allow(server, kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    _, bare = _user(server)
    with pytest.raises(ClientError) as exc:  # the root statement delegates to the account's IAM policies: none allow
        bare.encrypt(KeyId=key["KeyId"], Plaintext=b"user data")
    assert code(exc) == ("AccessDeniedException", 400)
    assert "no identity-based policy allows the kms:Encrypt action" in message(exc)
    name, user = _user(server, identity_actions=["kms:Encrypt", "kms:Decrypt"])
    blob = user.encrypt(KeyId=key["KeyId"], Plaintext=b"user data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"user data"
    # A Deny naming one user leaves the root and other users alone.
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{main_account}:user/{name}"}, "Action": "kms:*", "Resource": "*",
    }))
    with pytest.raises(ClientError) as exc:
        user.decrypt(CiphertextBlob=blob)
    assert code(exc) == ("AccessDeniedException", 400)
    assert f"user/{name} is not authorized" in message(exc)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"user data"


def test_policy_variables_and_principal_arn_conditions(server, kms, key, main_account) -> None:  # type: ignore[no-untyped-def]
    name, user = _user(server, identity_actions=["kms:Encrypt"])
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN_ACTIONS), {
        "Sid": "OwnContextOnly", "Effect": "Allow", "Principal": {"AWS": main_account}, "Action": "kms:Encrypt", "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}"},
                      "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{main_account}:user/*"}},
    }))
    user.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"owner": name})
    with pytest.raises(ClientError) as exc:
        user.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"owner": "someone-else"})
    assert code(exc) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as exc:  # the root has no aws:username, and is no user
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"owner": "root"})
    assert code(exc) == ("AccessDeniedException", 400)
