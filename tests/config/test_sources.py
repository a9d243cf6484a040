"""`sources:` keys for writing the owner back (`write_owner`, `api_calls_per_10s`, `token_env`,
`api_url`): a bad value is refused with a sentence naming its key, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.errors import ConfigError
from bot.config.load import parse_config
from bot.config.schema import Config
from bot.config.sources import unset_secrets
from tests.config.conftest import base

ORG = "00D5e000000KQ2eEAG"
HUB = {"kind": "hubspot", "secret_env": "HUB_SECRET", "token_env": "HUB_TOKEN"}


def config(**sources: Any) -> Config:
    return parse_config({**base(), "sources": sources}, source="test")


def refusal(**sources: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        config(**sources)
    return "\n".join(raised.value.errors)


def test_write_owner_is_off_unless_asked_for() -> None:
    source = config(hub=HUB).sources["hub"]
    assert (source.write_owner, source.api_calls_per_10s) == (False, 100)
    assert config(hub={**HUB, "write_owner": True}).sources["hub"].write_owner


@pytest.mark.parametrize(("entry", "said"), [
    ({**HUB, "write_owner": "maybe"}, "sources.hub.write_owner: expected true or false"),
    ({**HUB, "write_owner": True, "api_calls_per_10s": 0}, "sources.hub.api_calls_per_10s:"),
    ({**HUB, "api_calls_per_10s": "fast"}, "sources.hub.api_calls_per_10s: expected a whole"),
    ({"kind": "hubspot", "secret_env": "S", "write_owner": True},
     "sources.hub: write_owner needs token_env"),
    ({"kind": "typeform", "secret_env": "S", "token_env": "T", "write_owner": True},
     "sources.hub: write_owner: only a hubspot or salesforce source has an owner to write back, "
     "and this one is typeform"),
    ({"kind": "salesforce", "secret_env": "S", "organization_id": ORG, "token_env": "SF",
      "write_owner": True}, "sources.hub: write_owner needs api_url: the Salesforce instance's"),
    ({"kind": "salesforce", "secret_env": "S", "organization_id": ORG, "token_env": "SF"},
     "sources.hub: token_env needs api_url: the Salesforce instance the token is for"),
    ({**HUB, "write_owner": True, "token_env": "not a name"},
     "sources.hub.token_env: 'not a name' is not an environment variable name"),
    ({**HUB, "write_owner": True, "api_url": "ftp://x"}, "sources.hub.api_url:"),
    ({**HUB, "write_owner": True, "map": {"source": "body.utm_source"}},
     "sources.hub: write_owner: leadbot finds this source's leads by their source, so map.source"),
])  # fmt: skip
def test_a_bad_write_back_key_is_named(entry: dict[str, Any], said: str) -> None:
    assert said in refusal(hub=entry)


def test_a_write_back_source_must_be_the_only_one_giving_its_leads_their_source() -> None:
    said = refusal(hub={**HUB, "write_owner": True},
                   forms={"kind": "typeform", "secret_env": "T", "source": "hub"})  # fmt: skip
    assert "sources: hub.write_owner: the source forms gives its leads the source 'hub' too" in said


def test_an_unset_token_says_owners_are_not_written() -> None:
    sources = config(hub={**HUB, "write_owner": True}).sources
    (line,) = unset_secrets(sources, {"HUB_SECRET": "x"})
    assert line == ("sources.hub: HUB_TOKEN is not set here: HubSpot's events are held, not "
                    "read, and owners not written until it is")  # fmt: skip


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
KEYS = st.sampled_from(["write_owner", "api_calls_per_10s", "token_env", "api_url", "kind"])


@given(st.dictionaries(KEYS, VALUES, max_size=4))
def test_generated_write_back_keys_parse_or_name_the_key(changes: dict[str, Any]) -> None:
    entry = {**HUB, "write_owner": True, **changes}
    try:
        source = config(hub=entry).sources["hub"]
    except ConfigError as err:
        assert err.errors and all(line.startswith("sources") for line in err.errors)
        assert all(":" in line and "Traceback" not in line for line in err.errors)
        return
    assert source.write_owner is bool(source.write_owner)
    assert 1 <= source.api_calls_per_10s <= 1000
