"""POST policies: form credentials, SigV4/SigV2 signatures, expiration and conditions (table-driven)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from strongroom.auth.postpolicy import (
    PolicyLimits,
    check_policy,
    form_credentials,
    uncovered_field_exempt,
    verify_form_signature,
)
from strongroom.auth.sigv4 import compute_signature, signing_key
from strongroom.errors import S3Error

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
FUTURE = "2026-01-02T00:00:00.000Z"


def encode(document: object) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def policy(*conditions: object, expiration: str = FUTURE) -> str:
    return encode({"expiration": expiration, "conditions": list(conditions)})


BASE = ({"bucket": "photos"}, ["starts-with", "$key", "user/"])
FIELDS = {"bucket": "photos", "key": "user/a.jpg"}


def sigv4_fields(policy_b64: str, secret: str = SECRET) -> dict[str, str]:
    key = signing_key(secret, "20260101", "us-east-1", "s3")
    return {
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request",
        "x-amz-date": "20260101T000000Z",
        "x-amz-signature": compute_signature(key, policy_b64),
        "policy": policy_b64,
    }


def sigv2_fields(policy_b64: str, secret: str = SECRET) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), policy_b64.encode(), hashlib.sha1).digest()).decode()
    return {"awsaccesskeyid": "AKIDEXAMPLE", "signature": signature, "policy": policy_b64}


# --- credentials and signatures ------------------------------------------------------------------


def test_unsigned_form_is_anonymous() -> None:
    assert form_credentials({"key": "a", "acl": "private"}, allow_sigv2=False) is None


def test_sigv4_form_signature_verifies() -> None:
    creds = form_credentials(sigv4_fields(policy(*BASE)), allow_sigv2=False)
    assert creds is not None and creds.access_key == "AKIDEXAMPLE" and creds.scope is not None
    verify_form_signature(creds, SECRET)


def test_sigv4_signature_with_another_secret_does_not_match() -> None:
    creds = form_credentials(sigv4_fields(policy(*BASE), secret="other"), allow_sigv2=False)
    assert creds is not None
    with pytest.raises(S3Error) as info:
        verify_form_signature(creds, SECRET)
    assert (info.value.code, info.value.status) == ("SignatureDoesNotMatch", 403)


def test_signature_covers_the_policy() -> None:
    fields = sigv4_fields(policy(*BASE))
    fields["policy"] = policy({"bucket": "photos"}, ["starts-with", "$key", ""])
    creds = form_credentials(fields, allow_sigv2=False)
    assert creds is not None
    with pytest.raises(S3Error, match="SignatureDoesNotMatch"):
        verify_form_signature(creds, SECRET)


def test_sigv2_form_is_refused_unless_enabled() -> None:
    with pytest.raises(S3Error) as info:
        form_credentials(sigv2_fields(policy(*BASE)), allow_sigv2=False)
    assert (info.value.code, info.value.status) == ("InvalidRequest", 400)


def test_sigv2_form_signature_verifies_when_enabled() -> None:
    creds = form_credentials(sigv2_fields(policy(*BASE)), allow_sigv2=True)
    assert creds is not None
    verify_form_signature(creds, SECRET)
    with pytest.raises(S3Error, match="SignatureDoesNotMatch"):
        verify_form_signature(creds, "wrong")


@pytest.mark.parametrize("missing", ["x-amz-credential", "x-amz-date", "x-amz-signature", "policy"])
def test_sigv4_form_missing_a_field_is_invalid_argument(missing: str) -> None:
    fields = sigv4_fields(policy(*BASE))
    del fields[missing]
    with pytest.raises(S3Error) as info:
        form_credentials(fields, allow_sigv2=False)
    assert info.value.code == "InvalidArgument" and "must contain a field named" in info.value.message


@pytest.mark.parametrize("missing", ["signature", "policy"])
def test_sigv2_form_missing_a_field_is_invalid_argument(missing: str) -> None:
    fields = sigv2_fields(policy(*BASE))
    del fields[missing]
    with pytest.raises(S3Error, match="InvalidArgument"):
        form_credentials(fields, allow_sigv2=True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-amz-algorithm", "AWS4-HMAC-SHA1"),
        ("x-amz-credential", "AKID/20260101/us-east-1/s3"),
        ("x-amz-credential", "AKID/2026/us-east-1/s3/aws4_request"),
        ("x-amz-credential", "AKID/20260101/us-east-1/iam/aws4_request"),
    ],
)
def test_sigv4_form_with_malformed_fields_is_invalid_argument(name: str, value: str) -> None:
    fields = {**sigv4_fields(policy(*BASE)), name: value}
    with pytest.raises(S3Error, match="InvalidArgument"):
        form_credentials(fields, allow_sigv2=False)


# --- the policy document ----------------------------------------------------------------------------


def test_policy_that_holds_returns_its_length_range() -> None:
    limits = check_policy(policy(*BASE, ["content-length-range", 1, 1024]), FIELDS, NOW)
    assert limits == PolicyLimits(1, 1024)


def test_policy_without_length_range_has_no_limits() -> None:
    assert check_policy(policy(*BASE), FIELDS, NOW) == PolicyLimits(0, None)


@pytest.mark.parametrize(
    "document",
    [
        {"conditions": list(BASE)},  # no expiration
        {"EXPIRATION": FUTURE, "conditions": list(BASE)},  # keys are case-sensitive
        {"expiration": FUTURE},  # no conditions
        {"expiration": FUTURE, "CONDITIONS": list(BASE)},
        {"expiration": "2026-01-02 00:00:00+00:00", "conditions": list(BASE)},
        {"expiration": 1767312000, "conditions": list(BASE)},
        {"expiration": FUTURE, "conditions": [{}]},
        {"expiration": FUTURE, "conditions": [["content-length-range", 0]]},
        {"expiration": FUTURE, "conditions": [["content-length-range", -1, 0]]},
        {"expiration": FUTURE, "conditions": [["content-length-range", 10, 5]]},
        {"expiration": FUTURE, "conditions": [["content-length-range", "0", "5"]]},
        {"expiration": FUTURE, "conditions": [["matches", "$key", "a"]]},
        {"expiration": FUTURE, "conditions": [["eq", "key", "a"]]},
        {"expiration": FUTURE, "conditions": "bucket"},
        ["not", "an", "object"],
    ],
)
def test_malformed_policy_documents_are_invalid_policy_document(document: object) -> None:
    with pytest.raises(S3Error) as info:
        check_policy(encode(document), FIELDS, NOW)
    assert (info.value.code, info.value.status) == ("InvalidPolicyDocument", 400)


def test_policy_that_is_not_base64_json_is_400() -> None:
    with pytest.raises(S3Error) as info:
        check_policy("not base64!", FIELDS, NOW)
    assert info.value.status == 400


def test_expired_policy_is_access_denied() -> None:
    with pytest.raises(S3Error) as info:
        check_policy(policy(*BASE, expiration="2025-12-31T23:59:59Z"), FIELDS, NOW)
    assert (info.value.code, info.value.message) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


@pytest.mark.parametrize(
    ("condition", "fields", "holds"),
    [
        ({"acl": "private"}, {"acl": "private"}, True),
        ({"acl": "private"}, {"acl": "Private"}, False),
        (["eq", "$acl", "private"], {"acl": "private"}, True),
        (["EQ", "$ACL", "private"], {"acl": "private"}, True),  # operators and names ignore case
        (["eq", "$x-amz-meta-foo", ""], {"x-amz-meta-foo": "barclamp"}, False),
        (["eq", "$x-amz-meta-foo", ""], {}, True),
        (["starts-with", "$x-amz-meta-foo", "bar"], {"x-amz-meta-foo": "barclamp"}, True),
        (["starts-with", "$x-amz-meta-foo", "bar"], {}, False),
        (["starts-with", "$x-amz-meta-foo", ""], {"x-amz-meta-foo": "anything"}, True),
        (["starts-with", "$content-type", "image/"], {"content-type": "image/jpeg, image/png"}, True),
        (["starts-with", "$content-type", "image/"], {"content-type": "image/jpeg, text/html"}, False),
    ],
)
def test_conditions(condition: object, fields: dict[str, str], holds: bool) -> None:
    document = policy(*BASE, condition)
    all_fields = {**FIELDS, **fields}
    if holds:
        check_policy(document, all_fields, NOW)
    else:
        with pytest.raises(S3Error) as info:
            check_policy(document, all_fields, NOW)
        assert info.value.code == "AccessDenied" and "Policy Condition failed" in info.value.message


def test_condition_values_are_literal() -> None:
    check_policy(policy({"bucket": "photos"}, ["starts-with", "$key", "\\$foo"]), {"bucket": "photos", "key": "\\$foo.txt"}, NOW)


def test_policy_must_name_the_target_bucket() -> None:
    with pytest.raises(S3Error, match="AccessDenied"):
        check_policy(policy({"bucket": "other"}, ["starts-with", "$key", ""]), FIELDS, NOW)
    with pytest.raises(S3Error, match="Extra input fields: bucket"):
        check_policy(policy(["starts-with", "$key", ""]), FIELDS, NOW)


def test_every_field_must_be_named_by_a_condition() -> None:
    with pytest.raises(S3Error) as info:
        check_policy(policy(*BASE), {**FIELDS, "content-type": "text/plain"}, NOW)
    assert (info.value.code, info.value.message) == ("AccessDenied", "Invalid according to Policy: Extra input fields: content-type")


@pytest.mark.parametrize("name", ["x-amz-signature", "signature", "awsaccesskeyid", "policy", "file", "x-ignore-foo", "x-amz-checksum-sha256"])
def test_signature_file_and_ignored_fields_need_no_condition(name: str) -> None:
    assert uncovered_field_exempt(name)
    check_policy(policy(*BASE), {**FIELDS, name: "v"}, NOW)


def test_sigv4_fields_need_conditions_like_any_other() -> None:
    fields = {**FIELDS, "x-amz-algorithm": "AWS4-HMAC-SHA256"}
    with pytest.raises(S3Error, match="Extra input fields: x-amz-algorithm"):
        check_policy(policy(*BASE), fields, NOW)
    check_policy(policy(*BASE, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}), fields, NOW)
