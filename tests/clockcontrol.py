"""Move the clock of a server started with STRONGROOM_ALLOW_CLOCK_OVERRIDE=true (test-only admin
resource ``/_strongroom/clock``), signed with an account's root key like any request."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from urllib.parse import urlencode

from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, running_server
from rawclient import RawResponse, signed_request

__all__ = ["CLOCK_ENV", "DAY_SECONDS", "running_movable_server", "clock_request", "set_offset", "advance", "offset", "server_now"]

CLOCK_ENV = {"STRONGROOM_ALLOW_CLOCK_OVERRIDE": "true"}
DAY_SECONDS = 86400
CLOCK_PATH = "/_strongroom/clock"


def clock_request(server: ServerInfo, method: str, query: str = "", key: str = MAIN_KEY, secret: str = MAIN_SECRET) -> RawResponse:
    """One signed request to the clock resource (the raw answer, for error tests)."""
    return signed_request(server.endpoint, method, CLOCK_PATH, key, secret, query=query)


def _state(response: RawResponse) -> dict[str, float]:
    if response.status != 200:
        raise AssertionError(f"clock request failed: {response.status} {response.body!r}")
    state: dict[str, float] = json.loads(response.body)
    return state


def set_offset(server: ServerInfo, seconds: float) -> float:
    """Put the server's rules clock ``seconds`` from the wall clock; returns the server's new now."""
    return _state(clock_request(server, "PUT", urlencode({"offset-seconds": repr(float(seconds))})))["Now"]


def offset(server: ServerInfo) -> float:
    """How far the server's clock is moved."""
    return _state(clock_request(server, "GET"))["OffsetSeconds"]


def server_now(server: ServerInfo) -> float:
    """The server's rules clock, in epoch seconds."""
    return _state(clock_request(server, "GET"))["Now"]


def advance(server: ServerInfo, days: float = 0, seconds: float = 0) -> float:
    """Move the server's clock further ahead; returns its new now."""
    return set_offset(server, offset(server) + days * DAY_SECONDS + seconds)


@contextlib.contextmanager
def running_movable_server(extra_env: dict[str, str] | None = None) -> Iterator[ServerInfo]:
    """A server of its own (one worker process: the offset is per process) whose clock tests may move."""
    with running_server({**CLOCK_ENV, **(extra_env or {})}) as info:
        yield info
