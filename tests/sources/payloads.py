"""Vendor payloads, shaped after each vendor's documentation (field names, nesting, types)."""

from __future__ import annotations

from typing import Any

TYPEFORM: dict[str, Any] = {
    "event_id": "01HZX4F7ZJ8Q3JX4Q3JX4Q3JX4",
    "event_type": "form_response",
    "form_response": {
        "form_id": "lT4Z3j",
        "token": "a3a12ec67a1365927098a606107fac15",
        "submitted_at": "2026-11-26T10:00:00Z",
        "landed_at": "2026-11-26T09:58:00Z",
        "hidden": {"utm_source": "newsletter"},
        "definition": {"id": "lT4Z3j", "title": "Talk to sales", "fields": []},
        "answers": [
            {"type": "text", "text": "Dana Scully",
             "field": {"id": "DlXFaesGBpoF", "type": "short_text", "ref": "name"}},
            {"type": "email", "email": "dana@northwind.example",
             "field": {"id": "SMEUb7VJz92Q", "type": "email", "ref": "work_email"}},
            {"type": "phone_number", "phone_number": "+15551234567",
             "field": {"id": "PNum1", "type": "phone_number", "ref": "phone"}},
            {"type": "number", "number": 250,
             "field": {"id": "k6TP9oLGgHjl", "type": "number", "ref": "company_size"}},
            {"type": "choice", "choice": {"label": "Enterprise plan"},
             "field": {"id": "ChoiceA", "type": "multiple_choice", "ref": "plan"}},
            {"type": "choices", "choices": {"labels": ["CRM", "Slack"]},
             "field": {"id": "ChoiceB", "type": "multiple_choice", "ref": "tools"}},
            {"type": "boolean", "boolean": True,
             "field": {"id": "Bool1", "type": "yes_no", "ref": "newsletter"}},
        ],
    },
}  # fmt: skip

WEBFLOW: dict[str, Any] = {
    "triggerType": "form_submission",
    "payload": {
        "name": "Contact Us",
        "siteId": "65427cf400e02b306eaa049c",
        "data": {
            "First Name": "Zaphod",
            "Last Name": "Beeblebrox",
            "email": "zaphod@heartofgold.example",
            "Phone Number": 15550000000,
            "Company": "Heart of Gold",
        },
        "schema": [
            {"fieldName": "First Name", "fieldType": "FormTextInput",
             "fieldElementId": "285042f7-d554-dc7f-102c-aa10d6a2d2c4"},
        ],
        "submittedAt": "2026-11-26T10:00:00.000Z",
        "id": "6321ca84df3949bfc6752327",
        "formId": "65429eadebe8a9f3a30f62d0",
        "formElementId": "4e038d2c-6a1e-4953-7be9-a59a2b453177",
    },
}  # fmt: skip

# A workflow's "Send a webhook" action: the contact with its properties.
HUBSPOT_WORKFLOW: dict[str, Any] = {
    "objectId": 1234501,
    "portalId": 62515,
    "properties": {
        "email": {"value": "ada@analytical.example", "timestamp": 1764151200000},
        "firstname": {"value": "Ada"},
        "lastname": {"value": "Lovelace"},
        "company": {"value": "Analytical Engines"},
        "country": {"value": "United Kingdom"},
        "lifecyclestage": {"value": "lead"},
        "hs_object_id": {"value": "1234501"},
    },
}

# A webhook subscription's batch: events carry only the object's id.
HUBSPOT_EVENTS: list[dict[str, Any]] = [
    {"eventId": 1, "subscriptionId": 12345, "portalId": 62515, "occurredAt": 1764151200000,
     "subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": 123,
     "changeSource": "CRM", "changeFlag": "NEW", "appId": 54321},
]  # fmt: skip


# An Outbound Message on Lead: two notifications, the second with no name, email or phone.
SALESFORCE_ORG = "00D5e000000KQ2eEAG"
SALESFORCE = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{SALESFORCE_ORG}</OrganizationId>
   <ActionId>04k5e000000CaRkAAK</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/60.0/00D5e000000KQ2e</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/60.0/00D5e000000KQ2e</PartnerUrl>
   <Notification>
    <Id>04l5e00000Gx7QzAAJ</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>00Q5e00000AbCdEFGH</sf:Id>
     <sf:Company>Acme &amp; Sons</sf:Company>
     <sf:Email>ann@acme.example</sf:Email>
     <sf:FirstName>Ann</sf:FirstName>
     <sf:LastName>Smith</sf:LastName>
     <sf:LeadSource>Web</sf:LeadSource>
     <sf:Phone xsi:nil="true"/>
    </sObject>
   </Notification>
   <Notification>
    <Id>04l5e00000Gx7R0AAJ</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>00Q5e00000AbCdEFGI</sf:Id>
     <sf:Company>Nameless Ltd</sf:Company>
     <sf:Web_Email__c>bob@nameless.example</sf:Web_Email__c>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
"""
