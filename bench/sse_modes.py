"""Strongroom encryption modes against each other (not a test).

    python bench/sse_modes.py [--quick] [--markdown] [--modes sse-s3,sse-kms,sse-kms-bucket-key,dsse-kms]

One Strongroom server; one bucket per mode, each with that mode as its default encryption (so the
requests are identical and only the server's sealing differs). The phases run mode after mode, phase
by phase (interleaved, so background drift hits every mode alike), and the table gives each mode's
figure as a ratio to SSE-S3 measured in the same run. The issue's target: SSE-KMS with S3 Bucket Keys
within 10% of SSE-S3 (ratio >= 0.9x). JSON goes to bench/out/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402
import servers  # noqa: E402
from load import MiB  # noqa: E402

BASELINE = "sse-s3"
# (label, path into a mode's results, unit, higher is better)
ROWS: list[tuple[str, tuple[str, ...], str, bool]] = [
    ("PUT 4 KiB, c=16", ("small_put", "ops_s"), "ops/s", True),
    ("GET 4 KiB, c=16", ("small_get", "ops_s"), "ops/s", True),
    ("PUT 64 MiB, c=1", ("large", "put", "mib_s"), "MiB/s", True),
    ("GET 64 MiB, c=1", ("large", "get", "mib_s"), "MiB/s", True),
]


def default_encryption(mode: str, key_arn: str) -> dict[str, object]:
    """The PutBucketEncryption rule that makes ``mode`` the bucket's default."""
    by_mode: dict[str, dict[str, object]] = {
        "sse-s3": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}},
        "sse-kms": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, "BucketKeyEnabled": False},
        "sse-kms-bucket-key": {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, "BucketKeyEnabled": True,
        },
        "dsse-kms": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": key_arn}},
    }
    return {"Rules": [by_mode[mode]]}


def kms_key(endpoint: str) -> str:
    import boto3

    kms = boto3.client("kms", endpoint_url=endpoint, aws_access_key_id=servers.ACCESS_KEY,
                       aws_secret_access_key=servers.SECRET_KEY, region_name=servers.REGION)
    return kms.create_key(Description="bench")["KeyMetadata"]["Arn"]  # type: ignore[no-any-return]


def measure(srv: servers.Server, modes: list[str], quick: bool, workdir: Path) -> dict[str, dict[str, object]]:
    t = load.Target.make(srv.name, srv.endpoint, srv.pid)
    s3 = load.s3_client(srv.endpoint)
    key_arn = kms_key(srv.endpoint)
    small, big = os.urandom(4096), os.urandom(64 * MiB)
    duration, nkeys = (4.0, 2000) if quick else (12.0, 5000)
    results: dict[str, dict[str, object]] = {m: {"errors": {}} for m in modes}
    keys = [f"k/{i:05d}" for i in range(nkeys)]
    for mode in modes:
        bucket = f"bench-{mode}"
        load.ensure_bucket(t, bucket)
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=default_encryption(mode, key_arn))
        load.parallel_puts(t, bucket, keys, small, workers=8)  # GET targets, and warm-up
        load.check_small_get(t, bucket, keys[0], small)
        head = s3.head_object(Bucket=bucket, Key=keys[0])
        results[mode]["object_headers"] = {k: head.get(k) for k in ("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled")}

    def small_put(mode: str) -> dict[str, object]:
        paths = (t.presigner.path("PUT", f"bench-{mode}", f"s/{i:07d}") for i in range(40000 if quick else 120000))
        return load.run_wrk(t, "PUT", paths, 4096, duration, 16, 1, workdir, f"put-{mode}")

    def small_get(mode: str) -> dict[str, object]:
        return load.run_wrk(t, "GET", [t.presigner.path("GET", f"bench-{mode}", k) for k in keys], 0, duration, 16, 1, workdir, f"get-{mode}")

    def large(mode: str) -> dict[str, object]:
        return load.bench_large(t, f"bench-{mode}", 1, 64 * MiB, 3.0 if quick else 8.0, 2 if quick else 3, big)

    for name, phase in (("small_put", small_put), ("small_get", small_get), ("large", large)):
        for mode in modes:
            t.presigner.set_time(None)
            try:
                results[mode][name] = phase(mode)
                print(f"[{mode}] {name}: {results[mode][name]}", flush=True)
            except Exception as exc:  # noqa: BLE001 - a failed phase is recorded, the run goes on
                results[mode]["errors"][name] = f"{type(exc).__name__}: {str(exc)[:300]}"  # type: ignore[index]
                print(f"[{mode}] {name} FAILED: {exc}", flush=True)
    return results


def table(results: dict[str, dict[str, object]], markdown: bool) -> str:
    modes = list(results)
    header = ["measure", *modes, *(f"{m}/{BASELINE}" for m in modes if m != BASELINE)]
    rows = []
    for label, path, unit, _higher in ROWS:
        values = [_dig(results[m], path) for m in modes]
        base = values[modes.index(BASELINE)] if BASELINE in modes else None
        cells = [f"{v:.1f} {unit}" if v is not None else "-" for v in values]
        ratios = [f"{v / base:.2f}x" if v is not None and base else "-" for m, v in zip(modes, values, strict=True) if m != BASELINE]
        rows.append([label, *cells, *ratios])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    return "\n".join("  ".join(f"{c:>22}" for c in r) for r in [header, *rows])


def _dig(d: dict[str, object], path: tuple[str, ...]) -> float | None:
    cur: object = d
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return float(cur) if isinstance(cur, (int, float)) else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--modes", default="sse-s3,sse-kms,sse-kms-bucket-key,dsse-kms")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    modes = args.modes.split(",")
    if BASELINE not in modes:
        modes.insert(0, BASELINE)
    args.out.mkdir(parents=True, exist_ok=True)
    with servers.strongroom() as srv, tempfile.TemporaryDirectory(prefix="bench-sse-") as work:
        results = measure(srv, modes, args.quick, Path(work))
    print(table(results, args.markdown))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out / f"sse-modes-{stamp}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps({"modes": modes, "quick": args.quick, "results": results}, indent=2, default=str))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
