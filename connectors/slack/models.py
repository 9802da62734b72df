"""Typed inputs and outputs of the Slack actions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PostMessageInputs(BaseModel):
    channel: str = Field(min_length=1, description="Channel ID (C…) or name (#general).")
    text: str = Field(min_length=1, max_length=40_000, description="Also the notification text.")
    blocks: list[dict[str, Any]] | None = Field(None, description="Block Kit layout, optional.")
    thread_ts: str | None = Field(None, description="Reply in this message's thread.")
    unfurl_links: bool = False


class SendDirectMessageInputs(BaseModel):
    user_id: str = Field(min_length=1, description="The person's Slack user ID (U…).")
    text: str = Field(min_length=1, max_length=40_000)
    blocks: list[dict[str, Any]] | None = None


class PostedMessage(BaseModel):
    channel: str
    ts: str = Field(description="The message's id within the channel (for threads and edits).")
    text: str | None = None
