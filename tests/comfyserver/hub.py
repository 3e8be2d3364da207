"""WebSocket clients and the ordered outgoing message queue.

Like ComfyUI's ``send_sync``/``publish_loop``, every message goes through one queue drained by
one task, so clients see messages in the order the server produced them, and the executor never
waits for a slow socket. ``sid=None`` broadcasts; a message for an unknown sid is dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .faults import Faults

log = logging.getLogger(__name__)

BINARY_TEXT = 3  # protocol.BinaryEventTypes.TEXT


@dataclass
class Client:
    sid: str
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    feature_flags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outgoing:
    payload: str | bytes
    sid: str | None
    prompt_id: str | None = None  # the prompt this message is about (drop_ws_after counting)
    prompt_client: str | None = None  # that prompt's client_id


def binary_text_payload(node_id: str, text: str) -> bytes:
    """Frame of ``send_progress_text``: event 3, then len(node_id), node_id, text (UTF-8)."""
    node = node_id.encode()
    return struct.pack(">II", BINARY_TEXT, len(node)) + node + text.encode()


class Hub:
    """Registry of connected sockets plus the publisher that feeds them."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.clients: dict[str, Client] = {}
        self._outbox: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._delivered: dict[str, int] = defaultdict(int)

    # -- registry -------------------------------------------------------------------------------

    def register(self, client: Client) -> None:
        # A reconnect with the same clientId replaces the old entry; the old socket stays open.
        self.clients[client.sid] = client

    def unregister(self, sid: str) -> None:
        # Faithful to ComfyUI: the entry is removed by sid, even if a newer socket registered
        # under the same sid meanwhile (that socket then stops getting messages).
        self.clients.pop(sid, None)

    def drop(self, sid: str) -> None:
        """Cut a client's connection without a close frame, like a network failure."""
        client = self.clients.get(sid)
        if client is None:
            return
        if client.transport is not None:
            client.transport.abort()

    def drop_all(self) -> None:
        for sid in list(self.clients):
            self.drop(sid)

    def reset(self) -> None:
        """Forget undelivered messages and drop every socket (a server restart)."""
        while not self._outbox.empty():
            self._outbox.get_nowait()
        self._delivered.clear()
        self.drop_all()

    async def close_all(self) -> None:
        for client in list(self.clients.values()):
            await client.ws.close(code=1001, message=b"server shutdown")

    # -- sending --------------------------------------------------------------------------------

    def send(
        self,
        event: str,
        data: dict[str, Any],
        sid: str | None,
        *,
        prompt_id: str | None = None,
        prompt_client: str | None = None,
    ) -> None:
        text = json.dumps({"type": event, "data": data})
        self._outbox.put_nowait(Outgoing(text, sid, prompt_id, prompt_client))

    def send_binary(self, payload: bytes, sid: str | None, *, prompt_id: str | None = None,
                    prompt_client: str | None = None) -> None:
        self._outbox.put_nowait(Outgoing(payload, sid, prompt_id, prompt_client))

    async def publish_forever(self) -> None:
        while True:
            message = await self._outbox.get()
            if message.sid is None:
                targets = list(self.clients.values())
            else:
                client = self.clients.get(message.sid)
                targets = [client] if client is not None else []
            for client in targets:
                await self._deliver(client, message)

    async def _deliver(self, client: Client, message: Outgoing) -> None:
        try:
            if isinstance(message.payload, bytes):
                await client.ws.send_bytes(message.payload)
            else:
                await client.ws.send_str(message.payload)
        except Exception as exc:  # sends to a closing socket are swallowed, as in ComfyUI
            log.debug("send to %s failed: %s", client.sid, exc)
            return
        if message.prompt_id is None or client.sid != message.prompt_client:
            return
        self._delivered[message.prompt_id] += 1
        limit = self.faults.drop_ws_after
        if limit is not None and self._delivered[message.prompt_id] == limit:
            log.info("fault: dropping %s after %d messages of %s", client.sid, limit,
                     message.prompt_id)
            self.drop(client.sid)
