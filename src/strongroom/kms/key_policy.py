"""KMS key policies: each key's resource policy, stored with the key, and the decision for one key use.

A key's policy is the ``policy`` column of its row; None means the default key policy, written out as
AWS writes it (the account's root may do kms:*: "let the account's IAM policies decide"). Only the key
policy can open a key (``resource_policy_required``): without a statement allowing the caller or its
account, even the owner account is refused. A statement naming the account's root delegates to the
account: its root gets in, its users as far as their identity policies allow (service/iam/identity.py).

The KMS API evaluates the policy for its caller (api/kms/context.py). S3 uses a key for its caller
with kms:ViaService set: generating a data key (the built-in KMS's ``wrap``: kms:GenerateDataKey, also
when a bucket key is made) and reading (service/sse.py ``check_keys_usable``: kms:Decrypt, before any
key, cached or not, is used). The api layer names that caller in ``S3_CALLER`` once it has authorised
the request; the variable travels with the work into threads that copy the context.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select, update

from .. import clock
from ..errors import S3Error
from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from ..policy import (
    ACCOUNT_PRINCIPAL,
    Caller,
    Decision,
    Policy,
    PolicySet,
    RequestContext,
    decide,
    parse_policy,
)
from .caller import KmsCaller

__all__ = [
    "DEFAULT_POLICY_NAME",
    "KEY_POLICY_MAX_BYTES",
    "S3_CALLER",
    "KeyPolicies",
    "default_key_policy",
    "key_use_context",
    "decide_key_use",
    "key_policy_set",
    "parse_key_policy",
]

DEFAULT_POLICY_NAME = "default"
KEY_POLICY_MAX_BYTES = 32 * 1024
# Encryption-context pairs the server adds for its own bindings (the blob id): not the caller's, so
# not condition keys.
_INTERNAL_CONTEXT_PREFIX = "strongroom:"
_CACHE_ENTRIES = 256
_KEY_ARN = re.compile(r"arn:aws:kms:[a-z0-9-]+:([0-9]{12}):key/([0-9a-f-]{36})")

# The caller of the S3 request being served, set by the api layer once it has authorised the request.
S3_CALLER: contextvars.ContextVar[KmsCaller | None] = contextvars.ContextVar("strongroom_kms_key_policy_caller", default=None)


def default_key_policy(account_id: str) -> str:
    """The default key policy, formatted as AWS returns it from GetKeyPolicy."""
    document = {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    return json.dumps(document, indent=2, separators=(",", " : "))


def parse_key_policy(text: str) -> Policy:
    """A validated key policy; MalformedPolicy (naming the problem) otherwise."""
    return parse_policy(text, name="key policy", max_bytes=KEY_POLICY_MAX_BYTES)


def key_use_context(
    caller: KmsCaller, key_arn: str, key_account: str, action: str, encryption_context: Mapping[str, str] | None = None
) -> RequestContext:
    """The request context of one key use: the caller, the key and the condition keys KMS defines."""
    keys: dict[str, str | tuple[str, ...]] = {}
    if caller.account_id is not None:
        keys["kms:CallerAccount"] = caller.account_id
        keys["aws:PrincipalAccount"] = caller.account_id
    if caller.principal_arn is not None:
        keys["aws:PrincipalArn"] = caller.principal_arn
        if ":user/" in caller.principal_arn:
            keys["aws:username"] = caller.principal_arn.rsplit("/", 1)[-1]
    for tag_key, tag_value in caller.principal_tags:
        keys[f"aws:PrincipalTag/{tag_key}"] = tag_value
    if caller.via_service is not None:
        keys["kms:ViaService"] = caller.via_service
    if caller.source_ip is not None:
        keys["aws:SourceIp"] = caller.source_ip
    now = clock.now_seconds()
    keys["aws:EpochTime"] = str(int(now))
    keys["aws:CurrentTime"] = clock_iso(now)
    pairs = {k: v for k, v in (encryption_context or {}).items() if not k.startswith(_INTERNAL_CONTEXT_PREFIX)}
    if encryption_context is not None:
        keys["kms:EncryptionContextKeys"] = tuple(sorted(pairs))
        for name, value in pairs.items():
            keys[f"kms:EncryptionContext:{name}"] = value
    who = Caller(arn=caller.principal_arn, account=caller.account_id, aliases=caller.aliases)
    return RequestContext(action, key_arn, who, key_account, keys)


def clock_iso(seconds: float) -> str:
    """aws:CurrentTime's notation (ISO 8601, UTC, seconds)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_policy_set(
    policy: Policy, context: RequestContext, identity: tuple[Policy, ...] | None = None, boundaries: tuple[Policy, ...] | None = None,
    session: tuple[Policy, ...] | None = None,
) -> PolicySet:
    """The policies one key use is evaluated against: the key policy (required), and the caller's
    identity policies and boundary. ``identity`` None stands for every right of the caller's account
    (its root; or a question about the key policy alone, such as the lockout check). A statement naming
    the account's root lets a user in only as far as its identity policies allow, as AWS delegates."""
    if identity is None:
        identity = (ACCOUNT_PRINCIPAL,) if context.caller.account is not None else ()
    return PolicySet(resource=(policy,), identity=identity, boundaries=boundaries, session=session, resource_policy_required=True)


