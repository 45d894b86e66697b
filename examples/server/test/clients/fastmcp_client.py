"""FastMCP's client as its documentation shows it: `Client(url, auth="oauth")` discovers, registers
and signs in from nothing but the MCP URL (its browser is the program named by BROWSER), or
`auth=<token>` for a pasted bearer token. Prints the tool result as one JSON line.

usage: fastmcp_client.py <mcp-url> <sql> [--token TOKEN] [--callback-port PORT]
"""

import argparse
import asyncio
import json

from fastmcp import Client
from fastmcp.client.auth import OAuth


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("sql")
    parser.add_argument("--token")
    parser.add_argument("--callback-port", type=int, default=0)
    args = parser.parse_args()
    # the token store in memory: each run signs in afresh
    from key_value.aio.stores.memory import MemoryStore

    auth = (
        args.token
        if args.token
        else OAuth(args.url, callback_port=args.callback_port or None, token_storage=MemoryStore())
    )
    async with Client(args.url, auth=auth) as client:
        result = await client.call_tool_mcp(
            "postgres_database_query", {"server": "local", "database": "demo", "query": args.sql}
        )
        print(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True)))


asyncio.run(main())
