"""Every S3 error code raised anywhere has a table entry; the type refuses unknown codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from strongroom.errors import ERROR_TABLE, S3Error

SRC = Path(__file__).resolve().parents[3] / "src" / "strongroom"


def test_every_code_raised_in_the_source_is_in_the_table() -> None:
    codes = set()
    for path in SRC.rglob("*.py"):
        codes |= set(re.findall(r'S3Error\(\s*"([A-Za-z0-9]+)"', path.read_text()))
    assert codes, "found no S3Error uses: the scan is broken"
    assert codes <= set(ERROR_TABLE), sorted(codes - set(ERROR_TABLE))


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        S3Error("NoSuchThing")


def test_client_errors_are_4xx_and_server_errors_5xx() -> None:
    for code, (status, _message) in ERROR_TABLE.items():
        assert 300 <= status < 600, code
    assert ERROR_TABLE["InternalError"][0] == 500
    assert ERROR_TABLE["NoSuchKey"][0] == 404


def test_only_policy_evaluation_issues_grants() -> None:
    issuers = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if "Grant._issue(" in p.read_text())
    assert issuers == ["policy/evaluate.py"]


def test_a_grant_cannot_be_forged_by_construction() -> None:
    from strongroom.grant import Grant

    with pytest.raises(TypeError):
        Grant("arn:aws:iam::123456789012:root", "123456789012", "s3:GetObject", object())
