"""SlackNotifier: pages people and channels through Slack's Web API, with the official slack_sdk.

Every method raises `TransientDeliveryError` (retry later) or `PermanentDeliveryError` (give up on
Slack for this recipient) from integrations.notifier, never an SDK exception.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable
from datetime import datetime
from typing import cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from integrations.notifier import (
    DeliveryReceipt,
    Page,
    PermanentDeliveryError,
    Recipient,
    TransientDeliveryError,
)
from integrations.slack.channel_names import with_suffix
from integrations.slack.errors import delivery_error_for
from integrations.slack.messages import escape, fallback_text, page_blocks

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
# How many `name-2`, `name-3`, ... to try after name_taken before giving up.
_NAME_SUFFIX_TRIES = 9
# Invite failures about particular people: the channel is still worth having without them.
_IGNORABLE_INVITE_ERRORS = frozenset(
    {"already_in_channel", "cant_invite_self", "cant_invite", "user_not_found", "user_is_restricted"}
)


def split_provider_id(provider_id: str) -> tuple[str, str]:
    """Split our `channel:ts` provider id into the channel id and message ts."""
    channel, _, ts = provider_id.partition(":")
    if not channel or not ts:
        raise ValueError(f"not a Slack provider id (want 'CHANNEL:TS'): {provider_id!r}")
    return channel, ts


class SlackNotifier:
    """The Slack `Notifier`: DMs a user or posts to a channel, then keeps that message up to date."""

    channel = "slack"
    provider = "slack"

    def __init__(self, token: str, base_url: str = DEFAULT_API_URL, *, timeout: float = 10) -> None:
        """Build a client for one bot token; `base_url` is SLACK_API_URL (a stand-in in tests)."""
        # retry_handlers=[] turns off the SDK's in-process retry of connection errors (its only
        # default handler): our delivery queue retries with backoff and records every attempt,
        # and a worker must not sleep through a 429's Retry-After holding an SMS behind it.
        # urllib takes float seconds although the SDK annotates `timeout` as int.
        self._client = WebClient(token=token, base_url=base_url, timeout=cast(int, timeout), retry_handlers=[])

    def send(self, page: Page, recipient: Recipient) -> DeliveryReceipt:
        """Post the page to `recipient.slack_channel`, else as a DM to `recipient.slack_user_id`."""
        if recipient.slack_channel:
            target = recipient.slack_channel
        elif recipient.slack_user_id:
            target = self._open_dm(recipient.slack_user_id)
        else:
            raise PermanentDeliveryError(
                f"recipient {recipient.user_id or recipient.name!r} has no Slack user id or channel",
                code="no_slack_address",
            )
        if page.notice:  # a notice, not a page: its text alone, no buttons
            response = self._call("chat.postMessage", self._client.chat_postMessage, channel=target,
                                  text=escape(page.notice), unfurl_links=False, unfurl_media=False)
            return _receipt(response)
        response = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=target,
            text=fallback_text(page),
            blocks=page_blocks(page),
            unfurl_links=False,  # a page must stay compact; previews of every link would bury it
            unfurl_media=False,
        )
        return _receipt(response)

    def update_message(self, provider_id: str, page: Page, *, changed_at: datetime | None = None) -> DeliveryReceipt:
        """Re-render a posted page (`chat.update`): who acknowledged/resolved and when, commander, buttons."""
        channel, ts = split_provider_id(provider_id)
        response = self._call(
            "chat.update",
            self._client.chat_update,
            channel=channel,
            ts=ts,
            text=fallback_text(page),
            blocks=page_blocks(page, changed_at=changed_at),
        )
        return DeliveryReceipt(provider_id=f"{response.get('channel', channel)}:{response.get('ts', ts)}")

    def post_thread(self, provider_id: str, text: str) -> DeliveryReceipt:
        """Reply in the thread under a posted page; `text` is plain (&, <, > are escaped)."""
        channel, ts = split_provider_id(provider_id)
        response = self._call(
            "chat.postMessage", self._client.chat_postMessage, channel=channel, thread_ts=ts, text=escape(text)
        )
        return _receipt(response)

    def post_ephemeral(self, channel_id: str, slack_user_id: str, text: str) -> None:
        """Show `text` to one person in a channel only (e.g. "you are not a Klaxon user")."""
        self._call(
            "chat.postEphemeral", self._client.chat_postEphemeral, channel=channel_id, user=slack_user_id, text=text
        )

    def open_incident_channel(self, name: str, user_ids: list[str], page: Page) -> str:
        """Create the incident channel, invite the responders, post and pin the summary; return its id."""
        channel_id = self._create_channel(name.lstrip("#"))
        wanted = list(dict.fromkeys(user for user in user_ids if user))  # dedupe, keep order
        if wanted:
            self._invite(channel_id, wanted)
        posted = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=channel_id,
            text=fallback_text(page),
            blocks=page_blocks(page),
            unfurl_links=False,
            unfurl_media=False,
        )
        try:
            self._call("pins.add", self._client.pins_add, channel=channel_id, timestamp=posted["ts"])
        except PermanentDeliveryError as exc:
            if exc.code != "already_pinned":
                raise
        return channel_id

    def _open_dm(self, slack_user_id: str) -> str:
        response = self._call("conversations.open", self._client.conversations_open, users=slack_user_id)
        return str(response["channel"]["id"])

    def _create_channel(self, name: str) -> str:
        # name_taken: suffix rather than reuse. A channel of that name may belong to someone else
        # (or an old install), and posting incident details into a channel we did not create
        # could leak them; a retried call makes `-2`, which is visible and harmless.
        for attempt in range(_NAME_SUFFIX_TRIES + 1):
            candidate = name if attempt == 0 else with_suffix(name, attempt + 1)
            try:
                response = self._call("conversations.create", self._client.conversations_create, name=candidate)
            except PermanentDeliveryError as exc:
                if exc.code == "name_taken":
                    continue
                raise
            return str(response["channel"]["id"])
        raise PermanentDeliveryError(
            f"channel names {name!r} to -{_NAME_SUFFIX_TRIES + 1} are all taken", code="name_taken"
        )

    def _invite(self, channel_id: str, user_ids: list[str]) -> None:
        try:
            # force=True: with several users, invite the valid ones and skip the rest, so one
            # deactivated responder does not keep everybody else out of the incident channel.
            self._call(
                "conversations.invite",
                self._client.conversations_invite,
                channel=channel_id,
                users=user_ids,
                force=len(user_ids) > 1 or None,
            )
        except PermanentDeliveryError as exc:
            if exc.code not in _IGNORABLE_INVITE_ERRORS:
                raise
            log.warning("conversations.invite %s %s: %s (channel kept)", channel_id, user_ids, exc.code)

    def _call(self, method: str, fn: Callable[..., SlackResponse], **kwargs: object) -> SlackResponse:
        """Run one SDK call, turning every way it can fail into a DeliveryError."""
        try:
            return fn(**kwargs)
        except SlackApiError as exc:
            response = exc.response
            raise delivery_error_for(response.status_code, response.headers, response.data, method) from exc
        except (OSError, http.client.HTTPException) as exc:
            # URLError (refused, DNS), socket timeouts and dropped connections are all OSError.
            raise TransientDeliveryError(f"Slack {method} unreachable: {exc}", code="connection_error") from exc
        except SlackClientError as exc:
            raise PermanentDeliveryError(f"Slack {method} request invalid: {exc}", code="request_error") from exc


def _receipt(response: SlackResponse) -> DeliveryReceipt:
    # The answer's `channel` is always the id, also when we posted to "#name" or opened a DM:
    # chat.update needs the id, so that is what the provider id keeps.
    return DeliveryReceipt(provider_id=f"{response['channel']}:{response['ts']}")
