"""Account-level Block Public Access: Put/Get/DeletePublicAccessBlock of S3 Control.

Stored as the account's "public-access-block" document (service/account_configs.py). Every bucket of
the account then applies the stricter of its own flags and the account's (api/access.py).
"""

from __future__ import annotations

from ...errors import S3Error
from ...service.access_controls import PUBLIC_ACCESS_BLOCK_KIND, PublicAccessBlock
from ..response import Response, empty_response
from ..s3.headers import verify_small_body
from ..s3.public_access import PUBLIC_ACCESS_BLOCK_MAX_BYTES, parse_public_access_block
from ..xml import render_xml
from .call import CONTROL_XMLNS, ControlCall

__all__ = ["put_account_block", "get_account_block", "delete_account_block"]

async def put_account_block(call: ControlCall) -> Response:
    """Replace the account's four flags."""
    body = await call.req.read_body(PUBLIC_ACCESS_BLOCK_MAX_BYTES)
    verify_small_body(call.req, body, required=False)
    config = parse_public_access_block(body)
    await call.services.account_configs.put(call.grant, call.account_id, PUBLIC_ACCESS_BLOCK_KIND, config.to_json())
    return empty_response(200)


async def get_account_block(call: ControlCall) -> Response:
    """The account's flags, or NoSuchPublicAccessBlockConfiguration (404)."""
    config = PublicAccessBlock.from_json(await call.services.account_configs.get(call.account_id, PUBLIC_ACCESS_BLOCK_KIND))
    if config is None:
        raise S3Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", extra={"AccountId": call.account_id})
    content = [(name, "true" if value else "false") for name, value in config.as_dict().items()]
    body = render_xml("PublicAccessBlockConfiguration", content, xmlns=CONTROL_XMLNS)
    return Response(200, {"content-type": "application/xml"}, body)


async def delete_account_block(call: ControlCall) -> Response:
    """The account keeps no flags (absent is fine)."""
    await call.services.account_configs.delete(call.grant, call.account_id, PUBLIC_ACCESS_BLOCK_KIND)
    return empty_response(204)
