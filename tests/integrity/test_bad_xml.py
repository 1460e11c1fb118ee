"""Malformed, hostile and oversized XML bodies are refused with S3 errors and change nothing."""

from __future__ import annotations

import base64
import hashlib
import uuid

from conftest import MAIN_KEY, MAIN_SECRET
from rawclient import signed_request

BOMB = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>'


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def test_oversized_create_bucket_body_is_refused_and_creates_nothing(server, s3) -> None:
    name = f"big-{uuid.uuid4().hex[:12]}"
    body = b"<CreateBucketConfiguration>" + b" " * (128 * 1024) + b"</CreateBucketConfiguration>"
    r = signed_request(server.endpoint, "PUT", f"/{name}", MAIN_KEY, MAIN_SECRET, body=body)
    assert r.status == 400 and b"<Code>" in r.body
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_entity_expansion_in_delete_objects_is_malformed_xml_and_deletes_nothing(server, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    r = signed_request(server.endpoint, "POST", f"/{bucket}", MAIN_KEY, MAIN_SECRET, body=BOMB, query="delete=", headers={"Content-MD5": _md5(BOMB)})
    assert r.status == 400 and b"<Code>MalformedXML</Code>" in r.body
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"x"


def test_malformed_tagging_is_malformed_xml_and_keeps_the_old_tags(server, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1")
    body = b"<Tagging><TagSet><Tag><Key>b</Key>"
    r = signed_request(server.endpoint, "PUT", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, body=body, query="tagging=", headers={"Content-MD5": _md5(body)})
    assert r.status == 400 and b"<Code>MalformedXML</Code>" in r.body
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "a", "Value": "1"}]


def test_malformed_complete_multipart_keeps_the_upload_and_makes_no_object(server, s3, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")
    body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
    r = signed_request(server.endpoint, "POST", f"/{bucket}/mp", MAIN_KEY, MAIN_SECRET, body=body, query=f"uploadId={upload}")
    assert r.status == 400 and b"<Code>MalformedXML</Code>" in r.body
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [upload]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
