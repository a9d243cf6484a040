"""The `/leads new` modal: a phone or walk-in lead typed in by a person. A pure builder.

Its ids are a wire contract with modals already open in Slack (a rename breaks a form someone
is filling in right now): keep them literal, never derive them from field names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

NEW_LEAD_MODAL = "lead_new_modal"

NAME_BLOCK = "new_lead_name"
COMPANY_BLOCK = "new_lead_company"
EMAIL_BLOCK = "new_lead_email"
PHONE_BLOCK = "new_lead_phone"
SIZE_BLOCK = "new_lead_size"
PRODUCT_BLOCK = "new_lead_product"
SOURCE_BLOCK = "new_lead_source"
TIER_BLOCK = "new_lead_tier"
MESSAGE_BLOCK = "new_lead_message"

NAME_INPUT = "new_lead_name_input"
COMPANY_INPUT = "new_lead_company_input"
EMAIL_INPUT = "new_lead_email_input"
PHONE_INPUT = "new_lead_phone_input"
SIZE_INPUT = "new_lead_size_input"
PRODUCT_INPUT = "new_lead_product_input"
SOURCE_SELECT = "new_lead_source_select"
TIER_SELECT = "new_lead_tier_select"
MESSAGE_INPUT = "new_lead_message_input"

# LeadIn field -> (block id, action id). Order is the form's order.
FIELDS: dict[str, tuple[str, str]] = {
    "name": (NAME_BLOCK, NAME_INPUT),
    "company": (COMPANY_BLOCK, COMPANY_INPUT),
    "email": (EMAIL_BLOCK, EMAIL_INPUT),
    "phone": (PHONE_BLOCK, PHONE_INPUT),
    "company_size": (SIZE_BLOCK, SIZE_INPUT),
    "product": (PRODUCT_BLOCK, PRODUCT_INPUT),
    "source": (SOURCE_BLOCK, SOURCE_SELECT),
    "tier": (TIER_BLOCK, TIER_SELECT),
    "message": (MESSAGE_BLOCK, MESSAGE_INPUT),
}

SOURCES: dict[str, str] = {
    "phone": "Phone call",
    "walk-in": "Walk-in",
    "event": "Event",
    "referral": "Referral",
    "other": "Other",
}
DEFAULT_SOURCE = "phone"
# Tier names start with a letter (config schema), so this value can never be a tier.
AUTO_TIER = "_auto"
AUTO_TIER_LABEL = "Let leadbot decide"

# Slack's plain_text_input allows at most 3000 characters; LeadIn's own limits are below.
_LIMITS = {"name": 200, "company": 200, "email": 320, "phone": 64, "product": 200}
_MESSAGE_LIMIT = 3000
_LABELS = {
    "name": "Name",
    "company": "Company",
    "email": "Email",
    "phone": "Phone",
    "product": "Product",
}


def new_lead_metadata(channel_id: str) -> str:
    """What the submission needs to know: where to confirm (the command's channel)."""
    return json.dumps({"channel": channel_id})


def new_lead_modal(channel_id: str, tiers: Sequence[str]) -> View:
    """The form; `tiers` are leadbot.yml's tier names, offered after "let leadbot decide"."""
    return View(
        type="modal",
        callback_id=NEW_LEAD_MODAL,
        private_metadata=new_lead_metadata(channel_id),
        title="New lead",
        submit="Add lead",
        close="Cancel",
        blocks=[
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="For calls and walk-ins: leadbot routes it like any other lead. "
                        "Give at least one of name, email or phone."
                    )
                ]
            ),
            *(_text_input(field) for field in ("name", "company", "email", "phone")),
            _size_input(),
            _text_input("product"),
            _source_select(),
            _tier_select(tiers),
            _message_input(),
        ],
    )


def _text_input(field: str) -> InputBlock:
    block_id, action_id = FIELDS[field]
    return InputBlock(
        block_id=block_id,
        label=_LABELS[field],
        optional=True,
        element=PlainTextInputElement(action_id=action_id, max_length=_LIMITS[field]),
    )


def _size_input() -> InputBlock:
    block_id, action_id = FIELDS["company_size"]
    return InputBlock(
        block_id=block_id,
        label="Company size (employees)",
        optional=True,
        element=NumberInputElement(action_id=action_id, is_decimal_allowed=False, min_value=0),
    )


def _source_select() -> InputBlock:
    block_id, action_id = FIELDS["source"]
    options = [Option(value=value, text=label) for value, label in SOURCES.items()]
    return InputBlock(
        block_id=block_id,
        label="Source",
        element=StaticSelectElement(
            action_id=action_id,
            options=options,
            initial_option=options[list(SOURCES).index(DEFAULT_SOURCE)],
        ),
    )


def _tier_select(tiers: Sequence[str]) -> InputBlock:
    block_id, action_id = FIELDS["tier"]
    auto = Option(value=AUTO_TIER, text=AUTO_TIER_LABEL)
    options = [auto, *(Option(value=name, text=name) for name in tiers)]
    return InputBlock(
        block_id=block_id,
        label="Tier",
        hint="leadbot picks the tier from leadbot.yml's rules unless you choose one.",
        element=StaticSelectElement(action_id=action_id, options=options, initial_option=auto),
    )


def _message_input() -> InputBlock:
    block_id, action_id = FIELDS["message"]
    return InputBlock(
        block_id=block_id,
        label="Message / notes",
        optional=True,
        element=PlainTextInputElement(
            action_id=action_id, multiline=True, max_length=_MESSAGE_LIMIT
        ),
    )
