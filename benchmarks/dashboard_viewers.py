"""Dashboard viewers without a browser: sessions that load the server as a browser does.

    from dashboard_viewers import record_browser_messages, viewer_session

    script = record_browser_messages(page)      # on a Playwright page, before goto()
    ...                                         # a real browser loads the app once
    seconds, frames = await viewer_session(url, script)

A team's viewers each run their browser on their own machine; the server is what they
share. On one small machine, ten Chromiums rendering at once measure mostly each other
(a one-figure Bokeh app takes ~10 s to show in each of ten browsers here). A viewer
session asks the server for exactly what a browser asks for, with the browser's own
messages, and does none of the rendering:

1. GET the page (the server runs the app for a new session and renders its HTML);
2. open the session's websocket with the token from that page, pull the document
   (the server serialises every model of the first view);
3. send the messages a real browser sent after it received its document (its browser
   facts, the sizes its layout computed, ``document_ready``), recorded from a real
   Chromium session, with the model ids mapped onto this session's document;
4. stay connected, reading what the server pushes (its store polls), until closed.

The time it returns is from the GET to the whole document received: what the server
made this viewer wait before a browser could start to draw.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

_ID = re.compile(r'"id":\s*"(p\d+)"')
_TOKEN = re.compile(r'"token":\s*"([^"]+)"')


def record_browser_messages(page) -> tuple[list[list[str]], list[str], list[str]]:
    """Collect the Bokeh messages ``page`` sends on its websocket, as lists of frames,
    and the text frames it receives.

    Call before ``page.goto``; the returned lists fill as the page runs. Each message
    sent is a header, a metadata and a content frame (browsers send no binary buffers
    here).
    """
    frames: list[str] = []
    messages: list[list[str]] = []
    received: list[str] = []
    resources: list[str] = []

    def on_frame(payload) -> None:
        if isinstance(payload, bytes):
            return
        frames.append(payload)
        if len(frames) == 3:
            messages.append(list(frames))
            frames.clear()

    def on_received(payload) -> None:
        if isinstance(payload, str):
            received.append(payload)

    def on_socket(ws) -> None:
        ws.on("framesent", on_frame)
        ws.on("framereceived", on_received)

    page.on("websocket", on_socket)
    page.on("request", lambda r: resources.append(r.url) if "/static/" in r.url else None)
    return messages, received, resources


def pulled_document(received: list[str]) -> str:
    """The content frame of the PULL-DOC-REPLY among a browser's received frames."""
    for i, frame in enumerate(received):
        if '"PULL-DOC-REPLY"' in frame and i + 2 < len(received):
            return received[i + 2]
    raise RuntimeError("the browser received no document")


def model_ids(document_json: str) -> list[str]:
    """The model ids of a pulled document, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _ID.finditer(document_json):
        seen.setdefault(match.group(1), None)
    return list(seen)


def after_pull(messages: list[list[str]]) -> list[list[str]]:
    """The browser's messages that follow its PULL-DOC-REQ (what it sends once drawn)."""
    for i, message in enumerate(messages):
        if json.loads(message[0]).get("msgtype") == "PULL-DOC-REQ":
            return messages[i + 1 :]
    return []


def remapped(message: list[str], ids: dict[str, str]) -> list[str]:
    """``message`` with a fresh msgid and its model ids mapped onto another document."""
    header = json.loads(message[0])
    header["msgid"] = uuid.uuid4().hex
    content = re.sub(r'"(p\d+)"', lambda m: f'"{ids.get(m.group(1), m.group(1))}"', message[2])
    return [json.dumps(header), message[1], content]


async def _read_message(socket) -> tuple[dict, str]:
    """One whole Bokeh message: (header, content text); buffers are read and dropped."""
    header_text = await socket.read_message()
    if header_text is None:
        raise ConnectionError("the server closed the session's websocket")
    header = json.loads(header_text)
    await socket.read_message()  # metadata
    content = await socket.read_message()
    for _ in range(2 * header.get("num_buffers", 0)):
        await socket.read_message()
    return header, content


async def viewer_session(
    url: str,
    script: list[list[str]],
    script_ids: list[str],
    stop: asyncio.Event,
    resources: tuple[str, ...] = (),
) -> float:
    """One viewer: seconds from the page request to the whole document received.

    ``script`` is what a browser sent after its pull (``after_pull``), ``script_ids``
    the model ids of the document it pulled (``model_ids``), ``resources`` the static
    files it fetched (fetched again here, as by a browser with an empty cache). Stays
    connected, reading the server's pushes, until ``stop`` is set.
    """
    client = AsyncHTTPClient(max_clients=64)
    start = time.perf_counter()
    page = await client.fetch(url, request_timeout=600)
    await asyncio.gather(*(client.fetch(r, request_timeout=600) for r in resources))
    token = _TOKEN.search(page.body.decode())
    if token is None:
        raise RuntimeError(f"no session token in the page at {url}")
    ws_url = url.replace("http://", "ws://").split("?")[0] + "/ws"
    socket = await websocket_connect(
        HTTPRequest(ws_url), subprotocols=["bokeh", token.group(1)], max_message_size=2**31
    )
    await _read_message(socket)  # ACK
    pull = {"msgid": uuid.uuid4().hex, "msgtype": "PULL-DOC-REQ"}
    for frame in (json.dumps(pull), "{}", "{}"):
        await socket.write_message(frame)
    while True:
        header, content = await _read_message(socket)
        if header.get("msgtype") == "PULL-DOC-REPLY":
            break
    seconds = time.perf_counter() - start
    ours = model_ids(content)
    if len(ours) != len(script_ids):
        # The ids are mapped by their order in the document: only the same page maps.
        raise RuntimeError(
            f"this session's document has {len(ours)} models, the recorded one "
            f"{len(script_ids)}: the recorded messages do not apply to it"
        )
    ids = dict(zip(script_ids, ours, strict=True))
    for message in script:
        for frame in remapped(message, ids):
            await socket.write_message(frame)
    reading = asyncio.ensure_future(_drain(socket))
    await stop.wait()
    reading.cancel()
    socket.close()
    return seconds


async def _drain(socket) -> None:
    while await socket.read_message() is not None:
        pass
