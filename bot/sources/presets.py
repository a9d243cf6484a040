"""The CRM export presets of `leadbot import --preset`: apart from the importer so that the
command line can offer them without loading what an import runs on (the database, the lead
service), which `leadbot serve`'s start does not need before it forks its worker."""

from __future__ import annotations

from bot.config.sources import MAPPABLE

# Columns the usual labels do not name, by CRM (the rest: shapes.CANONICAL finds them).
PRESETS: dict[str, dict[str, str]] = {
    "hubspot": {"external_id": "Record ID", "country": "Country/Region"},
    "salesforce": {"external_id": "Lead ID", "company": "Company / Account"},
    "pipedrive": {
        "external_id": "Lead - ID",
        "name": "Person - Name",
        "email": "Person - Email",
        "phone": "Person - Phone",
        "company": "Organization - Name",
    },
    "zoho": {"external_id": "Record Id"},
    "leadbot": {field: field for field in MAPPABLE},
}
