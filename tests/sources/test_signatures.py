"""Each sender's signature scheme: the real one passes, anything else is Forged, whatever the
headers and body (generated)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sources.signatures import Forged, verify

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SECRET = "s3cret-of-the-sender"
BODY = b'{"email": "dana@northwind.example"}'
URI = "https://leadbot.example.com/api/sources/hubspot?portal=62515"


def stamp(moment: datetime = NOW) -> str:
    return str(int(moment.timestamp() * 1000))


def digest(message: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def hubspot(body: bytes = BODY, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    signed = b"POST" + URI.encode() + body + stamp(at).encode()
    return {"x-hubspot-signature-v3": base64.b64encode(digest(signed, secret)).decode(),
            "x-hubspot-request-timestamp": stamp(at)}  # fmt: skip


def typeform(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return {"typeform-signature": "sha256=" + base64.b64encode(digest(body, secret)).decode()}


def webflow(body: bytes = BODY, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    signed = stamp(at).encode() + b":" + body
    return {"x-webflow-signature": digest(signed, secret).hex(), "x-webflow-timestamp": stamp(at)}


def check(kind: str, headers: dict[str, str], body: bytes = BODY, uri: str = URI) -> None:
    verify(kind, SECRET, headers, body, method="POST", uri=uri, now=NOW)


@pytest.mark.parametrize(("kind", "headers"), [
    ("hubspot", hubspot()), ("typeform", typeform()), ("webflow", webflow()),
    ("json", {"authorization": f"Bearer {SECRET}"}),
])  # fmt: skip
def test_the_senders_own_signature_passes(kind: str, headers: dict[str, str]) -> None:
    check(kind, headers)


def test_hubspot_signs_the_uri_with_some_characters_decoded() -> None:
    """HubSpot computes the signature over the URI with %3A, %2F, %40 … decoded."""
    encoded = URI.replace("?portal=62515", "?next=a%3Ab%40c")
    signed = (
        b"POST" + URI.replace("?portal=62515", "?next=a:b@c").encode() + BODY + stamp().encode()
    )
    headers = {"x-hubspot-signature-v3": base64.b64encode(digest(signed)).decode(),
               "x-hubspot-request-timestamp": stamp()}  # fmt: skip
    check("hubspot", headers, uri=encoded)


@pytest.mark.parametrize(("kind", "headers", "said"), [
    ("hubspot", hubspot(secret="other"), "does not match"),
    ("hubspot", hubspot(body=b"{}"), "does not match"),
    ("hubspot", hubspot(at=NOW - timedelta(minutes=6)), "more than 5 minutes"),
    ("hubspot", hubspot(at=NOW + timedelta(minutes=6)), "more than 5 minutes"),
    ("hubspot", {"x-hubspot-request-timestamp": stamp()}, "missing X-HubSpot-Signature-v3"),
    ("hubspot", {"x-hubspot-signature-v3": "x"}, "missing or malformed"),
    ("typeform", typeform(secret="other"), "does not match"),
    ("typeform", {"typeform-signature": "sha256=" + base64.b64encode(digest(BODY)).decode()[:-2]},
     "does not match"),
    ("typeform", {}, "missing Typeform-Signature"),
    ("webflow", webflow(secret="other"), "does not match"),
    ("webflow", webflow(at=NOW - timedelta(minutes=5, seconds=1)), "more than 5 minutes"),
    ("webflow", {"x-webflow-signature": "00"}, "missing or malformed"),
    ("json", {"authorization": "Bearer other"}, "does not match"),
    ("json", {"authorization": f"Basic {SECRET}"}, "Authorization: Bearer"),
    ("json", {}, "Authorization: Bearer"),
])  # fmt: skip
def test_anything_else_is_forged_and_says_which_check_failed(
    kind: str, headers: dict[str, str], said: str
) -> None:
    with pytest.raises(Forged, match=said):
        check(kind, headers)


def test_a_changed_body_fails_every_scheme_that_signs_it() -> None:
    for kind, headers in (("hubspot", hubspot()), ("typeform", typeform()), ("webflow", webflow())):
        with pytest.raises(Forged, match="does not match"):
            check(kind, headers, body=BODY + b" ")


HEADER_NAMES = st.sampled_from(["x-hubspot-signature-v3", "x-hubspot-request-timestamp",
                                "typeform-signature", "x-webflow-signature",
                                "x-webflow-timestamp", "authorization"])  # fmt: skip


@given(st.sampled_from(["hubspot", "typeform", "webflow", "json", "salesforce"]),
       st.dictionaries(HEADER_NAMES, st.text(max_size=80)), st.binary(max_size=200))  # fmt: skip
def test_generated_requests_are_forged_never_an_error(
    kind: str, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(Forged):
        check(kind, headers, body)


def test_salesforce_signs_nothing_so_its_url_carries_the_token() -> None:
    check("salesforce", {}, uri=f"https://leadbot.example.com/api/sources/sf?token={SECRET}")
    for uri in ("https://x/api/sources/sf", "https://x/api/sources/sf?token=guess"):
        with pytest.raises(Forged):
            check("salesforce", {}, uri=uri)
