"""The bare baseline: the same FastAPI/uvicorn WebSocket stack as kefu, with no database, no
authentication and no domain logic.

It mirrors kefu's fan-out so both targets are driven by the same client code: a visitor's
`message.send` frame becomes one `message.created` frame sent to that visitor and to every agent
connection, followed by an `ack` to the visitor. Run: `python -m bench.baseline_server --port P`.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
agents: set[WebSocket] = set()
_seq = itertools.count(1)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.websocket("/ws/console")
async def console(ws: WebSocket) -> None:
    await ws.accept()
    agents.add(ws)
    await ws.send_text('{"type":"hello","node":"baseline"}')
    try:
        while True:
            await ws.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        agents.discard(ws)


@app.websocket("/ws/widget")
async def widget(ws: WebSocket) -> None:
    await ws.accept()
    conversation = ws.query_params.get("token", "")
    await ws.send_text('{"type":"hello","node":"baseline"}')
    try:
        while True:
            frame: dict[str, Any] = orjson.loads(await ws.receive_text())
            if frame.get("type") != "message.send":
                continue
            seq = next(_seq)
            message = {
                "seq": seq,
                "text": frame.get("text"),
                "client_msg_id": frame.get("client_msg_id"),
            }
            created = {"type": "message.created", "conversation_id": conversation, "seq": seq}
            text = orjson.dumps({**created, "message": message}).decode()
            await ws.send_text(text)
            for agent in list(agents):
                try:
                    await agent.send_text(text)
                except Exception:  # a closed agent socket is its own handler's job
                    agents.discard(agent)
            ack = {"type": "ack", "client_msg_id": frame.get("client_msg_id"), "seq": seq}
            await ws.send_text(orjson.dumps(ack).decode())
    except WebSocketDisconnect:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="bare WebSocket broadcast baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # Same server options as `kefu serve` (src/kefu/cli.py).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ws_per_message_deflate=False,
        log_level="warning",
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
