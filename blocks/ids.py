"""Action and callback ids: a wire contract with messages already posted in Slack.

Never rename one of these without keeping a handler for the old value: cards posted last week
still carry it.
"""

CLAIM = "lead_claim"
SNOOZE = "lead_snooze"
PASS = "lead_pass"
LINK_PREFIX = "lead_open_"  # every URL button on a card: one listener acknowledges them all
OPEN_CRM = "lead_open_crm"
LOG_CONTACT = "lead_log_contact"  # a select; each option's value is "<lead id>:<outcome>"

SNOOZE_MODAL = "lead_snooze_modal"
SNOOZE_CHOICE_BLOCK = "snooze_choice"
SNOOZE_CHOICE = "snooze_choice_select"

LEAD_BLOCK_PREFIX = "lead_card"
NUDGE_BLOCK_PREFIX = "lead_nudge"

# Paging buttons under a list (`/leads mine`, `/leads queue`); value "<list>:<page>".
PAGE_PREVIOUS = "list_page_previous"
PAGE_NEXT = "list_page_next"

LEAD_MENU = "lead_menu"  # the card's overflow: "reassign:<lead id>"
REASSIGN_MODAL = "lead_reassign_modal"
REASSIGN_USER_BLOCK = "reassign_user"
REASSIGN_USER = "reassign_user_select"
