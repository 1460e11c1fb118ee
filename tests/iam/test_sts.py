"""STS through boto3's sts client: AssumeRole (trust policy, duration, session policy, tags, source
identity), GetSessionToken, GetCallerIdentity, and the temporary credentials used with S3, KMS and IAM:
what the role (capped by the session policy) allows, refused when tampered with or expired."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from clockcontrol import running_movable_server, set_offset
from conftest import ALT_KEY, ALT_SECRET, MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client
from iamclients import allow, code, doc, iam_fixtures, make_iam, new_user, unique

iam, raw, account_id = iam_fixtures()


def make_sts(endpoint: str, key: str, secret: str, token: str | None = None, *, validate: bool = True) -> Any:
    return boto3.client("sts", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1}, parameter_validation=validate))


def session_clients(endpoint: str, creds: dict[str, Any]) -> dict[str, Any]:
    key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                      region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}))
    kms = boto3.client("kms", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                       region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    return {"s3": s3, "kms": kms, "sts": make_sts(endpoint, key, secret, token),
            "iam": boto3.client("iam", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                                aws_session_token=token, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))}


def trust(*principals: str, actions: list[str] | None = None, **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": actions or ["sts:AssumeRole"], **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def new_role(iam: Any, trust_policy: str, policy: str | None = None, **extra: Any) -> dict[str, Any]:
    name = unique("role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy, **extra)["Role"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy)
    return role


@pytest.fixture(scope="module")
def bucket(server: ServerInfo) -> str:
    owner = make_client(server.endpoint)
    name = unique("sts-bucket")
    owner.create_bucket(Bucket=name)
    owner.put_object(Bucket=name, Key="data/report.txt", Body=b"report")
    return name


def test_get_caller_identity_names_every_kind_of_caller(server: ServerInfo, iam: Any, account_id: str) -> None:
    root = make_sts(server.endpoint, *_main())
    assert root.get_caller_identity()["Arn"] == f"arn:aws:iam::{account_id}:root"
    user = new_user(iam, server.endpoint)
    identity = make_sts(server.endpoint, user.key_id, user.secret).get_caller_identity()
    assert (identity["Arn"], identity["Account"]) == (user.arn, account_id) and identity["UserId"].startswith("AIDA")


def _main() -> tuple[str, str]:
    return MAIN_KEY, MAIN_SECRET


def test_assume_role_gives_exactly_the_roles_rights(server: ServerInfo, iam: Any, account_id: str, bucket: str) -> None:
    role = new_role(iam, trust(f"arn:aws:iam::{account_id}:root"),
                    doc(allow(["s3:GetObject", "s3:ListBucket"], [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])))
    answer = make_sts(server.endpoint, *_main()).assume_role(RoleArn=role["Arn"], RoleSessionName="reader-1")
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/{role['RoleName']}/reader-1"
    assert answer["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:reader-1"
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    session = session_clients(server.endpoint, answer["Credentials"])
    assert session["sts"].get_caller_identity()["Arn"] == answer["AssumedRoleUser"]["Arn"]
    assert session["s3"].get_object(Bucket=bucket, Key="data/report.txt")["Body"].read() == b"report"
    assert [o["Key"] for o in session["s3"].list_objects_v2(Bucket=bucket)["Contents"]] == ["data/report.txt"]
    for call in (lambda: session["s3"].put_object(Bucket=bucket, Key="x", Body=b"x"),
                 lambda: session["s3"].list_buckets(),
                 lambda: session["kms"].create_key(),
                 lambda: session["iam"].list_users()):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")


def test_a_session_policy_caps_the_role(server: ServerInfo, iam: Any, account_id: str, bucket: str) -> None:
    role = new_role(iam, trust(f"arn:aws:iam::{account_id}:root"), doc(allow("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])))
    capped = doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/data/*"))
    creds = make_sts(server.endpoint, *_main()).assume_role(RoleArn=role["Arn"], RoleSessionName="capped", Policy=capped)["Credentials"]
    s3 = session_clients(server.endpoint, creds)["s3"]
    assert s3.get_object(Bucket=bucket, Key="data/report.txt")["Body"].read() == b"report"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="data/new", Body=b"x")  # the role may, the session may not
    assert code(exc) == ("AccessDenied", 403)


def test_the_trust_policy_decides_who_may_assume(server: ServerInfo, iam: Any, account_id: str) -> None:
    trusted, stranger = new_user(iam, server.endpoint), new_user(iam, server.endpoint)
    role = new_role(iam, trust(trusted.arn))
    assert make_sts(server.endpoint, trusted.key_id, trusted.secret).assume_role(RoleArn=role["Arn"], RoleSessionName="ok")["Credentials"]
    for key, secret in ((stranger.key_id, stranger.secret), (ALT_KEY, ALT_SECRET)):
        with pytest.raises(ClientError) as exc:
            make_sts(server.endpoint, key, secret).assume_role(RoleArn=role["Arn"], RoleSessionName="no")
        assert code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        make_sts(server.endpoint, *_main()).assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/no-such-role", RoleSessionName="no")
    assert code(exc) == ("AccessDenied", 403)


def test_another_account_needs_trust_and_its_own_allow(server: ServerInfo, iam: Any, account_id: str) -> None:
    alt_iam = make_iam(server.endpoint, ALT_KEY, ALT_SECRET)
    alt_account = alt_iam.get_user()["User"]["Arn"].split(":")[4]
    role = new_role(iam, trust(f"arn:aws:iam::{alt_account}:root"))
    alt_user = new_user(alt_iam, server.endpoint, "alt-user")
    with pytest.raises(ClientError) as exc:  # trusted account, but the user's own policies say nothing
        make_sts(server.endpoint, alt_user.key_id, alt_user.secret).assume_role(RoleArn=role["Arn"], RoleSessionName="cross")
    assert code(exc) == ("AccessDenied", 403)
    alt_iam.put_user_policy(UserName=alt_user.name, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role["Arn"])))
    creds = make_sts(server.endpoint, alt_user.key_id, alt_user.secret).assume_role(RoleArn=role["Arn"], RoleSessionName="cross")["Credentials"]
    assert session_clients(server.endpoint, creds)["sts"].get_caller_identity()["Account"] == account_id


@pytest.mark.parametrize(("extra", "error"), [
    ({"DurationSeconds": 899}, "ValidationError"),
    ({"DurationSeconds": 7200}, "ValidationError"),  # over the role's MaxSessionDuration (3600)
    ({"RoleSessionName": "x"}, "ValidationError"),
    ({"Policy": "{not json"}, "MalformedPolicyDocument"),
    ({"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*" + "x" * 2100}]})},
     "PackedPolicyTooLarge"),
    ({"Tags": [{"Key": "team", "Value": "a"}]}, "AccessDenied"),  # the trust policy does not allow sts:TagSession
    ({"SourceIdentity": "alice"}, "AccessDenied"),  # nor sts:SetSourceIdentity
])
def test_bad_assume_role_requests_are_refused(server: ServerInfo, iam: Any, account_id: str, extra: dict[str, Any], error: str) -> None:
    role = new_role(iam, trust(f"arn:aws:iam::{account_id}:root"))
    sts = make_sts(server.endpoint, *_main(), validate=False)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(**{"RoleArn": role["Arn"], "RoleSessionName": "session", **extra})
    assert exc.value.response["Error"]["Code"] == error


def test_session_tags_and_source_identity_reach_conditions(server: ServerInfo, iam: Any, account_id: str, bucket: str) -> None:
    role = new_role(iam, trust(f"arn:aws:iam::{account_id}:root", actions=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]),
                    doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*", Condition={
                        "StringEquals": {"aws:PrincipalTag/team": "data", "aws:SourceIdentity": "alice"}})))
    sts = make_sts(server.endpoint, *_main())
    for tags, identity, allowed in (([{"Key": "team", "Value": "data"}], "alice", True), ([{"Key": "team", "Value": "web"}], "alice", False),
                                    ([{"Key": "team", "Value": "data"}], "bob", False)):
        answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="tagged", Tags=tags, SourceIdentity=identity)
        s3 = session_clients(server.endpoint, answer["Credentials"])["s3"]
        if allowed:
            assert answer["SourceIdentity"] == "alice"
            assert s3.get_object(Bucket=bucket, Key="data/report.txt")["Body"].read() == b"report"
        else:
            with pytest.raises(ClientError) as exc:
                s3.get_object(Bucket=bucket, Key="data/report.txt")
            assert code(exc) == ("AccessDenied", 403)


def test_a_tampered_or_foreign_token_is_refused(server: ServerInfo, iam: Any, account_id: str, bucket: str) -> None:
    role = new_role(iam, trust(f"arn:aws:iam::{account_id}:root"), doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))
    sts = make_sts(server.endpoint, *_main())
    first = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="one")["Credentials"]
    second = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="two")["Credentials"]
    raw_token = bytearray(base64.urlsafe_b64decode(first["SessionToken"]))
    raw_token[len(raw_token) // 2] ^= 1
    cases = [
        {**first, "SessionToken": base64.urlsafe_b64encode(bytes(raw_token)).decode()},  # altered
        {**first, "SessionToken": second["SessionToken"]},  # another session's token with this key
        {**first, "SessionToken": "not-a-token"},
    ]
    for creds in cases:
        with pytest.raises(ClientError) as exc:
            session_clients(server.endpoint, creds)["s3"].get_object(Bucket=bucket, Key="data/report.txt")
        assert code(exc) == ("InvalidToken", 400)
    with pytest.raises(ClientError) as exc:  # the secret alone, without its token, is no credential
        make_client(server.endpoint, first["AccessKeyId"], first["SecretAccessKey"]).get_object(Bucket=bucket, Key="data/report.txt")
    assert code(exc) == ("InvalidAccessKeyId", 403)


def test_get_session_token_keeps_the_users_rights(server: ServerInfo, iam: Any, bucket: str) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="read", PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))
    answer = make_sts(server.endpoint, user.key_id, user.secret).get_session_token(DurationSeconds=900)
    session = session_clients(server.endpoint, answer["Credentials"])
    assert session["sts"].get_caller_identity()["Arn"] == user.arn
    assert session["s3"].get_object(Bucket=bucket, Key="data/report.txt")["Body"].read() == b"report"
    with pytest.raises(ClientError) as exc:
        session["s3"].put_object(Bucket=bucket, Key="y", Body=b"y")
    assert code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:  # temporary credentials cannot mint more
        session["sts"].get_session_token()
    assert code(exc) == ("AccessDenied", 403)


def test_temporary_credentials_end_when_they_expire() -> None:
    with running_movable_server() as server:
        iam_client = make_iam(server.endpoint)
        account = iam_client.get_user()["User"]["Arn"].split(":")[4]
        role = new_role(iam_client, trust(f"arn:aws:iam::{account}:root"), doc(allow("kms:ListKeys")))
        creds = make_sts(server.endpoint, MAIN_KEY, MAIN_SECRET).assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)["Credentials"]
        session = session_clients(server.endpoint, creds)
        assert "Keys" in session["kms"].list_keys()
        set_offset(server, 901)
        s3 = session["s3"]
        with pytest.raises(ClientError) as exc:
            s3.list_objects_v2(Bucket="anything")
        assert code(exc) == ("ExpiredToken", 400)
        with pytest.raises(ClientError) as exc:
            session["sts"].get_caller_identity()
        assert exc.value.response["Error"]["Code"] == "ExpiredToken"
        assert make_kms_client(server.endpoint).list_keys()  # long-term keys are unaffected


def test_resource_policies_name_a_role_or_one_of_its_sessions(server: ServerInfo, iam: Any, account_id: str, bucket: str) -> None:
    alt_iam = make_iam(server.endpoint, ALT_KEY, ALT_SECRET)
    alt_account = alt_iam.get_user()["User"]["Arn"].split(":")[4]
    role = new_role(alt_iam, trust(f"arn:aws:iam::{alt_account}:root"), doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))
    alt_sts = make_sts(server.endpoint, ALT_KEY, ALT_SECRET)
    session = {name: session_clients(server.endpoint, alt_sts.assume_role(RoleArn=role["Arn"], RoleSessionName=name)["Credentials"])["s3"]
               for name in ("named", "other")}
    owner = make_client(server.endpoint)
    for principal, allowed in ((role["Arn"], {"named", "other"}),
                               (f"arn:aws:sts::{alt_account}:assumed-role/{role['RoleName']}/named", {"named"})):
        owner.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
        for name, s3 in session.items():
            if name in allowed:
                assert s3.get_object(Bucket=bucket, Key="data/report.txt")["Body"].read() == b"report"
            else:
                with pytest.raises(ClientError) as exc:
                    s3.get_object(Bucket=bucket, Key="data/report.txt")
                assert code(exc) == ("AccessDenied", 403)
    owner.delete_bucket_policy(Bucket=bucket)


def test_presigned_urls_carry_the_session_token(server: ServerInfo, iam: Any, account_id: str, bucket: str) -> None:
    import requests

    role = new_role(iam, trust(f"arn:aws:iam::{account_id}:root"), doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))
    creds = make_sts(server.endpoint, *_main()).assume_role(RoleArn=role["Arn"], RoleSessionName="presigner")["Credentials"]
    url = session_clients(server.endpoint, creds)["s3"].generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "data/report.txt"})
    assert "X-Amz-Security-Token=" in url
    assert requests.get(url, timeout=10).content == b"report"
    stripped = requests.get(url.replace("X-Amz-Security-Token=", "X-Amz-Ignored="), timeout=10)
    assert stripped.status_code == 403  # without its token the temporary key is unknown


def test_a_key_policy_may_name_another_accounts_role(server: ServerInfo, iam: Any, account_id: str) -> None:
    alt_iam = make_iam(server.endpoint, ALT_KEY, ALT_SECRET)
    alt_account = alt_iam.get_user()["User"]["Arn"].split(":")[4]
    role = new_role(alt_iam, trust(f"arn:aws:iam::{alt_account}:root"), doc(allow(["kms:Decrypt", "kms:GenerateDataKey"], "*")))
    owner_kms = make_kms_client(server.endpoint)
    key = owner_kms.create_key(Description="shared with a role")["KeyMetadata"]["Arn"]
    owner_kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Role", "Effect": "Allow", "Principal": {"AWS": role["Arn"]}, "Action": "kms:GenerateDataKey", "Resource": "*"},
    ]}))
    creds = make_sts(server.endpoint, ALT_KEY, ALT_SECRET).assume_role(RoleArn=role["Arn"], RoleSessionName="kms-user")["Credentials"]
    kms = session_clients(server.endpoint, creds)["kms"]
    data_key = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    with pytest.raises(ClientError) as exc:  # the key policy names the role for GenerateDataKey only
        kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], KeyId=key)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
