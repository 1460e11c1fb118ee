"""Key policy handlers: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and the checks CreateKey shares.

A key has one policy, named "default". A new policy is validated (MalformedPolicyDocumentException
with the reason) and, unless BypassPolicyLockoutSafetyCheck, must still let its author call
PutKeyPolicy, so nobody locks themselves out of a key by mistake (AWS's safety check).
"""

from __future__ import annotations

from ...errors import S3Error
from ...kms.builtin import KmsKey
from ...kms.key_policy import DEFAULT_POLICY_NAME, decide_key_use, parse_key_policy
from ...policy import MalformedPolicy, Policy, RequestContext
from .context import KmsContext
from .params import Params

__all__ = ["get_key_policy", "put_key_policy", "list_key_policies", "validated_policy", "check_lockout"]

POLICY_MAX_CHARS = 131072  # the API's limit; a key policy itself may be at most 32 KiB
POLICY_NAME_MAX_CHARS = 128
_LOCKOUT = (
    "The new key policy will not allow you to update the key policy in the future."
)


def _policy_name(p: Params) -> str:
    name = p.optional_string("PolicyName", POLICY_NAME_MAX_CHARS) or DEFAULT_POLICY_NAME
    if name != DEFAULT_POLICY_NAME:
        raise S3Error("NotFoundException", f"No such policy exists: {name} (a KMS key has one policy, named {DEFAULT_POLICY_NAME}).")
    return name


def validated_policy(text: str) -> Policy:
    """The parsed key policy, or MalformedPolicyDocumentException naming the problem."""
    try:
        return parse_key_policy(text)
    except MalformedPolicy as exc:
        raise S3Error("MalformedPolicyDocumentException", str(exc)) from None


def check_lockout(policy: Policy, context: RequestContext, bypass: bool) -> None:
    """AWS's lockout safety check: the policy must let the caller call PutKeyPolicy later."""
    if not bypass and not decide_key_use(policy, context).allowed:
        raise S3Error("MalformedPolicyDocumentException", _LOCKOUT)


async def _key(p: Params, ctx: KmsContext) -> KmsKey:
    return await ctx.resolve(p.string("KeyId"))


async def get_key_policy(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """GetKeyPolicy: the key's policy document (the default one when none was set)."""
    key = await _key(p, ctx)
    name = _policy_name(p)
    ctx.authorize(key)
    text = await ctx.run(ctx.kms.policies.text, key.key_id, key.account_id)
    return {"Policy": text, "PolicyName": name}


async def put_key_policy(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """PutKeyPolicy: replace the key's policy with a validated document."""
    key = await _key(p, ctx)
    _policy_name(p)
    text = p.string("Policy", POLICY_MAX_CHARS)
    bypass = p.flag("BypassPolicyLockoutSafetyCheck")
    grant = ctx.authorize(key)
    policy = validated_policy(text)
    check_lockout(policy, ctx.key_context(key, "kms:PutKeyPolicy"), bypass)
    await ctx.run(ctx.kms.policies.put, grant, key.key_id, key.arn, text)
    return None


async def list_key_policies(p: Params, ctx: KmsContext) -> dict[str, object] | None:
    """ListKeyPolicies: the names of the key's policies (always just "default")."""
    key = await _key(p, ctx)
    p.integer("Limit", 100, 1, 1000)
    p.optional_string("Marker", 1024)
    ctx.authorize(key)
    return {"PolicyNames": [DEFAULT_POLICY_NAME], "Truncated": False}
