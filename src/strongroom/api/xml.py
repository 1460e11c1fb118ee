"""XML in and out: a hardened parser (no DTDs, no entities, a size cap) and a small renderer.

Wire names stay as AWS writes them; rendering takes (tag, value) pairs so element order is explicit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import S3Error

__all__ = ["S3_XMLNS", "parse_xml", "render_xml", "Node", "strip_ns", "child_text", "children"]

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_XML_BYTES = 1 << 20

Node = Union[str, int, bool, None, Sequence[tuple[str, "Node"]]]  # noqa: UP007 - a recursive alias needs Union


def strip_ns(tag: str) -> str:
    """An element's local name, without its {namespace}."""
    return tag.rsplit("}", 1)[-1]


def parse_xml(body: bytes, max_bytes: int = MAX_XML_BYTES) -> Element:
    """Parse a request body; anything malformed, oversized or with a DTD/entity is MalformedXML."""
    if len(body) > max_bytes:
        raise S3Error("MalformedXML", "The XML you provided was larger than the maximum allowed.")
    if not body.strip():
        raise S3Error("MalformedXML")
    try:
        root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise S3Error("MalformedXML") from exc
    return root


def children(parent: Element, name: str) -> list[Element]:
    """Direct children with the given local name."""
    return [c for c in parent if strip_ns(c.tag) == name]


def child_text(parent: Element, name: str) -> str | None:
    """Text of the first direct child with this local name (None if absent)."""
    for c in parent:
        if strip_ns(c.tag) == name:
            return c.text or ""
    return None


def _fill(parent: Element, value: Node) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif isinstance(value, (str, int)):
        parent.text = str(value)
    else:
        for tag, child in value:
            if child is None:
                continue
            _fill(SubElement(parent, tag), child)


def render_xml(root_tag: str, content: Node, *, xmlns: str | None = S3_XMLNS) -> bytes:
    """Render a document with an XML declaration."""
    root = Element(root_tag, {"xmlns": xmlns} if xmlns else {})
    _fill(root, content)
    body: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
