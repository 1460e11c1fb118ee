"""Buckets: names, create/head/delete, location, ownership conflicts, errors with request ids."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def _err(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = err.value.response
    return r["Error"].get("Code", ""), r["ResponseMetadata"]["HTTPStatusCode"]


def _name() -> str:
    return f"bkt-{uuid.uuid4().hex[:16]}"


def test_create_list_head_delete_bucket(s3) -> None:
    name = _name()
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as err:
        s3.head_bucket(Bucket=name)
    assert _err(err)[1] == 404


def test_list_buckets_shows_only_the_callers_buckets(s3, s3_alt, bucket: str) -> None:
    assert bucket not in [b["Name"] for b in s3_alt.list_buckets()["Buckets"]]


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "under_score", "-lead", "trail-", "1.2.3.4", "a..b", "xn--abc", "abc-s3alias"])
def test_invalid_bucket_names_are_rejected(s3, name: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name)
    assert _err(err) == ("InvalidBucketName", 400)


def test_creating_my_own_bucket_again_outside_us_east_1_is_already_owned_by_you(s3) -> None:
    name = _name()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert _err(err) == ("BucketAlreadyOwnedByYou", 409)


def test_recreating_my_own_bucket_in_us_east_1_succeeds_and_keeps_its_objects(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"kept")
    assert s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"


def test_creating_another_accounts_bucket_is_already_exists(s3_alt, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3_alt.create_bucket(Bucket=bucket)
    assert _err(err) == ("BucketAlreadyExists", 409)


def test_delete_non_empty_bucket_is_bucket_not_empty_and_keeps_it(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.delete_bucket(Bucket=bucket)
    assert _err(err) == ("BucketNotEmpty", 409)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_missing_bucket_is_no_such_bucket(s3) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=_name(), Key="k", Body=b"x")
    assert _err(err) == ("NoSuchBucket", 404)
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]


def test_location_constraint_is_kept_and_reported(s3) -> None:
    name = _name()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"


def test_default_location_is_us_east_1_reported_as_null(s3, bucket: str) -> None:
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] is None


def test_malformed_create_bucket_xml_is_malformed_xml(server) -> None:
    from conftest import MAIN_KEY, MAIN_SECRET
    from rawclient import signed_request

    name = _name()
    r = signed_request(server.endpoint, "PUT", f"/{name}", MAIN_KEY, MAIN_SECRET, body=b"<CreateBucketConfiguration><oops")
    assert r.status == 400 and b"<Code>MalformedXML</Code>" in r.body


def test_every_response_carries_request_ids(s3, bucket: str) -> None:
    headers = s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-request-id"] and headers["x-amz-id-2"]


def test_unknown_subresource_is_not_implemented(server, bucket: str) -> None:
    from conftest import MAIN_KEY, MAIN_SECRET
    from rawclient import signed_request

    r = signed_request(server.endpoint, "GET", f"/{bucket}", MAIN_KEY, MAIN_SECRET, query="website=")
    assert r.status == 501 and b"<Code>NotImplemented</Code>" in r.body


def test_wrong_method_on_object_is_method_not_allowed(server, bucket: str) -> None:
    from conftest import MAIN_KEY, MAIN_SECRET
    from rawclient import signed_request

    r = signed_request(server.endpoint, "PATCH", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET)
    assert r.status == 405 and b"<Code>MethodNotAllowed</Code>" in r.body


def test_list_buckets_pages_with_max_buckets_and_a_continuation_token(server) -> None:
    from conftest import make_client

    client = make_client(server.endpoint)
    prefix = f"page-{uuid.uuid4().hex[:8]}-"
    names = [f"{prefix}{i}" for i in range(3)]
    for name in names:
        client.create_bucket(Bucket=name)
    seen: list[str] = []
    token = None
    while True:
        kwargs = {"MaxBuckets": 2, "Prefix": prefix, **({"ContinuationToken": token} if token else {})}
        page = client.list_buckets(**kwargs)
        seen += [b["Name"] for b in page["Buckets"]]
        token = page.get("ContinuationToken")
        if not token:
            break
    assert seen == names


def test_preflight_without_origin_is_400_and_without_cors_rules_is_403(server, s3, bucket: str) -> None:
    import urllib.request
    from urllib.error import HTTPError

    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"))
    assert err.value.code == 400
    request = urllib.request.Request(f"{server.endpoint}/{bucket}/k", method="OPTIONS", headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET"})
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(request)
    assert err.value.code == 403 and b"<Code>AccessForbidden</Code>" in err.value.read()
