"""A sans-I/O, streaming multipart/form-data parser for browser POST uploads (RFC 7578, RFC 2046 5.1).

Theory of operation: bytes go in through ``feed``; events come out. Every part before the ``file``
part is a form field, buffered whole (each field and the whole pre-file prelude are capped); the
file part's bytes stream out as ``FileData`` events without being buffered (only a tail shorter
than the delimiter is held back, in case it is the start of one); once the file part ends, the
parser ignores everything that follows, as S3 ignores fields after ``file``.

States::

    PREAMBLE --delimiter--> LINE --CRLF--> HEADERS --CRLF CRLF--> FIELD or FILE
    FIELD --delimiter--> LINE          LINE --"--"--> DONE (no file part)
    FILE  --delimiter--> DONE

The first delimiter may start the body without a preceding CRLF; the parser pretends one is there.
It never does I/O and never sees more than what it is fed; ``finish`` says the input ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..errors import S3Error

__all__ = [
    "Field",
    "FileStart",
    "FileData",
    "FileEnd",
    "FormEvent",
    "FormDataParser",
    "parse_boundary",
    "MAX_FIELD_BYTES",
    "MAX_PRELUDE_BYTES",
    "MAX_PART_HEADER_BYTES",
    "MAX_BOUNDARY_BYTES",
]

# One field's value (a policy document, a tagging XML, a redirect URL).
MAX_FIELD_BYTES = 20 * 1024
# Everything before the file's bytes: preamble, part headers, field values. Bounds memory per request.
MAX_PRELUDE_BYTES = 64 * 1024
# The headers of one part (Content-Disposition, Content-Type).
MAX_PART_HEADER_BYTES = 8 * 1024
# RFC 2046 5.1.1: a boundary is 1 to 70 characters.
MAX_BOUNDARY_BYTES = 70
# The rest of a delimiter line: "--", or transport padding before CRLF.
_MAX_LINE_BYTES = 256
FILE_FIELD = "file"


@dataclass(frozen=True, slots=True)
class Field:
    """A form field before the file part."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class FileStart:
    """The file part begins; its bytes follow as FileData events."""

    filename: str | None
    content_type: str | None


@dataclass(frozen=True, slots=True)
class FileData:
    """Some bytes of the file part."""

    data: bytes


@dataclass(frozen=True, slots=True)
class FileEnd:
    """The file part ended (its closing delimiter was seen)."""


FormEvent = Field | FileStart | FileData | FileEnd


def _malformed(detail: str = "") -> S3Error:
    message = "The body of your POST request is not well-formed multipart/form-data."
    return S3Error("MalformedPOSTRequest", f"{message} {detail}".strip())


def _too_large() -> S3Error:
    return S3Error("MaxPostPreDataLengthExceededError")


def _split_params(value: str) -> list[str]:
    """Split a header value on ';' outside quoted strings."""
    out: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == ";" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return [p.strip() for p in out]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        it = iter(inner)
        for ch in it:
            out.append(next(it, "") if ch == "\\" else ch)
        return "".join(out)
    return value


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """'form-data; name="a"; filename="b"' -> ('form-data', {'name': 'a', 'filename': 'b'})."""
    first, *rest = _split_params(value)
    params: dict[str, str] = {}
    for item in rest:
        name, eq, raw = item.partition("=")
        if eq:
            params.setdefault(name.strip().lower(), _unquote(raw.strip()))
    return first.strip().lower(), params


