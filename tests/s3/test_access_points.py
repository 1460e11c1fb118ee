"""S3 access points through boto3's s3control client (host rewritten to the endpoint, conftest's
make_control_client) and the S3 data path through an access point's alias: the access point's policy
and network origin, and the bucket's policy, both decide."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from authzmatrix import bound_client
from botocore.exceptions import ClientError
from conftest import (
    ALT_KEY,
    ALT_SECRET,
    ServerInfo,
    account_id_of,
    make_client,
    make_control_client,
    running_server,
)

VPC_CLIENT, VPC_ID = "127.0.0.7", "vpc-0a1b2c3d"


@pytest.fixture(scope="module")
def ap_server() -> Iterator[ServerInfo]:
    with running_server({"STRONGROOM_VPC_NETWORKS": json.dumps({f"{VPC_CLIENT}/32": VPC_ID})}) as info:
        info.cli("admin", "account", "add", "alt", "--access-key", ALT_KEY, "--secret-key", ALT_SECRET)
        yield info


@pytest.fixture(scope="module")
def s3(ap_server: ServerInfo) -> Any:
    return make_client(ap_server.endpoint)


@pytest.fixture(scope="module")
def s3_alt(ap_server: ServerInfo) -> Any:
    return make_client(ap_server.endpoint, ALT_KEY, ALT_SECRET)


@pytest.fixture(scope="module")
def control(ap_server: ServerInfo) -> Any:
    return make_control_client(ap_server.endpoint)


@pytest.fixture(scope="module")
def accounts(ap_server: ServerInfo) -> tuple[str, str]:
    return account_id_of(ap_server.endpoint), account_id_of(ap_server.endpoint, ALT_KEY, ALT_SECRET)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"ap-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"doc")
    return name


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _new_point(control: Any, account: str, bucket: str, **extra: Any) -> dict[str, str]:
    name = f"ap-{uuid.uuid4().hex[:12]}"
    created = control.create_access_point(AccountId=account, Name=name, Bucket=bucket, **extra)
    return {"name": name, "arn": created["AccessPointArn"], "alias": created["Alias"]}


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_create_get_list_delete(control: Any, accounts: tuple[str, str], bucket: str) -> None:
    main, _alt = accounts
    point = _new_point(control, main, bucket)
    assert point["arn"] == f"arn:aws:s3:us-east-1:{main}:accesspoint/{point['name']}"
    assert point["alias"].endswith("-s3alias") and len(point["alias"]) <= 63
    got = control.get_access_point(AccountId=main, Name=point["name"])
    assert (got["Bucket"], got["NetworkOrigin"], got["Alias"]) == (bucket, "Internet", point["alias"])
    assert all(got["PublicAccessBlockConfiguration"].values())  # all four on, as AWS creates them
    second = _new_point(control, main, bucket)
    listed = control.list_access_points(AccountId=main, Bucket=bucket)["AccessPointList"]
    assert sorted(p["Name"] for p in listed) == sorted([point["name"], second["name"]])
    page = control.list_access_points(AccountId=main, Bucket=bucket, MaxResults=1)
    rest = control.list_access_points(AccountId=main, Bucket=bucket, MaxResults=1, NextToken=page["NextToken"])
    assert [p["Name"] for p in page["AccessPointList"] + rest["AccessPointList"]] == sorted([point["name"], second["name"]])
    with pytest.raises(ClientError) as exc:
        control.create_access_point(AccountId=main, Name=point["name"], Bucket=bucket)
    assert _code(exc) == ("AccessPointAlreadyOwnedByYou", 409)
    control.delete_access_point(AccountId=main, Name=point["name"])
    with pytest.raises(ClientError) as exc:
        control.get_access_point(AccountId=main, Name=point["name"])
    assert _code(exc) == ("NoSuchAccessPoint", 404)


@pytest.mark.parametrize(("name", "bucket_of", "extra", "code"), [
    ("Bad_Name", "main", {}, ("InvalidRequest", 400)),
    ("ok-name-1", "alt", {}, ("AccessDenied", 403)),  # another account's bucket
    ("ok-name-2", "none", {}, ("NoSuchBucket", 404)),
    ("ok-name-3", "main", {"VpcConfiguration": {"VpcId": "vpc-unknown"}}, ("InvalidRequest", 400)),
])
def test_bad_creations_are_refused(control: Any, accounts: tuple[str, str], s3_alt: Any, bucket: str,
                                   name: str, bucket_of: str, extra: dict[str, Any], code: tuple[str, int]) -> None:
    target = {"main": bucket, "none": f"missing-{uuid.uuid4().hex[:12]}"}.get(bucket_of)
    if target is None:
        target = f"alts-{uuid.uuid4().hex[:12]}"
        s3_alt.create_bucket(Bucket=target)
    with pytest.raises(ClientError) as exc:
        control.create_access_point(AccountId=accounts[0], Name=name, Bucket=target, **extra)
    assert _code(exc) == code
    assert not control.list_access_points(AccountId=accounts[0], Bucket=target).get("AccessPointList")


def test_the_alias_is_the_bucket_for_data_operations(s3: Any, control: Any, accounts: tuple[str, str], bucket: str) -> None:
    alias = _new_point(control, accounts[0], bucket)["alias"]
    assert s3.get_object(Bucket=alias, Key="doc.txt")["Body"].read() == b"doc"
    s3.put_object(Bucket=alias, Key="via-ap.txt", Body=b"through")
    assert s3.get_object(Bucket=bucket, Key="via-ap.txt")["Body"].read() == b"through"
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=alias)["Contents"]} == {"doc.txt", "via-ap.txt"}
    upload = s3.create_multipart_upload(Bucket=alias, Key="mp.bin")["UploadId"]
    etag = s3.upload_part(Bucket=alias, Key="mp.bin", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    s3.complete_multipart_upload(Bucket=alias, Key="mp.bin", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="mp.bin")["Body"].read() == b"p"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=alias)  # bucket administration does not go through access points
    assert _code(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="nothing-here-abcdefabcdef-s3alias", Key="doc.txt")
    assert _code(exc) == ("NoSuchBucket", 404)


def test_access_point_policy_and_bucket_policy_decide_together(s3: Any, s3_alt: Any, control: Any, accounts: tuple[str, str], bucket: str) -> None:
    main, alt = accounts
    point = _new_point(control, main, bucket)
    alt_root = f"arn:aws:iam::{alt}:root"
    control.put_access_point_policy(AccountId=main, Name=point["name"], Policy=_policy(
        {"Effect": "Allow", "Principal": {"AWS": alt_root}, "Action": "s3:GetObject", "Resource": f"{point['arn']}/object/*"}))
    assert json.loads(control.get_access_point_policy(AccountId=main, Name=point["name"])["Policy"])["Statement"][0]["Principal"]["AWS"] == alt_root
    with pytest.raises(ClientError) as exc:  # the bucket has not delegated to its access points yet
        s3_alt.get_object(Bucket=point["alias"], Key="doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy({
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": main}}}))
    assert s3_alt.get_object(Bucket=point["alias"], Key="doc.txt")["Body"].read() == b"doc"
    for call in (lambda: s3_alt.get_object(Bucket=bucket, Key="doc.txt"),  # not through the access point
                 lambda: s3_alt.put_object(Bucket=point["alias"], Key="x", Body=b"x")):  # the access point allows reads only
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDenied", 403)
    control.put_access_point_policy(AccountId=main, Name=point["name"], Policy=_policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{point['arn']}/object/*"}))
    with pytest.raises(ClientError) as exc:  # an access point's Deny binds its own account too
        s3.put_object(Bucket=point["alias"], Key="y", Body=b"y")
    assert _code(exc) == ("AccessDenied", 403)
    s3.put_object(Bucket=bucket, Key="y", Body=b"y")
    control.delete_access_point_policy(AccountId=main, Name=point["name"])
    with pytest.raises(ClientError) as exc:
        control.get_access_point_policy(AccountId=main, Name=point["name"])
    assert _code(exc) == ("NoSuchAccessPointPolicy", 404)
    s3.put_object(Bucket=point["alias"], Key="y", Body=b"y2")


def test_public_access_point_policies_need_the_block_off(control: Any, accounts: tuple[str, str], bucket: str) -> None:
    main = accounts[0]
    guarded = _new_point(control, main, bucket)
    open_point = _new_point(control, main, bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    for point, allowed in ((guarded, False), (open_point, True)):
        public = _policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{point['arn']}/object/*"})
        if allowed:
            control.put_access_point_policy(AccountId=main, Name=point["name"], Policy=public)
        else:
            with pytest.raises(ClientError) as exc:
                control.put_access_point_policy(AccountId=main, Name=point["name"], Policy=public)
            assert _code(exc) == ("AccessDenied", 403)
        status = control.get_access_point_policy_status(AccountId=main, Name=point["name"])["PolicyStatus"]["IsPublic"]
        assert status is allowed
    with pytest.raises(ClientError) as exc:
        control.put_access_point_policy(AccountId=main, Name=guarded["name"], Policy=_policy(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert _code(exc) == ("MalformedPolicy", 400)


def test_a_vpc_access_point_takes_requests_from_its_network_only(ap_server: ServerInfo, s3: Any, control: Any, accounts: tuple[str, str], bucket: str) -> None:
    point = _new_point(control, accounts[0], bucket, VpcConfiguration={"VpcId": VPC_ID})
    got = control.get_access_point(AccountId=accounts[0], Name=point["name"])
    assert (got["NetworkOrigin"], got["VpcConfiguration"]["VpcId"]) == ("VPC", VPC_ID)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=point["alias"], Key="doc.txt")  # from 127.0.0.1, outside the network
    assert _code(exc) == ("AccessDenied", 403)
    inside = bound_client(ap_server.endpoint, VPC_CLIENT)
    assert inside.get_object(Bucket=point["alias"], Key="doc.txt")["Body"].read() == b"doc"
    assert s3.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"doc"  # the bucket itself is unaffected
