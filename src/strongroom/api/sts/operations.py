"""STS operations: AssumeRole, GetSessionToken, GetCallerIdentity.

AssumeRole is decided by the role's trust policy (a resource policy that must allow) together with the
caller's identity side, as AWS decides it: the same account may be trusted directly, another account
needs both sides; session tags need sts:TagSession and a source identity sts:SetSourceIdentity too.
The credentials are a fresh key id and secret inside a session token sealed by the root keyring
(auth/session_tokens.py): nothing is stored, and every gateway can verify them until they end.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ...auth.session_tokens import SessionClaims, new_session_key_id, new_session_secret, seal_session
from ...clock import now_seconds
from ...errors import S3Error
from ...policy import MalformedPolicy, PolicyKind, PolicySet, authorize, parse_policy
from ...policy import RequestContext as PolicyRequest
from ...service.iam import IamRole
from ...service.model import Principal
from ..access import caller_of, condition_keys
from ..context import Services
from ..iam.params import Params
from ..request import S3Request
from ..xml import Node

__all__ = ["STS_OPERATIONS", "StsCall"]

_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_MIN_SECONDS, _CHAINED_MAX_SECONDS = 900, 3600
_SESSION_TOKEN_MAX, _SESSION_TOKEN_DEFAULT, _ROOT_SESSION_MAX = 129_600, 43_200, 3600
_SESSION_POLICY_MAX_CHARS, _MAX_POLICY_ARNS, _MAX_TAGS = 2048, 10, 50


@dataclass(frozen=True, slots=True)
class StsCall:
    """One verified STS request."""

    services: Services
    principal: Principal
    req: S3Request
    params: Params
    values: Mapping[str, str]


def _validation(message: str) -> S3Error:
    return S3Error("ValidationError", message)


def _members(values: Mapping[str, str], prefix: str, field: str) -> list[str]:
    """Query-protocol lists: Prefix.member.1.Field, Prefix.member.2.Field, ..."""
    out, n = [], 1
    while f"{prefix}.member.{n}.{field}" in values:
        out.append(values[f"{prefix}.member.{n}.{field}"])
        n += 1
    return out


def _credentials(claims: SessionClaims, token: str) -> Node:
    expiration = datetime.fromtimestamp(claims.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [("AccessKeyId", claims.access_key_id), ("SecretAccessKey", claims.secret), ("SessionToken", token), ("Expiration", expiration)]


def _duration(params: Params, default: int, maximum: int, too_long: str) -> int:
    seconds = params.integer("DurationSeconds")
    if seconds is None:
        return min(default, maximum)
    if seconds < _MIN_SECONDS:
        raise _validation(f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: "
                          f"Member must have value greater than or equal to {_MIN_SECONDS}")
    if seconds > maximum:
        raise _validation(too_long)
    return seconds


def _session_policy(params: Params) -> str | None:
    document = params.optional("Policy")
    if document is None:
        return None
    if len(document) > _SESSION_POLICY_MAX_CHARS:
        raise S3Error("PackedPolicyTooLarge", "Serialized token too large for session: the session policy exceeds 2048 characters.")
    try:
        parse_policy(document, kind=PolicyKind.IDENTITY, name="session policy")
    except MalformedPolicy as exc:
        raise S3Error("MalformedPolicyDocument", str(exc)) from None
    return document


def _tags(values: Mapping[str, str]) -> dict[str, str]:
    keys, tag_values = _members(values, "Tags", "Key"), _members(values, "Tags", "Value")
    if len(keys) != len(tag_values) or len(keys) > _MAX_TAGS:
        raise _validation(f"Session tags need a Key and a Value each, at most {_MAX_TAGS}.")
    tags: dict[str, str] = {}
    for key, value in zip(keys, tag_values, strict=True):
        if not 1 <= len(key) <= 128 or len(value) > 256 or key.lower() in {k.lower() for k in tags}:
            raise _validation(f"Session tag {key!r} is not valid (1-128 character keys, unique ignoring case; values up to 256).")
        tags[key] = value
    return tags


async def _role(services: Services, role_arn: str) -> IamRole:
    """The role an ARN names; AccessDenied (as AWS answers) when there is none."""
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        raise _validation(f"{role_arn!r} is not a role ARN (arn:aws:iam::<account>:role/<name>).")
    account_id, path, name = match.group(1), match.group(2), match.group(3)
    try:
        role = await asyncio.to_thread(services.iam.roles.get, account_id, name)
    except S3Error as missing:
        if missing.code != "NoSuchEntity":
            raise
        raise S3Error("AccessDenied", f"Not authorized to perform sts:AssumeRole on {role_arn}") from None
    if role.path != path:
        raise S3Error("AccessDenied", f"Not authorized to perform sts:AssumeRole on {role_arn}")
    return role


async def _may_assume(call: StsCall, role: IamRole, actions: list[str]) -> None:
    """The trust policy (required) and the caller's identity side allow each action on the role."""
    trust = parse_policy(role.trust_policy, kind=PolicyKind.TRUST, name=f"trust policy of {role.arn}")
    identity = await call.services.iam.identities.of(call.principal)
    settings = call.services.settings
    keys = condition_keys(call.req, call.principal, settings.vpc_endpoint_networks, settings.vpc_networks)
    policies = PolicySet(resource=(trust,), identity=identity.identity, boundaries=identity.boundaries, session=identity.session,
                         resource_policy_required=True)
    for action in actions:
        authorize(PolicyRequest(action, role.arn, caller_of(call.principal), role.account_id, keys), policies, explain=True)


