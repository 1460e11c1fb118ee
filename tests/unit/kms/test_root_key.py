"""The root key file (legacy raw bytes and keysets) and the keyring that follows it as it changes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from strongroom.crypto.envelope import encode_context
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.kms.root_key import RootKeyring, RootKeys, open_root_keyring, read_root_keys, write_root_keys

CONTEXT = encode_context({"purpose": "test"})


def test_first_start_creates_a_0600_raw_key_file_that_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "root.key"
    ring = open_root_keyring(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_bytes()) == 32
    assert read_root_keys(path).current == DataKey.from_bytes(path.read_bytes()) == ring.keys.current


def test_keyset_file_round_trips_current_first_and_stays_0600(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    new, old = DataKey.generate(), DataKey.generate()
    write_root_keys(path, RootKeys((new, old)))
    assert read_root_keys(path).keys == (new, old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["root.key"]  # no temp file left behind


@pytest.mark.parametrize("content", [b"short", b'{"format": "other"}', b"{not json", b'{"format": "strongroom-root-keys", "version": 1}'])
def test_malformed_key_files_are_refused_clearly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "root.key"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(RuntimeError, match="root key"):
        read_root_keys(path)


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    open_root_keyring(path)
    os.chmod(path, 0o644)
    with pytest.raises(RuntimeError, match="chmod 600"):
        read_root_keys(path)


def test_keyring_follows_the_file_to_open_and_to_seal(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    old, new = DataKey.generate(), DataKey.generate()
    write_root_keys(path, RootKeys((old,)))
    stale = RootKeyring(read_root_keys(path), path)  # a process started before the rotation
    rotator = RootKeyring(RootKeys((new, old)))
    sealed_new = rotator.seal(b"secret", CONTEXT)
    write_root_keys(path, RootKeys((new, old)))
    assert stale.open(sealed_new, CONTEXT) == b"secret"  # unknown key: the file is re-read
    assert RootKeyring(RootKeys((new,))).open(stale.seal(b"later", CONTEXT), CONTEXT) == b"later"  # seals with the new key
    assert rotator.rewrap(sealed_new, CONTEXT) is None
    sealed_old = RootKeyring(RootKeys((old,))).seal(b"x", CONTEXT)
    rewrapped = rotator.rewrap(sealed_old, CONTEXT)
    assert rewrapped is not None and RootKeyring(RootKeys((new,))).open(rewrapped, CONTEXT) == b"x"
    with pytest.raises(IntegrityError):
        RootKeyring(RootKeys((DataKey.generate(),)), path).open(b"\x01" + bytes(60), CONTEXT)


def test_only_the_root_keyring_seals_small_secrets() -> None:
    """Root-sealed values go through RootKeyring, whose users service/root_rotation.py's SEALED_COLUMNS lists:
    a value sealed with envelope.seal_bytes elsewhere would be missed by a root key rotation."""
    src = Path(__file__).resolve().parents[3] / "src" / "strongroom"
    allowed = {src / "kms" / "root_key.py", src / "crypto" / "envelope.py", src / "crypto" / "__init__.py"}
    offenders = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if path not in allowed and ("seal_bytes(" in path.read_text() or "open_bytes(" in path.read_text())
    ]
    assert offenders == [], "seal with RootKeyring and list the column in service/root_rotation.py SEALED_COLUMNS"
