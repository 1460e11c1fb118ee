"""XML in and out: a hardened parser (no DTDs, no entities, a size cap) and a small renderer.

Wire names stay as AWS writes them; rendering takes (tag, value) pairs so element order is explicit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import S3Error

__all__ = ["S3_XMLNS", "parse_xml", "render_xml", "Node", "RawXml", "escape_text", "strip_ns", "child_text", "children"]

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


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"})


class RawXml(str):
    """Markup already rendered and escaped (a hot loop's pre-built elements); written as is."""

    __slots__ = ()


def escape_text(value: str) -> str:
    """Escape character data for an element's text."""
    return value.translate(_ESCAPES)


_text = escape_text


def _fill(out: list[str], value: Node) -> None:
    # Strings are joined directly instead of building an ElementTree: a 1000-key listing renders
    # several times faster, and the output is the same escaped UTF-8.
    if value is None:
        return
    if isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, RawXml):
        out.append(value)
    elif isinstance(value, str):
        out.append(_text(value))
    elif isinstance(value, int):
        out.append(str(value))
    else:
        for tag, child in value:
            if child is None:
                continue
            if isinstance(child, RawXml) and not tag:  # a fragment of whole elements
                out.append(child)
                continue
            if isinstance(child, str) and not child:
                out.append(f"<{tag}></{tag}>")
                continue
            out.append(f"<{tag}>")
            _fill(out, child)
            out.append(f"</{tag}>")


def render_xml(root_tag: str, content: Node, *, xmlns: str | None = S3_XMLNS) -> bytes:
    """Render a document with an XML declaration."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{root_tag} xmlns="{xmlns}">' if xmlns else f"<{root_tag}>"]
    _fill(out, content)
    out.append(f"</{root_tag}>")
    return "".join(out).encode("utf-8", "surrogatepass")