def decide_key_use(
    policy: Policy, context: RequestContext, identity: tuple[Policy, ...] | None = None, boundaries: tuple[Policy, ...] | None = None,
    session: tuple[Policy, ...] | None = None,
) -> Decision:
    """The key policy's decision on one key use (with the caller's identity policies, when given)."""
    return decide(context, key_policy_set(policy, context, identity, boundaries, session))


_parsed: OrderedDict[str, Policy] = OrderedDict()
_parsed_lock = threading.Lock()
# key id -> (monotonic expiry, stored policy text or None for the default)
_texts: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
_texts_lock = threading.Lock()
_TEXT_TTL_SECONDS = 5.0
_TEXT_ENTRIES = 4096


def parsed_key_policy(text: str) -> Policy:
    """A stored (hence valid) policy text, parsed once per process (the text is the truth)."""
    with _parsed_lock:
        cached = _parsed.get(text)
        if cached is not None:
            _parsed.move_to_end(text)
            return cached
    policy = parse_key_policy(text)
    with _parsed_lock:
        _parsed[text] = policy
        while len(_parsed) > _CACHE_ENTRIES:
            _parsed.popitem(last=False)
    return policy


class KeyPolicies:
    """Reads and writes key policies in the metadata store. Blocking: call off the loop."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta

    def text(self, key_id: str, account_id: str) -> str:
        """The key's policy document (the default one when none was set).

        Remembered for a few seconds per process (every SSE-KMS request reads it) and forgotten when
        this process stores a new one; another gateway sees a change within ``_TEXT_TTL_SECONDS``
        (AWS too says a key policy change takes effect within minutes, not at once).
        """
        now = time.monotonic()
        with _texts_lock:
            cached = _texts.get(key_id)
        if cached is not None and cached[0] > now:
            stored = cached[1]
        else:
            t = schema.kms_keys
            row = self._meta.read_sync(lambda c: c.execute(select(t.c.policy).where(t.c.key_id == key_id)).first())
            stored = row.policy if row is not None else None
            with _texts_lock:
                _texts[key_id] = (now + _TEXT_TTL_SECONDS, stored)
                while len(_texts) > _TEXT_ENTRIES:
                    _texts.popitem(last=False)
        return stored if stored is not None else default_key_policy(account_id)

    def policy(self, key_id: str, account_id: str) -> Policy:
        """The key's parsed policy."""
        return parsed_key_policy(self.text(key_id, account_id))

    def put(self, grant: Grant, key_id: str, key_arn: str, text: str) -> None:
        """Store a validated policy document as the key's policy (the grant must be for this key)."""
        if grant.resource not in (key_arn, "*") or grant.action != "kms:PutKeyPolicy":
            raise S3Error("AccessDeniedException", f"The caller is not authorized to change the policy of {key_arn}")
        t = schema.kms_keys
        self._meta.write_sync(lambda c: c.execute(update(t).where(t.c.key_id == key_id).values(policy=text)))
        with _texts_lock:
            _texts.pop(key_id, None)

    def check_s3_use(self, key_arn: str, action: str, encryption_context: Mapping[str, str]) -> None:
        """S3's use of a key for the caller in ``S3_CALLER``: 403 AccessDenied unless the key policy allows.

        No caller (a background worker acting for the server) is not evaluated.
        """
        caller = S3_CALLER.get()
        if caller is None:
            return
        named = _KEY_ARN.fullmatch(key_arn)
        if named is None:
            return  # not a key of the built-in KMS: its own service decides
        account, key_id = named.groups()
        context = key_use_context(caller, key_arn, account, action, encryption_context)
        decision = decide_key_use(self.policy(key_id, account), context, caller.identity, caller.boundaries, caller.session)
        if not decision.allowed:
            raise S3Error("AccessDenied", decision.reason)
