"""Account-level Block Public Access: Put/Get/DeletePublicAccessBlock of S3 Control.

Stored as the account's "public-access-block" document (service/account_configs.py). Every bucket of
the account then applies the stricter of its own flags and the account's (api/access.py).
"""

from __future__ import annotations

from ...errors import S3Error
from ...grant import Grant
from ...service.access_controls import PUBLIC_ACCESS_BLOCK_KIND, PublicAccessBlock
from ..context import Services
from ..request import S3Request
from ..response import Response, empty_response
from ..s3.headers import verify_small_body
from ..s3.public_access import PUBLIC_ACCESS_BLOCK_MAX_BYTES, parse_public_access_block
from ..xml import render_xml

__all__ = ["put_account_block", "get_account_block", "delete_account_block"]

CONTROL_XMLNS = "http://awss3control.amazonaws.com/doc/2018-08-20/"


async def put_account_block(req: S3Request, services: Services, grant: Grant, account_id: str) -> Response:
    """Replace the account's four flags."""
    body = await req.read_body(PUBLIC_ACCESS_BLOCK_MAX_BYTES)
    verify_small_body(req, body, required=False)
    config = parse_public_access_block(body)
    await services.account_configs.put(grant, account_id, PUBLIC_ACCESS_BLOCK_KIND, config.to_json())
    return empty_response(200)


async def get_account_block(req: S3Request, services: Services, grant: Grant, account_id: str) -> Response:
    """The account's flags, or NoSuchPublicAccessBlockConfiguration (404)."""
    config = PublicAccessBlock.from_json(await services.account_configs.get(account_id, PUBLIC_ACCESS_BLOCK_KIND))
    if config is None:
        raise S3Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", extra={"AccountId": account_id})
    content = [(name, "true" if value else "false") for name, value in config.as_dict().items()]
    body = render_xml("PublicAccessBlockConfiguration", content, xmlns=CONTROL_XMLNS)
    return Response(200, {"content-type": "application/xml"}, body)


async def delete_account_block(req: S3Request, services: Services, grant: Grant, account_id: str) -> Response:
    """The account keeps no flags (absent is fine)."""
    await services.account_configs.delete(grant, account_id, PUBLIC_ACCESS_BLOCK_KIND)
    return empty_response(204)
