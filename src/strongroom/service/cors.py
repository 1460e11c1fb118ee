"""A bucket's CORS configuration: its rules, their validation, storage as JSON, and how a request's
origin, method and headers find the rule that answers it.

Pure domain rules, no HTTP: the handlers (api/s3/cors.py) turn XML into the plain strings taken here,
the preflight handler and the S3 app render the headers. The document lives in ``bucket_configs``
under CORS_KIND (part of the metadata format).

Matching follows "How Amazon S3 evaluates the CORS configuration on a bucket": the first rule, in
document order, whose AllowedOrigin matches the Origin, whose AllowedMethod contains the method and
(for a preflight) whose AllowedHeader covers every header in Access-Control-Request-Headers wins.
An AllowedOrigin or AllowedHeader may hold one ``*``, which matches any run of characters (also
none). Origins and methods compare exactly; header names case-insensitively (HTTP field names are).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import S3Error

__all__ = [
    "CORS_KIND",
    "CORS_MAX_RULES",
    "CORS_MAX_BYTES",
    "CORS_METHODS",
    "CorsRule",
    "CorsConfiguration",
    "make_rule",
    "parse_request_headers",
]

CORS_KIND = "cors"  # bucket_configs kind: part of the metadata format
CORS_MAX_RULES = 100  # AWS: "You can add up to 100 rules to the configuration"
CORS_MAX_BYTES = 64 * 1024  # AWS: "The maximum size of a CORS configuration is 64 KB"
CORS_RULE_ID_MAX_CHARS = 255  # AWS: CORSRule ID "cannot be longer than 255 characters"
CORS_METHODS = frozenset({"GET", "PUT", "HEAD", "POST", "DELETE"})  # AWS: AllowedMethod's only values
_WILDCARD = "*"


def _wildcard_match(pattern: str, value: str) -> bool:
    """``pattern`` with at most one ``*`` (any run of characters, also none) against ``value``."""
    head, star, tail = pattern.partition(_WILDCARD)
    if not star:
        return pattern == value
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def _one_wildcard(kind: str, value: str) -> None:
    if value.count(_WILDCARD) > 1:
        raise S3Error("InvalidRequest", f'{kind} "{value}" can not have more than one wildcard.')


@dataclass(frozen=True, slots=True)
class CorsRule:
    """One CORSRule, validated; header patterns are kept as written (matched case-insensitively)."""

    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None

    def matches_origin(self, origin: str) -> bool:
        return any(_wildcard_match(pattern, origin) for pattern in self.allowed_origins)

    def allows_headers(self, headers: Iterable[str]) -> bool:
        """Does every requested header match one AllowedHeader (case-insensitively)?"""
        patterns = [p.lower() for p in self.allowed_headers]
        return all(any(_wildcard_match(p, h.lower()) for p in patterns) for h in headers)

    def allows(self, origin: str, method: str, headers: Iterable[str] = ()) -> bool:
        """Origin, method and requested headers all allowed by this rule."""
        return method in self.allowed_methods and self.matches_origin(origin) and self.allows_headers(headers)

    @property
    def any_origin(self) -> bool:
        """A rule for every origin answers ``*`` and never allows credentials (as AWS answers)."""
        return _WILDCARD in self.allowed_origins

    def as_dict(self) -> dict[str, object]:
        values: dict[str, object] = {"AllowedOrigins": list(self.allowed_origins), "AllowedMethods": list(self.allowed_methods)}
        if self.id is not None:
            values["ID"] = self.id
        if self.allowed_headers:
            values["AllowedHeaders"] = list(self.allowed_headers)
        if self.expose_headers:
            values["ExposeHeaders"] = list(self.expose_headers)
        if self.max_age_seconds is not None:
            values["MaxAgeSeconds"] = self.max_age_seconds
        return values

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> CorsRule:
        def strings(name: str) -> tuple[str, ...]:
            items = values.get(name, [])
            assert isinstance(items, list)
            return tuple(str(item) for item in items)

        max_age = values.get("MaxAgeSeconds")
        rule_id = values.get("ID")
        return cls(
            strings("AllowedOrigins"), strings("AllowedMethods"), strings("AllowedHeaders"), strings("ExposeHeaders"),
            int(max_age) if isinstance(max_age, int) else None, str(rule_id) if rule_id is not None else None,
        )


def make_rule(
    *,
    origins: Sequence[str],
    methods: Sequence[str],
    headers: Sequence[str] = (),
    expose: Sequence[str] = (),
    max_age_seconds: str | None = None,
    rule_id: str | None = None,
) -> CorsRule:
    """A CORSRule from the strings of its document, checked as PutBucketCors checks it.

    A rule needs an AllowedOrigin and an AllowedMethod (MalformedXML otherwise, as the schema says);
    an unsupported method or a second wildcard is InvalidRequest with AWS's message.
    """
    if not origins or not methods:
        raise S3Error("MalformedXML")
    for method in methods:
        if method not in CORS_METHODS:
            raise S3Error("InvalidRequest", f"Found unsupported HTTP method in CORS config. Unsupported method is {method}")
    for origin in origins:
        _one_wildcard("AllowedOrigin", origin)
    for header in headers:
        _one_wildcard("AllowedHeader", header)
    if rule_id is not None and len(rule_id) > CORS_RULE_ID_MAX_CHARS:
        raise S3Error("InvalidArgument", f"The ID of a CORSRule can not be longer than {CORS_RULE_ID_MAX_CHARS} characters.")
    max_age: int | None = None
    if max_age_seconds is not None:
        try:
            max_age = int(max_age_seconds.strip())
        except ValueError:
            raise S3Error("MalformedXML") from None  # MaxAgeSeconds is an xsd:int
        if max_age < 0 or max_age > 2**31 - 1:
            raise S3Error("MalformedXML")
    return CorsRule(tuple(origins), tuple(methods), tuple(headers), tuple(expose), max_age, rule_id)


def parse_request_headers(value: str | None) -> tuple[str, ...]:
    """Access-Control-Request-Headers: a comma-separated list of field names (empty items dropped)."""
    if not value:
        return ()
    return tuple(name for name in (part.strip() for part in value.split(",")) if name)


@dataclass(frozen=True, slots=True)
class CorsConfiguration:
    """A bucket's CORS rules in document order: 1 to CORS_MAX_RULES of them."""

    rules: tuple[CorsRule, ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise S3Error("MalformedXML")  # the schema requires at least one CORSRule
        if len(self.rules) > CORS_MAX_RULES:
            raise S3Error("InvalidRequest", f"The CORS configuration can have at most {CORS_MAX_RULES} rules.")

    def match(self, origin: str, method: str, headers: Iterable[str] = ()) -> CorsRule | None:
        """The first rule allowing this origin, method and (preflight) requested headers, or None."""
        wanted = tuple(headers)
        return next((rule for rule in self.rules if rule.allows(origin, method, wanted)), None)

    def to_json(self) -> str:
        return json.dumps([rule.as_dict() for rule in self.rules], separators=(",", ":"))

    @staticmethod
    def from_json(document: str | None) -> CorsConfiguration | None:
        """The stored configuration, or None when the bucket has none (parsed once per document)."""
        return None if document is None else _parsed(document)


@lru_cache(maxsize=256)
def _parsed(document: str) -> CorsConfiguration:
    # Every request with an Origin consults the bucket's rules: parse each stored document once.
    return CorsConfiguration(tuple(CorsRule.from_dict(values) for values in json.loads(document)))
