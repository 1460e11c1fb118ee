"""The metadata schema (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Object keys are compared byte-wise (UTF-8 binary order, as S3 lists them): SQLite's default BINARY
collation does that; on PostgreSQL the key columns use the "C" collation.
Schema changes are numbered migrations (meta/engine.py, ``_MIGRATIONS``); this file is the latest shape.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "metadata",
    "accounts",
    "users",
    "access_keys",
    "service_keys",
    "buckets",
    "bucket_configs",
    "account_configs",
    "access_points",
    "objects",
    "uploads",
    "parts",
    "blobs",
    "kms_keys",
    "kms_aliases",
    "kms_tags",
    "kms_key_materials",
    "bucket_keys",
    "KMS_TABLES",
    "IAM_TABLES",
    "iam_tags",
    "iam_groups",
    "iam_group_members",
    "iam_inline_policies",
    "iam_policies",
    "iam_policy_versions",
    "iam_attachments",
    "iam_roles",
    "schema_version",
]

metadata = MetaData()

_KEY = String(1024).with_variant(String(1024, collation="C"), "postgresql")
_NAME = String(255).with_variant(String(255, collation="C"), "postgresql")

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("canonical_id", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("created", Float, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("user_name", String(64), primary_key=True),
    Column("user_id", String(32), nullable=False, unique=True),
    Column("created", Float, nullable=False),
    # Schema version 6 (IAM): the user's path and its permissions boundary (a managed policy ARN).
    Column("path", String(512), nullable=False, default="/", server_default="/"),
    Column("boundary_arn", String(2048), nullable=True),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    # None means the account's root principal.
    Column("user_name", String(64), nullable=True),
    # The secret, sealed by the root key (SigV4 needs it back to compute HMACs).
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False, default="Active"),
    Column("created", Float, nullable=False),
    # Schema version 6: when, through which service and region the key last signed a request
    # (recorded at most once a minute per key and process).
    Column("last_used", Float, nullable=True),
    Column("last_used_service", String(32), nullable=True),
    Column("last_used_region", String(32), nullable=True),
)

service_keys = Table(
    "service_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("purpose", String(32), nullable=False),
    Column("key_sealed", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False, default="Enabled"),
    Column("created", Float, nullable=False),
)

buckets = Table(
    "buckets",
    metadata,
    Column("name", _NAME, primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("region", String(32), nullable=False),
    Column("created", Float, nullable=False),
    Column("versioning", String(16), nullable=True),
    Column("object_lock", Boolean, nullable=False, default=False),
)

bucket_configs = Table(
    "bucket_configs",
    metadata,
    Column("bucket", _NAME, primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("document", Text, nullable=False),
)

# Account-wide settings (account-level Block Public Access), one JSON document per kind.
account_configs = Table(
    "account_configs",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("document", Text, nullable=False),
)

# S3 access points: a named, policy-carrying way into one bucket, reached by its alias.
access_points = Table(
    "access_points",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("bucket", _NAME, nullable=False, index=True),
    Column("alias", String(63), nullable=False, unique=True),
    Column("vpc_id", String(64), nullable=True),  # None: the Internet network origin
    Column("public_access_block", Text, nullable=False),
    Column("policy", Text, nullable=True),
    Column("created", Float, nullable=False),
)

objects = Table(
    "objects",
    metadata,
    Column("row_id", Integer().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=True),
    Column("bucket", _NAME, nullable=False),
    Column("key", _KEY, nullable=False),
    Column("version_id", String(64), nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("is_delete_marker", Boolean, nullable=False, default=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", Float, nullable=False),
    Column("owner_account", String(12), nullable=False),
    # JSON: content headers, user metadata, tags, SSE description, checksum.
    Column("headers", Text, nullable=False),
    Column("tags", Text, nullable=True),
    # JSON list of extents: each a sealed blob holding a contiguous run of the object's bytes.
    Column("extents", Text, nullable=False),
    Index("objects_version", "bucket", "key", "version_id", unique=True),
    Index("objects_listing", "bucket", "is_latest", "key"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("bucket", _NAME, nullable=False),
    Column("key", _KEY, nullable=False),
    Column("initiated", Float, nullable=False),
    Column("owner_account", String(12), nullable=False),
    Column("initiator_arn", String(255), nullable=False),
    Column("headers", Text, nullable=False),
    Column("tags", Text, nullable=True),
    # Set by CompleteMultipartUpload: the row stays (its parts are gone) so a retried Complete can be
    # answered with the same result; the sweeper drops it a day later. NULL while in progress.
    Column("completed", Float, nullable=True),
    Column("completed_etag", String(80), nullable=True),
    Index("uploads_listing", "bucket", "key", "initiated"),
)

parts = Table(
    "parts",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("part_number", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", Float, nullable=False),
    # JSON: one extent (see objects.extents) plus the part's checksum.
    Column("extent", Text, nullable=False),
)

# Every blob the metadata knows: live (referenced by an object or part) or garbage (to delete).
# A blob file with no row here, older than the grace period, is an orphan of an unfinished write.
blobs = Table(
    "blobs",
    metadata,
    Column("blob_id", String(64), primary_key=True),
    Column("live", Boolean, nullable=False),
    Column("since", Float, nullable=False),
    Index("blobs_garbage", "live", "since"),
)

# The built-in KMS (schema version 2). Key material is stored only sealed by the root key
# (crypto.envelope.seal_bytes, bound to the key id), never in the clear (invariant 1).
kms_keys = Table(
    "kms_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("arn", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    # Enabled, Disabled or PendingDeletion (kms.builtin.KeyState).
    Column("state", String(24), nullable=False),
    Column("created", Float, nullable=False),
    # Generation 0's material; later generations (rotation) live in kms_key_materials.
    Column("key_material", LargeBinary, nullable=False),
    # Schema version 3: rotation, deletion window and key policy.
    Column("current_generation", Integer, nullable=False, default=0, server_default="0"),
    Column("rotation_period_days", Integer, nullable=True),  # None: automatic rotation off
    Column("next_rotation", Float, nullable=True),
    Column("deletion_date", Float, nullable=True),  # set while PendingDeletion
    Column("policy", Text, nullable=True),  # the key policy JSON; None: the default key policy
)

# Key material of generations >= 1 (rotations), sealed by the root key like generation 0. Older
# generations stay so that ciphertexts naming them still decrypt (schema version 3).
kms_key_materials = Table(
    "kms_key_materials",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("material", LargeBinary, nullable=False),
    Column("created", Float, nullable=False),
    Column("rotation_type", String(16), nullable=False),  # AUTOMATIC or ON_DEMAND
)

# S3 Bucket Keys (schema version 3): a per-bucket, time-limited intermediate key, stored only as a
# KMS ciphertext under the bucket's KMS key (context: the bucket ARN).
bucket_keys = Table(
    "bucket_keys",
    metadata,
    Column("bucket_key_id", String(36), primary_key=True),
    Column("bucket", _NAME, nullable=False),
    Column("kms_key_arn", String(255), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Index("bucket_keys_current", "bucket", "kms_key_arn", "expires"),
)

kms_aliases = Table(
    "kms_aliases",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("alias_name", String(256), primary_key=True),
    Column("key_id", String(36), nullable=False, index=True),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

kms_tags = Table(
    "kms_tags",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

# The tables migration 1 -> 2 creates.
KMS_TABLES = (kms_keys, kms_aliases, kms_tags)

# IAM (schema version 6). Names are unique per account whatever their case (as IAM compares them);
# the name columns keep the case they were created with.
iam_groups = Table(
    "iam_groups",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("group_name", String(128), primary_key=True),
    Column("group_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("created", Float, nullable=False),
)

iam_group_members = Table(
    "iam_group_members",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("group_name", String(128), primary_key=True),
    Column("user_name", String(64), primary_key=True),
    Index("iam_group_members_user", "account_id", "user_name"),
)

# Inline policies of users, groups and roles: principal_kind is "user", "group" or "role".
iam_inline_policies = Table(
    "iam_inline_policies",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("principal_kind", String(8), primary_key=True),
    Column("principal_name", String(128), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# Customer managed policies; their documents live in iam_policy_versions ("v1", "v2", ...).
iam_policies = Table(
    "iam_policies",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("policy_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("default_version", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

iam_policy_versions = Table(
    "iam_policy_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created", Float, nullable=False),
)

# Managed policies attached to users, groups and roles (by ARN, as IAM names them).
iam_attachments = Table(
    "iam_attachments",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("principal_kind", String(8), primary_key=True),
    Column("principal_name", String(128), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Index("iam_attachments_policy", "account_id", "policy_arn"),
)

# Roles: the trust policy and maximum session duration are what STS (AssumeRole) will read.
iam_roles = Table(
    "iam_roles",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("role_name", String(64), primary_key=True),
    Column("role_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("trust_policy", Text, nullable=False),
    Column("max_session_seconds", Integer, nullable=False),
    Column("boundary_arn", String(2048), nullable=True),
    Column("created", Float, nullable=False),
)

# The tables migration 5 -> 6 creates.
IAM_TABLES = (iam_groups, iam_group_members, iam_inline_policies, iam_policies, iam_policy_versions, iam_attachments, iam_roles)

# Tags of users and roles (schema version 7): aws:PrincipalTag/<key> of their requests (and, for a role,
# of its sessions). principal_kind is "user" or "role".
iam_tags = Table(
    "iam_tags",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("principal_kind", String(8), primary_key=True),
    Column("principal_name", String(128), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)
