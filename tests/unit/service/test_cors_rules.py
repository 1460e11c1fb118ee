"""service/cors.py and the XML parser of api/s3/cors.py: validation as PutBucketCors does it, rule
matching as "How Amazon S3 evaluates the CORS configuration on a bucket" describes, and storage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.api.s3.cors import cors_response_headers, parse_cors_configuration
from strongroom.errors import S3Error
from strongroom.service.cors import CorsConfiguration, CorsRule, make_rule, parse_request_headers


def _xml(*rules: str) -> bytes:
    return ("<CORSConfiguration>" + "".join(f"<CORSRule>{r}</CORSRule>" for r in rules) + "</CORSConfiguration>").encode()


def _error(body: bytes) -> tuple[str, str]:
    with pytest.raises(S3Error) as exc:
        parse_cors_configuration(body)
    return exc.value.code, exc.value.message


# -- parsing and validation ---------------------------------------------------------------------------


def test_a_full_rule_parses_with_every_field_in_document_order() -> None:
    config = parse_cors_configuration(_xml(
        "<ID>web</ID><AllowedOrigin>https://a.example</AllowedOrigin><AllowedOrigin>https://*.b.example</AllowedOrigin>"
        "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>"
        "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds> 3000 </MaxAgeSeconds>",
        "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>",
    ))
    first, second = config.rules
    assert first == CorsRule(("https://a.example", "https://*.b.example"), ("PUT", "GET"), ("x-amz-*",), ("ETag",), 3000, "web")
    assert second == CorsRule(("*",), ("HEAD",))


def test_the_s3_namespace_is_accepted() -> None:
    body = b'<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>'
    assert parse_cors_configuration(body).rules[0].allowed_methods == ("GET",)


@pytest.mark.parametrize("body", [
    b"",
    b"<CORSConfiguration>",
    b"<CORSConfiguration></CORSConfiguration>",  # at least one rule
    b"<Other><CORSRule/></Other>",
    _xml("<AllowedMethod>GET</AllowedMethod>"),  # no origin
    _xml("<AllowedOrigin>*</AllowedOrigin>"),  # no method
    _xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Unknown>1</Unknown>"),
    _xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds>"),
    _xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>"),
    _xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>a</ID><ID>b</ID>"),
    _xml("<AllowedOrigin><x>*</x></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
    b"<!DOCTYPE x [<!ENTITY e 'GET'>]><CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>&e;</AllowedMethod></CORSRule></CORSConfiguration>",
])
def test_malformed_documents_are_malformed_xml(body: bytes) -> None:
    assert _error(body)[0] == "MalformedXML"


def test_an_unsupported_method_is_invalid_request_naming_it() -> None:
    assert _error(_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>")) == (
        "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
    assert _error(_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"))[0] == "InvalidRequest"


def test_a_second_wildcard_in_an_origin_or_header_is_invalid_request() -> None:
    assert _error(_xml("<AllowedOrigin>https://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")) == (
        "InvalidRequest", 'AllowedOrigin "https://*.*.com" can not have more than one wildcard.')
    code, message = _error(_xml("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>"))
    assert (code, message) == ("InvalidRequest", 'AllowedHeader "x-*-*" can not have more than one wildcard.')


def test_at_most_100_rules() -> None:
    rule = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    assert len(parse_cors_configuration(_xml(*[rule] * 100)).rules) == 100
    assert _error(_xml(*[rule] * 101))[0] == "InvalidRequest"


def test_an_oversized_document_is_refused_before_parsing() -> None:
    rule = "<AllowedOrigin>" + "o" * 1000 + "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    assert _error(_xml(*[rule] * 70))[0] == "MalformedXML"


def test_rule_ids_are_bounded() -> None:
    with pytest.raises(S3Error) as exc:
        make_rule(origins=["*"], methods=["GET"], rule_id="r" * 256)
    assert exc.value.code == "InvalidArgument"
    assert make_rule(origins=["*"], methods=["GET"], rule_id="r" * 255).id == "r" * 255


def test_storage_round_trips() -> None:
    config = CorsConfiguration((CorsRule(("*",), ("GET",)), CorsRule(("https://a",), ("PUT", "POST"), ("*",), ("ETag",), 0, "x")))
    assert CorsConfiguration.from_json(config.to_json()) == config
    assert CorsConfiguration.from_json(None) is None


# -- matching -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "origin", "matches"), [
    ("*suffix", "foo.suffix", True),
    ("*suffix", "foo.suffix.get", False),
    ("*suffix", "suffix", True),
    ("start*end", "startend", True),
    ("start*end", "start12end", True),
    ("start*end", "0start12end", False),
    ("start*end", "startend0", False),
    ("ab*ba", "aba", False),  # the head and the tail may not overlap
    ("prefix*", "prefix", True),
    ("prefix*", "bla.prefix", False),
    ("*", "anything at all", True),
    ("https://a.example", "https://a.example", True),
    ("https://a.example", "https://a.example:8443", False),
    ("https://a.example", "HTTPS://A.EXAMPLE", False),  # origins compare exactly
])
def test_origin_patterns(pattern: str, origin: str, matches: bool) -> None:
    assert CorsRule((pattern,), ("GET",)).matches_origin(origin) is matches


def test_the_first_rule_allowing_origin_method_and_headers_wins() -> None:
    config = CorsConfiguration((
        CorsRule(("https://a",), ("GET",)),
        CorsRule(("https://a",), ("PUT",), ("content-type", "x-amz-meta-*")),
        CorsRule(("*",), ("PUT", "GET"), ("*",)),
    ))
    assert config.match("https://a", "GET") is config.rules[0]
    assert config.match("https://a", "PUT", ["Content-Type", "X-Amz-Meta-Colour"]) is config.rules[1]
    assert config.match("https://a", "PUT", ["authorization"]) is config.rules[2]
    assert config.match("https://a", "GET", ["x-anything"]) is config.rules[2]  # rule 0 allows no headers
    assert config.match("https://b", "DELETE") is None
    assert config.match("https://b", "get") is None  # methods compare exactly


def test_no_allowed_header_allows_only_requests_without_headers() -> None:
    rule = CorsRule(("*",), ("GET",), (), ("x-amz-meta-header1",))
    assert rule.allows("o", "GET", [])
    assert not rule.allows("o", "GET", ["x-amz-meta-header2"])


def test_request_headers_list_parsing() -> None:
    assert parse_request_headers(None) == ()
    assert parse_request_headers("") == ()
    assert parse_request_headers(" content-type , x-amz-date,,") == ("content-type", "x-amz-date")


@given(head=st.text(max_size=8).filter(lambda s: "*" not in s), middle=st.text(max_size=8), tail=st.text(max_size=8).filter(lambda s: "*" not in s))
def test_a_wildcard_matches_exactly_the_values_with_its_head_and_tail(head: str, middle: str, tail: str) -> None:
    rule = CorsRule((head + "*" + tail,), ("GET",))
    assert rule.matches_origin(head + middle + tail)
    value = head + middle
    assert rule.matches_origin(value) is (value.startswith(head) and value.endswith(tail) and len(value) >= len(head) + len(tail))


# -- response headers ---------------------------------------------------------------------------------


def test_a_named_origin_is_echoed_with_credentials() -> None:
    rule = CorsRule(("https://*.example",), ("GET", "PUT"), ("*",), ("ETag", "x-amz-request-id"), 600)
    assert cors_response_headers(rule, "https://app.example", ("content-type", "x-amz-date")) == {
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-headers": "content-type, x-amz-date",
        "access-control-expose-headers": "ETag, x-amz-request-id",
        "access-control-max-age": "600",
        "access-control-allow-credentials": "true",
        "vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }


def test_a_rule_for_every_origin_answers_star_without_credentials() -> None:
    headers = cors_response_headers(CorsRule(("*",), ("GET",)), "https://app.example")
    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers
    assert "access-control-allow-headers" not in headers and "access-control-max-age" not in headers
