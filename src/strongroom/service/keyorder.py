"""Key order shared by every listing: ListObjects, ListObjectVersions and ListMultipartUploads.

S3 lists keys in byte-wise UTF-8 order. Python compares ``str`` by code point, which is the same order
as UTF-8 bytes, so these rules agree with the metadata indexes (SQLite BINARY collation; COLLATE "C" on
PostgreSQL). This module owns two rules: the exclusive upper bound of a prefix range (``key_successor``)
and the common prefix a key rolls up into under a delimiter (``rolled_up``). Pure functions; it never
reads the metadata store.
"""

from __future__ import annotations

__all__ = ["key_successor", "rolled_up"]

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def key_successor(prefix: str) -> str | None:
    """The least string greater than every string starting with ``prefix`` (None: no such bound).

    Increments the last code point (skipping the surrogates, which UTF-8 cannot hold), dropping
    trailing U+10FFFF first; in UTF-8 byte order this is the exclusive upper end of the prefix range.
    """
    chars = list(prefix)
    while chars and ord(chars[-1]) == _MAX_CODE_POINT:
        chars.pop()
    if not chars:
        return None
    nxt = ord(chars[-1]) + 1
    if nxt in _SURROGATES:
        nxt = _SURROGATES.stop
    chars[-1] = chr(nxt)
    return "".join(chars)


def rolled_up(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix a key rolls up into, or None if it is listed as itself.

    The key's remainder after ``prefix`` is searched for the delimiter; the common prefix runs up to
    and including its first occurrence.
    """
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]
