"""manifest.yml must be a valid Slack app manifest and declare everything leadbot relies on.

The schemas are Slack's official ones (github.com/slackapi/manifest-schema), kept outside the repo
in ../shared/slack. A missing schema is a failure, not a skip: a skipped test would let an invalid
manifest through silently.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema.protocols import Validator

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO_ROOT / "manifest.yml"
SCHEMA_DIR = REPO_ROOT.parent / "shared" / "slack"
# Slack treats a manifest without _metadata.major_version as version 1.
DEFAULT_MAJOR_VERSION = 1

REQUIRED_BOT_SCOPES = {"chat:write", "commands", "im:write"}


def load_manifest() -> dict[str, Any]:
    with MANIFEST_PATH.open(encoding="utf-8") as fh:
        manifest = yaml.safe_load(fh)
    assert isinstance(manifest, dict), "manifest.yml must be a YAML mapping"
    return manifest


def major_version(manifest: dict[str, Any]) -> int:
    return int(manifest.get("_metadata", {}).get("major_version", DEFAULT_MAJOR_VERSION))


def schema_path(major: int) -> Path:
    if not SCHEMA_DIR.is_dir():
        pytest.fail(f"Slack manifest schemas not found: {SCHEMA_DIR} is missing", pytrace=False)
    candidates = sorted(SCHEMA_DIR.glob(f"manifest.schema.{major}.*.json"))
    if not candidates:
        pytest.fail(f"no Slack manifest schema for major_version {major} in {SCHEMA_DIR}")
    return candidates[-1]


def load_schema(major: int) -> dict[str, Any]:
    with schema_path(major).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def make_validator(schema: dict[str, Any]) -> Validator:
    # Pick the draft the schema declares in "$schema" (draft-07 for Slack's files).
    base = jsonschema.validators.validator_for(schema)
    base.check_schema(schema)
    # Slack's schema spells the background_color pattern as the non-standard keyword "regex",
    # which jsonschema would silently ignore; treat it as "pattern" so colours are checked too.
    cls = jsonschema.validators.extend(base, {"regex": base.VALIDATORS["pattern"]})
    return cls(schema, format_checker=base.FORMAT_CHECKER)


def declared_major_versions(schema: dict[str, Any]) -> Iterator[int]:
    """Yield the major_version the schema pins with const/enum, if it pins one at all."""
    metadata = schema.get("properties", {}).get("_metadata", {})
    ref = metadata.get("$ref", "")
    if ref.startswith("#/definitions/"):
        metadata = schema["definitions"][ref.removeprefix("#/definitions/")]
    spec = metadata.get("properties", {}).get("major_version", {})
    if "const" in spec:
        yield spec["const"]
    yield from spec.get("enum", [])


def validation_errors(manifest: dict[str, Any]) -> list[str]:
    validator = make_validator(load_schema(major_version(manifest)))
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def test_manifest_is_valid_against_slack_schema() -> None:
    manifest = load_manifest()
    major = major_version(manifest)
    schema = load_schema(major)
    pinned = list(declared_major_versions(schema))
    assert not pinned or major in pinned, f"schema pins {pinned}, manifest.yml has {major}"
    errors = validation_errors(manifest)
    assert not errors, "manifest.yml is invalid:\n" + "\n".join(errors)


def test_manifest_declares_what_leadbot_relies_on() -> None:
    manifest = load_manifest()
    features = manifest["features"]
    settings = manifest["settings"]

    commands = {c["command"]: c for c in features["slash_commands"]}
    assert "/leads" in commands
    # `@alice` arrives as <@U0ALICE|alice>: /leads stats @rep needs the id, not a display name.
    assert commands["/leads"]["should_escape"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["bot_user"]["display_name"] == "leadbot"
    assert settings["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert settings["socket_mode_enabled"] is True
    missing = REQUIRED_BOT_SCOPES - set(manifest["oauth_config"]["scopes"]["bot"])
    assert not missing, f"bot scopes missing: {sorted(missing)}"


def _with_unknown_top_level_key(manifest: dict[str, Any]) -> None:
    manifest["not_a_manifest_key"] = True


def _without_app_name(manifest: dict[str, Any]) -> None:
    del manifest["display_information"]["name"]


def _with_bad_background_color(manifest: dict[str, Any]) -> None:
    manifest["display_information"]["background_color"] = "#12345z"


@pytest.mark.parametrize(
    "mutate",
    [_with_unknown_top_level_key, _without_app_name, _with_bad_background_color],
    ids=["unknown-top-level-key", "missing-name", "bad-background-color"],
)
def test_validation_rejects_broken_manifest(mutate: Any) -> None:
    # Proves the validation above has teeth: a schema that accepted anything would pass it too.
    broken = copy.deepcopy(load_manifest())
    mutate(broken)
    assert validation_errors(broken), f"{mutate.__name__} was accepted by the schema"


# Every Web API method leadbot calls, and the bot scope it needs (Slack's method reference).
SCOPE_OF: dict[str, tuple[str, ...]] = {
    "chat_postMessage": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "conversations_open": ("im:write",),
    # Reading back its own posts (exactly-once after a crash): public and private channels, DMs.
    "conversations_history": ("channels:history", "groups:history", "im:history"),
    "views_publish": (),
    "views_open": (),
    # `leadbot roster sync`: who is in a user group or channel, and their profiles.
    "users_info": ("users:read", "users:read.email"),
    "usergroups_list": ("usergroups:read",),
    "usergroups_users_list": ("usergroups:read",),
    "conversations_list": ("channels:read", "groups:read"),
    "conversations_members": ("channels:read", "groups:read"),
    # The weekly digest's chart: Slack's upload flow (getUploadURLExternal, completeUpload).
    "files_upload_v2": ("files:write",),
}


def test_scopes_are_exactly_what_the_code_calls() -> None:
    """Over-privilege shows on the install screen: ask only for what a call needs."""
    code = "\n".join(
        path.read_text()
        for top in ("bot", "handlers")
        for path in (REPO_ROOT / top).rglob("*.py")
        if "fakeslack" not in path.parts
    )
    # Calls, and method names passed as strings (the outbox names its call: "chat_update").
    methods = r"\b((?:chat|conversations|views|users|usergroups|reactions|files)_\w+)\b"
    # Block Kit's element types (users_select, conversations_select) are no Web API methods.
    called = {name for name in re.findall(methods, code) if not name.endswith("_select")}
    assert called <= set(SCOPE_OF), f"add the scope of {called - set(SCOPE_OF)} to SCOPE_OF"
    needed = {scope for method in called for scope in SCOPE_OF[method]} | {"commands"}
    assert set(load_manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_the_messages_tab_is_read_only_since_nothing_answers_there() -> None:
    app_home = load_manifest()["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True  # the cards arrive there
    assert app_home["messages_tab_read_only_enabled"] is True
