"""Access-key lookups with a short-lived cache.

Every signed request needs its key's secret; looking it up means a metadata read and unsealing the
secret with the root key. Entries live a couple of seconds (a stateless gateway must notice a key
deleted through another gateway soon) and unknown keys are never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict

from .. import clock
from ..errors import S3Error
from ..service.accounts import AccessKey, Accounts
from ..service.model import Account, Principal, RoleSession
from .session_tokens import SessionClaims, open_session

__all__ = ["CredentialCache", "CREDENTIAL_TTL_SECONDS"]

CREDENTIAL_TTL_SECONDS = 2.0
MAX_CACHED_KEYS = 10_000
# A key's last use is written at most this often per process: one small write a minute per key,
# never one per request (GetAccessKeyLastUsed is that coarse in AWS too).
LAST_USED_INTERVAL_SECONDS = 60.0


def _session_principal(claims: SessionClaims, account: Account) -> Principal:
    """The principal of a session: a role's session, or the user (or root) that asked GetSessionToken."""
    role_session = None
    if claims.kind == "role":
        assert claims.name is not None and claims.session_name is not None
        role_session = RoleSession(claims.name, claims.path, claims.entity_id or "", claims.session_name, claims.policy,
                                   claims.policy_arns, tuple(sorted(claims.tags.items())), claims.source_identity)
    user_name = claims.name if claims.kind == "user" else None
    user_id = claims.entity_id if claims.kind == "user" else None
    return Principal(account, user_name, claims.access_key_id, claims.path, user_id, role_session, claims.expires)


class CredentialCache:
    """Access key id -> AccessKey, remembered for a short time."""

    def __init__(self, accounts: Accounts, ttl_seconds: float = CREDENTIAL_TTL_SECONDS) -> None:
        self._accounts = accounts
        self._ttl = ttl_seconds
        self._entries: OrderedDict[str, tuple[float, AccessKey]] = OrderedDict()
        self._noted: dict[str, float] = {}

    async def lookup(self, access_key_id: str) -> AccessKey:
        """The key and its principal; InvalidAccessKeyId (from the store) if unknown or inactive."""
        now = time.monotonic()
        hit = self._entries.get(access_key_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        key = await self._accounts.lookup(access_key_id)
        self._entries[access_key_id] = (now + self._ttl, key)
        self._entries.move_to_end(access_key_id)
        while len(self._entries) > MAX_CACHED_KEYS:
            self._entries.popitem(last=False)
        return key

    async def session(self, token: str, access_key_id: str) -> AccessKey:
        """Temporary credentials (STS): the key a session token carries, for the access key id the
        request was signed with; InvalidToken / ExpiredToken otherwise (auth/session_tokens.py)."""
        now = clock.now_seconds()
        cache_key = access_key_id + "\0" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        hit = self._entries.get(cache_key)
        if hit is not None and hit[0] > time.monotonic():
            expires = hit[1].principal.token_expires
            if expires is not None and now >= expires:
                raise S3Error("ExpiredToken")
            return hit[1]
        claims = open_session(self._accounts.root_keyring, token, access_key_id, now)
        account = await asyncio.to_thread(self._accounts.get_account_sync, claims.account_id)
        if account is None:
            raise S3Error("InvalidToken", "The account of this session no longer exists.")
        key = AccessKey(access_key_id, claims.secret, _session_principal(claims, account), "Active")
        self._entries[cache_key] = (time.monotonic() + self._ttl, key)
        while len(self._entries) > MAX_CACHED_KEYS:
            self._entries.popitem(last=False)
        return key

    async def note_use(self, access_key_id: str, service: str, region: str) -> None:
        """Record a verified use of the key, unless this process did so less than a minute ago."""
        now = time.monotonic()
        last = self._noted.get(access_key_id)
        if last is not None and now - last < LAST_USED_INTERVAL_SECONDS:
            return
        if len(self._noted) >= MAX_CACHED_KEYS:
            self._noted.clear()
        self._noted[access_key_id] = now
        await self._accounts.note_use(access_key_id, service, region)

    def forget(self, access_key_id: str) -> None:
        """Drop one key at once (after it is deleted through this process)."""
        self._entries.pop(access_key_id, None)
