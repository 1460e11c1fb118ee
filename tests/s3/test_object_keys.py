"""Keys: any valid UTF-8 up to 1024 bytes is stored exactly; metadata limits; virtual-host style."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ODD_KEYS = [
    "../escape",
    "a//b",
    "with space",
    "100%",
    "plus+sign",
    "ünïcødé/日本語",
    "trailing/",
    "?question#hash",
    "a&b<c>\"'",
    "~tilde",
    "x" * 1024,
]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys_round_trip_exactly(s3, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode())


def test_key_over_1024_bytes_is_key_too_long(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="é" * 513, Body=b"x")
    assert err.value.response["Error"]["Code"] == "KeyTooLongError"


def test_user_metadata_over_2_kb_is_refused(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})
    assert err.value.response["Error"]["Code"] == "MetadataTooLarge"


def test_standard_headers_are_stored_and_returned(s3, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="k", Body=b"x", ContentType="text/html", ContentEncoding="identity",
        ContentDisposition="inline", ContentLanguage="en", CacheControl="max-age=60", Expires="Wed, 21 Oct 2037 07:28:00 GMT",
    )
    h = s3.head_object(Bucket=bucket, Key="k")
    assert (h["ContentType"], h["ContentEncoding"], h["ContentDisposition"], h["ContentLanguage"], h["CacheControl"]) == (
        "text/html", "identity", "inline", "en", "max-age=60",
    )
    assert h["Expires"].year == 2037


def test_virtual_host_style_addresses_the_bucket_by_host(server, s3, bucket: str) -> None:
    from conftest import MAIN_KEY, MAIN_SECRET
    from rawclient import send, sign_headers

    s3.put_object(Bucket=bucket, Key="v/k", Body=b"vhost")
    host = f"{bucket}.localhost:{server.port}"
    headers = sign_headers(f"http://{host}", "GET", "/v/k", MAIN_KEY, MAIN_SECRET, {}, "UNSIGNED-PAYLOAD")
    r = send(server.endpoint, "GET", "/v/k", {**headers, "Host": host})
    assert r.status == 200 and r.body == b"vhost"


def test_tagging_header_with_a_key_without_value_stores_an_empty_value(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="foo=bar&bare")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]}
    assert tags == {"foo": "bar", "bare": ""}


def test_non_ascii_user_metadata_round_trips_byte_for_byte(server, bucket: str) -> None:
    from conftest import make_client

    client = make_client(server.endpoint)

    def set_header(**kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs["params"]["headers"]["x-amz-meta-meta1"] = "Hello World\xe9"  # boto3 refuses it as Metadata

    client.meta.events.register("before-call.s3.PutObject", set_header)
    client.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert client.get_object(Bucket=bucket, Key="k")["Metadata"]["meta1"] == "Hello World\xe9"


def test_head_of_a_missing_key_says_it_is_not_a_delete_marker(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="never")
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "false"


def test_aws_chunked_is_not_stored_as_a_content_encoding(server, s3, bucket: str) -> None:
    from conftest import MAIN_KEY, MAIN_SECRET
    from rawclient import chunked_upload

    r = chunked_upload(server.endpoint, f"/{bucket}/gz", MAIN_KEY, MAIN_SECRET, b"data", extra_headers={"Content-Encoding": "gzip, aws-chunked"})
    assert r.status == 200, r.body
    assert s3.head_object(Bucket=bucket, Key="gz")["ContentEncoding"] == "gzip"
