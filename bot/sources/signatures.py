"""Is this request from the sender it claims? Each vendor's own scheme, on the raw bytes,
compared in constant time; those with a timestamp refuse one outside 5 minutes (a replay).

- HubSpot v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client secret, method + URI + body +
  timestamp)), `X-HubSpot-Request-Timestamp` in milliseconds. The URI is the one HubSpot called
  (behind a proxy: LEADBOT_PUBLIC_URL), with a few characters URL-decoded as HubSpot's
  reference code does.
- Typeform: `Typeform-Signature: sha256=` + base64(HMAC-SHA256(secret, body)).
- Webflow: `x-webflow-signature` = hex(HMAC-SHA256(secret, timestamp + ":" + body)),
  `x-webflow-timestamp` in milliseconds.
- json (Zapier, Make, your own code): `Authorization: Bearer <secret>`.
- salesforce: nothing is signed; `?token=<secret>` in the endpoint's URL (and the org id,
  checked when the message is read: soap.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

WINDOW_MS = 5 * 60 * 1000
# HubSpot signs the URI with these decoded (its documentation's list).
_HUBSPOT_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


class Forged(Exception):
    """Not provably from the sender: the message says which check failed (never the secret)."""


def verify(kind: str, secret: str, headers: Mapping[str, str], body: bytes, *, method: str,
           uri: str, now: datetime) -> None:  # fmt: skip
    """Raise Forged unless the request carries the sender's valid signature. `headers`' names
    are lower-case."""
    if kind == "hubspot":
        _hubspot(secret, headers, body, method, uri, now)
    elif kind == "typeform":
        _typeform(secret, headers, body)
    elif kind == "webflow":
        _webflow(secret, headers, body, now)
    elif kind == "salesforce":
        _url_token(secret, uri)
    else:
        _bearer(secret, headers)


def _hubspot(secret: str, headers: Mapping[str, str], body: bytes, method: str, uri: str,
             now: datetime) -> None:  # fmt: skip
    given = headers.get("x-hubspot-signature-v3", "")
    stamp = _fresh(
        headers.get("x-hubspot-request-timestamp", ""), now, "X-HubSpot-Request-Timestamp"
    )
    for encoded, plain in _HUBSPOT_DECODED.items():
        uri = uri.replace(encoded, plain).replace(encoded.lower(), plain)
    signed = method.upper().encode() + uri.encode() + body + stamp.encode()
    expected = base64.b64encode(_hmac(secret, signed)).decode()
    _same(given, expected, "X-HubSpot-Signature-v3")


def _typeform(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    expected = "sha256=" + base64.b64encode(_hmac(secret, body)).decode()
    _same(headers.get("typeform-signature", ""), expected, "Typeform-Signature")


def _webflow(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    stamp = _fresh(headers.get("x-webflow-timestamp", ""), now, "x-webflow-timestamp")
    expected = _hmac(secret, stamp.encode() + b":" + body).hex()
    _same(headers.get("x-webflow-signature", "").lower(), expected, "x-webflow-signature")


def _bearer(secret: str, headers: Mapping[str, str]) -> None:
    scheme, _, given = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise Forged("missing Authorization: Bearer <the source's secret>")
    _same(given.strip(), secret, "the bearer token")


def _url_token(secret: str, uri: str) -> None:
    """Salesforce signs nothing: the endpoint's URL carries `?token=<the secret>`."""
    given = parse_qs(urlsplit(uri).query).get("token", [""])[0]
    if not given:
        raise Forged("missing ?token=<the source's secret> in the endpoint's URL")
    _same(given, secret, "the URL's token")


def _fresh(stamp: str, now: datetime, header: str) -> str:
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 15:
        raise Forged(f"missing or malformed {header} (milliseconds since 1970)")
    if abs(now.timestamp() * 1000 - int(stamp)) > WINDOW_MS:
        raise Forged(f"{header} is more than 5 minutes from now: a replay, or a clock adrift")
    return stamp


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _same(given: str, expected: str, what: str) -> None:
    if not given:
        raise Forged(f"missing {what}")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forged(f"{what} does not match: wrong secret, or the body was changed")
