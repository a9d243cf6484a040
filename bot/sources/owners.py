"""Writing one owner to a CRM (a `crm_writes` row, bot/sources/writer.py): the rep's email from
leadbot.yml, the CRM's own id for that person (HubSpot: the owner with that email, from the
cached owners list; Salesforce: the active user with that email), the call, and what its
answer means for the row: written, try again (and when: `WriteRetry`, and `Window`, the
account's pace), or given up (why, and the fix).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.schema import Config
from bot.config.sources import Source
from bot.sources.hubspot import ApiProblem, HubSpotApi, client
from bot.sources.salesforce_api import SalesforceApi, SalesforceProblem
from bot.sources.salesforce_api import client as salesforce_client

SALESFORCE_TYPES = ("Lead", "Contact")
RATE_WAIT = 10.0  # a 429 without Retry-After: HubSpot's window is 10 s
DAILY_LIMIT_WAIT = 900.0  # Salesforce's daily API allowance spent: it refills as the day rolls
TRANSIENT_CODES = ("UNABLE_TO_LOCK_ROW",)  # another transaction holds the record: try again
WINDOW = timedelta(seconds=10)  # HubSpot's rolling window for api_calls_per_10s


@dataclass(frozen=True)
class Job:
    """A leased row, as the call needs it."""

    id: int
    lead_id: int
    generation: int
    source: str
    kind: str
    object_type: str
    record_id: str
    owner: str
    written_owner: str | None
    attempts: int
    asked_at: datetime
    arrived_with: str | None  # the CRM's owner id the lead arrived with, if it said


@dataclass(frozen=True)
class Written:
    crm_owner: str  # the CRM's id of the owner
    called: bool = True  # False: the record arrived with this owner, nothing to write


@dataclass(frozen=True)
class Retry:
    error: str
    retry_after: float | None = None  # the CRM said when (a 429): pacing, not a failed attempt


@dataclass(frozen=True)
class GiveUp:
    error: str  # what went wrong, for the card and the admins (plain text)
    fix: str  # what an admin does about it
    key: str  # the admins hear of each key once an hour
    quiet: bool = False  # nobody to tell: write-back was turned off for the source


Outcome = Written | Retry | GiveUp


@dataclass(frozen=True)
class WriteRetry:
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=15)
    attempts: int = 12  # failed attempts (a 429 is pacing, not one) before giving up
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        if retry_after is not None:
            return timedelta(seconds=retry_after)  # the CRM said when: no longer than that
        return min(self.base * (2 ** max(attempts - 1, 0)), self.cap)


class Window:
    """A CRM account's calls in the vendor's rolling window, and a 429's hold."""

    def __init__(self) -> None:
        self.moments: deque[datetime] = deque()
        self.held: datetime | None = None

    def free_at(self, now: datetime, calls: int) -> datetime:
        """The first moment from `now` a call fits: fewer than `calls` in the window before it."""
        while self.moments and self.moments[0] <= now - WINDOW:
            self.moments.popleft()
        at = self.moments[-calls] + WINDOW if len(self.moments) >= calls else now
        return max(at, now, self.held or now)

    def book(self, now: datetime) -> None:
        self.moments.append(now)

    def hold(self, until: datetime) -> None:
        self.held = max(self.held, until) if self.held else until


