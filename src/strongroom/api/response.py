"""What a handler returns: status, headers and a body of bytes or an async stream of bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from .xml import Node, render_xml

__all__ = ["Response", "xml_response", "empty_response"]


@dataclass(slots=True)
class Response:
    """A response to send; headers are lowercase names (wire names as AWS writes them)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


def xml_response(root_tag: str, content: Node, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An S3 XML document response."""
    return Response(status, {"content-type": "application/xml", **(headers or {})}, render_xml(root_tag, content))


def empty_response(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response with no body (204 for deletes, 200 for most puts)."""
    return Response(status, dict(headers or {}))
