"""Browser POST uploads: who signed the form, and does the form obey its policy. Pure: no I/O.

A POST form carries its own credentials instead of an Authorization header
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-UsingHTTPPOST.html):
  SigV4: x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature = hex HMAC-SHA256 of the
         base64 policy under the SigV4 signing key of the credential's scope;
  SigV2: AWSAccessKeyId, signature = base64 HMAC-SHA1(secret, base64 policy) (legacy, off by default).
The policy (sigv4-HTTPPOSTConstructPolicy) is a base64 JSON document with an ``expiration`` and
``conditions``; every form field must be named by a condition, every condition must hold.
Field names compare case-insensitively; values and the document's own keys are case-sensitive.
Signatures are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import S3Error
from . import sigv4

__all__ = [
    "FormCredentials",
    "PolicyLimits",
    "form_credentials",
    "verify_form_signature",
    "check_policy",
    "uncovered_field_exempt",
]

SIGV2 = "sigv2"
SIGV4 = "sigv4"
# Fields the policy need not name: the signature's own fields, the file, and x-ignore-* by design.
# x-amz-checksum-*: AWS accepts them unnamed (Ceph s3-tests test_post_object_upload_checksum).
_EXEMPT = frozenset({"x-amz-signature", "signature", "awsaccesskeyid", "file", "policy"})
_EXEMPT_PREFIXES = ("x-ignore-", "x-amz-checksum-")
_EXPIRATION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_FIELD_OPS = frozenset({"eq", "starts-with"})


@dataclass(frozen=True, slots=True)
class FormCredentials:
    """What a form claims about its signer."""

    version: str  # SIGV4 or SIGV2
    access_key: str
    signature: str
    policy_b64: str
    scope: sigv4.CredentialScope | None = None  # SigV4 only


@dataclass(frozen=True, slots=True)
class PolicyLimits:
    """What a satisfied policy still asks of the file: its content-length-range, if any."""

    min_bytes: int = 0
    max_bytes: int | None = None


def _missing(name: str) -> S3Error:
    return S3Error(
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.",
        extra={"ArgumentName": name, "ArgumentValue": ""},
    )


def _invalid_policy(detail: str) -> S3Error:
    return S3Error("InvalidPolicyDocument", f"Invalid Policy: {detail}")


def _denied(detail: str) -> S3Error:
    return S3Error("AccessDenied", f"Invalid according to Policy: {detail}")


def form_credentials(fields: Mapping[str, str], *, allow_sigv2: bool) -> FormCredentials | None:
    """The form's credentials (field names lowercase); None for an anonymous form."""
    if any(name in fields for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-signature")):
        return _sigv4_credentials(fields)
    if "awsaccesskeyid" in fields or "signature" in fields:
        if not allow_sigv2:
            raise S3Error("InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
        for name, wire in (("awsaccesskeyid", "AWSAccessKeyId"), ("signature", "Signature"), ("policy", "policy")):
            if not fields.get(name):
                raise _missing(wire)
        return FormCredentials(SIGV2, fields["awsaccesskeyid"], fields["signature"], fields["policy"])
    return None


def _sigv4_credentials(fields: Mapping[str, str]) -> FormCredentials:
    for name, wire in (("x-amz-algorithm", "X-Amz-Algorithm"), ("x-amz-credential", "X-Amz-Credential"), ("x-amz-date", "X-Amz-Date"), ("x-amz-signature", "X-Amz-Signature"), ("policy", "policy")):
        if not fields.get(name):
            raise _missing(wire)
    if fields["x-amz-algorithm"] != sigv4.ALGORITHM:
        raise S3Error("InvalidArgument", "Only AWS4-HMAC-SHA256 is supported for POST uploads.", extra={"ArgumentName": "x-amz-algorithm", "ArgumentValue": fields["x-amz-algorithm"]})
    parts = fields["x-amz-credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts) or len(parts[1]) != 8 or not parts[1].isdigit():
        raise S3Error("InvalidArgument", "Invalid X-Amz-Credential.", extra={"ArgumentName": "x-amz-credential", "ArgumentValue": fields["x-amz-credential"]})
    scope = sigv4.CredentialScope(access_key=parts[0], date=parts[1], region=parts[2], service=parts[3])
    if scope.service != "s3":
        raise S3Error("InvalidArgument", f"Invalid X-Amz-Credential: incorrect service '{scope.service}'.", extra={"ArgumentName": "x-amz-credential"})
    sigv4.parse_amz_date(fields["x-amz-date"])  # a malformed date is AccessDenied, as for headers
    return FormCredentials(SIGV4, scope.access_key, fields["x-amz-signature"], fields["policy"], scope)


def verify_form_signature(creds: FormCredentials, secret: str, signing_key: bytes | None = None) -> None:
    """SignatureDoesNotMatch unless the form's signature is the secret's signature of its policy."""
    if creds.version == SIGV4:
        assert creds.scope is not None
        key = signing_key or sigv4.signing_key(secret, creds.scope.date, creds.scope.region, creds.scope.service)
        expected = sigv4.compute_signature(key, creds.policy_b64)
    else:
        digest = hmac.new(secret.encode("utf-8"), creds.policy_b64.encode("utf-8"), hashlib.sha1).digest()
        expected = base64.b64encode(digest).decode("ascii")
    if not sigv4.signatures_equal(expected, creds.signature):
        raise S3Error("SignatureDoesNotMatch", extra={"AWSAccessKeyId": creds.access_key, "StringToSign": creds.policy_b64})


def uncovered_field_exempt(name: str) -> bool:
    """May this (lowercase) form field appear without a policy condition naming it?"""
    return name in _EXEMPT or name.startswith(_EXEMPT_PREFIXES)


def _decode(policy_b64: str) -> dict[str, object]:
    try:
        raw = base64.b64decode(policy_b64.encode("ascii"), validate=True)
        document = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise _invalid_policy("Invalid JSON.") from exc
    if not isinstance(document, dict):
        raise _invalid_policy("Invalid JSON.")
    return document


def _expiration(document: Mapping[str, object]) -> datetime:
    value = document.get("expiration")
    if value is None:
        raise _invalid_policy("Policy missing expiration.")
    if not isinstance(value, str) or not _EXPIRATION.match(value):
        raise _invalid_policy(f"Invalid 'expiration' value: '{value}'")
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise _invalid_policy(f"Invalid 'expiration' value: '{value}'") from exc


def _length_range(condition: list[object]) -> PolicyLimits:
    if len(condition) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in condition[1:]):
        raise _invalid_policy("Invalid content-length-range: expected [\"content-length-range\", min, max].")
    low, high = condition[1], condition[2]
    assert isinstance(low, int) and isinstance(high, int)
    if low < 0 or high < low:
        raise _invalid_policy("Invalid content-length-range: min must be >= 0 and max >= min.")
    return PolicyLimits(low, high)


def _holds(op: str, name: str, expected: str, fields: Mapping[str, str]) -> bool:
    actual = fields.get(name, "")
    if op == "eq":
        return actual == expected
    if name == "content-type":  # each of a comma-separated list must match (sigv4-HTTPPOSTConstructPolicy)
        return all(part.strip().startswith(expected) for part in actual.split(","))
    return actual.startswith(expected)


def _field_condition(condition: object) -> list[tuple[str, str, str]]:
    """A condition naming fields, as (op, lowercase field name, value) triples."""
    if isinstance(condition, dict):
        if not condition:
            raise _invalid_policy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
        out = []
        for name, value in condition.items():
            if not isinstance(value, str):
                raise _invalid_policy(f"Invalid Simple-Condition: value of '{name}' must be a string.")
            out.append(("eq", name.lower().removeprefix("$"), value))
        return out
    if isinstance(condition, list) and len(condition) == 3 and all(isinstance(v, str) for v in condition):
        op, ref, value = (str(v) for v in condition)
        if op.lower() in _FIELD_OPS and ref.startswith("$"):
            return [(op.lower(), ref[1:].lower(), value)]
    raise _invalid_policy(f"Invalid condition: {json.dumps(condition)}")


def check_policy(policy_b64: str, fields: Mapping[str, str], now: datetime) -> PolicyLimits:
    """Check the form against its policy; return the file's size limits.

    ``fields``: lowercase names, including ``bucket`` (the bucket the request targets, which every
    policy must name). Malformed documents are 400s; a failed condition or an expired policy 403.
    """
    document = _decode(policy_b64)
    expires = _expiration(document)
    conditions = document.get("conditions")
    if conditions is None:
        raise _invalid_policy("Policy missing conditions.")
    if not isinstance(conditions, list):
        raise _invalid_policy("Invalid conditions: must be a list.")
    limits = PolicyLimits()
    checks: list[tuple[str, str, str]] = []
    for condition in conditions:
        if isinstance(condition, list) and condition and isinstance(condition[0], str) and condition[0].lower() == "content-length-range":
            limits = _length_range(condition)
        else:
            checks.extend(_field_condition(condition))
    if now > expires:
        raise _denied("Policy expired.")
    for op, name, value in checks:
        if not _holds(op, name, value, fields):
            raise _denied(f"Policy Condition failed: [\"{op}\", \"${name}\", \"{value}\"]")
    covered = {name for _, name, _ in checks}
    extra = sorted(name for name in fields if name not in covered and not uncovered_field_exempt(name))
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")
    return limits
