"""SigV4 for S3: the AWS documented vectors, botocore cross-checks, and what malformed input answers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.session  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]

from strongroom.auth.sigv4 import (
    PRESIGN_MAX_EXPIRES_SECONDS,
    CredentialScope,
    canonical_query,
    canonical_request,
    canonical_uri,
    compute_signature,
    format_amz_date,
    parse_amz_date,
    parse_authorization_header,
    parse_http_date,
    parse_presigned_query,
    signatures_equal,
    signing_key,
    string_to_sign,
)
from strongroom.errors import S3Error

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOST = b"examplebucket.s3.amazonaws.com"
AMZ_DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
KEY = signing_key(SECRET, "20130524", "us-east-1", "s3")


def _sign(method: str, path: bytes, query: bytes, headers: list[tuple[bytes, bytes]], payload: str) -> str:
    signed = sorted({name.decode().lower() for name, _ in headers})
    request = canonical_request(method, path, query, headers, signed, payload, presigned=False)
    return compute_signature(KEY, string_to_sign(AMZ_DATE, SCOPE, request))


# --- AWS documented examples (sig-v4-header-based-auth, sigv4-query-string-auth) --------------------


def test_get_object_with_range_matches_aws_example() -> None:
    headers = [
        (b"Host", HOST),
        (b"Range", b"bytes=0-9"),
        (b"x-amz-content-sha256", EMPTY_SHA256.encode()),
        (b"x-amz-date", AMZ_DATE.encode()),
    ]
    request = canonical_request(
        "GET", b"/test.txt", b"", headers, ["host", "range", "x-amz-content-sha256", "x-amz-date"],
        EMPTY_SHA256, presigned=False,
    )  # fmt: skip
    sts = string_to_sign(AMZ_DATE, SCOPE, request)
    assert sts.endswith("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
    assert compute_signature(KEY, sts) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def test_put_object_with_dollar_in_key_matches_aws_example() -> None:
    payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    headers = [
        (b"Host", HOST),
        (b"Date", b"Fri, 24 May 2013 00:00:00 GMT"),
        (b"x-amz-date", AMZ_DATE.encode()),
        (b"x-amz-storage-class", b"REDUCED_REDUNDANCY"),
        (b"x-amz-content-sha256", payload.encode()),
    ]
    expected = "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    assert _sign("PUT", b"/test%24file.text", b"", headers, payload) == expected
    # The client may send '$' unencoded: S3 signs the decoded key, so it is the same request.
    assert _sign("PUT", b"/test$file.text", b"", headers, payload) == expected


def test_get_bucket_lifecycle_matches_aws_example() -> None:
    headers = [
        (b"Host", HOST),
        (b"x-amz-date", AMZ_DATE.encode()),
        (b"x-amz-content-sha256", EMPTY_SHA256.encode()),
    ]
    expected = "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    assert _sign("GET", b"/", b"lifecycle", headers, EMPTY_SHA256) == expected
    assert _sign("GET", b"/", b"lifecycle=", headers, EMPTY_SHA256) == expected


def test_list_objects_matches_aws_example_in_either_query_order() -> None:
    headers = [
        (b"Host", HOST),
        (b"x-amz-date", AMZ_DATE.encode()),
        (b"x-amz-content-sha256", EMPTY_SHA256.encode()),
    ]
    expected = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    assert _sign("GET", b"/", b"max-keys=2&prefix=J", headers, EMPTY_SHA256) == expected
    assert _sign("GET", b"/", b"prefix=J&max-keys=2", headers, EMPTY_SHA256) == expected


def test_presigned_get_matches_aws_example() -> None:
    query = (
        b"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1"
        b"%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        b"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    auth = parse_presigned_query(_decoded_pairs(query))
    assert auth.presigned and auth.expires_seconds == 86400
    assert auth.scope == CredentialScope(ACCESS_KEY, "20130524", "us-east-1", "s3")
    request = canonical_request(
        "GET", b"/test.txt", query, [(b"host", HOST)], auth.signed_headers, "UNSIGNED-PAYLOAD", presigned=True
    )
    sts = string_to_sign(auth.amz_date_iso, auth.scope.scope, request)
    assert sts.endswith("3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
    assert signatures_equal(compute_signature(KEY, sts), auth.signature)


def test_signing_key_matches_aws_derivation_example() -> None:
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


# --- botocore cross-checks --------------------------------------------------------------------------


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _client() -> Any:
    session = botocore.session.get_session()
    client = session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9000",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 0}),
    )

    def capture(request: Any, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register("before-send.s3", capture)
    return client


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    yield _client()


def _decoded_pairs(raw_query: bytes) -> list[tuple[str, str]]:
    pairs = []
    for item in raw_query.decode().split("&"):
        name, _, value = item.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def _verify_header_signed(prepared: Any) -> None:
    parts = urlsplit(prepared.url)
    headers = [(_as_bytes(k), _as_bytes(v)) for k, v in prepared.headers.items()]
    values = {_as_bytes(k).decode().lower(): _as_bytes(v).decode() for k, v in prepared.headers.items()}
    amz_date = parse_amz_date(values["x-amz-date"])
    auth = parse_authorization_header(values["authorization"], amz_date)
    request = canonical_request(
        prepared.method, parts.path.encode(), parts.query.encode(), headers, auth.signed_headers,
        values["x-amz-content-sha256"], presigned=False,
    )  # fmt: skip
    expected = compute_signature(
        signing_key(SECRET, auth.scope.date, auth.scope.region, auth.scope.service),
        string_to_sign(auth.amz_date_iso, auth.scope.scope, request),
    )
    assert signatures_equal(expected, auth.signature), request


AWKWARD_KEYS = [
    "with space.txt",
    "100%.txt",
    "a+b=c&d.txt",
    "ключ/雪/🙂.bin",
    "double//slash",
    "trailing/",
    "../up/./dot",
    "tilde~and-_.ok",
    "!'()*$@,;:[]",
    "%2F-literal",
    "/leading",
]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_botocore_header_signature_verifies_for_awkward_keys(client: Any, key: str) -> None:
    with pytest.raises(_Captured) as caught:
        client.put_object(Bucket="bucket", Key=key, Body=b"data", Metadata={"m": "  spaced   value  "})
    _verify_header_signed(caught.value.request)


@pytest.mark.parametrize("prefix", ["a b", "x=y&z", "plus+sign", "pct%41", "ü", "~tilde", "slash/ed", ""])
def test_botocore_header_signature_verifies_for_awkward_query_values(client: Any, prefix: str) -> None:
    with pytest.raises(_Captured) as caught:
        client.list_objects_v2(Bucket="bucket", Prefix=prefix, StartAfter="s=&t", Delimiter="/")
    _verify_header_signed(caught.value.request)


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_botocore_presigned_url_verifies_for_awkward_keys(client: Any, key: str) -> None:
    url = client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": "bucket",
            "Key": key,
            "ResponseContentDisposition": 'attachment; filename="a b&c=d"',
        },
        ExpiresIn=3600,
    )
    parts = urlsplit(url)
    auth = parse_presigned_query(_decoded_pairs(parts.query.encode()))
    assert auth.expires_seconds == 3600
    request = canonical_request(
        "GET", parts.path.encode(), parts.query.encode(), [(b"host", parts.netloc.encode())],
        auth.signed_headers, "UNSIGNED-PAYLOAD", presigned=True,
    )  # fmt: skip
    expected = compute_signature(
        _key_for(auth.scope), string_to_sign(auth.amz_date_iso, auth.scope.scope, request)
    )
    assert signatures_equal(expected, auth.signature)


def _key_for(scope: CredentialScope) -> bytes:
    return signing_key(SECRET, scope.date, scope.region, scope.service)


def test_tampered_path_does_not_verify(client: Any) -> None:
    with pytest.raises(_Captured) as caught:
        client.get_object(Bucket="bucket", Key="a")
    prepared = caught.value.request
    prepared.url = prepared.url.replace("/bucket/a", "/bucket/b")
    with pytest.raises(AssertionError):
        _verify_header_signed(prepared)


# --- canonical forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "/"),
        (b"/", "/"),
        (b"/a%20b", "/a%20b"),
        (b"/a b", "/a%20b"),
        (b"/a+b", "/a%2Bb"),
        (b"/a%2bb", "/a%2Bb"),
        (b"/a%2Fb", "/a/b"),
        (b"//x/../y/./", "//x/../y/./"),
        (b"/%E2%82%AC", "/%E2%82%AC"),
        (b"/~_-.", "/~_-."),
        (b"/%ff", "/%FF"),
    ],
)
def test_canonical_uri_reencodes_the_decoded_path_without_normalising(raw: bytes, expected: str) -> None:
    assert canonical_uri(raw) == expected


@pytest.mark.parametrize("raw", [b"/a%", b"/a%2", b"/a%zz", b"/%g0"])
def test_malformed_percent_escape_in_path_is_invalid_uri(raw: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        canonical_uri(raw)
    assert caught.value.code == "InvalidURI" and caught.value.status == 400


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"b=2&a=1", "a=1&b=2"),
        (b"a=2&a=1", "a=1&a=2"),
        (b"acl", "acl="),
        (b"x=a+b", "x=a%2Bb"),
        (b"x=a%20b", "x=a%20b"),
        (b"x=%7e%2f", "x=~%2F"),
        (b"x=a=b", "x=a%3Db"),
        (b"a&&b=", "a=&b="),
    ],
)
def test_canonical_query_sorts_and_reencodes(raw: bytes, expected: str) -> None:
    assert canonical_query(raw, presigned=False) == expected


def test_canonical_query_drops_signature_only_when_presigned() -> None:
    raw = b"X-Amz-Signature=abc&a=1"
    assert canonical_query(raw, presigned=True) == "a=1"
    assert canonical_query(raw, presigned=False) == "X-Amz-Signature=abc&a=1"


def test_canonical_headers_trim_collapse_and_join_repeats() -> None:
    headers = [
        (b"X-Amz-Meta-A", b"  one   two  "),
        (b"x-amz-meta-a", b"three"),
        (b"Host", b"h"),
        (b"Other", b"x"),
    ]
    request = canonical_request("GET", b"/", b"", headers, ["x-amz-meta-a", "host"], "p", presigned=False)
    assert request == "GET\n/\n\nhost:h\nx-amz-meta-a:one two,three\n\nhost;x-amz-meta-a\np"


# --- parsing ----------------------------------------------------------------------------------------

GOOD_HEADER = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;range;x-amz-date, Signature=" + "f" * 64
)
WHEN = datetime(2013, 5, 24, tzinfo=UTC)


def test_authorization_header_parses_with_or_without_spaces() -> None:
    auth = parse_authorization_header(GOOD_HEADER, WHEN)
    assert auth.scope.scope == SCOPE and auth.scope.access_key == ACCESS_KEY
    assert auth.signed_headers == ("host", "range", "x-amz-date")
    assert not auth.presigned and auth.expires_seconds is None
    assert parse_authorization_header(GOOD_HEADER.replace(", ", ","), WHEN) == auth
    assert parse_authorization_header("  " + GOOD_HEADER.replace(", ", " ,  ") + " ", WHEN) == auth


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("AWS AKIAIOSFODNN7EXAMPLE:abc", "InvalidArgument"),
        ("AWS4-ECDSA-P256-SHA256 Credential=x", "InvalidArgument"),
        ("", "InvalidArgument"),
        (GOOD_HEADER.replace("SignedHeaders=host;range;x-amz-date, ", ""), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER + ", Signature=" + "f" * 64, "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("Credential=", "Credentials="), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("/aws4_request", "/aws5_request"), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("/us-east-1/", "//"), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("20130524", "20130525"), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("host;range", "Host;range"), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("host;range", "host;;range"), "AuthorizationHeaderMalformed"),
        (GOOD_HEADER.replace("f" * 64, "f" * 63), "SignatureDoesNotMatch"),
        (GOOD_HEADER + "x" * 9000, "AuthorizationHeaderMalformed"),
    ],
)
def test_malformed_authorization_header_answers_as_aws(value: str, code: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse_authorization_header(value, WHEN)
    assert caught.value.code == code


def _presign_params(**overrides: str | None) -> list[tuple[str, str]]:
    params: dict[str, str | None] = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{ACCESS_KEY}/20130524/us-east-1/s3/aws4_request",
        "X-Amz-Date": AMZ_DATE,
        "X-Amz-Expires": "86400",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "a" * 64,
    }
    params.update(overrides)
    return [(k, v) for k, v in params.items() if v is not None]


@pytest.mark.parametrize("expires", ["1", str(PRESIGN_MAX_EXPIRES_SECONDS)])
def test_presign_expiry_bounds_are_accepted(expires: str) -> None:
    assert parse_presigned_query(_presign_params(**{"X-Amz-Expires": expires})).expires_seconds == int(
        expires
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"X-Amz-Expires": "soon"},
        {"X-Amz-Expires": None},
        {"X-Amz-Signature": None},
        {"X-Amz-Algorithm": "AWS4-HMAC-SHA512"},
        {"X-Amz-Date": "2013-05-24T00:00:00Z"},
        {"X-Amz-Credential": "AK/20130524/us-east-1/s3"},
        {"X-Amz-Credential": f"{ACCESS_KEY}/20130523/us-east-1/s3/aws4_request"},
        {"X-Amz-SignedHeaders": ""},
    ],
)
def test_bad_presign_parameters_are_authorization_query_parameters_error(
    overrides: dict[str, str | None],
) -> None:
    with pytest.raises(S3Error) as caught:
        parse_presigned_query(_presign_params(**overrides))
    assert caught.value.code == "AuthorizationQueryParametersError" and caught.value.status == 400


def test_repeated_presign_parameter_is_rejected() -> None:
    with pytest.raises(S3Error) as caught:
        parse_presigned_query([*_presign_params(), ("X-Amz-Date", AMZ_DATE)])
    assert caught.value.code == "AuthorizationQueryParametersError"


def test_dates_parse_to_aware_utc() -> None:
    assert parse_amz_date(AMZ_DATE) == WHEN
    assert format_amz_date(WHEN) == AMZ_DATE
    assert parse_http_date("Fri, 24 May 2013 00:00:00 GMT") == WHEN
    assert parse_http_date("Fri, 24 May 2013 02:00:00 +0200") == WHEN


@pytest.mark.parametrize("value", ["20130524", "20130524T000000", "20131324T000000Z", "2013052aT000000Z", ""])
def test_bad_amz_date_is_access_denied(value: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse_amz_date(value)
    assert caught.value.code == "AccessDenied"


def test_bad_http_date_is_access_denied() -> None:
    with pytest.raises(S3Error) as caught:
        parse_http_date("yesterday")
    assert caught.value.code == "AccessDenied"


def test_signatures_equal_compares_exactly() -> None:
    assert signatures_equal("ab" * 32, "ab" * 32)
    assert not signatures_equal("ab" * 32, "ba" * 32)
    assert not signatures_equal("ab" * 32, "")


@pytest.mark.parametrize("expires", ["0", "-5", str(PRESIGN_MAX_EXPIRES_SECONDS + 1)])
def test_out_of_range_presign_lifetime_is_access_denied(expires: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse_presigned_query(_presign_params(**{"X-Amz-Expires": expires}))
    assert caught.value.code == "AccessDenied" and caught.value.status == 403


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_an_empty_region_is_accepted_for_the_global_services(service: str) -> None:
    """SDKs configured with region '' sign an empty one; S3's own refusal of that is tested above."""
    amz_date = parse_amz_date("20261124T093000Z")
    header = (f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124//{service}/aws4_request, "
              f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}")
    auth = parse_authorization_header(header, amz_date)
    assert (auth.scope.region, auth.scope.service) == ("", service)
