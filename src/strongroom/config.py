"""One typed settings object: defaults, then a TOML/YAML file, then STRONGROOM_* environment variables.

Validated once at start-up (construction), never on the first request.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = ["Settings", "load_settings"]

DEFAULT_PORT = 9000
DEFAULT_DATA_DIR = "./strongroom-data"


class Settings(BaseSettings):
    """Every knob of a Strongroom process; env var names are STRONGROOM_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="STRONGROOM_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    # The root key file lives beside the data by default; operators may keep it elsewhere.
    root_key_file: Path | None = None
    database_url: str | None = None
    region: str = "us-east-1"
    # Base domain for virtual-host style requests: <bucket>.<domain>.
    domain: str = "localhost"
    root_access_key: str | None = None
    root_secret_key: str | None = None
    root_account_name: str = "main"
    segment_bytes: int = Field(1 << 20, ge=4096, le=64 << 20)
    # Objects whose sealed form is at most this many bytes live in their metadata row (still sealed):
    # one group-committed fsync instead of a blob file, its fsync and its directory's. 0 turns it off.
    inline_max_bytes: int = Field(16 * 1024, ge=0, le=256 * 1024)
    # Unreferenced blobs younger than this are left alone by the sweeper (they may be mid-upload).
    orphan_grace_seconds: int = Field(3600, ge=0)
    sweep_interval_seconds: int = Field(600, ge=1)
    # Legacy AWS Signature Version 2 (header, query and POST-policy signatures). Off by default:
    # HMAC-SHA1 over a weaker canonical form; the conformance profile turns it on.
    allow_sigv2: bool = False
    # SSE-C (customer-provided keys) over plain HTTP: AWS refuses it (400 InvalidRequest), as the key
    # would cross the network in the clear. Only for test rigs without TLS.
    allow_ssec_over_http: bool = False
    # SSE-C writes. AWS blocks SSE-C on new buckets by default since April 2026 (BlockedEncryptionTypes,
    # 403 AccessDenied); reads of existing SSE-C objects keep working. A bucket whose owner never set
    # BlockedEncryptionTypes (PutBucketEncryption) gets this default: SSE-C blocked unless True.
    allow_ssec_on_new_buckets: bool = False
    # Make each bucket's default encryption mandatory: a write explicitly asking for a weaker mode than
    # the bucket's (SSE-S3 or SSE-C where the bucket says SSE-KMS; another KMS key than the bucket's;
    # anything but DSSE-KMS where the bucket says DSSE-KMS) is refused with 403 AccessDenied.
    enforce_bucket_encryption: bool = False
    # S3 Bucket Keys (kms/bucket_keys.py): how long one bucket key wraps new objects' data keys (AWS's are
    # time-limited too), and at most how many per process, before the next write makes a new one.
    bucket_key_ttl_seconds: float = Field(300.0, gt=0, le=7 * 24 * 3600)
    bucket_key_max_uses: int = Field(1_000_000, ge=1)
    # In-memory caches of unwrapped keys (kms/cache.py): SSE-KMS data keys for reads, and bucket keys
    # (those for at most bucket_key_ttl_seconds at a time). A zero turns the data-key cache off. Never
    # holds a generated data key for a second object (invariant 2).
    key_cache_ttl_seconds: float = Field(300.0, ge=0, le=24 * 3600)
    key_cache_max_uses: int = Field(10_000, ge=0)
    key_cache_max_entries: int = Field(10_000, ge=0)
    # Test-only: GET /_strongroom/counters answers this process's counters (observe/counters.py) as
    # JSON, unauthenticated. Off by default; the Prometheus endpoint is the operator's view.
    expose_counters_json: bool = False
    # What a new bucket starts with (AWS's defaults since April 2023): all four Block Public Access flags
    # on, and Object Ownership BucketOwnerEnforced (ACLs disabled). CreateBucket's x-amz-object-ownership
    # overrides the latter per bucket. The conformance profile turns both off, as older AWS buckets were.
    new_bucket_block_public_access: bool = True
    new_bucket_object_ownership: Literal["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] = "BucketOwnerEnforced"
    # The self-hosted meaning of a VPC endpoint: client networks (CIDR) -> the endpoint id (vpce-...) or
    # VPC id (vpc-...) that policies' aws:SourceVpce / aws:SourceVpc conditions see for requests from them.
    vpc_endpoint_networks: dict[str, str] = Field(default_factory=dict)
    vpc_networks: dict[str, str] = Field(default_factory=dict)
    # Test-only: accept an admin request that moves the server's clock.
    allow_clock_override: bool = False
    log_level: str = "info"
    # HTTPS (PEM files; the key unencrypted). With tls_port, HTTP on `port` and HTTPS on `tls_port` are
    # served side by side by one process; without it, `port` itself serves HTTPS only.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_port: int | None = Field(None, ge=0, le=65535)
    # The KMS audit trail (JSON lines, append-only; observe/audit.py). Default <data_dir>/audit/kms-events.jsonl.
    audit_log_file: Path | None = None
    # Who may scrape GET /_strongroom/metrics (unauthenticated; counts only, no secrets): client networks
    # in CIDR form. Loopback by default; [] turns the endpoint off, ["0.0.0.0/0", "::/0"] opens it to all.
    metrics_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    # Proxies (CIDRs) whose X-Forwarded-For / X-Forwarded-Proto name the client (api/forwarded.py).
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"critical", "error", "warning", "info", "debug", "trace"}:
            raise ValueError(f"unknown log level {value!r}")
        return value.lower()

    @field_validator("vpc_endpoint_networks", "vpc_networks")
    @classmethod
    def _networks(cls, value: dict[str, str]) -> dict[str, str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad block at start-up
        return value

    @field_validator("metrics_networks", "trusted_proxies")
    @classmethod
    def _metrics_networks(cls, value: list[str]) -> list[str]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"not a network in CIDR form: {net!r}") from None
        return value

    @model_validator(mode="after")
    def _tls_complete(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key must be set together")
        if self.tls_port is not None and self.tls_cert is None:
            raise ValueError("tls_port needs tls_cert and tls_key")
        if self.tls_port is not None and self.tls_port != 0 and self.tls_port == self.port:
            raise ValueError(f"tls_port {self.tls_port} is the HTTP port too; leave tls_port unset to serve only HTTPS on it")
        if self.tls_port is not None and self.workers > 1:
            raise ValueError("HTTP and HTTPS side by side (tls_port) run in one process; use workers = 1, or leave tls_port unset to serve only HTTPS with several workers")
        return self

    @property
    def tls_enabled(self) -> bool:
        """Is HTTPS configured (cert and key)?"""
        return self.tls_cert is not None

    @property
    def root_key_path(self) -> Path:
        """Where the server's root key is kept (mode 0600)."""
        return self.root_key_file or self.data_dir / "root.key"

    @property
    def audit_log_path(self) -> Path:
        """Where KMS audit events are appended."""
        return self.audit_log_file or self.data_dir / "audit" / "kms-events.jsonl"

    @property
    def metadata_url(self) -> str:
        """SQLAlchemy URL of the metadata store; SQLite inside the data dir unless configured."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'meta.db').resolve()}"


def _read_file(path: Path) -> dict[str, Any]:
    text = path.read_text()
    if path.suffix in {".yaml", ".yml"}:
        import yaml  # optional: only needed for YAML configs

        data = yaml.safe_load(text) or {}
    else:
        data = tomllib.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a table of settings")
    section = data.get("strongroom", data)
    if not isinstance(section, dict):
        raise ValueError(f"{path}: [strongroom] must be a table")
    return section


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings with precedence: explicit (CLI) values > STRONGROOM_* env vars > file > defaults."""
    file_values = _read_file(config_file) if config_file else {}
    explicit = {k: v for k, v in overrides.items() if v is not None}

    class _Configured(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=file_values))

    return _Configured(**explicit)
