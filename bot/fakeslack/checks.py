"""Payload validation and request decoding for the fake Slack Web API (bot/fakeslack/server.py).

Real Slack rejects bad Block Kit with `invalid_blocks` (messages) or `invalid_arguments` (views).
The fake must reject the same payloads, otherwise a broken builder passes every test and fails in
production. Two layers per block: the documented limits first (clear messages), then a round trip
through `slack_sdk.models`, which catches typos and unknown fields the SDK would silently drop.
Depends on the standard library and slack_sdk only: `leadbot demo` ships this fake.
"""

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.fakeslack.limits import limit_problems

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.publish", "views.open", "views.update"})
# Fields WebClient may send as JSON strings (always in form bodies, and when a caller passes a str).
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
_VIEW_TITLE_LIMIT = 24


@dataclass
class Verdict:
    """What validation found: `error` is the Slack error the call must fail with, if any."""

    problems: list[str] = field(default_factory=list)
    error: str | None = None


def decode_body(body: bytes, content_type: str) -> tuple[dict[str, Any], list[str]]:
    """Decode a JSON or form-encoded request body into arguments; returns (args, problems)."""
    if not body:
        return {}, []
    if content_type.startswith("multipart/"):
        return {}, ["multipart bodies (file uploads) are not supported by the fake"]
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return {}, [f"request body is not valid JSON: {exc}"]
        if not isinstance(data, dict):
            return {}, ["JSON request body is not an object"]
        return decode_json_fields(data), []
    return decode_json_fields(dict(parse_qsl(text, keep_blank_values=True))), []


def decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON-string fields (blocks, view, ...) into Python objects, as Slack does."""
    for name in JSON_FIELDS:
        value = args.get(name)
        if isinstance(value, str) and value.strip():
            # Undecodable values stay strings: check_blocks reports them.
            with contextlib.suppress(json.JSONDecodeError):
                args[name] = json.loads(value)
    return args


def check_call(method: str, args: dict[str, Any]) -> Verdict:
    """Validate the payload of one call; unknown methods have nothing to check."""
    if method in MESSAGE_METHODS or method == "response_url":
        return _check_message(method, args)
    if method in VIEW_METHODS:
        return _check_view(method, args)
    return Verdict()


def _check_message(method: str, args: dict[str, Any]) -> Verdict:
    blocks = args.get("blocks")
    verdict = Verdict()
    if blocks is not None:
        verdict.problems = check_blocks(blocks, MESSAGE_BLOCK_LIMIT, "message")
        verdict.error = "invalid_blocks" if verdict.problems else None
    # Slack only warns here, so the call still succeeds; but notifications, screen readers and
    # the mobile lock screen show nothing useful without it, hence a recorded problem.
    text = args.get("text")
    if blocks and method != "response_url" and not (isinstance(text, str) and text.strip()):
        verdict.problems.append("missing fallback text: send a non-empty `text` with `blocks`")
    if "metadata" in args:
        problem = _metadata_problem(args["metadata"])
        if problem:
            verdict.problems.append(problem)
            verdict.error = verdict.error or "invalid_metadata_format"
    return verdict


def _metadata_problem(metadata: object) -> str | None:
    """Message metadata: {"event_type": "snake_case_name", "event_payload": {...}}."""
    if not isinstance(metadata, dict):
        return "`metadata` must be a JSON object"
    event_type = metadata.get("event_type")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 255:
        return "`metadata.event_type` must be a non-empty string"
    if not isinstance(metadata.get("event_payload"), dict):
        return "`metadata.event_payload` must be a JSON object"
    return None


def _check_view(method: str, args: dict[str, Any]) -> Verdict:
    view = args.get("view")
    if not isinstance(view, dict):
        return Verdict(["`view` must be a JSON object"], "invalid_arguments")
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append(f"view type must be 'modal' or 'home', got {kind!r}")
    elif method == "views.publish" and kind != "home":
        problems.append("views.publish only accepts a 'home' view")
    elif method == "views.open" and kind != "modal":
        problems.append("views.open only accepts a 'modal' view")
    if kind == "modal":
        problems += _modal_text_problems(view)
    if "blocks" not in view:
        problems.append("view has no `blocks`")
    else:
        problems += check_blocks(view["blocks"], VIEW_BLOCK_LIMIT, "view")
    # Slack answers invalid views with invalid_arguments (not invalid_blocks).
    return Verdict(problems, "invalid_arguments" if problems else None)


def _modal_text_problems(view: dict[str, Any]) -> list[str]:
    problems = []
    if not _text_of(view.get("title")):
        problems.append("modal view needs a plain_text `title`")
    for name in ("title", "submit", "close"):
        text = _text_of(view.get(name))
        if len(text) > _VIEW_TITLE_LIMIT:
            problems.append(f"modal {name} is {len(text)} chars, limit {_VIEW_TITLE_LIMIT}")
    return problems


def check_blocks(blocks: object, limit: int, where: str) -> list[str]:
    """Every problem in a `blocks` array; empty when Slack would accept it."""
    if not isinstance(blocks, list):
        return [f"`blocks` must be a JSON array, got {type(blocks).__name__}"]
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks exceed the limit of {limit} per {where}")
    for index, block in enumerate(blocks):
        found = limit_problems(block) if isinstance(block, dict) else ["block is not an object"]
        # The SDK re-checks most limits; skip it when a clearer message exists already.
        found = found or _round_trip_problems(block)
        problems += [f"block {index} ({_type_of(block)}): {problem}" for problem in found]
    return problems


def _round_trip_problems(block: object) -> list[str]:
    """Parse with slack_sdk and serialise again: anything lost or changed is a problem."""
    try:
        parsed = Block.parse(block)  # type: ignore[arg-type]
        if parsed is None:
            return ["unknown block type"]
        rendered = parsed.to_dict()
    except SlackObjectFormationError as exc:
        return [str(exc)]
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # The SDK's constructors raise plain TypeErrors for missing required fields.
        return [f"{type(exc).__name__}: {exc}"]
    if rendered == block:
        return []
    return ["does not round-trip through slack_sdk.models: " + "; ".join(_diff(block, rendered))]


def _diff(sent: object, parsed: object, path: str = "") -> list[str]:
    """The first few differences between what was sent and what the SDK understood."""
    if isinstance(sent, dict) and isinstance(parsed, dict):
        out = []
        for key in sorted(set(sent) | set(parsed)):
            where = f"{path}/{key}"
            if key not in parsed:
                out.append(f"{where} dropped (unknown or misplaced field)")
            elif key not in sent:
                out.append(f"{where} added as {parsed[key]!r}")
            else:
                out += _diff(sent[key], parsed[key], where)
        return out[:5]
    if isinstance(sent, list) and isinstance(parsed, list) and len(sent) == len(parsed):
        return [
            d
            for i, (a, b) in enumerate(zip(sent, parsed, strict=True))
            for d in _diff(a, b, f"{path}/{i}")
        ][:5]
    return [] if sent == parsed else [f"{path or '/'}: sent {sent!r}, parsed {parsed!r}"]


def _text_of(obj: object) -> str:
    """The string inside a text object ({"type": "plain_text", "text": ...}) or a bare string."""
    if isinstance(obj, dict):
        obj = obj.get("text")
    return obj if isinstance(obj, str) else ""


def _type_of(block: object) -> str:
    return str(block.get("type")) if isinstance(block, dict) else type(block).__name__
