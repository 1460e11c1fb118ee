"""How fast is the load generator on its own?  Runs the 64 MiB client and wrk against a trivial
HTTP sink/source (a separate process: asyncio, reads and discards PUT bodies, answers GETs from one
preallocated buffer), so the figures bound what the client could measure on this machine.

    python bench/client_selftest.py
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402
from load import MiB  # noqa: E402
from servers import ACCESS_KEY, REGION, SECRET_KEY, free_port  # noqa: E402

BIG = 64 * MiB


def _serve(port: int) -> None:
    blob = memoryview(bytes(BIG))
    small = bytes(4096)

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, target = lines[0].split(b" ")[:2]
                clen = 0
                for ln in lines[1:]:
                    if ln.lower().startswith(b"content-length:"):
                        clen = int(ln.split(b":", 1)[1])
                while clen:
                    chunk = await r.read(min(clen, 4 * MiB))
                    if not chunk:
                        return
                    clen -= len(chunk)
                if method == b"GET":
                    body = blob if b"/big" in target else small
                    w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
                    w.write(body)
                else:
                    w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            w.close()

    async def main() -> None:
        srv = await asyncio.start_server(handle, "127.0.0.1", port)
        async with srv:
            await srv.serve_forever()

    asyncio.run(main())


def main() -> None:
    port = free_port()
    p = mp.Process(target=_serve, args=(port,), daemon=True)
    p.start()
    time.sleep(0.5)
    try:
        ep = f"http://127.0.0.1:{port}"
        pre = load.Presigner(ep, ACCESS_KEY, SECRET_KEY, REGION)
        t = load.Target("sink", ep, None, pre, None)
        body = os.urandom(BIG)
        for c in (1, 4):
            conns = [t.conn() for _ in range(c)]
            import threading

            def put(i: int, n: int = 6, conns: list = conns) -> None:  # type: ignore[type-arg]
                for _ in range(n):
                    load._put(conns[i], pre.path("PUT", "b", "big"), body)

            def get(i: int, n: int = 6, conns: list = conns) -> None:  # type: ignore[type-arg]
                buf = memoryview(bytearray(4 * MiB))
                for _ in range(n):
                    load._get_into(conns[i], pre.path("GET", "b", "big"), buf)

            for name, fn in (("PUT", put), ("GET", get)):
                ths = [threading.Thread(target=fn, args=(i,)) for i in range(c)]
                with load.CpuMeter(p.pid) as m:
                    for th in ths:
                        th.start()
                    for th in ths:
                        th.join()
                print(f"64 MiB {name} c={c}: {6 * c * BIG / MiB / m.wall:8.0f} MiB/s  "
                      f"(client {m.client_cpu / m.wall:.2f} cores)")
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "u.txt"
            f.write_text("".join(pre.path("GET", "b", f"k{i}") + "\n" for i in range(10000)))
            for meth, size in (("GET", 0), ("PUT", 4096)):
                out = subprocess.run(["wrk", "-t1", "-c16", "-d5s", "--latency", "-s", str(load.CYCLE_LUA), ep,
                                      "--", str(f), meth, str(size), "1"], capture_output=True, text=True)
                rps = [ln for ln in out.stdout.splitlines() if ln.startswith("Requests/sec")]
                print(f"wrk 4 KiB {meth} c=16 against a one-core asyncio sink: {rps}")
    finally:
        p.terminate()
        p.join()


if __name__ == "__main__":
    main()
