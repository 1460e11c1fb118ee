"""IAM identities: users, access keys, groups, inline and managed policies, attachments, roles, and a
principal's resolved identity policies. One module per job; ``Iam`` wires them to one store."""

from __future__ import annotations

from ...kms.root_key import RootKeyring
from ...meta.engine import MetaStore
from .attachments import Attachments
from .entities import Attached, IamGroup, IamRole, IamUser, KeyInfo, ManagedPolicy, PolicyVersion
from .groups import IamGroups
from .identity import NO_IDENTITY, ROOT_IDENTITY, Identity, IdentityPolicies
from .inline import InlinePolicies
from .keys import IamKeys
from .managed import ManagedPolicies
from .names import EntityKind
from .roles import IamRoles
from .summary import account_summary
from .tags import IamTags
from .users import IamUsers

__all__ = [
    "Iam",
    "Attached",
    "EntityKind",
    "IamGroup",
    "IamRole",
    "IamUser",
    "Identity",
    "KeyInfo",
    "ManagedPolicy",
    "PolicyVersion",
    "NO_IDENTITY",
    "ROOT_IDENTITY",
]


class Iam:
    """Every IAM store over one metadata store; writes drop this gateway's cached identities."""

    def __init__(self, meta: MetaStore, root: RootKeyring) -> None:
        self.identities = IdentityPolicies(meta)
        changed = self.identities.forget_all
        self.users = IamUsers(meta, changed)
        self.keys = IamKeys(meta, root, changed)
        self.groups = IamGroups(meta, changed)
        self.inline = InlinePolicies(meta, changed)
        self.managed = ManagedPolicies(meta, changed)
        self.attachments = Attachments(meta, changed)
        self.roles = IamRoles(meta, changed)
        self.tags = IamTags(meta, changed)
        self._meta = meta

    def summary(self, account_id: str) -> dict[str, int]:
        """GetAccountSummary's SummaryMap for an account (blocking)."""
        return self._meta.read_sync(lambda c: account_summary(c, account_id))
