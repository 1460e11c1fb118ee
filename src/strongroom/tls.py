"""HTTPS: the server's TLS context (TLS 1.2 minimum, modern AEAD ciphers) and `strongroom dev-cert`.

The dev-cert files are a local certificate authority (ca.pem, ca.key) and a server certificate for
localhost, 127.0.0.1 and ::1 (server.pem, server.key) signed by it; private keys are written mode 0600
and never printed. They are for development and tests, not for a public endpoint.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TLSConfigError", "DevCert", "server_context", "context_factory", "create_dev_cert", "DEV_CERT_FILES"]

MINIMUM_TLS_VERSION = ssl.TLSVersion.TLSv1_2
# TLS 1.2 suites: forward-secret ECDHE with AEAD only (Mozilla "intermediate", minus DHE).
# TLS 1.3 suites are all AEAD and are not affected by this string.
TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)
DEV_CERT_VALIDITY_DAYS = 365
DEV_CA_VALIDITY_DAYS = 365
# Backdating covers small clock skew between the machine that made the cert and its clients.
_BACKDATE = datetime.timedelta(minutes=5)
DEV_CERT_FILES = ("ca.pem", "ca.key", "server.pem", "server.key")
_DEV_DNS_NAMES = ("localhost",)
_DEV_IP_ADDRESSES = ("127.0.0.1", "::1")


class TLSConfigError(Exception):
    """The configured certificate or key cannot be used; the message says why, for the operator."""


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """A server SSLContext for the cert chain and key; raises TLSConfigError with a readable reason."""
    for label, path in (("certificate", cert_file), ("private key", key_file)):
        if not path.is_file():
            raise TLSConfigError(f"TLS {label} file {str(path)!r} does not exist or is not a file")
        if not os.access(path, os.R_OK):
            raise TLSConfigError(f"TLS {label} file {str(path)!r} is not readable")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = MINIMUM_TLS_VERSION
    ctx.set_ciphers(TLS12_CIPHERS)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    try:
        ctx.load_cert_chain(str(cert_file), str(key_file))
    except ssl.SSLError as exc:
        raise TLSConfigError(
            f"cannot use TLS certificate {str(cert_file)!r} with key {str(key_file)!r}: {exc.reason or exc} "
            "(both must be PEM, the key unencrypted, and the key must match the certificate)"
        ) from None
    except OSError as exc:
        raise TLSConfigError(f"cannot read TLS certificate or key: {exc}") from None
    return ctx


def context_factory(cert_file: str, key_file: str, config: Any, default: Any) -> ssl.SSLContext:
    """uvicorn `ssl_context_factory` (bound with functools.partial so worker processes can pickle it)."""
    return server_context(Path(cert_file), Path(key_file))


@dataclass(frozen=True, slots=True)
class DevCert:
    """Where `create_dev_cert` put its files."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Strongroom development"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write via a temp file created with its final mode (a key is never readable by others, even briefly)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _ca(key: ec.EllipticCurvePrivateKey, now: datetime.datetime) -> x509.Certificate:
    name = _name("Strongroom development CA")
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=DEV_CA_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _leaf(key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, now: datetime.datetime) -> x509.Certificate:
    public = key.public_key()
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in _DEV_DNS_NAMES]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in _DEV_IP_ADDRESSES]
    return (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=DEV_CERT_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def create_dev_cert(directory: Path, *, force: bool = False) -> DevCert:
    """Create a local CA and a localhost server certificate signed by it (ECDSA P-256, ~1 year).

    Refuses (FileExistsError) when any of the files exists, unless force.
    """
    out = DevCert(directory / "ca.pem", directory / "ca.key", directory / "server.pem", directory / "server.key")
    existing = [p for p in (out.ca_cert, out.ca_key, out.server_cert, out.server_key) if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(str(p) for p in existing))
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key, now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf(server_key, ca, ca_key, now)
    # Keys first: a cert on disk without its key would be useless.
    _write(out.ca_key, _key_pem(ca_key), 0o600)
    _write(out.server_key, _key_pem(server_key), 0o600)
    _write(out.ca_cert, ca.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(out.server_cert, leaf.public_bytes(serialization.Encoding.PEM), 0o644)
    return out
