"""How each kind of channel is addressed, signed and answered.

- webhook: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`
  "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with the whsec_ secret's bytes);
- DingTalk custom robot: with a secret ("SEC..."), `&timestamp=<ms>&sign=<urlencoded
  base64 HMAC-SHA256(secret, timestamp + "\\n" + secret)>`; answers {"errcode": 0};
- WeCom group robot: the key is in the URL; answers {"errcode": 0};
- Lark / Feishu custom bot: with a secret, "timestamp" and "sign" (base64 HMAC-SHA256
  keyed with timestamp + "\\n" + secret, of an empty message) in the body; answers {"code": 0}.
Each request is built fresh per attempt, so its timestamp is always current.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from django.utils.translation import gettext as _

from approvals.display.channel_messages import Message, open_label
from approvals.models import ChannelType
from approvals.services.http_send import Answer

# The robots' codes for "too many messages": wait a minute, as their documentation says.
ROBOT_THROTTLED = {130101, 45009, 11232, 9499}
ROBOT_THROTTLE_SECONDS = 60
WHSEC_PREFIX = "whsec_"


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: bytes
    headers: dict[str, str]


def webhook_secret_bytes(secret: str) -> bytes:
    raw = secret.removeprefix(WHSEC_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)


def webhook_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(webhook_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def lark_sign(secret: str, timestamp: int) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def outgoing(
    channel_type: str,
    *,
    url: str,
    secret: str,
    message_id: str,
    payload: dict[str, Any],
    message: Message,
    language: str,
) -> Outgoing:
    """The request that carries one message (or one digest) to a channel."""
    now = time.time()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "pai-model-review"}
    if channel_type == ChannelType.WEBHOOK:
        body = _json(payload)
        timestamp = int(now)
        headers |= {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook_signature(secret, message_id, timestamp, body),
        }
        return Outgoing(url, body, headers)
    link = open_label(language)
    if channel_type == ChannelType.DINGTALK:
        text = f"#### {message.title}\n\n{message.text}\n\n[{link}]({message.url})\n\n###### {message_id}"
        body = _json({"msgtype": "markdown", "markdown": {"title": message.title, "text": text}})
        if secret:
            timestamp_ms = int(now * 1000)
            joiner = "&" if "?" in url else "?"
            url = f"{url}{joiner}timestamp={timestamp_ms}&sign={quote_plus(dingtalk_sign(secret, timestamp_ms))}"
        return Outgoing(url, body, headers)
    if channel_type == ChannelType.WECOM:
        content = (
            f'**{message.title}**\n{message.text}\n[{link}]({message.url})\n<font color="comment">{message_id}</font>'
        )
        return Outgoing(url, _json({"msgtype": "markdown", "markdown": {"content": content}}), headers)
    if channel_type == ChannelType.LARK:
        fields: dict[str, Any] = {}
        if secret:
            timestamp = int(now)
            fields = {"timestamp": str(timestamp), "sign": lark_sign(secret, timestamp)}
        text = f"{message.title}\n{message.text}\n{link}: {message.url}\n{message_id}"
        return Outgoing(url, _json({**fields, "msg_type": "text", "content": {"text": text}}), headers)
    raise ValueError(f"unknown channel type {channel_type!r}")


def robot_verdict(channel_type: str, answer: Answer) -> Answer:
    """Robots answer 200 with an error code in the body: read it, so a refusal is a failure."""
    if channel_type == ChannelType.WEBHOOK or not answer.ok:
        return answer
    try:
        reply = json.loads(answer.body or "{}")
    except ValueError:
        return answer.failed(_("The robot's answer is not JSON."))
    if not isinstance(reply, dict):
        return answer.failed(_("The robot's answer is not a JSON object."))
    code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0)))
    if code in (0, None):
        return answer
    text = str(reply.get("errmsg") or reply.get("msg") or reply.get("StatusMessage") or "")[:300]
    retry_after = ROBOT_THROTTLE_SECONDS if code in ROBOT_THROTTLED else None
    return answer.failed(
        _("The robot refused the message: code %(code)s, %(text)s") % {"code": code, "text": text},
        retry_after=retry_after,
    )
