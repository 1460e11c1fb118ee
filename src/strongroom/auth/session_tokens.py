"""STS session tokens: temporary credentials that carry themselves.

A token is the session's claims (its access key id and secret, whose session it is, when it ends,
its session policy, tags and source identity) sealed by the root keyring (AES-256-GCM, bound to a
fixed context). Every gateway holding the root key can verify one without a database lookup, no
secret is stored anywhere, and any change to a token fails its authentication tag: a tampered token
is InvalidToken, an expired one ExpiredToken, exactly as S3 answers.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
from dataclasses import asdict, dataclass, field
from typing import Any

from ..crypto.errors import IntegrityError
from ..errors import S3Error
from ..kms.root_key import RootKeyring

__all__ = ["SessionClaims", "seal_session", "open_session", "new_session_key_id", "new_session_secret"]

_CONTEXT = b"strongroom:sts-session-token:v1"
_KEY_ID_ALPHABET = string.ascii_uppercase + string.digits
MAX_TOKEN_CHARS = 16 * 1024


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """Who a session is and what it may still do; ``kind`` is "role" (AssumeRole) or "user"/"root" (GetSessionToken)."""

    access_key_id: str
    secret: str
    account_id: str
    kind: str
    name: str | None  # the role's or user's name; None for an account root
    path: str = "/"
    entity_id: str | None = None  # the role's (AROA...) or user's (AIDA...) unique id
    session_name: str | None = None
    expires: float = 0.0
    policy: str | None = None  # the session policy, as the caller passed it
    policy_arns: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa: bool = False


def new_session_key_id() -> str:
    """ASIA + 16: the shape of AWS's temporary access key ids."""
    return "ASIA" + "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(16))


def new_session_secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def seal_session(keyring: RootKeyring, claims: SessionClaims) -> str:
    """The token for these claims (URL-safe base64 of the sealed JSON)."""
    payload = json.dumps(asdict(claims), separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(keyring.seal(payload, _CONTEXT)).decode("ascii")


def _claims(raw: dict[str, Any]) -> SessionClaims:
    raw["policy_arns"] = tuple(raw.get("policy_arns", ()))
    raw["transitive_tag_keys"] = tuple(raw.get("transitive_tag_keys", ()))
    return SessionClaims(**raw)


def open_session(keyring: RootKeyring, token: str, access_key_id: str, now: float) -> SessionClaims:
    """The claims of a token presented with ``access_key_id``: InvalidToken unless it is one of ours,
    unaltered and issued for that key id; ExpiredToken once it has ended."""
    if len(token) > MAX_TOKEN_CHARS:
        raise S3Error("InvalidToken", "The provided token is malformed or otherwise invalid.")
    try:
        sealed = base64.urlsafe_b64decode(token.encode("ascii"))
        claims = _claims(json.loads(keyring.open(sealed, _CONTEXT)))
    except (IntegrityError, binascii.Error, UnicodeEncodeError, ValueError, TypeError):
        raise S3Error("InvalidToken", "The provided token is malformed or otherwise invalid.") from None
    if not secrets.compare_digest(claims.access_key_id, access_key_id):
        raise S3Error("InvalidToken", "The provided token is not valid for this access key.")
    if now >= claims.expires:
        raise S3Error("ExpiredToken", "The provided token has expired.")
    return claims
