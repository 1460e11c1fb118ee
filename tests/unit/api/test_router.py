"""The Operation table and router: every row reachable, no collisions, unknowns answered correctly."""

from __future__ import annotations

import pytest

from strongroom.api.operations import OPERATIONS, Target
from strongroom.api.request import S3Request
from strongroom.api.router import route, split_host
from strongroom.errors import S3Error


def _req(method: str, path: bytes, query: bytes = b"", headers: dict[str, str] | None = None) -> S3Request:
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {"host": "127.0.0.1:9000"}).items()]
    scope = {"type": "http", "method": method, "path": path.decode("latin-1"), "raw_path": path, "query_string": query, "headers": raw_headers}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    return S3Request.from_scope(scope, receive, "test")


def _path_for(target: Target) -> bytes:
    return {Target.SERVICE: b"/", Target.BUCKET: b"/bucket", Target.OBJECT: b"/bucket/some/key"}[target]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_operation_row_is_reachable(op) -> None:
    query = b"&".join(q.encode() + (b"=2" if q == "list-type" else b"=1") for q in op.query)
    headers = {"host": "127.0.0.1:9000", **({op.header: "src/key"} if op.header else {})}
    assert route(_req(op.method, _path_for(op.target), query, headers), "localhost").operation is op


def test_no_two_rows_share_method_target_query_and_header() -> None:
    seen = {(op.method, op.target, frozenset(op.query), op.header) for op in OPERATIONS}
    assert len(seen) == len(OPERATIONS)
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)


def test_keys_come_from_the_raw_path_decoded_once() -> None:
    r = route(_req("GET", b"/bucket/a%2Fb/%25zz%20x%2B"), "localhost")
    assert (r.bucket, r.key) == ("bucket", "a/b/%zz x+")


def test_virtual_host_names_the_bucket() -> None:
    r = route(_req("GET", b"/k/ey", headers={"host": "photos.localhost:9000"}), "localhost")
    assert (r.bucket, r.key, r.operation.name) == ("photos", "k/ey", "GetObject")
    assert split_host("localhost:9000", "localhost") is None


def test_unknown_subresource_is_not_implemented() -> None:
    with pytest.raises(S3Error) as err:
        route(_req("GET", b"/bucket", b"website"), "localhost")
    assert err.value.code == "NotImplemented" and err.value.status == 501


def test_unknown_method_is_method_not_allowed() -> None:
    with pytest.raises(S3Error) as err:
        route(_req("PATCH", b"/bucket/key"), "localhost")
    assert err.value.code == "MethodNotAllowed" and err.value.status == 405


def test_invalid_utf8_in_a_key_is_invalid_uri() -> None:
    with pytest.raises(S3Error) as err:
        route(_req("GET", b"/bucket/%ff"), "localhost")
    assert err.value.code == "InvalidURI"


def test_version_id_turns_get_object_into_get_object_version() -> None:
    r = route(_req("GET", b"/bucket/key", b"versionId=abc"), "localhost")
    assert r.operation.action(_req("GET", b"/bucket/key", b"versionId=abc")) == "s3:GetObjectVersion"
    assert r.operation.action(_req("GET", b"/bucket/key")) == "s3:GetObject"
