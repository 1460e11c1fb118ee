"""IAM names, paths, ids and policy ARNs (service/iam/names.py): IAM's constraints and AWS's wording."""

from __future__ import annotations

import re

import pytest

from strongroom.errors import S3Error
from strongroom.service.iam.names import check_name, check_path, new_unique_id, parse_policy_arn


@pytest.mark.parametrize("name", ["alice", "a.b-c_d+e=f,g@h", "x" * 64])
def test_valid_user_names(name: str) -> None:
    assert check_name("user", name, "userName") == name


@pytest.mark.parametrize("name", ["", "x" * 65, "a b", "a/b", "ünï"])
def test_invalid_user_names_are_validation_errors(name: str) -> None:
    with pytest.raises(S3Error) as exc:
        check_name("user", name, "userName")
    assert exc.value.code == "ValidationError" and "at 'userName' failed to satisfy constraint" in exc.value.message


def test_group_and_policy_names_may_be_longer() -> None:
    assert check_name("group", "g" * 128, "groupName") and check_name("policy", "p" * 128, "policyName")


@pytest.mark.parametrize(("path", "ok"), [(None, True), ("/", True), ("/a/b/", True), ("a/", False), ("/a", False), ("/a b/", False)])
def test_paths(path: str | None, ok: bool) -> None:
    if ok:
        assert check_path(path) == (path or "/")
    else:
        with pytest.raises(S3Error, match="ValidationError"):
            check_path(path)


def test_unique_ids_have_the_kind_prefix_and_21_characters() -> None:
    ids = {kind: new_unique_id(kind) for kind in ("user", "group", "role", "policy")}
    assert [i[:4] for i in ids.values()] == ["AIDA", "AGPA", "AROA", "ANPA"]
    assert all(re.fullmatch(r"[A-Z0-9]{21}", i) for i in ids.values())


def test_policy_arns() -> None:
    assert parse_policy_arn("arn:aws:iam::111111111111:policy/team/read") == ("111111111111", "/team/", "read")
    assert parse_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess") == ("aws", "/", "ReadOnlyAccess")
    for bad in ("arn:aws:iam::111111111111:user/alice", "arn:aws:s3:::bucket", "nope"):
        with pytest.raises(S3Error) as exc:
            parse_policy_arn(bad)
        assert exc.value.code == "InvalidInput"