def parse_boundary(content_type: str | None) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type, or None when it is not one."""
    if content_type is None:
        return None
    kind, params = _header_params(content_type)
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data" or not 1 <= len(boundary) <= MAX_BOUNDARY_BYTES or not boundary.isascii():
        return None
    return boundary.encode("ascii")


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _State(Enum):
    PREAMBLE = "preamble"
    LINE = "line"
    HEADERS = "headers"
    FIELD = "field"
    FILE = "file"
    DONE = "done"


class FormDataParser:
    """Feed it the body; it returns fields, then the file part's bytes, then ignores the rest."""

    def __init__(self, boundary: bytes) -> None:
        if not 1 <= len(boundary) <= MAX_BOUNDARY_BYTES:
            raise _malformed("Invalid boundary.")
        self._delimiter = b"\r\n--" + boundary
        self._buf = bytearray(b"\r\n")  # the first delimiter needs no CRLF before it
        self._state = _State.PREAMBLE
        self._prelude = 0  # bytes consumed before the file part's data
        self._field_name = ""
        self._field_value = bytearray()
        self.saw_file = False

    @property
    def done(self) -> bool:
        """Has the file part (or the closing delimiter) been seen?"""
        return self._state is _State.DONE

    def feed(self, data: bytes) -> list[FormEvent]:
        """Consume bytes; return the events they complete."""
        events: list[FormEvent] = []
        if self._state is _State.DONE:
            return events
        self._buf += data
        while self._step(events):
            pass
        if self._state not in (_State.FILE, _State.DONE) and self._prelude + len(self._buf) > MAX_PRELUDE_BYTES:
            raise _too_large()
        return events

    def _consume(self, count: int) -> None:
        """Drop bytes of the prelude from the buffer, counting them against its cap."""
        self._prelude += count
        del self._buf[:count]

    def finish(self) -> None:
        """The input ended: anything but a finished form is malformed."""
        if self._state is not _State.DONE:
            raise _malformed("The request body ended too soon.")

    # --- one transition per call; False when more input is needed -------------------------------

    def _step(self, events: list[FormEvent]) -> bool:
        if self._state is _State.PREAMBLE:
            return self._preamble()
        if self._state is _State.LINE:
            return self._line()
        if self._state is _State.HEADERS:
            return self._headers(events)
        if self._state is _State.FIELD:
            return self._field(events)
        if self._state is _State.FILE:
            return self._file(events)
        return False

    def _preamble(self) -> bool:
        at = self._buf.find(self._delimiter)
        if at < 0:
            keep = len(self._delimiter) - 1
            if len(self._buf) > keep:
                self._consume(len(self._buf) - keep)
            return False
        self._consume(at + len(self._delimiter))
        self._state = _State.LINE
        return True

    def _line(self) -> bool:
        if self._buf.startswith(b"--"):
            self._state = _State.DONE  # closing delimiter: what follows is the epilogue
            self._consume(len(self._buf))
            return False
        end = self._buf.find(b"\r\n")
        if end < 0:
            if len(self._buf) > _MAX_LINE_BYTES:
                raise _malformed()
            return False
        if self._buf[:end].strip(b" \t"):  # only transport padding may follow a delimiter
            raise _malformed()
        self._consume(end + 2)
        self._state = _State.HEADERS
        return True

    def _headers(self, events: list[FormEvent]) -> bool:
        if self._buf.startswith(b"\r\n"):
            raise _malformed("A part has no Content-Disposition.")
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_PART_HEADER_BYTES:
                raise _malformed("Part headers are too large.")
            return False
        if end > MAX_PART_HEADER_BYTES:
            raise _malformed("Part headers are too large.")
        raw = bytes(self._buf[:end])
        self._consume(end + 4)
        headers: dict[str, str] = {}
        for line in raw.split(b"\r\n"):
            raw_name, colon, raw_value = line.partition(b":")
            if not colon:
                raise _malformed()
            headers.setdefault(_text(raw_name).strip().lower(), _text(raw_value).strip())
        kind, params = _header_params(headers.get("content-disposition", ""))
        name = params.get("name")
        if kind != "form-data" or name is None:
            raise _malformed("A part has no form-data name.")
        if name.lower() == FILE_FIELD:
            self.saw_file = True
            self._state = _State.FILE
            events.append(FileStart(params.get("filename"), headers.get("content-type")))
        else:
            self._field_name = name
            self._field_value = bytearray()
            self._state = _State.FIELD
        return True

    def _field(self, events: list[FormEvent]) -> bool:
        at = self._buf.find(self._delimiter)
        if at < 0:
            keep = len(self._delimiter) - 1
            if len(self._buf) > keep:
                self._field_value += self._buf[: len(self._buf) - keep]
                self._consume(len(self._buf) - keep)
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise _too_large()
            return False
        self._field_value += self._buf[:at]
        self._consume(at + len(self._delimiter))
        if len(self._field_value) > MAX_FIELD_BYTES:
            raise _too_large()
        try:
            value = self._field_value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed("A field is not UTF-8.") from exc
        events.append(Field(self._field_name, value))
        self._field_value = bytearray()
        self._state = _State.LINE
        return True

    def _file(self, events: list[FormEvent]) -> bool:
        at = self._buf.find(self._delimiter)
        if at < 0:
            keep = len(self._delimiter) - 1
            if len(self._buf) > keep:
                events.append(FileData(bytes(self._buf[: len(self._buf) - keep])))
                del self._buf[: len(self._buf) - keep]
            return False
        if at:
            events.append(FileData(bytes(self._buf[:at])))
        events.append(FileEnd())
        self._buf.clear()
        self._state = _State.DONE  # S3 ignores fields after the file
        return False
