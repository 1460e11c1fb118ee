"""The built-in KMS: symmetric AES-256 KMS keys, aliases and tags per account, and their cryptography.

Pure domain: no HTTP, no JSON. Key material is stored only sealed by the server's root key (bound to
the key id); ciphertexts are crypto.kmsblob blobs naming their key, with the caller's encryption
context bound as associated data. Every method that changes a key or uses its material takes the
Grant authorisation issued for that key, and keys are looked up in the caller's account only: a
principal sees and uses only its own account's keys.
TODO(#3): key policies and grants (cross-account use of a key ARN), key rotation, deletion windows.

Also a kms.provider.KeyProvider (wrapped keys are KMS ciphertext blobs), so SSE-KMS can use it;
that path trusts its caller to have authorised the key use. Methods block: call them off the loop.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Row, delete, select, update
from sqlalchemy.exc import IntegrityError as DuplicateRow

from .. import clock
from ..crypto import kmsblob
from ..crypto.envelope import encode_context, open_bytes, seal_bytes
from ..crypto.errors import IntegrityError
from ..crypto.keys import KEY_BYTES, DataKey
from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from .provider import KeyDescription, KeyUnavailable, WrappedKey

__all__ = ["BUILTIN_PROVIDER", "BuiltinKms", "KeyState", "KmsAlias", "KmsError", "KmsKey", "MAX_TAGS_PER_KEY"]

BUILTIN_PROVIDER = "kms"
MAX_TAGS_PER_KEY = 50
_GENERATION = 0  # one material per key until rotation lands (TODO(#3))
_ALIAS_PREFIX = "alias/"
_RESERVED_ALIAS_PREFIX = "alias/aws/"
_ALIAS_PATTERN = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}")
_KEY_ID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ARN_PATTERN = re.compile(r"arn:aws:kms:([a-z0-9-]+):([0-9]{12}):(key/.+|alias/.+)")


class KmsError(Exception):
    """A client-visible KMS failure: ``code`` is the KMS error name (NotFoundException, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class KeyState(StrEnum):
    """KMS key states, valued as AWS spells them."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"


@dataclass(frozen=True, slots=True)
class KmsKey:
    """One KMS key's metadata (never its material)."""

    key_id: str
    account_id: str
    arn: str
    description: str
    state: KeyState
    created: float


@dataclass(frozen=True, slots=True)
class KmsAlias:
    """An alias: a friendly name for one key of the same account."""

    alias_name: str
    alias_arn: str
    key_id: str
    created: float
    updated: float


def _key(row: Row[tuple[object, ...]]) -> KmsKey:
    return KmsKey(row.key_id, row.account_id, row.arn, row.description, KeyState(row.state), row.created)


def _material_context(key_id: str) -> bytes:
    return encode_context({"purpose": "kms-key", "key_id": key_id})


def _not_found(ref: str) -> KmsError:
    return KmsError("NotFoundException", f"Key '{ref}' does not exist")


class BuiltinKms:
    """KMS keys of every account, in the metadata store."""

    name = BUILTIN_PROVIDER

    def __init__(self, root_key: DataKey, meta: MetaStore, region: str) -> None:
        self._root = root_key
        self._meta = meta
        self.region = region

    # -- lookups (read-only; authorisation needs the key first) ------------------------------------

    def key_arn(self, account_id: str, key_id: str) -> str:
        """The ARN a key of this account and region has."""
        return f"arn:aws:kms:{self.region}:{account_id}:key/{key_id}"

    def alias_arn(self, account_id: str, alias_name: str) -> str:
        """The ARN of an alias of this account."""
        return f"arn:aws:kms:{self.region}:{account_id}:{alias_name}"

    def _get(self, key_id: str) -> KmsKey | None:
        row = self._meta.read_sync(lambda c: c.execute(select(schema.kms_keys).where(schema.kms_keys.c.key_id == key_id)).first())
        return _key(row) if row is not None else None

    def resolve(self, account_id: str, ref: str) -> KmsKey:
        """The key a KeyId names (key id, key ARN, alias name, alias ARN) for a caller of ``account_id``.

        Bare ids and alias names are looked up in the caller's account (AWS's rule), so another
        account's key is NotFoundException; another account's key ARN is AccessDeniedException.
        """
        arn = _ARN_PATTERN.fullmatch(ref)
        if arn is not None:
            region, owner, resource = arn.groups()
            if owner != account_id:
                raise KmsError("AccessDeniedException", f"The caller is not authorized to use {ref}")  # TODO(#3): key policies
            if region != self.region:
                raise _not_found(ref)
            ref = resource.removeprefix("key/")
        if ref.startswith(_ALIAS_PREFIX):
            alias = self._alias(account_id, ref)
            if alias is None:
                raise KmsError("NotFoundException", f"Alias {self.alias_arn(account_id, ref)} is not found.")
            ref = alias.key_id
        if not _KEY_ID_PATTERN.fullmatch(ref):
            raise KmsError("NotFoundException", f"Invalid keyId {ref}")
        key = self._get(ref)
        if key is None or key.account_id != account_id:
            raise _not_found(self.key_arn(account_id, ref))
        return key

    def key_of_ciphertext(self, account_id: str, blob: bytes) -> KmsKey:
        """The key a ciphertext blob names; InvalidCiphertextException unless it is one of ours."""
        try:
            header = kmsblob.read_header(blob)
        except IntegrityError:
            raise KmsError("InvalidCiphertextException", "The ciphertext is not valid.") from None
        key = self._get(header.key_id)
        if key is None:
            raise KmsError("InvalidCiphertextException", "The ciphertext refers to a KMS key that does not exist.")
        if key.account_id != account_id:
            raise KmsError("AccessDeniedException", f"The caller is not authorized to use {key.arn}")  # TODO(#3)
        return key

    # -- keys ---------------------------------------------------------------------------------------

    def create_key(self, grant: Grant, description: str, tags: Mapping[str, str]) -> KmsKey:
        """A new Enabled key with fresh random material, sealed by the root key."""
        _check_tags(tags)
        key_id = str(uuid.uuid4())
        key = KmsKey(key_id, grant.account_id, self.key_arn(grant.account_id, key_id), description, KeyState.ENABLED, clock.now_seconds())
        sealed = seal_bytes(self._root, DataKey.generate().reveal_secret_bytes(), _material_context(key_id))

        def insert(conn: Connection) -> None:
            conn.execute(
                schema.kms_keys.insert().values(
                    key_id=key.key_id, account_id=key.account_id, arn=key.arn, description=description,
                    state=key.state.value, created=key.created, key_material=sealed,
                )
            )
            for tag_key, tag_value in tags.items():
                conn.execute(schema.kms_tags.insert().values(key_id=key_id, tag_key=tag_key, tag_value=tag_value))

        self._meta.write_sync(insert)
        return key

    def aws_managed_key(self, account_id: str, alias_name: str) -> KmsKey:
        """The account's AWS managed key named ``alias_name`` (alias/aws/s3), created on first use.

        Key and alias are made in one transaction; a concurrent first use loses the alias insert
        and uses the winner's key.
        """
        alias = self._alias(account_id, alias_name)
        if alias is None:
            key_id = str(uuid.uuid4())
            now = clock.now_seconds()
            sealed = seal_bytes(self._root, DataKey.generate().reveal_secret_bytes(), _material_context(key_id))
            description = f"Default key that protects my {alias_name.rsplit('/', 1)[-1].upper()} objects when no other key is defined"

            def insert(conn: Connection) -> None:
                conn.execute(
                    schema.kms_keys.insert().values(
                        key_id=key_id, account_id=account_id, arn=self.key_arn(account_id, key_id), description=description,
                        state=KeyState.ENABLED.value, created=now, key_material=sealed,
                    )
                )
                conn.execute(
                    schema.kms_aliases.insert().values(account_id=account_id, alias_name=alias_name, key_id=key_id, created=now, updated=now)
                )

            try:
                self._meta.write_sync(insert)
            except DuplicateRow:
                pass  # another request made it first
        return self.resolve(account_id, alias_name)

    def list_keys(self, account_id: str, limit: int, marker: str | None) -> tuple[list[KmsKey], str | None]:
        """One page of the account's keys in key-id order, and the marker of the next page."""
        t = schema.kms_keys
        query = select(t).where(t.c.account_id == account_id).order_by(t.c.key_id).limit(limit + 1)
        if marker is not None:
            query = query.where(t.c.key_id > marker)
        keys = [_key(r) for r in self._meta.read_sync(lambda c: c.execute(query).all())]
        return keys[:limit], (keys[limit - 1].key_id if len(keys) > limit else None)

    def set_state(self, grant: Grant, key: KmsKey, state: KeyState) -> None:
        """EnableKey / DisableKey; a key pending deletion must first be cancelled."""
        _owned(grant, key)
        if key.state is KeyState.PENDING_DELETION:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")
        t = schema.kms_keys
        self._meta.write_sync(lambda c: c.execute(update(t).where(t.c.key_id == key.key_id).values(state=state.value)))

    def _material(self, key: KmsKey) -> DataKey:
        row = self._meta.read_sync(
            lambda c: c.execute(select(schema.kms_keys.c.key_material).where(schema.kms_keys.c.key_id == key.key_id)).first()
        )
        if row is None:
            raise KeyUnavailable(key.key_id)
        return DataKey.from_bytes(open_bytes(self._root, row.key_material, _material_context(key.key_id)))

    # -- cryptography ---------------------------------------------------------------------------------

    def encrypt(self, grant: Grant, key: KmsKey, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        """A ciphertext blob of ``plaintext`` under ``key``, bound to the encryption context."""
        _owned(grant, key)
        _usable(key)
        return kmsblob.seal_ciphertext(self._material(key), key.key_id, _GENERATION, plaintext, encode_context(context))

    def decrypt(self, grant: Grant, key: KmsKey, blob: bytes, context: Mapping[str, str]) -> bytes:
        """The plaintext of a blob ``key`` sealed; InvalidCiphertextException for any mismatch."""
        _owned(grant, key)
        _usable(key)
        material = self._material(key)  # a wrong root key is the server's failure, not the caller's
        try:
            return kmsblob.open_ciphertext(material, blob, encode_context(context))
        except IntegrityError:
            raise KmsError("InvalidCiphertextException", "The ciphertext or its encryption context is not valid.") from None

    def generate_data_key_bytes(self, grant: Grant, key: KmsKey, size: int, context: Mapping[str, str]) -> tuple[bytes, bytes]:
        """(plaintext data key of ``size`` bytes, its ciphertext blob under ``key``)."""
        plaintext = secrets.token_bytes(size)
        return plaintext, self.encrypt(grant, key, plaintext, context)

    @staticmethod
    def generate_random(size: int) -> bytes:
        """``size`` bytes from the operating system's CSPRNG."""
        return secrets.token_bytes(size)

    # -- aliases --------------------------------------------------------------------------------------

    def _alias(self, account_id: str, alias_name: str) -> KmsAlias | None:
        t = schema.kms_aliases
        row = self._meta.read_sync(
            lambda c: c.execute(select(t).where(t.c.account_id == account_id, t.c.alias_name == alias_name)).first()
        )
        if row is None:
            return None
        return KmsAlias(row.alias_name, self.alias_arn(account_id, row.alias_name), row.key_id, row.created, row.updated)

    def create_alias(self, grant: Grant, alias_name: str, key: KmsKey) -> None:
        """Name ``key`` ``alias_name``; AlreadyExistsException if the account already uses the name."""
        _owned(grant, key)
        _check_alias_name(alias_name)
        if key.state is KeyState.PENDING_DELETION:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")
        now = clock.now_seconds()
        row = {"account_id": key.account_id, "alias_name": alias_name, "key_id": key.key_id, "created": now, "updated": now}
        try:
            self._meta.write_sync(lambda c: c.execute(schema.kms_aliases.insert().values(**row)))
        except DuplicateRow:
            raise KmsError("AlreadyExistsException", f"An alias with the name {self.alias_arn(key.account_id, alias_name)} already exists") from None

    def update_alias(self, grant: Grant, alias_name: str, key: KmsKey) -> None:
        """Point an existing alias at another key of the same account."""
        _owned(grant, key)
        _check_alias_name(alias_name)
        if key.state is KeyState.PENDING_DELETION:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")
        t = schema.kms_aliases
        changed = self._meta.write_sync(
            lambda c: c.execute(
                update(t).where(t.c.account_id == key.account_id, t.c.alias_name == alias_name)
                .values(key_id=key.key_id, updated=clock.now_seconds())
            ).rowcount
        )
        if not changed:
            raise KmsError("NotFoundException", f"Alias {self.alias_arn(key.account_id, alias_name)} is not found.")

    def delete_alias(self, grant: Grant, alias_name: str) -> None:
        """Remove an alias (the key stays)."""
        t = schema.kms_aliases
        deleted = self._meta.write_sync(
            lambda c: c.execute(delete(t).where(t.c.account_id == grant.account_id, t.c.alias_name == alias_name)).rowcount
        )
        if not deleted:
            raise KmsError("NotFoundException", f"Alias {self.alias_arn(grant.account_id, alias_name)} is not found.")

    def list_aliases(self, account_id: str, key_id: str | None, limit: int, marker: str | None) -> tuple[list[KmsAlias], str | None]:
        """One page of the account's aliases (of one key when ``key_id``), by name."""
        t = schema.kms_aliases
        query = select(t).where(t.c.account_id == account_id).order_by(t.c.alias_name).limit(limit + 1)
        if key_id is not None:
            query = query.where(t.c.key_id == key_id)
        if marker is not None:
            query = query.where(t.c.alias_name > marker)
        rows = self._meta.read_sync(lambda c: c.execute(query).all())
        aliases = [KmsAlias(r.alias_name, self.alias_arn(account_id, r.alias_name), r.key_id, r.created, r.updated) for r in rows]
        return aliases[:limit], (aliases[limit - 1].alias_name if len(aliases) > limit else None)

    # -- tags -----------------------------------------------------------------------------------------

    def tag(self, grant: Grant, key: KmsKey, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags; at most MAX_TAGS_PER_KEY in all."""
        _owned(grant, key)
        _check_tags(tags)
        t = schema.kms_tags

        def upsert(conn: Connection) -> None:
            existing = set(conn.execute(select(t.c.tag_key).where(t.c.key_id == key.key_id)).scalars())
            if len(existing | set(tags)) > MAX_TAGS_PER_KEY:
                raise KmsError("LimitExceededException", f"A KMS key can have at most {MAX_TAGS_PER_KEY} tags.")
            for tag_key, tag_value in tags.items():
                conn.execute(delete(t).where(t.c.key_id == key.key_id, t.c.tag_key == tag_key))
                conn.execute(t.insert().values(key_id=key.key_id, tag_key=tag_key, tag_value=tag_value))

        self._meta.write_sync(upsert)

    def untag(self, grant: Grant, key: KmsKey, tag_keys: Sequence[str]) -> None:
        """Remove tags by key; absent ones are ignored (as AWS does)."""
        _owned(grant, key)
        t = schema.kms_tags
        self._meta.write_sync(lambda c: c.execute(delete(t).where(t.c.key_id == key.key_id, t.c.tag_key.in_(list(tag_keys)))))

    def list_tags(self, key: KmsKey, limit: int, marker: str | None) -> tuple[list[tuple[str, str]], str | None]:
        """One page of a key's tags by tag key."""
        t = schema.kms_tags
        query = select(t.c.tag_key, t.c.tag_value).where(t.c.key_id == key.key_id).order_by(t.c.tag_key).limit(limit + 1)
        if marker is not None:
            query = query.where(t.c.tag_key > marker)
        rows = [(r.tag_key, r.tag_value) for r in self._meta.read_sync(lambda c: c.execute(query).all())]
        return rows[:limit], (rows[limit - 1][0] if len(rows) > limit else None)

    # -- kms.provider.KeyProvider (for SSE-KMS; the caller has authorised the key use) --------------

    def _provider_key(self, key_id: str | None) -> KmsKey:
        ref = (key_id or "").rsplit("key/", 1)[-1]
        key = self._get(ref) if _KEY_ID_PATTERN.fullmatch(ref) else None
        if key is None or key.state is not KeyState.ENABLED:
            raise KeyUnavailable(key_id or "(no default KMS key)")
        return key

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        key = DataKey.generate()
        return key, self.wrap(key_id, key, context)

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        kms_key = self._provider_key(key_id)
        blob = kmsblob.seal_ciphertext(self._material(kms_key), kms_key.key_id, _GENERATION, key.reveal_secret_bytes(), encode_context(context))
        return WrappedKey(BUILTIN_PROVIDER, kms_key.arn, blob)

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        kms_key = self._provider_key(kmsblob.read_header(wrapped.wrapped).key_id)
        plaintext = kmsblob.open_ciphertext(self._material(kms_key), wrapped.wrapped, encode_context(context))
        if len(plaintext) != KEY_BYTES:
            raise IntegrityError()
        return DataKey.from_bytes(plaintext)

    def describe(self, key_id: str | None) -> KeyDescription:
        ref = (key_id or "").rsplit("key/", 1)[-1]
        key = self._get(ref) if _KEY_ID_PATTERN.fullmatch(ref) else None
        if key is None:
            raise KeyUnavailable(key_id or "(no default KMS key)")
        return KeyDescription(BUILTIN_PROVIDER, key.arn, key.state.value)

    def rotate(self, key_id: str | None) -> str:
        raise NotImplementedError("TODO(#3): KMS key rotation (a material per generation)")


def _owned(grant: Grant, key: KmsKey) -> None:
    """Defence in depth: a grant of one account never reaches another account's key."""
    if grant.account_id != key.account_id:
        raise KmsError("AccessDeniedException", f"The caller is not authorized to use {key.arn}")


def _usable(key: KmsKey) -> None:
    if key.state is KeyState.DISABLED:
        raise KmsError("DisabledException", f"{key.arn} is disabled.")
    if key.state is KeyState.PENDING_DELETION:
        raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")


def _check_alias_name(alias_name: str) -> None:
    """AWS's rules: alias/ prefix, 1-256 of [a-zA-Z0-9/_-], alias/aws/ reserved for AWS managed keys."""
    if not alias_name.startswith(_ALIAS_PREFIX):
        raise KmsError("ValidationException", "Invalid identifier: an alias name must begin with alias/")
    if alias_name.startswith(_RESERVED_ALIAS_PREFIX):
        raise KmsError("NotAuthorizedException", "Alias names beginning with alias/aws/ are reserved for AWS managed keys.")
    if not _ALIAS_PATTERN.fullmatch(alias_name):
        raise KmsError(
            "ValidationException",
            f"1 validation error detected: Value '{alias_name}' at 'aliasName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$",
        )


def _check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS_PER_KEY:
        raise KmsError("LimitExceededException", f"A KMS key can have at most {MAX_TAGS_PER_KEY} tags.")
    for tag_key, tag_value in tags.items():
        if not 1 <= len(tag_key) <= 128 or len(tag_value) > 256:
            raise KmsError("TagException", "A tag key is 1-128 characters and a tag value at most 256.")
        if tag_key.startswith("aws:"):
            raise KmsError("TagException", "Tag keys beginning with aws: are reserved.")
