"""`strongroom policy simulate`: ask the policy library what it decides for one request, offline.

No server and no data dir: the policies come from files, the request from the command line, and the
answer is the same ``decide`` the server runs (policy/evaluate.py). An account's root user holds every
right of its account (the identity policy the server gives it until IAM identities arrive, issue 5);
``--policy`` files are further identity policies of the principal. Exit status: 0 Allow, 1 deny (explicit
or implicit), 2 a usage error or a malformed policy (its MalformedPolicy reason on stderr).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .policy import (
    ACCOUNT_PRINCIPAL,
    ANONYMOUS,
    Caller,
    Decision,
    MalformedPolicy,
    MatchedStatement,
    Policy,
    PolicyKind,
    PolicySet,
    RequestContext,
    decide,
    parse_policy,
)

__all__ = ["policy"]

EXIT_ALLOW, EXIT_DENY, EXIT_USAGE = 0, 1, 2
BUCKET_POLICY_MAX_BYTES = 20 * 1024  # AWS's limit for a bucket policy (as the server enforces)
_ACCOUNT_ARN = re.compile(r"^arn:aws:(iam|sts)::(\d{12}):\S+$")
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_-]+$")
_ANONYMOUS_NAMES = ("*", "anonymous")


class _Malformed(click.ClickException):
    """A policy file the grammar refuses: ``Error: MalformedPolicy: FILE: reason`` and exit status 2."""

    exit_code = EXIT_USAGE


def _caller(principal: str) -> Caller:
    if principal in _ANONYMOUS_NAMES:
        return ANONYMOUS
    match = _ACCOUNT_ARN.match(principal)
    if match is None:
        raise click.BadParameter("expected arn:aws:iam::ACCOUNT:root (or another IAM ARN), '*' or 'anonymous'", param_hint="--principal")
    return Caller(arn=principal, account=match.group(2))


def _context_keys(pairs: Sequence[str]) -> dict[str, list[str]]:
    """``key=value`` pairs; a value with commas, or a key given twice, becomes a multi-valued key."""
    keys: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--context")
        keys.setdefault(name.strip(), []).extend(value.split(",") if "," in value else [value])
    return keys


def _default_keys(caller: Caller, now: datetime) -> dict[str, list[str]]:
    """What the server puts in every request's context: the time and, for a signed caller, who it is."""
    keys = {"aws:CurrentTime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")], "aws:EpochTime": [str(int(now.timestamp()))]}
    if caller.arn is not None and caller.account is not None:
        keys["aws:PrincipalArn"] = [caller.arn]
        keys["aws:PrincipalAccount"] = [caller.account]
        keys["aws:userid"] = [caller.account if caller.is_account_root else caller.arn.rsplit("/", 1)[-1]]
    return keys


def _load(path: Path, kind: PolicyKind, label: str, max_bytes: int | None = None) -> Policy:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}") from None
    try:
        if max_bytes is None:
            return parse_policy(text, kind=kind, name=f"{label} {path.name}")
        return parse_policy(text, kind=kind, name=f"{label} {path.name}", max_bytes=max_bytes)
    except MalformedPolicy as exc:
        raise _Malformed(f"MalformedPolicy: {path}: {exc}") from None


def _resource_account(resource: str, given: str | None, caller: Caller) -> str | None:
    """The resource owner: as given, else the ARN's account field (KMS keys), else the caller's own."""
    if given is not None:
        if not re.fullmatch(r"\d{12}", given):
            raise click.BadParameter("must be a 12-digit account id", param_hint="--resource-account")
        return given
    parts = resource.split(":", 5)
    if len(parts) == 6 and re.fullmatch(r"\d{12}", parts[4]):
        return parts[4]
    return caller.account


def _statement_json(statement: MatchedStatement) -> dict[str, Any]:
    return {"Policy": statement.policy, "Statement": statement.index + 1, "Sid": statement.sid, "Effect": statement.effect}


def _statement_line(statement: MatchedStatement) -> str:
    sid = f" (Sid {statement.sid!r})" if statement.sid else ""
    return f"  {statement.effect:<5} {statement.policy}, statement {statement.index + 1}{sid}"


