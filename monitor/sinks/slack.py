"""Slack incoming webhooks (Block Kit). The webhook URL is the credential: never logged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from monitor.digest.render import json_body, render_slack
from monitor.errors import DeliveryError
from monitor.sinks import post_json
from monitor.types import Digest


class SlackSink:
    def __init__(self, name: str, webhook_url: str, client: httpx.AsyncClient, title: str = "") -> None:
        self.name = name
        self._url = webhook_url
        self._client = client
        self.title = title

    @classmethod
    def from_config(cls, name: str, config: Any, client: httpx.AsyncClient) -> SlackSink:
        if config.webhook_url is None:
            raise DeliveryError(name, "webhook_url is not set")
        return cls(name, config.webhook_url.get_secret_value(), client)

    async def send(self, digest: Digest, now: datetime) -> int:
        messages = render_slack(digest, self.title)
        for message in messages:
            await post_json(self._client, self.name, self._url, json_body(message))
        return len(messages)

    def __repr__(self) -> str:
        return f"SlackSink({self.name!r})"
