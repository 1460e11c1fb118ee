"""Account-wide IAM operations: GetAccountSummary (entity counts and IAM's quotas)."""

from __future__ import annotations

from ..xml import Node
from .context import IamContext
from .params import Params

__all__ = ["get_account_summary"]


async def get_account_summary(p: Params, ctx: IamContext) -> Node:
    """GetAccountSummary: the SummaryMap (a map: <entry><key>..</key><value>..</value></entry>)."""
    await ctx.authorize("*")
    summary = await ctx.run(ctx.iam.summary, ctx.account_id)
    return [("SummaryMap", [("entry", [("key", k), ("value", v)]) for k, v in sorted(summary.items())])]
