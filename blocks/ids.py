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
SNOOZE_REASON_BLOCK = "snooze_reason"
SNOOZE_REASON = "snooze_reason_select"

LEAD_BLOCK_PREFIX = "lead_card"
NUDGE_BLOCK_PREFIX = "lead_nudge"

# Paging buttons under a list (`/leads mine`, `/leads queue`); value "<list>:<page>".
PAGE_PREVIOUS = "list_page_previous"
PAGE_NEXT = "list_page_next"

# The card's overflow: "reassign:<lead id>", "stop_followup:<lead id>", "won:<lead id>",
# "lost:<lead id>"; the last two open WON_MODAL / LOST_MODAL (private_metadata: the lead id).
LEAD_MENU = "lead_menu"
REASSIGN_MODAL = "lead_reassign_modal"
REASSIGN_USER_BLOCK = "reassign_user"
REASSIGN_USER = "reassign_user_select"
WON_MODAL = "lead_won_modal"
LOST_MODAL = "lead_lost_modal"
OUTCOME_AMOUNT_BLOCK = "outcome_amount"
OUTCOME_AMOUNT = "outcome_amount_input"  # a number_input: its state's "value" is a string
OUTCOME_REASON_BLOCK = "outcome_reason"
OUTCOME_REASON = "outcome_reason_select"  # the option's value is the reason as configured
OUTCOME_NOTE_BLOCK = "outcome_note"
OUTCOME_NOTE = "outcome_note_input"

# A follow-up task card (blocks/task_card.py). TASK_DONE is a select whose option values are
# "<task id>:<result>"; TASK_SKIP a button with the task id (it opens TASK_SKIP_MODAL, whose
# private_metadata is the task id); TASK_RESCHEDULE an overflow, "<task id>:<choice>" ("pick"
# opens TASK_RESCHEDULE_MODAL with a date picker).
TASK_BLOCK_PREFIX = "task_card"
TASK_DONE = "task_done"
TASK_SKIP = "task_skip"
TASK_RESCHEDULE = "task_reschedule"
TASK_OPEN_CRM = "lead_open_task_crm"
TASK_SKIP_MODAL = "task_skip_modal"
TASK_SKIP_REASON_BLOCK = "task_skip_reason"
TASK_SKIP_REASON = "task_skip_reason_input"
TASK_RESCHEDULE_MODAL = "task_reschedule_modal"
TASK_RESCHEDULE_DATE_BLOCK = "task_reschedule_date"
TASK_RESCHEDULE_DATE = "task_reschedule_date_picker"
