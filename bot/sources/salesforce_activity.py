"""A Salesforce Task's owner as an email, so the touch is the rep's. An Outbound Message carries
the Task's own fields only, and its `OwnerId` is a User id (005…), not an email. A field with
the owner's email (a formula field, `Owner_Email__c = Owner:User.Email`: activity.py) names
the rep without asking anyone. Otherwise, when the source has the REST API (`token_env` and
`api_url`, the keys writing owners back uses), the users' emails are read: one SOQL query for
the request's distinct owners, `SELECT Id, Email FROM User WHERE Id IN (…)`, cached 10 minutes
per source (salesforce_api.py).

A failure says what Salesforce answered: `transient` when it may answer later (no answer, 429,
5xx, its daily API allowance spent), so a message of Tasks only is not acknowledged and
Salesforce sends it again (it does for 24 hours); a refused token is a problem held in the
quarantine with the fix, as HubSpot's is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bot.config.sources import Source
from bot.sources.activity import Activity
from bot.sources.salesforce_api import SalesforceApi, SalesforceProblem, client

SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}|[A-Za-z0-9]{18}")
TRANSIENT_CODES = ("REQUEST_LIMIT_EXCEEDED",)  # the day's allowance: it refills as the day rolls
NO_API = ("names its owner only by OwnerId (a Salesforce user, not a rep): set the source's "
          "token_env and api_url so leadbot reads the user's email, or add a formula field "
          "with it (Owner_Email__c = Owner:User.Email) to the message's fields")  # fmt: skip


def complete(found: list[Activity], source: Source, secrets: Mapping[str, str],
             apis: dict[str, SalesforceApi], now: Callable[[], float]) -> None:  # fmt: skip
    """The owners' emails of the Tasks that carry none. `apis` keeps one client per source
    and token between requests (its emails are cached); `now`: seconds, for that cache."""
    todo = [a for a in found if a.crm == "salesforce" and not a.skip and not a.problem
            and a.owner is None]  # fmt: skip
    if not todo:
        return
    token = source.api_token(secrets)
    if source.token_env is None or "api_url" not in source.model_fields_set:
        _skip(todo, NO_API)
        return
    if not token:
        _fail(todo, f"{source.token_env} is not set where leadbot runs: set it to an access "
              "token so leadbot reads the Task's owner", transient=False)  # fmt: skip
        return
    owned = _owned(todo)
    if not owned:
        return
    api = client(apis, source, token, now)
    try:
        emails = api.user_emails({user for _, user in owned})
    except SalesforceProblem as err:
        _fail([activity for activity, _ in owned], *_problem(err, source))
        return
    for activity, user in owned:
        activity.owner = emails.get(user)
        if activity.owner is None:
            activity.skip = f"Salesforce has no user {user}, the Task {activity.id}'s OwnerId"


def _owned(todo: list[Activity]) -> list[tuple[Activity, str]]:
    """Each Task with the user id its OwnerId is; one that is none is skipped with why."""
    owned = []
    for activity in todo:
        said = (activity.values or {}).get("OwnerId")
        user = said.strip() if isinstance(said, str) else ""
        if not user:
            activity.skip = (f"the Task {activity.id} has no OwnerId: add it to the outbound "
                             "message's fields")  # fmt: skip
        elif not SALESFORCE_ID.fullmatch(user):
            activity.skip = (f"the Task {activity.id}'s OwnerId is not a Salesforce id "
                             "(15 or 18 letters and digits)")  # fmt: skip
        else:
            owned.append((activity, user))
    return owned


def _problem(err: SalesforceProblem, source: Source) -> tuple[str, bool]:
    """What the admins read, and whether Salesforce's own retry may fare better."""
    status = err.status
    if status is None or status >= 500 or status == 429 or err.code in TRANSIENT_CODES:
        return f"{err}; it is read again on a retry", True
    if status == 401:
        fix = f"set {source.token_env} to a current access token"
    elif status == 403:
        fix = "give the token's user the API Enabled permission"
    else:
        fix = "see Salesforce's answer"
    return f"{err} reading the Task's owner: {fix}, then `leadbot quarantine retry`", False


def _skip(todo: list[Activity], why: str) -> None:
    for activity in todo:
        activity.skip = f"the Task {activity.id} {why}"


def _fail(todo: list[Activity], why: str, transient: bool) -> None:
    for activity in todo:
        activity.problem, activity.transient = f"{activity.label}: {why}", transient
