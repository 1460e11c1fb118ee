"""IAM error rendering: the shared error type as the query protocol's ErrorResponse.

Shared layers (authentication) raise S3's codes; IAM clients expect IAM's names for the same failure
(an unknown or inactive key is InvalidClientTokenId), so they are translated here, once.
"""

from __future__ import annotations

from ...errors import ERROR_TABLE, S3Error
from ..xml import Node, render_xml
from .render import IAM_XMLNS

__all__ = ["iam_error_body"]

_FROM_SHARED = {
    "InvalidAccessKeyId": "InvalidClientTokenId",
}


def iam_error_body(error: S3Error, request_id: str) -> tuple[int, bytes]:
    """(HTTP status, XML body) answering an IAM request."""
    code = _FROM_SHARED.get(error.code, error.code)
    status = ERROR_TABLE[code][0] if code != error.code else error.status
    message = error.message if code == error.code else ERROR_TABLE[code][1]
    kind = "Receiver" if status >= 500 else "Sender"
    content: Node = [("Error", [("Type", kind), ("Code", code), ("Message", message)]), ("RequestId", request_id)]
    return status, render_xml("ErrorResponse", content, xmlns=IAM_XMLNS)
