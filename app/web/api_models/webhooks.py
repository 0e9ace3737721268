"""The provider webhooks' forms and answers: Slack interactivity and commands, Twilio SMS, calls, status."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.web.api_models.common import Strict


class SlackInteraction(BaseModel):
    """Slack interactivity (a button press), signed with X-Slack-Signature over the raw body."""

    payload: str = Field(description="Slack's JSON block_actions payload")


class SlackCommand(BaseModel):
    """A slash command (`/oncall`, `/incident`), signed with X-Slack-Signature over the raw body."""

    command: str
    text: str = ""
    user_id: str
    channel_id: str | None = None
    team_id: str | None = None
    response_url: str | None = None


class SlackAnswer(Strict):
    """What the sender of a slash command sees (ephemeral)."""

    response_type: Literal["ephemeral", "in_channel"]
    text: str


class TwilioSms(BaseModel):
    """An inbound SMS, signed with X-Twilio-Signature against KLAXON_PUBLIC_URL + path."""

    From: str
    Body: str = ""
    MessageSid: str | None = None


class TwilioCall(BaseModel):
    """A page call's webhook (the call answered, or the keys pressed: `?gather=1&incident_id=N`)."""

    CallSid: str
    From: str | None = None
    To: str | None = None
    Digits: str | None = None
    AnsweredBy: str | None = None


class TwilioStatus(BaseModel):
    """A message's or call's status callback."""

    MessageSid: str | None = None
    MessageStatus: str | None = None
    CallSid: str | None = None
    CallStatus: str | None = None
    ErrorCode: str | None = None
