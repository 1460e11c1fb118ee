"""ACLs through boto3: Get/Put Bucket and Object ACLs (canned, x-amz-grant-* headers, XML body), ACLs
stated on writes, Object Ownership (BucketOwnerEnforced refuses ACLs) and BlockPublicAcls."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _canonical_id(client) -> str:  # type: ignore[no-untyped-def]
    return client.list_buckets()["Owner"]["ID"]  # type: ignore[no-any-return]


def _grants(acl: dict[str, object]) -> set[tuple[str, str]]:
    """(grantee id or group URI, permission) pairs of a Get*Acl answer."""
    return {(g["Grantee"].get("ID") or g["Grantee"]["URI"], g["Permission"]) for g in acl["Grants"]}  # type: ignore[attr-defined, index]


@pytest.fixture
def acl_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """A bucket with ACLs enabled (ObjectWriter) and no Block Public Access, as buckets were before 2023."""
    name = f"acl-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    return name


def test_a_new_buckets_acl_is_the_owners_full_control(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    me = _canonical_id(s3)
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == me and acl["Owner"]["DisplayName"]
    assert _grants(acl) == {(me, "FULL_CONTROL")}
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"


def test_bucket_owner_enforced_refuses_acls_but_the_owners(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for acl in ("public-read", "private"):  # AWS: requests that set ACLs fail, whatever they say
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_acl(Bucket=bucket, ACL=acl)
        assert _code(exc) == ("AccessControlListNotSupported", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    assert _code(exc) == ("AccessControlListNotSupported", 400)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")  # the owner's private: bucket-owner-full-control
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    assert _grants(s3.get_object_acl(Bucket=bucket, Key="k")) == {(_canonical_id(s3), "FULL_CONTROL")}
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=bucket, Key="k", ACL="bucket-owner-full-control")
    assert _code(exc) == ("AccessControlListNotSupported", 400)


def test_unquoted_grant_ids_are_accepted(s3, s3_alt, acl_bucket: str) -> None:  # type: ignore[no-untyped-def]
    alt = _canonical_id(s3_alt)
    s3.put_object(Bucket=acl_bucket, Key="shared", Body=b"x", GrantRead=f"id={alt}")
    assert (alt, "READ") in _grants(s3.get_object_acl(Bucket=acl_bucket, Key="shared"))
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=acl_bucket, Key="bad", Body=b"x", GrantRead="id=")
    assert _code(exc) == ("InvalidArgument", 400)


def test_canned_acls_on_bucket_and_object(s3, acl_bucket: str) -> None:  # type: ignore[no-untyped-def]
    me = _canonical_id(s3)
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read")
    assert _grants(s3.get_bucket_acl(Bucket=acl_bucket)) == {(me, "FULL_CONTROL"), (ALL_USERS, "READ")}
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="authenticated-read")
    assert _grants(s3.get_bucket_acl(Bucket=acl_bucket)) == {(me, "FULL_CONTROL"), (AUTHENTICATED, "READ")}
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x", ACL="public-read-write")
    assert _grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {(me, "FULL_CONTROL"), (ALL_USERS, "READ"), (ALL_USERS, "WRITE")}
    s3.put_object_acl(Bucket=acl_bucket, Key="k", ACL="private")
    assert _grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {(me, "FULL_CONTROL")}
    head = s3.head_object(Bucket=acl_bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]
    assert not any(h.startswith("x-strongroom") for h in head)  # the stored ACL is never a response header


def test_grant_headers_name_accounts_and_groups(s3, s3_alt, acl_bucket: str) -> None:  # type: ignore[no-untyped-def]
    me, alt = _canonical_id(s3), _canonical_id(s3_alt)
    s3.put_bucket_acl(Bucket=acl_bucket, GrantRead=f'id="{alt}"', GrantWriteACP=f'uri="{AUTHENTICATED}"', GrantFullControl=f'id="{me}"')
    acl = s3.get_bucket_acl(Bucket=acl_bucket)
    assert _grants(acl) == {(alt, "READ"), (AUTHENTICATED, "WRITE_ACP"), (me, "FULL_CONTROL")}
    names = {g["Grantee"].get("ID"): g["Grantee"].get("DisplayName") for g in acl["Grants"]}
    assert names[alt] == "alt"
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x", GrantRead=f'id="{alt}", uri="{ALL_USERS}"')
    assert _grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {(alt, "READ"), (ALL_USERS, "READ")}


def test_acl_body_round_trips(s3, s3_alt, acl_bucket: str) -> None:  # type: ignore[no-untyped-def]
    me, alt = _canonical_id(s3), _canonical_id(s3_alt)
    policy = {
        "Owner": {"ID": me},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": me}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": alt}, "Permission": "READ_ACP"},
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        ],
    }
    s3.put_bucket_acl(Bucket=acl_bucket, AccessControlPolicy=policy)
    assert _grants(s3.get_bucket_acl(Bucket=acl_bucket)) == {(me, "FULL_CONTROL"), (alt, "READ_ACP"), (ALL_USERS, "READ")}
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    s3.put_object_acl(Bucket=acl_bucket, Key="k", AccessControlPolicy=policy)
    assert _grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {(me, "FULL_CONTROL"), (alt, "READ_ACP"), (ALL_USERS, "READ")}


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"GrantRead": 'id="0000000000000000000000000000000000000000000000000000000000000000"'}, "InvalidArgument"),
    ({"GrantRead": 'uri="http://acs.amazonaws.com/groups/global/Nobody"'}, "InvalidArgument"),
    ({"GrantRead": 'emailAddress="someone@example.com"'}, "UnresolvableGrantByEmailAddress"),
    ({"GrantRead": "not a grant"}, "InvalidArgument"),
    ({"ACL": "public-read", "GrantRead": f'uri="{ALL_USERS}"'}, "InvalidRequest"),
    ({"ACL": "everyone-welcome"}, "InvalidArgument"),
])
def test_bad_acls_are_refused_and_change_nothing(s3, acl_bucket: str, kwargs: dict[str, str], code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_acl(Bucket=acl_bucket, **kwargs)
    assert _code(exc) == (code, 400)
    assert _grants(s3.get_bucket_acl(Bucket=acl_bucket)) == {(_canonical_id(s3), "FULL_CONTROL")}


def test_block_public_acls_refuses_public_grants(s3) -> None:  # type: ignore[no-untyped-def]
    name = f"acl-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")  # Block Public Access stays on
    for attempt in (
        lambda: s3.put_bucket_acl(Bucket=name, ACL="public-read"),
        lambda: s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="authenticated-read"),
        lambda: s3.put_bucket_acl(Bucket=name, GrantRead=f'uri="{ALL_USERS}"'),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403)
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="private")


def test_create_bucket_with_an_acl(s3, s3_alt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=f"acl-{uuid.uuid4().hex[:20]}", ACL="public-read")
    assert _code(exc) == ("InvalidBucketAclWithObjectOwnership", 400)
    name = f"acl-{uuid.uuid4().hex[:20]}"
    alt = _canonical_id(s3_alt)
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter", GrantRead=f'id="{alt}"')
    assert (alt, "READ") in _grants(s3.get_bucket_acl(Bucket=name))


def test_another_account_cannot_read_or_change_acls(s3_alt, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for attempt in (lambda: s3_alt.get_bucket_acl(Bucket=bucket), lambda: s3_alt.put_bucket_acl(Bucket=bucket, ACL="private")):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403)


def test_bucket_owner_enforced_refuses_another_writers_private_acl(s3, s3_alt, bucket: str) -> None:  # type: ignore[no-untyped-def]
    alt_account = s3_alt.list_buckets()["Owner"]["ID"]
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", '
        f'"Resource": "arn:aws:s3:::{bucket}/*"}}]}}'
    ))
    with pytest.raises(ClientError) as exc:  # another account's "private" would keep the object from the bucket owner
        s3_alt.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")
    assert _code(exc) == ("AccessControlListNotSupported", 400)
    s3_alt.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    acl = s3.get_object_acl(Bucket=bucket, Key="k")
    assert acl["Owner"]["ID"] == _canonical_id(s3) != alt_account


@pytest.mark.parametrize(("ownership", "acl", "owned_by_bucket_owner"), [
    ("ObjectWriter", None, False),
    ("ObjectWriter", "bucket-owner-full-control", False),
    ("BucketOwnerPreferred", None, False),
    ("BucketOwnerPreferred", "bucket-owner-full-control", True),
    ("BucketOwnerEnforced", None, True),
    ("BucketOwnerEnforced", "bucket-owner-full-control", True),
])
def test_object_ownership_decides_who_owns_another_accounts_upload(  # type: ignore[no-untyped-def]
    s3, s3_alt, ownership: str, acl: str | None, owned_by_bucket_owner: bool,
) -> None:
    name = f"own-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership=ownership)
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
        '"Action": ["s3:PutObject", "s3:GetObjectAcl", "s3:ListMultipartUploadParts"], '
        f'"Resource": "arn:aws:s3:::{name}/*"}}]}}'
    ))
    expected = _canonical_id(s3) if owned_by_bucket_owner else _canonical_id(s3_alt)
    extra = {"ACL": acl} if acl else {}
    s3_alt.put_object(Bucket=name, Key="k", Body=b"x", **extra)
    assert s3_alt.get_object_acl(Bucket=name, Key="k")["Owner"]["ID"] == expected
    upload = s3_alt.create_multipart_upload(Bucket=name, Key="mp", **extra)
    assert s3_alt.list_parts(Bucket=name, Key="mp", UploadId=upload["UploadId"])["Owner"]["ID"] == expected


def test_an_object_another_account_owns_is_reached_through_its_acl(s3, s3_alt, acl_bucket: str) -> None:  # type: ignore[no-untyped-def]
    """AWS's object context: the bucket owner cannot read (or grant) an object the writer kept, only deny or delete it."""
    me, alt = _canonical_id(s3), _canonical_id(s3_alt)
    s3.put_bucket_acl(Bucket=acl_bucket, GrantWrite=f"id={alt}", GrantFullControl=f"id={me}")
    s3_alt.put_object(Bucket=acl_bucket, Key="alts.txt", Body=b"mine")
    assert s3_alt.get_object_acl(Bucket=acl_bucket, Key="alts.txt")["Owner"]["ID"] == alt
    for call in (lambda: s3.get_object(Bucket=acl_bucket, Key="alts.txt"),
                 lambda: s3.get_object_acl(Bucket=acl_bucket, Key="alts.txt"),
                 lambda: s3.put_object_tagging(Bucket=acl_bucket, Key="alts.txt", Tagging={"TagSet": []})):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDenied", 403)
    s3_alt.put_object_acl(Bucket=acl_bucket, Key="alts.txt", GrantRead=f"id={me}", GrantFullControl=f"id={alt}")
    assert s3.get_object(Bucket=acl_bucket, Key="alts.txt")["Body"].read() == b"mine"
    s3_alt.put_object(Bucket=acl_bucket, Key="gone.txt", Body=b"x")
    s3.delete_object(Bucket=acl_bucket, Key="gone.txt")  # the bucket owner may delete any object
    assert "Contents" not in s3.list_objects_v2(Bucket=acl_bucket, Prefix="gone.txt")
