"""KMS across accounts, the JSON protocol's errors (raw requests boto3 will not send), key material at
rest, and the AWS CLI's `aws kms ... --endpoint-url` against the server."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.request
from urllib.error import HTTPError

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, MAIN_KEY, MAIN_SECRET, ServerInfo
from kms.test_kms_api import make_kms

from strongroom.crypto.envelope import encode_context, open_bytes
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms(server.endpoint)


@pytest.fixture(scope="module")
def kms_alt(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms(server.endpoint, ALT_KEY, ALT_SECRET)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_another_account_can_neither_see_nor_use_my_key(kms, kms_alt) -> None:  # type: ignore[no-untyped-def]
    mine = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=mine["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert mine["KeyId"] not in {k["KeyId"] for k in kms_alt.list_keys(Limit=1000)["Keys"]}
    with pytest.raises(ClientError) as exc:
        kms_alt.describe_key(KeyId=mine["KeyId"])
    assert _code(exc) == ("NotFoundException", 400)
    calls = [
        lambda: kms_alt.describe_key(KeyId=mine["Arn"]),
        lambda: kms_alt.encrypt(KeyId=mine["Arn"], Plaintext=b"x"),
        lambda: kms_alt.decrypt(CiphertextBlob=blob),
        lambda: kms_alt.generate_data_key(KeyId=mine["Arn"], KeySpec="AES_256"),
        lambda: kms_alt.disable_key(KeyId=mine["Arn"]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDeniedException", 400)
    assert kms.describe_key(KeyId=mine["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_alias_names_are_per_account(kms, kms_alt) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = kms.create_key()["KeyMetadata"], kms_alt.create_key()["KeyMetadata"]
    name = f"alias/shared-{mine['KeyId'][:8]}"
    kms.create_alias(AliasName=name, TargetKeyId=mine["KeyId"])
    kms_alt.create_alias(AliasName=name, TargetKeyId=theirs["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == mine["KeyId"]
    assert kms_alt.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == theirs["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms_alt.create_alias(AliasName=f"alias/x-{mine['KeyId'][:8]}", TargetKeyId=mine["KeyId"])
    assert _code(exc) == ("NotFoundException", 400)


def _raw(server: ServerInfo, target: str, body: bytes, *, secret: str = MAIN_SECRET, service: str = "kms", sign: bool = True) -> tuple[int, dict[str, str]]:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    request = AWSRequest("POST", server.endpoint + "/", data=body, headers=headers)
    if sign:
        SigV4Auth(Credentials(MAIN_KEY, secret), service, "us-east-1").add_auth(request)
    prepared = urllib.request.Request(request.url, data=body, headers=dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except HTTPError as err:
        assert err.headers["content-type"] == "application/x-amz-json-1.1"
        return err.code, json.loads(err.read())


@pytest.mark.parametrize(
    ("target", "body", "kwargs", "expected"),
    [
        ("TrentService.ImportKeyMaterial2", b"{}", {}, "UnknownOperationException"),
        ("TrentService.ListKeys", b"{}", {"sign": False}, "MissingAuthenticationTokenException"),
        ("TrentService.ListKeys", b"{}", {"secret": "wrong"}, "InvalidSignatureException"),
        ("TrentService.ListKeys", b"{}", {"service": "s3"}, "IncompleteSignatureException"),
        ("TrentService.ListKeys", b"[1, 2]", {}, "SerializationException"),
        ("TrentService.ListKeys", b"{not json", {}, "SerializationException"),
        ("TrentService.Encrypt", b'{"KeyId": "alias/x", "Plaintext": "%%%"}', {}, "SerializationException"),
        ("TrentService.ListKeys", b'{"Limit": 0}', {}, "ValidationException"),
        ("TrentService.ListKeys", b" " * (65 * 1024), {}, "ValidationException"),
    ],
)
def test_protocol_errors_are_json_with_kms_names(server: ServerInfo, target: str, body: bytes, kwargs: dict[str, object], expected: str) -> None:
    status, document = _raw(server, target, body, **kwargs)  # type: ignore[arg-type]
    assert (status, document["__type"]) == (403 if expected == "MissingAuthenticationTokenException" else 400, expected)
    assert isinstance(document["message"], str)


def test_a_signed_raw_request_gets_json(server: ServerInfo) -> None:
    status, document = _raw(server, "TrentService.GenerateRandom", b'{"NumberOfBytes": 16}')
    assert status == 200 and len(base64.b64decode(document["Plaintext"])) == 16


def test_no_key_material_or_data_key_on_disk_in_the_clear(server: ServerInfo, kms) -> None:  # type: ignore[no-untyped-def]
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintexts = [kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"] for _ in range(3)]
    for path in server.data_dir.rglob("*"):
        if path.is_file() and path.name != "root.key":
            data = path.read_bytes()
            for secret in plaintexts:
                assert secret not in data and base64.b64encode(secret) not in data, path
    db = sqlite3.connect(server.data_dir / "meta.db")
    try:
        (sealed,) = db.execute("select key_material from kms_keys where key_id = ?", (key_id,)).fetchone()
    finally:
        db.close()
    assert all(p not in sealed for p in plaintexts) and len(sealed) == 1 + 12 + 32 + 16
    context = encode_context({"purpose": "kms-key", "key_id": key_id})
    root = DataKey.from_bytes((server.data_dir / "root.key").read_bytes())
    assert len(open_bytes(root, sealed, context)) == 32  # only the root key opens it
    with pytest.raises(IntegrityError):
        open_bytes(DataKey.generate(), sealed, context)


def test_aws_cli_kms_commands_work_against_the_endpoint(server: ServerInfo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    aws = shutil.which("aws")
    if aws is None:
        pytest.fail("the AWS CLI is not on PATH (scripts/test installs awscli)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=MAIN_KEY, AWS_SECRET_ACCESS_KEY=MAIN_SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")

    def run(*args: str) -> dict[str, object]:
        proc = subprocess.run([aws, "--endpoint-url", server.endpoint, "--output", "json", "kms", *args], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    key_id = run("create-key", "--description", "cli")["KeyMetadata"]["KeyId"]  # type: ignore[index]
    (tmp_path / "plain").write_bytes(b"from the cli")
    blob = run("encrypt", "--key-id", key_id, "--plaintext", f"fileb://{tmp_path / 'plain'}")["CiphertextBlob"]
    (tmp_path / "blob").write_bytes(base64.b64decode(blob))  # type: ignore[arg-type]
    plain = run("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}")["Plaintext"]
    assert base64.b64decode(plain) == b"from the cli"  # type: ignore[arg-type]
