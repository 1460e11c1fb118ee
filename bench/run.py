"""Strongroom vs SeaweedFS S3 benchmark (not a test).

    python bench/run.py [--quick] [--only strongroom|seaweedfs] [--profile] [--markdown]

Starts both servers, then runs each measurement against one server and then the other (only one
is loaded at any moment), prints a table with the ratio Strongroom/SeaweedFS, and writes JSON to
bench/out/.  See bench/README.md.
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


class Suite:
    """The measurements against one running server.  Phases are separate methods so that run.py can
    interleave the servers phase by phase (both servers are up; only one is loaded at a time)."""

    PHASES = ("list", "small_get", "small_put", "large_c1", "large_c4")

    def __init__(self, srv: servers.Server, cfg: dict[str, object], body64: bytes, workdir: Path,
                 profile: load.Profiler, log=print) -> None:  # type: ignore[no-untyped-def]
        self.srv, self.cfg, self.body64, self.workdir, self.profile, self.log = (
            srv, cfg, body64, workdir, profile, log)
        self.t = load.Target.make(srv.name, srv.endpoint, srv.pid)
        self.res: dict[str, object] = {"endpoint": srv.endpoint, "errors": {}}
        self.small = os.urandom(4096)
        self.nkeys = int(cfg["list_keys"])  # type: ignore[arg-type]
        self.keys = [f"k/{i:05d}" for i in range(self.nkeys)]

    def setup(self) -> None:
        t = self.t
        for b in ("bench-list", "bench-small", "bench-big"):
            load.ensure_bucket(t, b)
        # 10k keys of 4 KiB: the LIST data and the targets of the 4 KiB GET phase
        self.log(f"[{t.name}] uploading {self.nkeys} x 4 KiB keys for LIST / GET ...")
        up = load.parallel_puts(t, "bench-list", self.keys, self.small, workers=8)
        self.log(f"[{t.name}]   {up:.0f} PUT/s from the Python uploader (setup, not a figure)")
        load.check_small_get(t, "bench-list", self.keys[0], self.small)
        # warm-ups, untimed (SeaweedFS grows volumes for a bucket's collection on its first writes)
        load.parallel_puts(t, "bench-small", [f"warm/{i:04d}" for i in range(300)], self.small, workers=8)
        load.parallel_puts(t, "bench-big", ["warm/0", "warm/1"], self.body64, workers=2)

    def run(self, phase: str) -> None:
        """Run one measurement; a failure is recorded and the suite goes on with the next one."""
        errors: dict[str, str] = self.res["errors"]  # type: ignore[assignment]
        try:
            self.res[phase] = getattr(self, "_" + phase)()
            self.log(f"[{self.t.name}] {phase}: {self.res[phase]}")
        except Exception as e:  # noqa: BLE001
            errors[phase] = f"{type(e).__name__}: {str(e)[:500]}"
            self.log(f"[{self.t.name}] {phase} FAILED: {errors[phase]}")
            if not self.srv.alive():
                raise RuntimeError(f"{self.t.name} died; log tail:\n{self.srv.log_tail()}") from e

    def _wrk(self, method: str, paths, size: int, tag: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
        c = self.cfg
        return load.run_wrk(self.t, method, paths, size, float(c["small_duration"]), int(c["wrk_conns"]),  # type: ignore[arg-type]
                            int(c["wrk_threads"]), self.workdir, tag, self.profile)  # type: ignore[arg-type]

    def _list(self) -> dict[str, object]:
        return load.bench_list(self.t, "bench-list", self.nkeys, int(self.cfg["list_repeats"]))  # type: ignore[arg-type]

    def _small_get(self) -> dict[str, object]:
        # cycle through presigned GETs of the 10k LIST keys
        self.t.presigner.set_time(None)
        return self._wrk("GET", [self.t.presigner.path("GET", "bench-list", k) for k in self.keys], 0, "get")

    def _small_put(self) -> dict[str, object]:
        # fresh keys, presigned with UNSIGNED-PAYLOAD; the 4 KiB body is made by the Lua script
        self.t.presigner.set_time(None)
        n = int(self.cfg["put_urls"])  # type: ignore[arg-type]
        paths = (self.t.presigner.path("PUT", "bench-small", f"s/{i:07d}") for i in range(n))
        return self._wrk("PUT", paths, 4096, "put")

    def _large(self, c: int) -> dict[str, object]:
        self.t.presigner.set_time(None)
        return load.bench_large(self.t, "bench-big", c, 64 * MiB, float(self.cfg["large_duration"]),  # type: ignore[arg-type]
                                int(self.cfg["large_min_ops"]), self.body64, self.profile)  # type: ignore[arg-type]

    def _large_c1(self) -> dict[str, object]:
        return self._large(1)

    def _large_c4(self) -> dict[str, object]:
        return self._large(4)


def table(results: dict[str, dict[str, object]], markdown: bool) -> str:
    a, b = "strongroom", "seaweedfs"
    hdr = ["measure", "Strongroom", "SeaweedFS", "ratio SR/SW", "target", "met"]
    rows = []
    for label, path, unit, _higher, target in ROWS:
        va, vb = dig(results.get(a), path), dig(results.get(b), path)
        ratio = va / vb if va is not None and vb else None
        met = ""
        if ratio is not None and target:
            lim = float(target.split()[1].rstrip("x"))
            ok = ratio >= lim if target.startswith(">=") else ratio <= lim
            met = "yes" if ok else "NO"
        def fmt(v: float | None, unit: str = unit) -> str:
            return "-" if v is None else (f"{v:.3f}" if unit == "s" else f"{v:,.1f}")

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
    """Where the CPU went per phase, in cores: the server, the client (Python + wrk), and everything
    else on the machine (other users' processes, the idle other server)."""
    phases = [("LIST", ("list",)), ("GET 4 KiB", ("small_get",)), ("PUT 4 KiB", ("small_put",)),
              ("PUT 64 MiB c1", ("large_c1", "put")), ("GET 64 MiB c1", ("large_c1", "get")),
              ("PUT 64 MiB c4", ("large_c4", "put")), ("GET 64 MiB c4", ("large_c4", "get"))]
    hdr = ["phase"]
    for s in ORDER:
        if s in results:
            hdr += [f"{s} server", f"{s} client", f"{s} other"]
    rows = []
    for label, p in phases:
        r = [label]
        for s in ORDER:
            if s in results:
                for k in ("server_cpu_cores", "client_cpu_cores", "other_cpu_cores"):
                    v = dig(results[s], (*p, k))
                    r.append("-" if v is None else f"{v:.2f}")
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
    ap.add_argument("--profile-phases", default="put64m-c1,put64m-c4,put4k-c16",
                    help="phases to profile: put64m-c1,get64m-c1,put64m-c4,get64m-c4,put4k-c16,get4k-c16")
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
    names = [n for n in ORDER if not args.only or n == args.only]
    with contextlib.ExitStack() as stack:
        wd = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-wrk-")))
        suites: dict[str, Suite] = {}
        for name in names:
            print(f"== starting {name}", flush=True)
            try:
                srv = stack.enter_context(servers.STARTERS[name](keep=args.keep))
                prof: load.Profiler = load._no_profile
                if args.profile and name == "strongroom":
                    import pyspy

                    def prof(phase: str, _pid: int = srv.pid) -> contextlib.AbstractContextManager[object]:
                        if phase in args.profile_phases.split(","):
                            profiles.append(args.out / f"profile-{phase}.txt")
                            return pyspy.record(_pid, phase, args.out)
                        return contextlib.nullcontext()
                suite = Suite(srv, cfg, body64, wd, prof, log=lambda s: print(s, flush=True))
                suite.setup()
                suites[name] = suite
                results[name] = suite.res
            except Exception as e:  # noqa: BLE001
                failures[name] = f"{type(e).__name__}: {e}"
                traceback.print_exc()
                print(f"!! {name} failed: {failures[name]}", flush=True)
        # Interleave: each phase runs against one server, then the other, so that background load
        # on a shared machine affects both alike.  The idle server's CPU shows up as "other".
        for phase in Suite.PHASES:
            for name, suite in list(suites.items()):
                try:
                    suite.run(phase)
                except Exception as e:  # noqa: BLE001
                    failures[name] = f"{type(e).__name__}: {e}"
                    print(f"!! {name} failed: {failures[name]}", flush=True)
                    del suites[name]

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
