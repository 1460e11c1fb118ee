"""Encryption chosen by a browser POST form: the x-amz-server-side-encryption fields (SSE-S3, SSE-KMS with
a key id) are signed into the policy like any field and echoed on the response, as AWS does."""

from __future__ import annotations

import os
import uuid

import pytest
import requests
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_kms_client

TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, MAIN_KEY, MAIN_SECRET)


def _post(s3, bucket: str, key: str, fields: dict[str, str], body: bytes) -> requests.Response:  # type: ignore[no-untyped-def]
    post = s3.generate_presigned_post(bucket, key, Fields=fields, Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=600)
    parts = [(k, (None, v)) for k, v in post["fields"].items()] + [("file", ("f.bin", body))]
    return requests.post(post["url"], files=parts, timeout=TIMEOUT_SECONDS)


def test_post_form_with_sse_kms_and_a_key_id(s3, kms, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = kms.create_key(Description="post form")["KeyMetadata"]
    body = os.urandom(3000)
    fields = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key["KeyId"]}
    response = _post(s3, bucket, "kms.bin", fields, body)
    assert response.status_code == 204, response.text
    assert response.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert response.headers["x-amz-server-side-encryption-aws-kms-key-id"] == key["Arn"]
    head = s3.head_object(Bucket=bucket, Key="kms.bin")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert s3.get_object(Bucket=bucket, Key="kms.bin")["Body"].read() == body


def test_post_form_with_sse_kms_and_no_key_uses_the_accounts_aws_s3_key(s3, kms, bucket: str) -> None:  # type: ignore[no-untyped-def]
    response = _post(s3, bucket, "default.bin", {"x-amz-server-side-encryption": "aws:kms"}, b"x" * 10)
    assert response.status_code == 204, response.text
    aws_s3 = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    assert s3.head_object(Bucket=bucket, Key="default.bin")["SSEKMSKeyId"] == aws_s3


def test_post_form_with_an_unknown_kms_key_stores_nothing(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    fields = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": str(uuid.uuid4())}
    response = _post(s3, bucket, "missing.bin", fields, b"x")
    assert response.status_code == 400 and b"<Code>KMS.NotFoundException</Code>" in response.content
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_post_form_with_aes256(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    response = _post(s3, bucket, "s3.bin", {"x-amz-server-side-encryption": "AES256"}, b"y" * 10)
    assert response.status_code == 204 and response.headers["x-amz-server-side-encryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="s3.bin")["ServerSideEncryption"] == "AES256"
