"""HTTPS: boto3 over TLS with the dev CA, HTTP beside HTTPS, TLS 1.2 minimum, `strongroom dev-cert`,
start-up validation of the cert and key, and S3Request.secure."""

from __future__ import annotations

import base64
import os
import socket
import ssl
import stat
import subprocess
import sys
import uuid
import warnings
import zlib
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from conftest import MAIN_KEY, MAIN_SECRET, TLSServerInfo, make_client, start_server, stop_server
from cryptography import x509

from strongroom.api.request import S3Request


def _client(tls_server: TLSServerInfo):  # type: ignore[no-untyped-def]
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1})
    return boto3.client(
        "s3", endpoint_url=tls_server.https_endpoint, aws_access_key_id=MAIN_KEY, aws_secret_access_key=MAIN_SECRET,
        region_name="us-east-1", config=cfg, verify=str(tls_server.ca_cert),
    )


def _bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"tls-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


def _crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _handshake(port: int, ctx: ssl.SSLContext, server_hostname: str) -> str:
    """Connect, handshake, return the negotiated protocol version."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
        return str(tls.version())


# -- boto3 over HTTPS ---------------------------------------------------------------------------------


def test_boto3_over_https_puts_gets_and_lists(tls_server: TLSServerInfo) -> None:
    s3 = _client(tls_server)
    bucket = _bucket(s3)
    data = os.urandom(100_000)
    s3.put_object(Bucket=bucket, Key="a/one", Body=data)
    s3.put_object(Bucket=bucket, Key="a/two", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="a/one")["Body"].read() == data
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="a/")
    assert [o["Key"] for o in listed["Contents"]] == ["a/one", "a/two"]


def test_boto3_multipart_over_https_round_trips_and_reports_an_https_location(tls_server: TLSServerInfo) -> None:
    s3 = _client(tls_server)
    bucket = _bucket(s3)
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    etags = [
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=n, Body=body)["ETag"]
        for n, body in enumerate(parts, start=1)
    ]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    # The Location is built from the request's scheme: the server knows this request came over TLS.
    assert done["Location"].startswith("https://")
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"".join(parts)


def test_boto3_over_https_sends_an_unsigned_trailer_checksum_that_is_stored(tls_server: TLSServerInfo) -> None:
    s3 = _client(tls_server)
    bucket = _bucket(s3)
    sent: dict[str, str] = {}

    def capture(request, **_: object) -> None:  # type: ignore[no-untyped-def]
        sent.update({k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})

    s3.meta.events.register("before-send.s3.PutObject", capture)
    data = os.urandom(300_000)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"tls-upload-{uuid.uuid4().hex}"
    path.write_bytes(data)
    try:
        with path.open("rb") as body:
            s3.put_object(Bucket=bucket, Key="trailer", Body=body)
    finally:
        path.unlink()
    # What boto3 does by default over HTTPS (flexible checksums): aws-chunked with a CRC trailer.
    assert sent["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert "aws-chunked" in sent["content-encoding"]
    assert sent["x-amz-trailer"] == "x-amz-checksum-crc32"
    head = s3.head_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == _crc32_b64(data)
    assert head["ContentLength"] == len(data)
    assert s3.get_object(Bucket=bucket, Key="trailer")["Body"].read() == data


# -- HTTP beside HTTPS, protocol versions ----------------------------------------------------------------


def test_one_server_answers_plain_http_and_https_side_by_side(tls_server: TLSServerInfo) -> None:
    secure = _client(tls_server)
    plain = make_client(tls_server.server.endpoint)
    bucket = _bucket(secure)
    secure.put_object(Bucket=bucket, Key="k", Body=b"over tls")
    # Same process, same data: what HTTPS wrote, HTTP reads.
    assert plain.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"  # type: ignore[attr-defined]
    assert tls_server.server.endpoint.startswith("http://") and tls_server.https_endpoint.startswith("https://")


def test_tls_1_1_and_lower_are_refused(tls_server: TLSServerInfo) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tls_server.ca_cert)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old protocols at all
    with warnings.catch_warnings(action="ignore", category=DeprecationWarning):  # deprecated: that is the point
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        _handshake(tls_server.tls_port, ctx, "localhost")
    # Control: the same client, allowed TLS 1.2, gets in (so the refusal above is the version).
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    assert _handshake(tls_server.tls_port, ctx, "localhost") == "TLSv1.2"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_are_accepted(tls_server: TLSServerInfo, version: ssl.TLSVersion) -> None:
    ctx = ssl.create_default_context(cafile=str(tls_server.ca_cert))
    ctx.minimum_version = ctx.maximum_version = version
    assert _handshake(tls_server.tls_port, ctx, "localhost") == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]


def test_plain_http_on_the_tls_port_gets_no_s3_answer(tls_server: TLSServerInfo) -> None:
    with socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=5) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        reply = raw.recv(4096)
    assert b"x-amz-request-id" not in reply.lower()


# -- strongroom dev-cert -----------------------------------------------------------------------------


def _dev_cert(directory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom.cli", "dev-cert", str(directory), *extra], capture_output=True, text=True, timeout=60)


def test_dev_cert_writes_keys_0600_and_prints_how_to_use_them(tmp_path: Path) -> None:
    r = _dev_cert(tmp_path / "certs")
    assert r.returncode == 0, r.stderr
    for name in ("ca.key", "server.key"):
        assert stat.S_IMODE((tmp_path / "certs" / name).stat().st_mode) == 0o600
    assert "--tls-cert" in r.stdout and "--tls-key" in r.stdout
    assert "AWS_CA_BUNDLE" in r.stdout and "verify=" in r.stdout
    assert "PRIVATE KEY" not in r.stdout


def test_dev_cert_is_a_ca_signed_localhost_certificate(tmp_path: Path) -> None:
    assert _dev_cert(tmp_path).returncode == 0
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    leaf = x509.load_pem_x509_certificate((tmp_path / "server.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(a) for a in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    leaf.verify_directly_issued_by(ca)
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert 360 <= lifetime.days <= 370


def test_dev_cert_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert _dev_cert(tmp_path).returncode == 0
    before = (tmp_path / "ca.pem").read_bytes()
    refused = _dev_cert(tmp_path)
    assert refused.returncode != 0 and "--force" in refused.stderr
    assert (tmp_path / "ca.pem").read_bytes() == before
    assert _dev_cert(tmp_path, "--force").returncode == 0
    assert (tmp_path / "ca.pem").read_bytes() != before


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_dev_cert_verifies_for_localhost_and_127_0_0_1(tls_server: TLSServerInfo, server_hostname: str) -> None:
    ctx = ssl.create_default_context(cafile=str(tls_server.ca_cert))
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    assert _handshake(tls_server.tls_port, ctx, server_hostname).startswith("TLSv1.")


def test_dev_cert_does_not_verify_for_another_name(tls_server: TLSServerInfo) -> None:
    ctx = ssl.create_default_context(cafile=str(tls_server.ca_cert))
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(tls_server.tls_port, ctx, "example.com")


# -- start-up validation -------------------------------------------------------------------------------


def _server_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(tmp_path / "data"), "server", "--port", "0", *args],
        capture_output=True, text=True, timeout=60,
    )


def test_server_refuses_a_key_that_does_not_match_the_certificate(tmp_path: Path) -> None:
    assert _dev_cert(tmp_path / "c").returncode == 0
    r = _server_cli(tmp_path, "--tls-cert", str(tmp_path / "c" / "ca.pem"), "--tls-key", str(tmp_path / "c" / "server.key"))
    assert r.returncode != 0
    assert "cannot use TLS certificate" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "data").exists()


def test_server_refuses_a_missing_certificate_file(tmp_path: Path) -> None:
    r = _server_cli(tmp_path, "--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(tmp_path / "nope.key"))
    assert r.returncode != 0
    assert "does not exist" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tls-cert", "x.pem"), "tls_cert and tls_key must be set together"),
        (("--tls-port", "9443"), "tls_port needs tls_cert and tls_key"),
        (("--tls-cert", "x.pem", "--tls-key", "x.key", "--tls-port", "9443", "--workers", "2"), "workers = 1"),
    ],
)
def test_server_refuses_incomplete_tls_settings(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    r = _server_cli(tmp_path, *args)
    assert r.returncode != 0
    assert message in r.stderr and "Traceback" not in r.stderr


def test_a_busy_tls_port_is_a_clean_start_up_failure(tmp_path: Path) -> None:
    assert _dev_cert(tmp_path / "c").returncode == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = _server_cli(
            tmp_path, "--tls-port", str(busy.getsockname()[1]),
            "--tls-cert", str(tmp_path / "c" / "server.pem"), "--tls-key", str(tmp_path / "c" / "server.key"),
        )
    assert r.returncode != 0
    assert "Address already in use" in r.stderr and "Traceback" not in r.stderr


def test_tls_cert_without_tls_port_serves_https_only_on_the_port(tmp_path: Path) -> None:
    assert _dev_cert(tmp_path / "c").returncode == 0
    info = start_server(tmp_path / "data", {"STRONGROOM_TLS_CERT": str(tmp_path / "c" / "server.pem"), "STRONGROOM_TLS_KEY": str(tmp_path / "c" / "server.key")})
    try:
        ctx = ssl.create_default_context(cafile=str(tmp_path / "c" / "ca.pem"))
        assert _handshake(info.port, ctx, "127.0.0.1").startswith("TLSv1.")
    finally:
        stop_server(info)


# -- S3Request.secure ----------------------------------------------------------------------------------


async def _no_body() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


@pytest.mark.parametrize(("scheme", "secure"), [("https", True), ("http", False), (None, False)])
def test_request_is_secure_only_when_the_scope_scheme_is_https(scheme: str | None, secure: bool) -> None:
    scope: dict[str, object] = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"", "headers": []}
    if scheme is not None:
        scope["scheme"] = scheme
    req = S3Request.from_scope(scope, _no_body, "REQ")
    assert req.secure is secure


def test_a_forwarded_proto_header_does_not_make_plain_http_secure(tls_server: TLSServerInfo) -> None:
    # Black-box: the multipart Location follows the scope's scheme, which must come from the connection.
    plain = make_client(tls_server.server.endpoint)

    def spoof(request, **_: object) -> None:  # type: ignore[no-untyped-def]
        request.headers["X-Forwarded-Proto"] = "https"

    plain.meta.events.register("before-sign.s3.*", spoof)  # type: ignore[attr-defined]
    bucket = f"tls-{uuid.uuid4().hex[:20]}"
    plain.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    upload = plain.create_multipart_upload(Bucket=bucket, Key="k")  # type: ignore[attr-defined]
    etag = plain.upload_part(Bucket=bucket, Key="k", UploadId=upload["UploadId"], PartNumber=1, Body=b"x")["ETag"]  # type: ignore[attr-defined]
    done = plain.complete_multipart_upload(  # type: ignore[attr-defined]
        Bucket=bucket, Key="k", UploadId=upload["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert done["Location"].startswith("http://")
