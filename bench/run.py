"""Strongroom vs SeaweedFS S3 benchmark (not a test).

    python bench/run.py [--quick] [--only strongroom|seaweedfs] [--profile] [--markdown]

Starts each server in turn (never both at once: they would fight over the same cores), runs the
same measurements against each, prints a table with the ratio Strongroom/SeaweedFS, and writes
JSON to bench/out/.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402
import servers  # noqa: E402
from load import MiB  # noqa: E402

ORDER = ["seaweedfs", "strongroom"]

# (label, path into a server's results, unit, higher is better, target on Strongroom/SeaweedFS)
ROWS: list[tuple[str, tuple[str, ...], str, bool, str | None]] = [
    ("PUT 64 MiB, c=1", ("large_c1", "put", "mib_s"), "MiB/s", True, ">= 1.0x"),
    ("PUT 64 MiB, c=4", ("large_c4", "put", "mib_s"), "MiB/s", True, ">= 1.0x"),
    ("GET 64 MiB, c=1", ("large_c1", "get", "mib_s"), "MiB/s", True, ">= 0.7x"),
    ("GET 64 MiB, c=4", ("large_c4", "get", "mib_s"), "MiB/s", True, ">= 0.7x"),
    ("PUT 4 KiB, c=16", ("small_put", "ops_s"), "ops/s", True, ">= 0.4x"),
    ("PUT 4 KiB p50", ("small_put", "p50_ms"), "ms", False, None),
    ("PUT 4 KiB p99", ("small_put", "p99_ms"), "ms", False, None),
    ("GET 4 KiB, c=16", ("small_get", "ops_s"), "ops/s", True, ">= 0.4x"),
    ("GET 4 KiB p50", ("small_get", "p50_ms"), "ms", False, None),
    ("GET 4 KiB p99", ("small_get", "p99_ms"), "ms", False, None),
    ("LIST 10k keys (1000/page)", ("list", "seconds"), "s", False, "<= 2.0x"),
]


def config(quick: bool) -> dict[str, object]:
    if quick:
        return {"quick": True, "small_duration": 4, "large_duration": 3, "large_min_ops": 2,
                "list_keys": 10000, "list_repeats": 3, "put_urls": 40000, "wrk_conns": 16, "wrk_threads": 1}
    return {"quick": False, "small_duration": 15, "large_duration": 10, "large_min_ops": 3,
            "list_keys": 10000, "list_repeats": 5, "put_urls": 150000, "wrk_conns": 16, "wrk_threads": 1}


def dig(d: dict[str, object] | None, path: tuple[str, ...]) -> float | None:
    cur: object = d
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return float(cur) if isinstance(cur, (int, float)) else None


def run_suite(srv: servers.Server, cfg: dict[str, object], body64: bytes, workdir: Path,
              profile: load.Profiler, log=print) -> dict[str, object]:  # type: ignore[no-untyped-def]
    t = load.Target.make(srv.name, srv.endpoint, srv.pid)
    res: dict[str, object] = {"endpoint": srv.endpoint}
    errors: dict[str, str] = {}
    res["errors"] = errors

    def step(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        """Run one measurement; a failure is recorded and the suite goes on with the next one."""
        try:
            res[name] = fn()
            log(f"[{srv.name}] {name}: {res[name]}")
        except Exception as e:  # noqa: BLE001
            errors[name] = f"{type(e).__name__}: {str(e)[:500]}"
            log(f"[{srv.name}] {name} FAILED: {errors[name]}")
            if not srv.alive():
                raise RuntimeError(f"{srv.name} died; log tail:\n{srv.log_tail()}") from e

    for b in ("bench-list", "bench-small", "bench-big"):
        load.ensure_bucket(t, b)
    small = os.urandom(4096)
    nkeys = int(cfg["list_keys"])  # type: ignore[arg-type]
    wd, cn, th = float(cfg["small_duration"]), int(cfg["wrk_conns"]), int(cfg["wrk_threads"])  # type: ignore[arg-type]

    # 10k keys of 4 KiB: the LIST data and the targets of the 4 KiB GET phase
    keys = [f"k/{i:05d}" for i in range(nkeys)]
    log(f"[{srv.name}] uploading {nkeys} x 4 KiB keys for LIST / GET ...")
    up = load.parallel_puts(t, "bench-list", keys, small, workers=8)
    log(f"[{srv.name}]   {up:.0f} PUT/s from the Python uploader (setup, not a figure)")
    load.check_small_get(t, "bench-list", keys[0], small)
    step("list", lambda: load.bench_list(t, "bench-list", nkeys, int(cfg["list_repeats"])))  # type: ignore[arg-type]

    # 4 KiB GET with wrk, cycling through presigned GETs of the keys above
    def small_get() -> dict[str, object]:
        t.presigner.set_time(None)
        paths = [t.presigner.path("GET", "bench-list", k) for k in keys]
        return load.run_wrk(t, "GET", paths, 0, wd, cn, th, workdir, "get", profile)

    step("small_get", small_get)

    # 4 KiB PUT with wrk, fresh keys, presigned with UNSIGNED-PAYLOAD.  Warm the bucket first
    # (SeaweedFS grows volumes for a bucket's collection on its first writes).
    def small_put() -> dict[str, object]:
        load.parallel_puts(t, "bench-small", [f"warm/{i:04d}" for i in range(300)], small, workers=8)
        t.presigner.set_time(None)
        n = int(cfg["put_urls"])  # type: ignore[arg-type]
        paths = (t.presigner.path("PUT", "bench-small", f"s/{i:07d}") for i in range(n))
        return load.run_wrk(t, "PUT", paths, 4096, wd, cn, th, workdir, "put", profile)

    step("small_put", small_put)

    # 64 MiB PUT then GET, concurrency 1 and 4 (after untimed warm-up PUTs)
    load.parallel_puts(t, "bench-big", ["warm/0", "warm/1"], body64, workers=2)
    for c in (1, 4):
        def large(c: int = c) -> dict[str, object]:
            t.presigner.set_time(None)
            return load.bench_large(t, "bench-big", c, 64 * MiB, float(cfg["large_duration"]),  # type: ignore[arg-type]
                                    int(cfg["large_min_ops"]), body64, profile)  # type: ignore[arg-type]

        step(f"large_c{c}", large)
    return res


def table(results: dict[str, dict[str, object]], markdown: bool) -> str:
    a, b = "strongroom", "seaweedfs"
    hdr = ["measure", "Strongroom", "SeaweedFS", "ratio SR/SW", "target", "met"]
    rows = []
    for label, path, unit, higher, target in ROWS:
        va, vb = dig(results.get(a), path), dig(results.get(b), path)
        ratio = va / vb if va is not None and vb else None
        met = ""
        if ratio is not None and target:
            lim = float(target.split()[1].rstrip("x"))
            ok = ratio >= lim if target.startswith(">=") else ratio <= lim
            met = "yes" if ok else "NO"
        fmt = (lambda v: "-" if v is None else (f"{v:.3f}" if unit == "s" else f"{v:,.1f}"))  # noqa: E731
        rows.append([f"{label} ({unit})", fmt(va), fmt(vb), "-" if ratio is None else f"{ratio:.2f}x",
                     target or "", met])
    if markdown:
        out = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    w = [max(len(str(x[i])) for x in [hdr, *rows]) for i in range(len(hdr))]
    line = lambda r: "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))  # noqa: E731
    return "\n".join([line(hdr), "-" * (sum(w) + 2 * (len(w) - 1)), *map(line, rows)])


def cpu_table(results: dict[str, dict[str, object]], markdown: bool) -> str:
    """Where the CPU went per phase: client (Python + wrk) vs server, in cores."""
    phases = [("LIST", ("list",)), ("GET 4 KiB", ("small_get",)), ("PUT 4 KiB", ("small_put",)),
              ("PUT 64 MiB c1", ("large_c1", "put")), ("GET 64 MiB c1", ("large_c1", "get")),
              ("PUT 64 MiB c4", ("large_c4", "put")), ("GET 64 MiB c4", ("large_c4", "get"))]
    hdr = ["phase"]
    for s in ORDER:
        if s in results:
            hdr += [f"{s} server cores", f"{s} client cores"]
    rows = []
    for label, p in phases:
        r = [label]
        for s in ORDER:
            if s in results:
                sv, cl = dig(results[s], (*p, "server_cpu_cores")), dig(results[s], (*p, "client_cpu_cores"))
                r += ["-" if sv is None else f"{sv:.2f}", "-" if cl is None else f"{cl:.2f}"]
        rows.append(r)
    if markdown:
        return "\n".join(["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr),
                          *["| " + " | ".join(r) + " |" for r in rows]])
    return "\n".join(["  ".join(hdr), *["  ".join(r) for r in rows]])


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        return "unknown"


def machine() -> dict[str, object]:
    model = ""
    with contextlib.suppress(OSError):
        for ln in open("/proc/cpuinfo"):
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "python": platform.python_version()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short phases (a smoke run; figures are noisy)")
    ap.add_argument("--only", choices=ORDER, help="run against one server only")
    ap.add_argument("--profile", action="store_true",
                    help="py-spy the Strongroom server during PUT 64 MiB and PUT 4 KiB (perturbs figures)")
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    ap.add_argument("--keep", action="store_true", help="keep the servers' temp dirs")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()

    cfg = config(args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC)
    meta = {"date": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "commit": git_commit(), "machine": machine(),
            "config": cfg}
    print(f"# {meta['date']}  commit {meta['commit']}  {meta['machine']}", flush=True)
    body64 = os.urandom(64 * MiB)
    results: dict[str, dict[str, object]] = {}
    failures: dict[str, str] = {}
    profiles: list[Path] = []
    for name in ORDER:
        if args.only and name != args.only:
            continue
        print(f"== {name}", flush=True)
        try:
            with servers.STARTERS[name](keep=args.keep) as srv, \
                    tempfile.TemporaryDirectory(prefix="bench-wrk-") as wd:
                prof: load.Profiler = load._no_profile
                if args.profile and name == "strongroom":
                    import pyspy

                    def prof(phase: str, _pid: int = srv.pid) -> contextlib.AbstractContextManager[object]:
                        if phase in ("put64m-c1", "put64m-c4", "put4k-c16"):
                            profiles.append(args.out / f"profile-{phase}.txt")
                            return pyspy.record(_pid, phase, args.out)
                        return contextlib.nullcontext()
                t0 = time.perf_counter()
                results[name] = run_suite(srv, cfg, body64, Path(wd), prof,
                                          log=lambda s: print(s, flush=True))
                results[name]["suite_wall_s"] = round(time.perf_counter() - t0, 1)
        except Exception as e:  # noqa: BLE001
            failures[name] = f"{type(e).__name__}: {e}"
            traceback.print_exc()
            print(f"!! {name} failed: {failures[name]}", flush=True)

    doc = {**meta, "results": results, "failures": failures}
    ratios = {}
    for label, path, _unit, _hi, _target in ROWS:
        va, vb = dig(results.get("strongroom"), path), dig(results.get("seaweedfs"), path)
        if va is not None and vb:
            ratios[label] = round(va / vb, 3)
    doc["ratios_strongroom_over_seaweedfs"] = ratios
    out = args.out / f"bench-{stamp.strftime('%Y%m%dT%H%M%SZ')}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(doc, indent=2))
    print()
    print(table(results, args.markdown))
    print()
    print(cpu_table(results, args.markdown))
    for name, r in results.items():
        if r.get("errors"):
            print(f"\n{name}: measurements that failed:", json.dumps(r["errors"], indent=2))
    if failures:
        print("\nfailed:", json.dumps(failures, indent=2))
    if profiles:
        import pyspy

        print()
        for p in profiles:
            if p.exists():
                print(pyspy.summarise(p))
    print(f"\nJSON: {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
