"""Salesforce Outbound Messages: a SOAP `notifications` call with the sending organisation's id
and up to 100 `Notification`s, each an `sObject` (a Lead) with the fields the admin picked.
Salesforce signs nothing, so the source is proved by a token in the endpoint's URL (`?token=`,
checked as a bearer token is) and the organisation's id, which must be the configured one.
Salesforce sends a message again until it gets the acknowledgement (`ACK`), for up to 24 hours,
so an authentic message is acknowledged whatever became of its leads (held ones included);
the one exception is a message nothing of was kept because Salesforce's API failed a moment
(`fault`): not acknowledging it is how Salesforce is made to send it again.

The XML is read with defusedxml: entity expansion, external entities and DTDs are refused, so
a hostile body costs nothing but its own bytes.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

OUTBOUND = "{http://soap.sforce.com/2005/09/outbound}"
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    "<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
)
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
SOBJECT_TYPE = "sObjectType"  # the key an sObject's type is kept under


class NotSoap(Exception):
    """Not an Outbound Message leadbot can read: the message says what is missing."""


def notifications(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """The organisation's id and each notification's sObject as {field: text or None}."""
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, ValueError) as err:
        raise NotSoap(f"not an XML SOAP message ({type(err).__name__}: {err})") from None
    found = root.find(f".//{OUTBOUND}notifications")
    if found is None:
        raise NotSoap("no <notifications> element of Salesforce's outbound namespace")
    organisation = (found.findtext(f"{OUTBOUND}OrganizationId") or "").strip()
    objects = []
    for notification in found.findall(f"{OUTBOUND}Notification"):
        sobject = notification.find(f"{OUTBOUND}sObject")
        if sobject is not None:
            values = {_local(child.tag): _text(child) for child in sobject}
            # `xsi:type="sf:Lead"`: kept with the values (so on the lead, in its `fields`), as
            # writing the owner back needs the record's type (bot/sources/writeback.py).
            kind = sobject.get(XSI_TYPE, "").rpartition(":")[2]
            if kind and SOBJECT_TYPE not in values:
                values[SOBJECT_TYPE] = kind
            objects.append(values)
    return organisation, objects


def fault(message: str) -> str:
    """A SOAP fault (a server's): no acknowledgement, so the message is sent again, and
    Salesforce's Outbound Message queue shows `message` as the delivery's failure reason."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode>"
        f"<faultstring>{escape(message)}</faultstring></soapenv:Fault></soapenv:Body>"
        "</soapenv:Envelope>"
    )


def _local(tag: str) -> str:
    """`{urn:sobject.enterprise.soap.sforce.com}Email` -> `Email`."""
    return tag.rpartition("}")[2]


def _text(element: Any) -> str | None:
    if element.get(XSI_NIL) == "true":
        return None
    return (element.text or "").strip()
