"""`sources:` in leadbot.yml: where leads come from besides `POST /api/leads`. Each entry is an
endpoint, `POST /api/sources/<name>`, for one sender (a HubSpot workflow, a Typeform form, a
Webflow site, anything that posts JSON), with the environment variable that holds its secret
(never the secret itself: leadbot.yml is committed) and how its payload maps onto a lead.

    sources:
      website:
        kind: webflow                 # hubspot | typeform | webflow | json
        secret_env: WEBFLOW_SECRET    # the OAuth app's client secret
      zapier:
        kind: json                    # Authorization: Bearer <the secret>
        secret_env: ZAPIER_TOKEN
        map:
          name: "{{ body.first }} {{ body.last }}"   # a template (sandboxed Jinja2) ...
          email: body.contact.email                  # ... or a path into the payload
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,23}")  # "source:<name>" fits an event actor
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
ORG_ID = r"^00D[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$"  # 15 or 18 characters
PATH = re.compile(r"(body|fields)(\.[^.\s{}]+)*")
# What a mapping may fill in: intake's fields (bot/leads/input.LeadIn), less `fields` (every
# payload key no mapping names goes there by itself) and `received_at` (the sender's clock).
MAPPABLE = ("external_id", "source", "name", "email", "phone", "company", "company_size",
            "country", "region", "product", "message", "crm_url", "tier", "timezone",
            "owner")  # fmt: skip
_TEMPLATES = SandboxedEnvironment()  # parsing only: the mapping renders (bot/sources/mapping.py)
SourceKind = Literal["json", "hubspot", "typeform", "webflow", "salesforce"]


def check_source_name(name: str) -> str:
    if not SOURCE_NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a source's name is its URL (/api/sources/<name>): use "
                         "lower-case letters, digits, - and _ (at most 24)")  # fmt: skip
    return name


def _env_name(name: str) -> str:
    if not ENV_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not an environment variable name (e.g. HUBSPOT_SECRET)")
    return name


def _mapping(mapping: dict[str, str]) -> dict[str, str]:
    for field, rule in mapping.items():
        if field not in MAPPABLE:
            raise ValueError(f"{field!r} is not a lead field; use {', '.join(MAPPABLE)}")
        if "{{" in rule:
            try:
                _TEMPLATES.parse(rule)
            except TemplateSyntaxError as err:
                raise ValueError(
                    f"{field}: the template {rule!r} does not parse: {err.message}"
                ) from None
        elif not PATH.fullmatch(rule):
            raise ValueError(f"{field}: {rule!r} is neither a path (body.contact.email, "
                             "fields.Email) nor a template ({{ body.first }})")  # fmt: skip
    return mapping


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: SourceKind = "json"
    secret_env: Annotated[str, AfterValidator(_env_name)]
    source: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    map: Annotated[dict[str, str], AfterValidator(_mapping)] = {}
    # salesforce: the sending org's id (Setup > Company Information), checked on every message.
    organization_id: Annotated[str, Field(pattern=ORG_ID)] | None = None
    # hubspot: a private app's access token (crm.objects.contacts.read, crm.objects.owners.read)
    # to read the contacts webhook events name only by id, and the owners' emails. salesforce:
    # an access token, with api_url the instance's, to read a Task owner's email by OwnerId.
    token_env: Annotated[str, AfterValidator(_env_name)] | None = None
    api_url: Annotated[str, Field(pattern=r"^https?://\S+$")] = "https://api.hubapi.com"
    # hubspot, salesforce: a call, email or meeting logged in the CRM (HubSpot's engagement
    # events, Salesforce's Task messages) is a touch on its lead (bot/sources/activity.py);
    # false: they are answered and ignored. HubSpot's needs token_env (crm.objects.contacts.read,
    # sales-email-read for emails).
    activities: bool = True
    # hubspot, salesforce: set the owner in the CRM when leadbot assigns or reassigns one of
    # the source's leads (bot/sources/writeback.py), with token_env's token (HubSpot: scope
    # crm.objects.contacts.write; Salesforce: an access token, and api_url the instance's).
    write_owner: bool = False
    # The CRM's API calls a writer may make per 10 s (HubSpot's private apps: 100 by default).
    api_calls_per_10s: Annotated[int, Field(ge=1, le=1000)] = 100

    @model_validator(mode="after")
    def _salesforce_org(self) -> Source:
        if self.kind == "salesforce" and self.organization_id is None:
            raise ValueError("a salesforce source needs organization_id (00D…, Setup > "
                             "Company Information): Salesforce signs nothing")  # fmt: skip
        return self

    @model_validator(mode="after")
    def _write_owner(self) -> Source:
        if not self.write_owner:
            return self
        if self.kind not in ("hubspot", "salesforce"):
            raise ValueError(f"write_owner: only a hubspot or salesforce source has an owner to "
                             f"write back, and this one is {self.kind}")  # fmt: skip
        if self.token_env is None:
            raise ValueError("write_owner needs token_env: the environment variable holding the "
                             "CRM's API token")  # fmt: skip
        if "source" in self.map:
            raise ValueError("write_owner: leadbot finds this source's leads by their source, "
                             "so map.source cannot change it; use routing rules on fields.… "
                             "instead")  # fmt: skip
        if self.kind == "salesforce" and "api_url" not in self.model_fields_set:
            raise ValueError("write_owner needs api_url: the Salesforce instance's URL, e.g. "
                             "https://acme.my.salesforce.com")  # fmt: skip
        return self

    @model_validator(mode="after")
    def _salesforce_instance(self) -> Source:
        # Without it the token would go to HubSpot's default URL, and a Task owner's email
        # would be unreadable at run time, one held message at a time.
        if self.kind == "salesforce" and self.token_env and "api_url" not in self.model_fields_set:
            raise ValueError("token_env needs api_url: the Salesforce instance the token is "
                             "for, e.g. https://acme.my.salesforce.com")  # fmt: skip
        return self

    def api_token(self, env: Mapping[str, str]) -> str:
        """The token `token_env` names, as set where leadbot runs ("" when unset or blank)."""
        return env.get(self.token_env, "").strip() if self.token_env else ""

    def lead_source(self, name: str) -> str:
        """The `source` its leads carry: routing rules and tiers match on it."""
        return self.source or name


def check_write_back(sources: dict[str, Source]) -> dict[str, Source]:
    """A source writing owners back finds its leads by their `source`: no other entry may
    give its leads the same one, or leadbot would write the owner of a lead from elsewhere."""
    for name, source in sources.items():
        if not source.write_owner:
            continue
        mine = source.lead_source(name)
        others = [o for o, s in sources.items() if o != name and s.lead_source(o) == mine]
        if others:
            raise ValueError(f"{name}.write_owner: the source {others[0]} gives its leads the "
                             f"source {mine!r} too, so leadbot could not tell which leads came "
                             f"from the CRM: give one of them a `source:` of its own")  # fmt: skip
    return sources


def unset_secrets(sources: Mapping[str, Source], env: Mapping[str, str]) -> list[str]:
    """The variables `sources:` names that `env` does not set: valid YAML, but the endpoint
    answers 503 (or HubSpot's events are held) until they are. Names only, never values."""
    found = []
    for name, source in sources.items():
        needs = ((source.secret_env, f"POST /api/sources/{name} answers 503"),
                 (source.token_env, _token_use(source)))  # fmt: skip
        for variable, why in needs:
            if variable and not env.get(variable, "").strip():
                found.append(f"sources.{name}: {variable} is not set here: {why} until it is")
    return found


def _token_use(source: Source) -> str:
    if source.kind == "salesforce":
        uses = ["Tasks naming their owner by OwnerId only are held"] if source.activities else []
        uses += ["owners are not written to Salesforce"] if source.write_owner else []
        return " and ".join(uses) or "nothing uses it"
    written = " and owners not written" if source.write_owner else ""
    return f"HubSpot's events are held, not read,{written}"
