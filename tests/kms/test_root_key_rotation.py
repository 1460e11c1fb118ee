"""`strongroom admin rotate-root-key`: online, while a two-worker server keeps reading and writing;
afterwards old and new objects, KMS ciphertexts and access keys work, the old root key opens no row
of the metadata, and the server restarts on the rotated key file."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    MAIN_KEY,
    MAIN_SECRET,
    ServerInfo,
    make_client,
    make_kms_client,
    start_server,
    stop_server,
)

from strongroom.crypto.envelope import encode_context, open_bytes
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.kms.root_key import read_root_keys

# Every root-sealed column and the context its rows are bound to (written out here, independently of
# the code, so a changed context or a forgotten column shows up).
SEALED = {
    "access_keys": ("access_key_id", "secret_sealed", lambda i: {"purpose": "access-key-secret", "access_key_id": i}),
    "service_keys": ("key_id", "key_sealed", lambda i: {"purpose": "service-key", "key_id": i}),
    "kms_keys": ("key_id", "key_material", lambda i: {"purpose": "kms-key", "key_id": i}),
    "kms_key_materials": ("key_id", "material", lambda i: {"purpose": "kms-key", "key_id": i}),
}


def _cli(server: ServerInfo, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(server.data_dir), *args],
        env=server.env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _kms(server: ServerInfo, key: str = MAIN_KEY, secret: str = MAIN_SECRET):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, key, secret)


@pytest.fixture
def rotating_server() -> Iterator[ServerInfo]:
    """A two-worker server on its own data dir (its own root key)."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-rotation-test-"))
    info = start_server(root / "data", {"STRONGROOM_WORKERS": "2"})
    try:
        yield info
    finally:
        stop_server(info)
        shutil.rmtree(root, ignore_errors=True)


class _Traffic:
    """Clients reading and writing every mode (and creating KMS keys) until stopped; errors are kept."""

    def __init__(self, server: ServerInfo, bucket: str, kms_key: str) -> None:
        self._server, self._bucket, self._kms_key = server, bucket, kms_key
        self._stop = threading.Event()
        self.errors: list[BaseException] = []
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        s3 = make_client(self._server.endpoint)
        kms = _kms(self._server)
        while not self._stop.is_set():
            try:
                body = uuid.uuid4().bytes * 100
                name = f"during-{self.rounds}"
                s3.put_object(Bucket=self._bucket, Key=name + "-s3", Body=body)
                s3.put_object(Bucket=self._bucket, Key=name + "-kms", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=self._kms_key)
                assert s3.get_object(Bucket=self._bucket, Key=name + "-s3")["Body"].read() == body
                assert s3.get_object(Bucket=self._bucket, Key=name + "-kms")["Body"].read() == body
                assert s3.get_object(Bucket=self._bucket, Key="old-kms")["Body"].read() == b"old kms body"
                new_key = kms.create_key()["KeyMetadata"]["KeyId"]
                blob = kms.encrypt(KeyId=new_key, Plaintext=b"p")["CiphertextBlob"]
                assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
                self.rounds += 1
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(exc)
                return


def _assert_only_opens_with(data_dir: Path, new: DataKey, old: DataKey) -> int:
    db = sqlite3.connect(data_dir / "meta.db")
    checked = 0
    try:
        for table, (id_column, column, context) in SEALED.items():
            for row_id, sealed in db.execute(f"select {id_column}, {column} from {table}"):  # noqa: S608 - fixed names
                aad = encode_context(context(row_id))
                assert open_bytes(new, sealed, aad)
                with pytest.raises(IntegrityError):
                    open_bytes(old, sealed, aad)
                checked += 1
    finally:
        db.close()
    return checked


