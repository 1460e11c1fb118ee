"""KMS aliases (naming rules, AlreadyExists, alias/aws/ reserved) and tags through boto3's kms client."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo
from kms.test_kms_api import make_kms


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms(server.endpoint)


@pytest.fixture
def key(kms) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return kms.create_key()["KeyMetadata"]  # type: ignore[no-any-return]


def _alias() -> str:
    return f"alias/test-{uuid.uuid4().hex[:16]}"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_alias_names_the_key_everywhere_a_key_id_goes(kms, key) -> None:  # type: ignore[no-untyped-def]
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:{key['AWSAccountId']}:{alias}"
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms.describe_key(KeyId=alias_arn)["KeyMetadata"]["KeyId"] == key["KeyId"]
    blob = kms.encrypt(KeyId=alias, Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"] == key["Arn"]
    listed = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["AliasArn"], a["TargetKeyId"]) for a in listed] == [(alias, alias_arn, key["KeyId"])]
    assert alias in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}


def test_create_alias_twice_is_already_exists(kms, key) -> None:  # type: ignore[no-untyped-def]
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=alias, TargetKeyId=other)
    assert _code(exc) == ("AlreadyExistsException", 400)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]


@pytest.mark.parametrize(
    ("name", "code"),
    [("no-prefix", "ValidationException"), ("alias/aws/s3", "NotAuthorizedException"), ("alias/aws/mine", "NotAuthorizedException"),
     ("alias/has space", "ValidationException"), ("alias/semi;colon", "ValidationException")],
)
def test_alias_naming_rules(kms, key, name: str, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert _code(exc) == (code, 400)
    # Nothing named it our key (alias/aws/s3 itself may exist: S3 makes it on first SSE-KMS use).
    assert name not in {a["AliasName"] for a in kms.list_aliases(KeyId=key["KeyId"])["Aliases"]}


def test_alias_must_target_a_key_not_an_alias(kms, key) -> None:  # type: ignore[no-untyped-def]
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=_alias(), TargetKeyId=alias)
    assert _code(exc) == ("ValidationException", 400)


def test_update_alias_repoints_and_delete_alias_removes(kms, key) -> None:  # type: ignore[no-untyped-def]
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    other = kms.create_key()["KeyMetadata"]
    kms.update_alias(AliasName=alias, TargetKeyId=other["Arn"])
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName=alias)
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=alias)
    assert _code(exc) == ("NotFoundException", 400)
    kms.describe_key(KeyId=other["KeyId"])  # the key outlives its alias
    for call in (lambda: kms.delete_alias(AliasName=alias), lambda: kms.update_alias(AliasName=alias, TargetKeyId=key["KeyId"])):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("NotFoundException", 400)


def test_tags_at_creation_tag_untag_and_list(kms) -> None:  # type: ignore[no-untyped-def]
    key_id = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "b"}, {"TagKey": "env", "TagValue": "test"}])
    tags = kms.list_resource_tags(KeyId=key_id)
    assert tags["Tags"] == [{"TagKey": "env", "TagValue": "test"}, {"TagKey": "team", "TagValue": "b"}] and not tags["Truncated"]
    first = kms.list_resource_tags(KeyId=key_id, Limit=1)
    assert first["Truncated"] and len(first["Tags"]) == 1
    rest = kms.list_resource_tags(KeyId=key_id, Limit=1, Marker=first["NextMarker"])
    assert rest["Tags"] == [{"TagKey": "team", "TagValue": "b"}]
    kms.untag_resource(KeyId=key_id, TagKeys=["env", "absent"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "b"}]


def test_reserved_tag_key_is_a_tag_exception(kms, key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "aws:owner", "TagValue": "x"}])
    assert _code(exc) == ("TagException", 400)
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == []
