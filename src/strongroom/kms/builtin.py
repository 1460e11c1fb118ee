"""The built-in KMS: symmetric AES-256 KMS keys, aliases and tags per account, and their cryptography.

Pure domain: no HTTP, no JSON. Key material is stored only sealed by the server's root key (bound to
the key id); ciphertexts are crypto.kmsblob blobs naming their key, with the caller's encryption
context bound as associated data. Every method that changes a key or uses its material takes the
Grant authorisation issued for that key, and keys are looked up in the caller's account only: a
principal sees its own account's keys by id and alias; another account's key is reached by its ARN,
and then only as far as its key policy allows (kms/key_policy.py).
Rotation and the deletion window (kms/lifecycle.py holds their rules) are applied lazily whenever a
key is looked up, so what a (moved) clock has made due is done before the key is used.
TODO(#5): grants.

Also a kms.provider.KeyProvider (wrapped keys are KMS ciphertext blobs), so SSE-KMS can use it;
that path evaluates the key policy for the S3 caller (key_policy.S3_CALLER) when it generates a data
key; reads are evaluated before any key, cached or not, is used (service/sse.py check_keys_usable).
Methods block: call them off the loop.
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
from ..crypto.envelope import encode_context
from ..crypto.errors import IntegrityError
from ..crypto.keys import KEY_BYTES, DataKey
from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from . import lifecycle
from .key_policy import KeyPolicies
from .lifecycle import Rotation, RotationType
from .lifecycle import material_context as _material_context
from .provider import KeyDescription, KeyUnavailable, WrappedKey
from .root_key import RootKeyring, as_keyring

__all__ = ["BUILTIN_PROVIDER", "BuiltinKms", "KeyState", "KmsAlias", "KmsError", "KmsKey", "MAX_TAGS_PER_KEY"]

BUILTIN_PROVIDER = "kms"
MAX_TAGS_PER_KEY = 50
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
    # Lifecycle (schema version 3): the material generation that encrypts now, automatic rotation
    # (period, next date; None when off) and the deletion date while PendingDeletion.
    generation: int = 0
    rotation_period_days: int | None = None
    next_rotation: float | None = None
    deletion_date: float | None = None


@dataclass(frozen=True, slots=True)
class KmsAlias:
    """An alias: a friendly name for one key of the same account."""

    alias_name: str
    alias_arn: str
    key_id: str
    created: float
    updated: float


def _key(row: Row[tuple[object, ...]]) -> KmsKey:
    return KmsKey(
        row.key_id, row.account_id, row.arn, row.description, KeyState(row.state), row.created,
        row.current_generation, row.rotation_period_days, row.next_rotation, row.deletion_date,
    )


def _not_found(ref: str) -> KmsError:
    return KmsError("NotFoundException", f"Key '{ref}' does not exist")


class BuiltinKms:
    """KMS keys of every account, in the metadata store."""

    name = BUILTIN_PROVIDER

    def __init__(self, root_key: DataKey | RootKeyring, meta: MetaStore, region: str) -> None:
        self._root = as_keyring(root_key)
        self._meta = meta
        self.region = region
        self.policies = KeyPolicies(meta)

    # -- lookups (read-only; authorisation needs the key first) ------------------------------------

    def key_arn(self, account_id: str, key_id: str) -> str:
        """The ARN a key of this account and region has."""
        return f"arn:aws:kms:{self.region}:{account_id}:key/{key_id}"

    def alias_arn(self, account_id: str, alias_name: str) -> str:
        """The ARN of an alias of this account."""
        return f"arn:aws:kms:{self.region}:{account_id}:{alias_name}"

    def _get(self, key_id: str) -> KmsKey | None:
        row = self._meta.read_sync(lambda c: c.execute(select(schema.kms_keys).where(schema.kms_keys.c.key_id == key_id)).first())
        if row is not None and lifecycle.is_due(row, clock.now_seconds()):
            row = self._catch_up(key_id)  # rotations or destruction a (moved) clock has made due
        return _key(row) if row is not None else None

    def resolve(self, account_id: str, ref: str) -> KmsKey:
        """The key a KeyId names (key id, key ARN, alias name, alias ARN) for a caller of ``account_id``.

        Bare ids and alias names are looked up in the caller's account (AWS's rule), so another
        account's key is NotFoundException; a key or alias ARN names its account, and whether the
        caller may use that key is its key policy's decision, taken after this lookup.
        """
        arn = _ARN_PATTERN.fullmatch(ref)
        if arn is not None:
            region, owner, resource = arn.groups()
            account_id = owner
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
        return key  # whose it is and whether the caller may use it: the key policy's decision

    # -- keys ---------------------------------------------------------------------------------------

    def create_key(self, grant: Grant, description: str, tags: Mapping[str, str], policy: str | None = None) -> KmsKey:
        """A new Enabled key with fresh random material, sealed by the root key; ``policy``: a validated
        key policy document (None: the default key policy)."""
        _check_tags(tags)
        key_id = str(uuid.uuid4())
        key = KmsKey(key_id, grant.account_id, self.key_arn(grant.account_id, key_id), description, KeyState.ENABLED, clock.now_seconds())
        sealed = self._root.seal(DataKey.generate().reveal_secret_bytes(), _material_context(key_id))

        def insert(conn: Connection) -> None:
            conn.execute(
                schema.kms_keys.insert().values(
                    key_id=key.key_id, account_id=key.account_id, arn=key.arn, description=description,
                    state=key.state.value, created=key.created, key_material=sealed, policy=policy,
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
            sealed = self._root.seal(DataKey.generate().reveal_secret_bytes(), _material_context(key_id))
            description = f"Default key that protects my {alias_name.rsplit('/', 1)[-1].upper()} objects when no other key is defined"

            def insert(conn: Connection) -> None:
                conn.execute(
                    schema.kms_keys.insert().values(
                        key_id=key_id, account_id=account_id, arn=self.key_arn(account_id, key_id), description=description,
                        state=KeyState.ENABLED.value, created=now, key_material=sealed,
                        # AWS rotates AWS managed keys every year, from their creation.
                        rotation_period_days=lifecycle.ROTATION_PERIOD_DEFAULT_DAYS,
                        next_rotation=now + lifecycle.ROTATION_PERIOD_DEFAULT_DAYS * lifecycle.DAY_SECONDS,
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
        self._destroy_due(account_id)
        keys = [_key(r) for r in self._meta.read_sync(lambda c: c.execute(query).all())]
        return keys[:limit], (keys[limit - 1].key_id if len(keys) > limit else None)

    def set_state(self, grant: Grant, key: KmsKey, state: KeyState) -> None:
        """EnableKey / DisableKey; a key pending deletion must first be cancelled."""
        _owned(grant, key)
        if key.state is KeyState.PENDING_DELETION:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")
        t = schema.kms_keys

        def apply(conn: Connection) -> None:
            conn.execute(update(t).where(t.c.key_id == key.key_id).values(state=state.value))
            if state is KeyState.ENABLED:
                self._resume_rotation(conn, key.key_id)

        self._meta.write_sync(apply)

    def _material(self, key: KmsKey, generation: int | None = None) -> DataKey:
        """The key's material of ``generation`` (the current one by default); KeyUnavailable if it has none."""
        wanted = key.generation if generation is None else generation
        sealed = self._meta.read_sync(lambda c: lifecycle.sealed_material(c, key.key_id, wanted))
        if sealed is None:
            raise KeyUnavailable(key.key_id)
        return DataKey.from_bytes(self._root.open(sealed, _material_context(key.key_id)))

    # -- cryptography ---------------------------------------------------------------------------------

    def encrypt(self, grant: Grant, key: KmsKey, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        """A ciphertext blob of ``plaintext`` under ``key``, bound to the encryption context."""
        _owned(grant, key)
        _usable(key)
        return kmsblob.seal_ciphertext(self._material(key), key.key_id, key.generation, plaintext, encode_context(context))

    def decrypt(self, grant: Grant, key: KmsKey, blob: bytes, context: Mapping[str, str]) -> bytes:
        """The plaintext of a blob ``key`` sealed; InvalidCiphertextException for any mismatch."""
        _owned(grant, key)
        _usable(key)
        invalid = KmsError("InvalidCiphertextException", "The ciphertext or its encryption context is not valid.")
        try:
            generation = kmsblob.read_header(blob).generation
        except IntegrityError:
            raise invalid from None
        try:
            material = self._material(key, generation)  # a wrong root key is the server's failure, not the caller's
        except KeyUnavailable:  # a generation this key never had
            raise invalid from None
        try:
            return kmsblob.open_ciphertext(material, blob, encode_context(context))
        except IntegrityError:
            raise invalid from None

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
        self._destroy_due(account_id)  # aliases of keys past their deletion date go with them
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
        self.policies.check_s3_use(kms_key.arn, "kms:GenerateDataKey", context)
        blob = kmsblob.seal_ciphertext(self._material(kms_key), kms_key.key_id, kms_key.generation, key.reveal_secret_bytes(), encode_context(context))
        return WrappedKey(BUILTIN_PROVIDER, kms_key.arn, blob)

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        header = kmsblob.read_header(wrapped.wrapped)
        kms_key = self._provider_key(header.key_id)
        try:
            material = self._material(kms_key, header.generation)
        except KeyUnavailable:
            raise IntegrityError() from None  # a generation the key never had: a tampered header
        plaintext = kmsblob.open_ciphertext(material, wrapped.wrapped, encode_context(context))
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
        """An operator's rotation: a new current generation now (on demand, outside the per-key quota)."""
        key = self._provider_key(key_id)
        self._meta.write_sync(lambda c: self._add_generation(c, key.key_id, clock.now_seconds(), RotationType.ON_DEMAND))
        return key.arn

    # -- lifecycle: rotation and the deletion window (rules in kms/lifecycle.py) ----------------------

    def _seal_new_material(self, key_id: str) -> bytes:
        return self._root.seal(DataKey.generate().reveal_secret_bytes(), _material_context(key_id))

    def _add_generation(self, conn: Connection, key_id: str, when: float, rotation_type: RotationType) -> int:
        """Make fresh material the key's current generation; returns its number."""
        t = schema.kms_keys
        generation = int(conn.execute(select(t.c.current_generation).where(t.c.key_id == key_id)).scalar_one()) + 1
        lifecycle.add_generation(conn, key_id, generation, self._seal_new_material(key_id), when, rotation_type)
        conn.execute(update(t).where(t.c.key_id == key_id).values(current_generation=generation))
        return generation

    def _catch_up_in(self, conn: Connection, key_id: str, now: float) -> Row[tuple[object, ...]] | None:
        """In one write transaction: destroy the key past its deletion date, or record the automatic
        rotations due by ``now`` at their scheduled dates. Returns the key's row afterwards (None: gone)."""
        t = schema.kms_keys
        row = conn.execute(select(t).where(t.c.key_id == key_id)).first()
        if row is None or not lifecycle.is_due(row, now):
            return row
        if row.deletion_date is not None and row.deletion_date <= now:
            lifecycle.destroy(conn, key_id, row.account_id)
            return None
        dates, following = lifecycle.due_rotation_dates(row.next_rotation, row.rotation_period_days, now)
        for when in dates:
            self._add_generation(conn, key_id, when, RotationType.AUTOMATIC)
        conn.execute(update(t).where(t.c.key_id == key_id).values(next_rotation=following))
        return conn.execute(select(t).where(t.c.key_id == key_id)).first()

    def _catch_up(self, key_id: str) -> Row[tuple[object, ...]] | None:
        """Apply what is due to one key; a concurrent catch-up (another request or gateway) wins harmlessly."""
        now = clock.now_seconds()
        try:
            return self._meta.write_sync(lambda c: self._catch_up_in(c, key_id, now))
        except DuplicateRow:  # another transaction added the same generation first: its result stands
            return self._meta.read_sync(lambda c: c.execute(select(schema.kms_keys).where(schema.kms_keys.c.key_id == key_id)).first())

    def _destroy_due(self, account_id: str) -> None:
        now = clock.now_seconds()
        for key_id in self._meta.read_sync(lambda c: lifecycle.due_key_ids(c, now, account_id)):
            self._catch_up(key_id)

    def catch_up_due(self) -> int:
        """Visit every key with a rotation or destruction due (the worker's pass); returns how many."""
        now = clock.now_seconds()
        key_ids = self._meta.read_sync(lambda c: lifecycle.due_key_ids(c, now))
        for key_id in key_ids:
            self._catch_up(key_id)
        return len(key_ids)

    def _resume_rotation(self, conn: Connection, key_id: str) -> None:
        """On EnableKey: a rotation that fell due while the key was not Enabled happens now (as AWS does)."""
        t = schema.kms_keys
        now = clock.now_seconds()
        conn.execute(update(t).where(t.c.key_id == key_id, t.c.next_rotation <= now).values(next_rotation=now))
        self._catch_up_in(conn, key_id, now)

    def is_aws_managed(self, key: KmsKey) -> bool:
        """Is this an AWS managed key (named by a reserved alias/aws/... alias, made on first use)?"""
        a = schema.kms_aliases
        query = select(a.c.alias_name).where(a.c.account_id == key.account_id, a.c.key_id == key.key_id, a.c.alias_name.startswith(_RESERVED_ALIAS_PREFIX))
        return self._meta.read_sync(lambda c: c.execute(query.limit(1)).first()) is not None

    def _refuse_aws_managed(self, key: KmsKey) -> None:
        """AWS rotates and keeps AWS managed keys itself: their key policy lets nobody change either."""
        if self.is_aws_managed(key):
            raise KmsError("AccessDeniedException", f"{key.arn} is an AWS managed key: its rotation and deletion are managed by AWS.")

    def enable_rotation(self, grant: Grant, key: KmsKey, period_days: int) -> None:
        """EnableKeyRotation: rotate every ``period_days`` from now; a new period for a key already
        rotating counts from its last scheduled rotation (and is due at once if that date has passed)."""
        _owned(grant, key)
        self._refuse_aws_managed(key)
        _usable(key)  # DisabledException / KMSInvalidStateException, as for any use
        now = clock.now_seconds()
        t = schema.kms_keys

        def apply(conn: Connection) -> None:
            row = conn.execute(select(t.c.rotation_period_days, t.c.next_rotation).where(t.c.key_id == key.key_id)).one()
            if row.rotation_period_days is None or row.next_rotation is None:
                following = now + period_days * lifecycle.DAY_SECONDS
            else:
                last = row.next_rotation - row.rotation_period_days * lifecycle.DAY_SECONDS
                following = last + period_days * lifecycle.DAY_SECONDS
            conn.execute(update(t).where(t.c.key_id == key.key_id).values(rotation_period_days=period_days, next_rotation=following))
            self._catch_up_in(conn, key.key_id, now)

        self._meta.write_sync(apply)

    def disable_rotation(self, grant: Grant, key: KmsKey) -> None:
        """DisableKeyRotation: no more automatic rotations (existing generations stay)."""
        _owned(grant, key)
        self._refuse_aws_managed(key)
        _usable(key)  # DisabledException / KMSInvalidStateException, as for any use
        t = schema.kms_keys
        self._meta.write_sync(lambda c: c.execute(update(t).where(t.c.key_id == key.key_id).values(rotation_period_days=None, next_rotation=None)))

    def rotate_on_demand(self, grant: Grant, key: KmsKey) -> None:
        """RotateKeyOnDemand: a new current generation now; the automatic schedule is unchanged."""
        _owned(grant, key)
        self._refuse_aws_managed(key)
        _usable(key)  # DisabledException / KMSInvalidStateException, as for any use

        def apply(conn: Connection) -> None:
            if lifecycle.on_demand_rotations(conn, key.key_id) >= lifecycle.ON_DEMAND_ROTATIONS_MAX:
                raise KmsError("LimitExceededException", f"{key.arn} has had the maximum of {lifecycle.ON_DEMAND_ROTATIONS_MAX} on-demand rotations.")
            self._add_generation(conn, key.key_id, clock.now_seconds(), RotationType.ON_DEMAND)

        try:
            self._meta.write_sync(apply)
        except DuplicateRow:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is being rotated by another request; try again.") from None

    def list_rotations(self, key: KmsKey, include_initial: bool, limit: int, after: int | None) -> tuple[list[Rotation], int | None]:
        """ListKeyRotations: one page of the key's generations, oldest first."""
        return self._meta.read_sync(lambda c: lifecycle.list_rotations(c, key.key_id, include_initial, limit, after))

    def schedule_deletion(self, grant: Grant, key: KmsKey, window_days: int) -> KmsKey:
        """ScheduleKeyDeletion: PendingDeletion until ``window_days`` from now, then destroyed."""
        _owned(grant, key)
        self._refuse_aws_managed(key)
        if key.state is KeyState.PENDING_DELETION:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")
        when = clock.now_seconds() + window_days * lifecycle.DAY_SECONDS
        t = schema.kms_keys
        self._meta.write_sync(
            lambda c: c.execute(update(t).where(t.c.key_id == key.key_id).values(state=KeyState.PENDING_DELETION.value, deletion_date=when))
        )
        return KmsKey(key.key_id, key.account_id, key.arn, key.description, KeyState.PENDING_DELETION, key.created,
                      key.generation, key.rotation_period_days, key.next_rotation, when)

    def cancel_deletion(self, grant: Grant, key: KmsKey) -> None:
        """CancelKeyDeletion: the key stays, Disabled (as AWS leaves it)."""
        _owned(grant, key)
        self._refuse_aws_managed(key)
        if key.state is not KeyState.PENDING_DELETION:
            raise KmsError("KMSInvalidStateException", f"{key.arn} is not pending deletion.")
        t = schema.kms_keys
        self._meta.write_sync(
            lambda c: c.execute(update(t).where(t.c.key_id == key.key_id).values(state=KeyState.DISABLED.value, deletion_date=None))
        )


def _owned(grant: Grant, key: KmsKey) -> None:
    """Defence in depth: a grant of one account reaches another account's key only when it was
    issued for that very key (its key policy allowed the caller)."""
    if grant.account_id != key.account_id and grant.resource != key.arn:
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