class OwnerSetter:
    """One client per CRM account and token, so HubSpot's owner list is cached between calls."""

    def __init__(self, config: Config, secrets: Mapping[str, str]) -> None:
        self.config, self.secrets = config, secrets
        self._hubspot: dict[str, HubSpotApi] = {}
        self._salesforce: dict[str, SalesforceApi] = {}

    def write(self, job: Job) -> Outcome:
        source = self.config.sources.get(job.source)
        if source is None or not source.write_owner:
            return GiveUp(f"writing owners back is off for the source {job.source}", "", "",
                          quiet=True)  # fmt: skip
        token = source.api_token(self.secrets)
        if not token:
            return GiveUp(f"{source.token_env} is not set where leadbot runs",
                          f"set {source.token_env} and restart leadbot", "token")  # fmt: skip
        if not job.record_id:
            return GiveUp("the lead carries no record id from the CRM",
                          f"map external_id in sources.{job.source}", "no_id")  # fmt: skip
        rep = self.config.rep(job.owner)
        if rep is None or not rep.email:
            return _no_email(job.owner, self.config.display_name(job.owner), rep is None)
        try:
            if source.kind == "hubspot":
                return self._to_hubspot(job, source, token, rep.email)
            return self._to_salesforce(job, source, token, rep.email)
        except ApiProblem as err:
            return _hubspot_problem(err, job, source)
        except SalesforceProblem as err:
            return _salesforce_problem(err, source)

    def _to_hubspot(self, job: Job, source: Source, token: str, email: str) -> Outcome:
        api = client(self._hubspot, source, token)
        owner_id = _owner_by_email(api.owner_emails(), email)
        if owner_id is None:  # an owner added since the list was read
            owner_id = _owner_by_email(api.owner_emails(fresh=True), email)
        if owner_id is None:
            return GiveUp(f"HubSpot has no owner with the email {email}",
                          "add them as a user in HubSpot with that email, or fix reps[].email "
                          "in leadbot.yml", f"owner:{email}")  # fmt: skip
        if job.written_owner is None and job.arrived_with == owner_id:
            return Written(owner_id, called=False)
        api.set_owner(job.record_id, owner_id)
        return Written(owner_id)

    def _to_salesforce(self, job: Job, source: Source, token: str, email: str) -> Outcome:
        if job.object_type not in SALESFORCE_TYPES:
            kind = _a(job.object_type) if job.object_type else "of a type leadbot cannot tell"
            return GiveUp(f"the Salesforce record {job.record_id} is {kind}, not a Lead or "
                          "a Contact", "none: leadbot writes owners of Leads and Contacts",
                          "type")  # fmt: skip
        api = salesforce_client(self._salesforce, source, token)
        user_id = api.user_id(email)
        if user_id is None:
            return GiveUp(f"Salesforce has no active user with the email {email}",
                          "activate them in Salesforce with that email, or fix reps[].email in "
                          "leadbot.yml", f"owner:{email}")  # fmt: skip
        if job.written_owner is None and job.arrived_with == user_id:
            return Written(user_id, called=False)
        api.set_owner(job.object_type, job.record_id, user_id)
        return Written(user_id)


def _owner_by_email(owners: dict[str, str], email: str) -> str | None:
    wanted = email.strip().casefold()
    return next((i for i, e in owners.items() if e.strip().casefold() == wanted), None)


def _no_email(owner: str, name: str, unknown: bool) -> GiveUp:
    """Plain words (the card escapes them): the person by name and Slack id."""
    who = f"{name} ({owner})" if name != owner else owner
    if unknown:
        return GiveUp(f"{who} is not a rep in leadbot.yml, so leadbot does not know who they "
                      "are in the CRM", "add them to reps: with their email",
                      f"rep:{owner}")  # fmt: skip
    return GiveUp(f"{who} has no email in leadbot.yml, which is how the CRM's owner is found",
                  "set their reps[].email to the one they sign in to the CRM with",
                  f"rep:{owner}")  # fmt: skip


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "AEIOU" else f"a {kind}"


def _hubspot_problem(err: ApiProblem, job: Job, source: Source) -> Outcome:
    status = err.status
    if status is None or status >= 500 or status in (423, 429):
        return Retry(str(err), (err.retry_after or RATE_WAIT) if status == 429 else None)
    if status == 401:
        return GiveUp(str(err), f"set {source.token_env} to the private app's current access "
                      "token", "401")  # fmt: skip
    if status == 403:
        return GiveUp(str(err), "give the private app the scopes crm.objects.contacts.write and "
                      "crm.objects.owners.read", "403")  # fmt: skip
    if status == 404:
        return GiveUp(f"HubSpot has no contact {job.record_id} (deleted or merged since?)",
                      "none if it was deleted; a merged contact has a new id", "404")  # fmt: skip
    return GiveUp(str(err), "see HubSpot's answer in the log", str(status))


def _salesforce_problem(err: SalesforceProblem, source: Source) -> Outcome:
    status = err.status
    if err.code == "REQUEST_LIMIT_EXCEEDED":
        return Retry(str(err), err.retry_after or DAILY_LIMIT_WAIT)
    if status is None or status >= 500 or status == 429 or err.code in TRANSIENT_CODES:
        return Retry(str(err), (err.retry_after or RATE_WAIT) if status == 429 else None)
    if status == 401:
        return GiveUp(str(err), f"set {source.token_env} to a current access token", "401")
    if status == 404:
        return GiveUp(str(err), "none if the record was deleted or merged", "404")
    return GiveUp(str(err), "see Salesforce's answer", err.code or str(status))
