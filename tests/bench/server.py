"""A minimal HTTP/1.1 server for the benchmark: answers every request with a fixed invoice.

It speaks just enough HTTP (keep-alive, Content-Length bodies) to be far cheaper than any
client under test, so the client's own cost decides the throughput. Run it in its own
process: ``python tests/bench/server.py PORT`` prints ``ready`` once listening.
"""

from __future__ import annotations

import asyncio
import json
import sys

INVOICE = json.dumps(
    {
        "data": {
            "id": "invoice_2024_001",
            "created": "2026-01-01T00:00:00.000Z",
            "status": "active",
            "version": 1,
            "workspaceId": "ws_bench",
            "lineItems": [
                {
                    "id": "li_1",
                    "amount": "1000",
                    "currencyCode": "USD",
                    "description": "Professional services for January 2026",
                    "product_id": "prod_1234567890",
                    "type": "payout",
                    "user_id": "user_ext_456",
                }
            ],
            "modified": "2026-01-01T00:00:00.000Z",
        }
    }
).encode()
TOKEN = json.dumps({"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600}).encode()


def _answer(status: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


INVOICE_ANSWER = _answer("201 Created", INVOICE)
TOKEN_ANSWER = _answer("200 OK", TOKEN)


class FixedAnswer(asyncio.Protocol):
    """Reads requests off a keep-alive connection and answers each one."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            token_request = head.startswith("POST /oauth2/token")
            self.transport.write(TOKEN_ANSWER if token_request else INVOICE_ANSWER)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FixedAnswer, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
