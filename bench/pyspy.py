"""py-spy profiling of a server process during a benchmark phase, and a summary of the samples.

Usage from run.py (--profile): each selected phase is wrapped in `record(pid, phase, outdir)`, which
runs `py-spy record --format raw` against the server for the length of the phase.  `summarise`
folds the collapsed stacks into self time and inclusive time per function.

Standalone: python bench/pyspy.py bench/out/profile-*.txt
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


@contextlib.contextmanager
def record(pid: int, phase: str, outdir: Path, rate: int = 200, native: bool = False) -> Iterator[Path]:
    exe = shutil.which("py-spy")
    if not exe:
        raise RuntimeError("py-spy not found (pip install py-spy)")
    out = outdir / f"profile-{phase}.txt"
    cmd = [exe, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", str(rate),
           "--output", str(out), "--nonblocking"]
    if native:
        cmd.append("--native")
    log = open(outdir / f"profile-{phase}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    time.sleep(0.5)  # let it attach
    try:
        yield out
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _frame(f: str) -> str:
    # "func (path/to/module.py:123)" -> "func (module.py)"; keep native frames as they are
    f = _LINE.sub(")", f.strip())
    m = re.match(r"(.*) \((.*)\)$", f)
    if m:
        name, path = m.groups()
        parts = path.replace("\\", "/").split("/")
        short = "/".join(parts[-2:]) if len(parts) > 1 else parts[0]
        return f"{name} ({short})"
    return f


def summarise(path: Path, top: int = 15) -> str:
    self_t: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        frames = [_frame(f) for f in stack.split(";")]
        # drop the leading "process/thread" pseudo-frames py-spy adds with --subprocesses
        frames = [f for f in frames if not f.startswith(("process ", "thread "))] or frames
        total += count
        self_t[frames[-1]] += count
        for f in set(frames):
            incl[f] += count
    if not total:
        return f"{path.name}: no samples\n"
    lines = [f"{path.name}: {total} samples", "  self time:"]
    for f, c in self_t.most_common(top):
        lines.append(f"    {100 * c / total:5.1f}%  {f}")
    lines.append("  inclusive time:")
    for f, c in incl.most_common(top + 10):
        lines.append(f"    {100 * c / total:5.1f}%  {f}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(summarise(Path(p)))
