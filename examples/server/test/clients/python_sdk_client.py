"""The official Python MCP SDK (`mcp`) as a user would wire it: its own OAuthClientProvider, which
discovers, registers and signs in from nothing but the MCP URL, or a pasted bearer token. The
authorization URL goes to the browser (the program named by BROWSER); a loopback server receives
the code. Prints the tool result as one JSON line.

usage: python_sdk_client.py <mcp-url> <sql> [--token TOKEN] [--callback-port PORT]
"""

import argparse
import asyncio
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Callback:
    """A loopback server that waits for the authorization response."""

    def __init__(self, port: int) -> None:
        self.result: dict[str, list[str]] | None = None
        self.received = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.result = parse_qs(urlparse(self.path).query)
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.end_headers()
                self.wfile.write(b"<p>Signed in. You can close this window.</p>")
                outer.received.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    async def wait(self) -> AuthorizationCodeResult:
        await asyncio.get_running_loop().run_in_executor(None, self.received.wait, 120)
        self.server.shutdown()
        q = self.result or {}
        if "code" not in q:
            raise RuntimeError(f"authorization failed: {q.get('error')} {q.get('error_description')}")
        return AuthorizationCodeResult(
            code=q["code"][0],
            state=q.get("state", [None])[0],
            iss=q.get("iss", [None])[0],
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("sql")
    parser.add_argument("--token")
    parser.add_argument("--callback-port", type=int, default=3030)
    args = parser.parse_args()

    if args.token:
        http = httpx2.AsyncClient(headers={"authorization": f"Bearer {args.token}"})
    else:
        callback = Callback(args.callback_port)

        async def open_browser(url: str) -> None:
            subprocess.run([os.environ["BROWSER"], url], check=True)

        provider = OAuthClientProvider(
            server_url=args.url,
            client_metadata=OAuthClientMetadata(
                client_name="Python SDK e2e",
                redirect_uris=[f"http://localhost:{args.callback_port}/callback"],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=MemoryStorage(),
            redirect_handler=open_browser,
            callback_handler=callback.wait,
        )
        http = httpx2.AsyncClient(auth=provider)
    async with http:
        async with streamable_http_client(args.url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool(
                    "postgres_database_query", {"server": "local", "database": "demo", "query": args.sql}
                )
                print(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True)))


asyncio.run(main())
