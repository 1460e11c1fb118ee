"""The root key file and the keyring every root-sealed value goes through.

The root key is the server's one secret kept in the clear (mode 0600, invariant 1). It seals the
service keys, the built-in KMS's key material and the access-key secrets in the metadata. To rotate
it online (kms/root_rotation.py) the file holds a small keyset, as Tink's keysets do: the current key
seals, every key of the file opens, and a value sealed by a key this process does not hold yet makes
it re-read the file. A rotation adds the new key as current, rewraps every row, then drops the old key.

File formats (both read; the first is what a first start writes):

* legacy: exactly 32 raw bytes, one key;
* keyset: JSON ``{"format": "strongroom-root-keys", "version": 1, "current": ID, "keys": [{"id": ID,
  "key": base64, "created": ISO 8601}, ...]}``; ids are the keys' non-secret fingerprints.

Writes are atomic (temp file 0600, fsync, rename, fsync of the directory): a reader sees the old file
or the new one, never half of one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import clock
from ..crypto.envelope import open_bytes, seal_bytes
from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey

__all__ = ["ROOT_KEY_BYTES", "RootKeyring", "RootKeys", "as_keyring", "open_root_keyring", "read_root_keys", "write_root_keys"]

ROOT_KEY_BYTES = 32
# Part of the root key file format: changing them makes existing files unreadable.
_FORMAT = "strongroom-root-keys"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class RootKeys:
    """The keys of a root key file, the current (sealing) one first."""

    keys: tuple[DataKey, ...]
    created: tuple[str, ...] = ()

    @property
    def current(self) -> DataKey:
        """The key that seals new values."""
        return self.keys[0]

    def ids(self) -> list[str]:
        """The keys' non-secret fingerprints, current first."""
        return [k.key_id for k in self.keys]

    def with_new_current(self, key: DataKey) -> RootKeys:
        """These keys with ``key`` in front as the current one (made now)."""
        created = (_now_iso(), *self.created) if len(self.created) == len(self.keys) else ()
        return RootKeys((key, *self.keys), created)

    def current_only(self) -> RootKeys:
        """The current key alone (what a finished rotation leaves)."""
        return RootKeys((self.current,), self.created[:1])


def _now_iso() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def read_root_keys(path: Path) -> RootKeys:
    """Read a root key file (either format); RuntimeError if it is unsafe or malformed."""
    if path.stat().st_mode & 0o077:
        raise RuntimeError(f"root key file {path} must not be readable by group or others (chmod 600)")
    data = path.read_bytes()
    if len(data) == ROOT_KEY_BYTES:
        return RootKeys((DataKey.from_bytes(data),))
    try:
        document = json.loads(data)
        if document.get("format") != _FORMAT or document.get("version") != _VERSION:
            raise ValueError("unknown format")
        by_id = {entry["id"]: entry for entry in document["keys"]}
        ordered = [by_id[document["current"]]] + [e for e in document["keys"] if e["id"] != document["current"]]
        keys = tuple(DataKey.from_bytes(base64.b64decode(e["key"], validate=True)) for e in ordered)
        created = tuple(str(e.get("created", "")) for e in ordered)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RuntimeError(f"root key file {path} is neither {ROOT_KEY_BYTES} raw bytes nor a root keyset") from exc
    return RootKeys(keys, created)


def write_root_keys(path: Path, keys: RootKeys) -> None:
    """Replace the root key file atomically with a keyset file (0600)."""
    created = keys.created if len(keys.created) == len(keys.keys) else (_now_iso(),) * len(keys.keys)
    document = {
        "format": _FORMAT,
        "version": _VERSION,
        "current": keys.current.key_id,
        "keys": [
            {"id": k.key_id, "key": base64.b64encode(k.reveal_secret_bytes()).decode(), "created": c}
            for k, c in zip(keys.keys, created, strict=True)
        ],
    }
    _atomic_write(path, (json.dumps(document, indent=2) + "\n").encode())


def _atomic_write(path: Path, data: bytes) -> None:
    # 1. a temp file beside the target, 0600 from its creation; 2. write and fsync it;
    # 3. rename over the target; 4. fsync the directory so the rename itself is durable.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _create_legacy(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(ROOT_KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)


def open_root_keyring(path: Path) -> RootKeyring:
    """The keyring of the root key file, creating the file (one key, 0600) on first start."""
    if not path.exists():
        try:
            _create_legacy(path)
        except FileExistsError:
            pass  # another process made it first
    return RootKeyring(read_root_keys(path), path)


class RootKeyring:
    """Seals with the current root key; opens with any root key, re-reading the file when none fits.

    Sealing checks first whether the file changed (a stat: seals are rare), so once a rotation has
    written its new key every process seals with it. Thread-safe: the keys are swapped whole.
    """

    def __init__(self, keys: RootKeys, path: Path | None = None) -> None:
        self._keys = keys
        self._path = path
        self._stamp = self._file_stamp()
        self._lock = threading.Lock()

    @property
    def keys(self) -> RootKeys:
        """The keys this process holds now."""
        return self._keys

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Seal a small secret under the current root key, bound to ``context`` (crypto.envelope.seal_bytes)."""
        if self._file_stamp() != self._stamp:
            self.reload()
        return seal_bytes(self._keys.current, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        """Open a value any root key sealed; IntegrityError if none does, even after re-reading the file."""
        found = self._try_open(sealed, context)
        if found is None and self.reload():
            found = self._try_open(sealed, context)
        if found is None:
            raise IntegrityError()
        return found[1]

    def rewrap(self, sealed: bytes, context: bytes) -> bytes | None:
        """``sealed`` sealed anew by the current key if another key sealed it; None if the current one did.

        IntegrityError if no key held opens it (the file is not re-read: rotation holds its own keys).
        """
        found = self._try_open(sealed, context)
        if found is None:
            raise IntegrityError()
        key, plaintext = found
        if key is self._keys.current:
            return None
        return seal_bytes(self._keys.current, plaintext, context)

    def reload(self) -> bool:
        """Re-read the file; True if it holds keys this process did not have."""
        if self._path is None:
            return False
        with self._lock:
            stamp = self._file_stamp()
            keys = read_root_keys(self._path)
            known = set(self._keys.ids())
            self._keys, self._stamp = keys, stamp
            return any(i not in known for i in keys.ids())

    def _try_open(self, sealed: bytes, context: bytes) -> tuple[DataKey, bytes] | None:
        for key in self._keys.keys:
            try:
                return key, open_bytes(key, sealed, context)
            except IntegrityError:
                continue
        return None

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self._path is None:
            return None
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size


def as_keyring(root: DataKey | RootKeyring) -> RootKeyring:
    """A keyring for a bare key too (tests and tools that hold one key and no file)."""
    return root if isinstance(root, RootKeyring) else RootKeyring(RootKeys((root,)))
