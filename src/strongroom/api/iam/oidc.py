"""OpenID Connect providers: web identity federation is not offered, so an account has none.

ListOpenIDConnectProviders still answers (an empty list, the truth), because tools that clean up IAM
state, Ceph's s3-tests among them, list providers before anything else.
"""

from __future__ import annotations

from ..xml import Node
from .context import IamContext
from .params import Params

__all__ = ["list_open_id_connect_providers"]


async def list_open_id_connect_providers(params: Params, ctx: IamContext) -> Node:
    await ctx.authorize(f"arn:aws:iam::{ctx.account_id}:oidc-provider/*")
    return [("OpenIDConnectProviderList", [])]