async def assume_role(call: StsCall) -> Node:
    params, values = call.params, call.values
    role = await _role(call.services, params.required("RoleArn"))
    session_name = params.required("RoleSessionName")
    if not _SESSION_NAME.match(session_name):
        raise _validation("RoleSessionName must be 2-64 characters of letters, digits and +=,.@_-")
    chained = call.principal.role_session is not None
    maximum = _CHAINED_MAX_SECONDS if chained else role.max_session_seconds
    seconds = _duration(params, 3600, maximum, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                        if not chained else "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
    policy, policy_arns = _session_policy(params), tuple(_members(values, "PolicyArns", "arn"))
    if len(policy_arns) > _MAX_POLICY_ARNS:
        raise _validation(f"At most {_MAX_POLICY_ARNS} PolicyArns may be passed.")
    tags, source_identity = _tags(values), params.optional("SourceIdentity")
    if source_identity is not None and not _SESSION_NAME.match(source_identity):
        raise _validation("SourceIdentity must be 2-64 characters of letters, digits and +=,.@_-")
    actions = ["sts:AssumeRole"] + (["sts:TagSession"] if tags else []) + (["sts:SetSourceIdentity"] if source_identity else [])
    await _may_assume(call, role, actions)
    claims = SessionClaims(new_session_key_id(), new_session_secret(), role.account_id, "role", role.name, role.path, role.role_id,
                           session_name, now_seconds() + seconds, policy, policy_arns, tags, (), source_identity)
    token = seal_session(call.services.accounts.root_keyring, claims)
    content: list[tuple[str, Node]] = [
        ("Credentials", _credentials(claims, token)),
        ("AssumedRoleUser", [("AssumedRoleId", f"{role.role_id}:{session_name}"),
                             ("Arn", f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session_name}")]),
        ("PackedPolicySize", str(min(100, (len(policy or "") + len(str(tags))) * 100 // _SESSION_POLICY_MAX_CHARS))),
    ]
    if source_identity is not None:
        content.append(("SourceIdentity", source_identity))
    return content


async def get_session_token(call: StsCall) -> Node:
    """Temporary credentials of a user (or an account's root) with the same rights."""
    principal = call.principal
    if principal.token_expires is not None:
        raise S3Error("AccessDenied", "GetSessionToken needs long-term credentials (an access key of a user or an account).")
    maximum = _ROOT_SESSION_MAX if principal.is_root else _SESSION_TOKEN_MAX
    seconds = _duration(call.params, _SESSION_TOKEN_DEFAULT, maximum, f"DurationSeconds may be at most {maximum} for these credentials.")
    kind = "root" if principal.is_root else "user"
    claims = SessionClaims(new_session_key_id(), new_session_secret(), principal.account.account_id, kind, principal.user_name,
                           principal.path, principal.user_id, None, now_seconds() + seconds)
    return [("Credentials", _credentials(claims, seal_session(call.services.accounts.root_keyring, claims)))]


async def get_caller_identity(call: StsCall) -> Node:
    """Who the credentials belong to (always allowed, as AWS allows it)."""
    principal = call.principal
    if principal.role_session is not None:
        user_id = f"{principal.role_session.role_id}:{principal.role_session.session_name}"
    elif principal.user_name is not None:
        user_id = principal.user_id or principal.user_name
    else:
        user_id = principal.account.account_id
    return [("UserId", user_id), ("Account", principal.account.account_id), ("Arn", principal.arn)]


STS_OPERATIONS: Mapping[str, Callable[[StsCall], Awaitable[Node]]] = {
    "AssumeRole": assume_role,
    "GetSessionToken": get_session_token,
    "GetCallerIdentity": get_caller_identity,
}
