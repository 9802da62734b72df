"""One simulated Slack workspace: users, channels (the bot is a member of some), DMs and the
messages posted, with the Web API's error codes raised as :class:`SlackError`."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox_kit import Clock


class SlackError(Exception):
    """Answered ``{"ok": false, "error": code}`` with HTTP 200, as Slack does."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code, self.extra = code, extra


@dataclass
class Workspace:
    clock: Clock
    team_id: str = "T0SANDBOX"
    team_name: str = "Sandbox Co"
    bot_user_id: str = "U0BOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        for user_id, name in (("U0ANN", "ann"), ("U0BEN", "ben"), (self.bot_user_id, "flowyard")):
            self.users[user_id] = {"id": user_id, "name": name, "deleted": False}
        self.add_channel("general", bot_member=True)
        self.add_channel("random", bot_member=False)
        self.add_channel("secret-plans", bot_member=False, private=True)

    def add_channel(self, name: str, *, bot_member: bool, private: bool = False) -> str:
        channel_id = f"C{next(self._ids):08d}"
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private,
                                     "is_im": False, "bot_member": bot_member}  # fmt: skip
        return channel_id

    def channel_id(self, name: str) -> str:
        return next(c["id"] for c in self.channels.values() if c["name"] == name)

    def _ts(self) -> str:
        return f"{self.clock.now():.0f}.{next(self._ids):06d}"

    def _resolve(self, channel: str) -> dict[str, Any]:
        if channel in self.channels:
            return self.channels[channel]
        wanted = channel.lstrip("#")
        for found in self.channels.values():
            if found["name"] == wanted and not found["is_im"]:
                return found
        raise SlackError("channel_not_found")

    def post(self, data: Mapping[str, Any], scopes: set[str]) -> dict[str, Any]:
        text, blocks = data.get("text"), data.get("blocks")
        if not data.get("channel"):
            raise SlackError("channel_not_found")
        if not text and not blocks:
            raise SlackError("no_text")
        if text and len(str(text)) > 40_000:
            raise SlackError("msg_too_long")
        channel = self._resolve(str(data["channel"]))
        if not channel["bot_member"]:
            public = not channel["is_private"] and "chat:write.public" in scopes
            if not public:
                raise SlackError("channel_not_found" if channel["is_private"] else "not_in_channel")
        message = {"type": "message", "subtype": "bot_message", "text": text or "",
                   "user": self.bot_user_id, "bot_id": "B0BOT", "ts": self._ts(),
                   "team": self.team_id}  # fmt: skip
        if blocks:
            message["blocks"] = blocks
        if data.get("thread_ts"):
            message["thread_ts"] = data["thread_ts"]
        self.messages.setdefault(channel["id"], []).append(message)
        return {"channel": channel["id"], "ts": message["ts"], "message": message}

    def open_dm(self, users: str) -> dict[str, Any]:
        wanted = [u.strip() for u in users.split(",") if u.strip()]
        if not wanted:
            raise SlackError("users_list_not_supplied")
        if len(wanted) > 1:
            raise SlackError("not_implemented", detail="Group DMs are not simulated.")
        if wanted[0] not in self.users or self.users[wanted[0]]["deleted"]:
            raise SlackError("user_not_found")
        dm_id = f"D{wanted[0][1:]}"
        self.channels.setdefault(
            dm_id,
            {
                "id": dm_id,
                "name": dm_id,
                "is_private": True,
                "is_im": True,
                "bot_member": True,
                "user": wanted[0],
            },
        )
        return {"id": dm_id, "is_im": True, "user": wanted[0]}  # fmt: skip
