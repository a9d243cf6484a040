"""Every Slack Web API call, counted by method and result (`Metrics.slack_called`).

slack_sdk's clients send every method through `api_call` (the outbox's posts and updates, App
Home publishes, the listeners' ephemeral answers, file uploads' steps): counting there, once,
covers them all. The result is "ok", Slack's error code, "429" (rate limited), "http_<status>"
for an outage page, or "no_answer" when none came (a timeout, a refused connection).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.slack_response import SlackResponse

__all__ = [
    "CountedAsyncWebClient",
    "CountedWebClient",
    "OnCall",
    "counted_async",
    "result_of",
]

OnCall = Callable[[str, str], None]  # (method, result)
NO_ANSWER = "no_answer"


def result_of(err: BaseException) -> str:
    if not isinstance(err, SlackApiError):
        return NO_ANSWER
    response = err.response
    status = int(getattr(response, "status_code", 200) or 200)
    if status == 429:
        return "429"
    if status >= 500:
        return f"http_{status}"  # an outage page, not a Slack error code
    error = response.get("error") if hasattr(response, "get") else None
    return str(error) if error else f"http_{status}"


class CountedWebClient(WebClient):
    """slack_sdk's WebClient, telling `on_call` of each call's result."""

    def __init__(self, *args: Any, on_call: OnCall | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_call = on_call

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, *args, **kwargs)
        except Exception as err:
            _tell(self.on_call, api_method, result_of(err))
            raise
        _tell(self.on_call, api_method, "ok")
        return response


class CountedAsyncWebClient(AsyncWebClient):
    """slack_sdk's AsyncWebClient (the outbox's sender), telling `on_call` likewise."""

    def __init__(self, *args: Any, on_call: OnCall | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_call = on_call

    async def api_call(  # type: ignore[override]
        self, api_method: str, *args: Any, **kwargs: Any
    ) -> AsyncSlackResponse:
        try:
            response = await super().api_call(api_method, *args, **kwargs)
        except Exception as err:
            _tell(self.on_call, api_method, result_of(err))
            raise
        _tell(self.on_call, api_method, "ok")
        return response


def counted_async(client: WebClient, **options: Any) -> AsyncWebClient:
    """An AsyncWebClient with `client`'s token, URL and timeout, counting as `client` does."""
    return CountedAsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        on_call=getattr(client, "on_call", None),
        **options,
    )


def _tell(on_call: OnCall | None, method: str, result: str) -> None:
    if on_call is not None:
        on_call(method, result)
