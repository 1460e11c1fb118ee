"""Objects: the basic round trip through boto3."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError


def test_put_then_get_returns_the_same_bytes_encrypted_with_aes256(s3, bucket: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    put = s3.put_object(Bucket=bucket, Key="a/b c+%.txt", Body=data, Metadata={"color": "blue"})
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="a/b c+%.txt")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"color": "blue"}
    assert got["ServerSideEncryption"] == "AES256"
    assert got["ETag"] == put["ETag"]


def test_get_missing_key_is_no_such_key(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="missing")
    assert err.value.response["Error"]["Code"] == "NoSuchKey"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