def _render(decision: Decision, request: RequestContext, keys: dict[str, list[str]], as_json: bool) -> str:
    if as_json:
        return json.dumps({
            "Decision": decision.effect,
            "Reason": decision.reason,
            "MatchedStatements": [_statement_json(s) for s in decision.statements],
            "ConsideredStatements": [_statement_json(s) for s in decision.considered],
            "Request": {"Action": request.action, "Resource": request.resource, "Principal": request.caller.arn or "anonymous",
                        "ResourceAccount": request.resource_account, "Context": {k: v[0] if len(v) == 1 else v for k, v in keys.items()}},
        }, indent=2)
    lines = [f"Decision: {decision.effect}", f"Reason: {decision.reason}"]
    if decision.statements:
        lines += ["Statements:", *(_statement_line(s) for s in decision.statements)]
    elif decision.effect == "Allow":
        lines.append("Statements: none (an access control list allows)")
    else:
        lines.append("Statements: none applies that allows the request on every side it needs")
    if decision.considered:
        lines += ["Applied but not enough:", *(_statement_line(s) for s in decision.considered)]
    return "\n".join(lines)


@click.group()
def policy() -> None:
    """The IAM policy language, offline."""


@policy.command("simulate")
@click.option("--policy", "identity_files", multiple=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="An identity policy of the principal (repeatable).")
@click.option("--bucket-policy", "bucket_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="The bucket's policy (a resource policy).")
@click.option("--key-policy", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="A KMS key policy (a resource policy every key use needs).")
@click.option("--principal", required=True, help="arn:aws:iam::ACCOUNT:root (or another IAM ARN), '*' or 'anonymous'.")
@click.option("--action", required=True, help="The IAM action, e.g. s3:GetObject.")
@click.option("--resource", required=True, help="The resource ARN, e.g. arn:aws:s3:::bucket/key.")
@click.option("--context", "context_pairs", multiple=True, metavar="KEY=VALUE",
              help="A condition key (repeatable; commas or a repeated key make it multi-valued).")
@click.option("--resource-account", default=None, help="The resource owner's account (default: the ARN's, else the principal's).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def simulate(identity_files: tuple[Path, ...], bucket_file: Path | None, key_file: Path | None, principal: str, action: str,
             resource: str, context_pairs: tuple[str, ...], resource_account: str | None, as_json: bool) -> None:
    """Decide one request against policies from files: the decision and the statements that made it."""
    if bucket_file is not None and key_file is not None:
        raise click.UsageError("--bucket-policy and --key-policy describe different resources; give one")
    if not _ACTION.match(action):
        raise click.BadParameter("expected service:Action, e.g. s3:GetObject", param_hint="--action")
    if resource != "*" and not (resource.startswith("arn:") and resource.count(":") >= 5):
        raise click.BadParameter("expected an ARN, e.g. arn:aws:s3:::bucket/key", param_hint="--resource")
    caller = _caller(principal)
    identity = tuple(_load(f, PolicyKind.IDENTITY, "identity policy") for f in identity_files)
    if caller.is_account_root:
        identity = (ACCOUNT_PRINCIPAL, *identity)
    if bucket_file is not None:
        resource_side: tuple[Policy, ...] = (_load(bucket_file, PolicyKind.RESOURCE, "bucket policy", BUCKET_POLICY_MAX_BYTES),)
    elif key_file is not None:
        resource_side = (_load(key_file, PolicyKind.RESOURCE, "key policy"),)
    else:
        resource_side = ()
    given = _context_keys(context_pairs)
    defaults = {k: v for k, v in _default_keys(caller, datetime.now(UTC)).items() if k.lower() not in {g.lower() for g in given}}
    keys = {**defaults, **given}
    request = RequestContext(action, resource, caller, _resource_account(resource, resource_account, caller),
                             {k: v[0] if len(v) == 1 else v for k, v in keys.items()})
    policies = PolicySet(resource=resource_side, identity=identity if caller.account is not None else (),
                         resource_policy_required=key_file is not None)
    decision = decide(request, policies)
    click.echo(_render(decision, request, keys, as_json))
    click.get_current_context().exit(EXIT_ALLOW if decision.allowed else EXIT_DENY)
