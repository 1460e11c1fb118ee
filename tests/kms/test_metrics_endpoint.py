"""GET /_strongroom/metrics: KMS calls by operation, caller and outcome, summed over worker processes,
served unauthenticated to the configured networks only."""

from __future__ import annotations

import http.client
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import (
    MAIN_KEY,
    MAIN_SECRET,
    ServerInfo,
    make_client,
    make_kms_client,
    start_server,
    stop_server,
)
from prometheus_client.parser import text_string_to_metric_families

METRICS_PATH = "/_strongroom/metrics"


def _get(server: ServerInfo, path: str = METRICS_PATH, source: str = "127.0.0.1", host: str | None = None) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("content-type") or ""
    finally:
        conn.close()


def _samples(server: ServerInfo) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body, content_type = _get(server)
    assert status == 200 and content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _kms_calls(server: ServerInfo) -> dict[tuple[str, str, str], float]:
    """strongroom_kms_requests_total by (operation, caller, outcome)."""
    calls: dict[tuple[str, str, str], float] = {}
    for (name, labels), value in _samples(server).items():
        if name == "strongroom_kms_requests_total":
            by = dict(labels)
            calls[(by["operation"], by["caller"], by["outcome"])] = value
    return calls


def _kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, MAIN_KEY, MAIN_SECRET)


def _delta(before: dict[tuple[str, str, str], float], after: dict[tuple[str, str, str], float], key: tuple[str, str, str]) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_kms_api_and_s3_key_uses_by_outcome(server, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    kms = _kms(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    before = _kms_calls(server)
    for _ in range(3):
        kms.encrypt(KeyId=key_id, Plaintext=b"p")
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError, match="DisabledException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"p")
    kms.enable_key(KeyId=key_id)
    s3.put_object(Bucket=bucket, Key="k", Body=b"body", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    s3.get_object(Bucket=bucket, Key="k")["Body"].read()

    after = _kms_calls(server)

    assert _delta(before, after, ("Encrypt", "api", "success")) >= 3
    assert _delta(before, after, ("Encrypt", "api", "DisabledException")) >= 1
    assert _delta(before, after, ("DisableKey", "api", "success")) >= 1
    assert _delta(before, after, ("GenerateDataKey", "s3", "success")) >= 1
    assert _delta(before, after, ("Decrypt", "s3", "success")) >= 1


def test_metrics_export_s3_kms_calls_and_key_cache_counters(server, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    key_id = _kms(server).create_key()["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"body", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id, BucketKeyEnabled=True)
    before = _samples(server)
    for _ in range(2):
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"body"
    after = _samples(server)
    names = {name for name, _ in after}
    assert {"strongroom_kms_calls_total", "strongroom_key_cache_hits_total", "strongroom_key_cache_misses_total"} <= names
    lookups = [
        after.get((name, labels), 0) - before.get((name, labels), 0)
        for name, labels in after
        if name in ("strongroom_key_cache_hits_total", "strongroom_key_cache_misses_total")
    ]
    assert sum(lookups) >= 2  # each read looked its keys up in a cache


def test_metrics_path_is_never_a_bucket_or_object(server) -> None:  # type: ignore[no-untyped-def]
    status, body, _ = _get(server, host="metrics.localhost")  # virtual host: the key "_strongroom/metrics" of "metrics"
    assert status in (403, 404) and b"<Error>" in body and b"strongroom_kms_requests" not in body
    assert _get(server, path=METRICS_PATH + "/x")[0] != 200


@pytest.fixture(scope="module")
def two_workers() -> Iterator[ServerInfo]:
    """A server with two worker processes whose metrics are open to 127.0.0.1 only."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-metrics-test-"))
    info = start_server(root / "data", {"STRONGROOM_WORKERS": "2", "STRONGROOM_METRICS_NETWORKS": '["127.0.0.1/32"]'})
    try:
        yield info
    finally:
        stop_server(info)
        shutil.rmtree(root, ignore_errors=True)


def test_metrics_sum_every_worker_process(two_workers: ServerInfo) -> None:
    calls = 12
    for _ in range(calls):  # a fresh client (connection) each time: both workers serve some
        _kms(two_workers).generate_random(NumberOfBytes=4)
    for _ in range(4):  # whichever worker answers, the count is the whole server's
        assert _kms_calls(two_workers)[("GenerateRandom", "api", "success")] == calls


def test_metrics_refused_outside_the_configured_networks(two_workers: ServerInfo) -> None:
    status, body, _ = _get(two_workers, source="127.0.0.2")
    assert status == 403 and b"AccessDenied" in body and b"strongroom_kms_requests" not in body
    assert _get(two_workers)[0] == 200


def test_s3_clients_still_reach_buckets_beside_the_metrics_path(server) -> None:  # type: ignore[no-untyped-def]
    s3 = make_client(server.endpoint)
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(Bucket="_strongroom")
    assert caught.value.response["Error"]["Code"] == "InvalidBucketName"
