"""Prometheus metrics: what the server counts, and the text exposition served at METRICS_PATH.

Every metric is a prometheus-client metric in its default registry, so a module that defines one is
exported with no wiring. The plain counters of observe/counters.py (S3's KMS calls, key cache hits
and misses) are mirrored into prometheus-client counters of the same names as they count.

Several worker processes (``--workers N``) each count their own calls. The ``strongroom server``
command points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before anything imports
prometheus-client (cli.py), so counters live in shared files and a scrape of any worker sums every
process; without it (an app built in-process) a scrape shows the answering process only.

Access: the metrics carry no secrets (operation names, outcomes, counts), yet they describe activity;
they are served unauthenticated only to clients in ``Settings.metrics_networks`` (loopback by default).
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)

from . import counters

__all__ = [
    "CONTENT_TYPE",
    "KMS_REQUESTS",
    "METRICS_PATH",
    "MULTIPROC_ENV",
    "count_kms_call",
    "client_allowed",
    "render",
]

# Bucket names never contain "_", so no bucket can shadow this path (path-style or virtual-host).
METRICS_PATH = "/_strongroom/metrics"
CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

KMS_REQUESTS = Counter(
    "strongroom_kms_requests",
    "KMS operations performed, by operation, caller (api: the KMS API; s3: S3 for its caller) and outcome "
    "(success, or the KMS error code). Every one is also an audit event.",
    ["operation", "caller", "outcome"],
)
_mirrors: dict[str, Counter] = {}
_mirrors_lock = threading.Lock()


def _mirror(source: counters.Counter, label_values: tuple[str, ...], amount: int) -> None:
    """Count in prometheus-client what observe/counters.py just counted."""
    with _mirrors_lock:
        mirror = _mirrors.get(source.name)
        if mirror is None:
            mirror = _mirrors[source.name] = Counter(source.name, source.help, list(source.label_names))
    (mirror.labels(*label_values) if label_values else mirror).inc(amount)


counters.add_listener(_mirror)


def count_kms_call(operation: str, via_s3: bool, error_code: str | None) -> None:
    """Count one KMS operation."""
    KMS_REQUESTS.labels(operation, "s3" if via_s3 else "api", error_code or "success").inc()


def render() -> bytes:
    """The text exposition of every metric (summed over worker processes in multiprocess mode)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory and os.path.isdir(directory):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def client_allowed(client_host: str | None, networks: Sequence[str]) -> bool:
    """Is a client address inside one of the allowed networks? (No address: no.)"""
    if not client_host:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