def test_rotate_root_key_online_rewraps_every_row_and_keeps_serving(rotating_server: ServerInfo) -> None:
    server = rotating_server
    old_root = DataKey.from_bytes((server.data_dir / "root.key").read_bytes())
    s3, kms = make_client(server.endpoint), _kms(server)
    bucket = f"rotation-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    kms_key = kms.create_key(Description="before rotation")["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="old-s3", Body=b"old s3 body")
    s3.put_object(Bucket=bucket, Key="old-kms", Body=b"old kms body", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key)
    old_ciphertext = kms.encrypt(KeyId=kms_key, Plaintext=b"old secret", EncryptionContext={"k": "v"})["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=kms_key)  # a second material generation (kms_key_materials)
    rotated_ciphertext = kms.encrypt(KeyId=kms_key, Plaintext=b"gen 1 secret")["CiphertextBlob"]
    extra = json.loads(_cli(server, "admin", "key", "create", "main", "--json"))

    with _Traffic(server, bucket, kms_key) as traffic:
        time.sleep(0.5)
        report = json.loads(_cli(server, "admin", "rotate-root-key", "--grace-seconds", "0.5", "--json"))
        time.sleep(0.5)
    assert traffic.errors == [] and traffic.rounds > 0

    assert report["resumed"] == "false" and report["removed_root_key_ids"] == old_root.key_id
    assert int(report["rewrapped kms_keys.key_material"]) >= 1 and int(report["rewrapped access_keys.secret_sealed"]) >= 2
    assert int(report["rewrapped kms_key_materials.material"]) >= 1 and int(report["rewrapped service_keys.key_sealed"]) >= 1
    keys = read_root_keys(server.data_dir / "root.key")
    assert len(keys.keys) == 1 and keys.current.key_id == report["new_root_key_id"] and keys.current != old_root
    assert stat.S_IMODE((server.data_dir / "root.key").stat().st_mode) == 0o600
    assert _assert_only_opens_with(server.data_dir, keys.current, old_root) >= 5

    def still_works(info: ServerInfo) -> None:
        client, kms_client = make_client(info.endpoint), _kms(info)
        assert client.get_object(Bucket=bucket, Key="old-s3")["Body"].read() == b"old s3 body"
        assert client.get_object(Bucket=bucket, Key="old-kms")["Body"].read() == b"old kms body"
        assert client.get_object(Bucket=bucket, Key="during-0-kms")["Body"].read()
        assert kms_client.decrypt(CiphertextBlob=old_ciphertext, EncryptionContext={"k": "v"})["Plaintext"] == b"old secret"
        assert kms_client.decrypt(CiphertextBlob=rotated_ciphertext)["Plaintext"] == b"gen 1 secret"
        client.put_object(Bucket=bucket, Key="after", Body=b"after", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key)
        assert client.get_object(Bucket=bucket, Key="after")["Body"].read() == b"after"
        other = make_client(info.endpoint, extra["access_key"], extra["secret_key"])
        assert other.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200

    still_works(server)
    stop_server(server)
    restarted = start_server(server.data_dir, {"STRONGROOM_WORKERS": "2"})
    try:
        still_works(restarted)
    finally:
        stop_server(restarted)
    server.process.wait()


def test_interrupted_rotation_resumes_with_its_new_key(tmp_path: Path) -> None:
    from strongroom.kms.root_key import RootKeyring, RootKeys, write_root_keys
    from strongroom.meta.engine import MetaStore
    from strongroom.service.root_rotation import rotate_root_key

    path = tmp_path / "root.key"
    old, new = DataKey.generate(), DataKey.generate()
    meta = MetaStore(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        from strongroom.kms.server_keys import ServerKeyProvider

        ServerKeyProvider(RootKeyring(RootKeys((old,))), meta)  # one service key, sealed by the old key
        write_root_keys(path, RootKeys((new, old)))  # as step 2 of a rotation left it
        report = rotate_root_key(path, meta, grace_seconds=0)
        assert report.resumed and report.new_key_id == new.key_id and report.rewrapped["service_keys.key_sealed"] == 1
        assert read_root_keys(path).ids() == [new.key_id]
        ServerKeyProvider(RootKeyring(RootKeys((new,))), meta)  # opens with the new key alone
    finally:
        meta.close()
