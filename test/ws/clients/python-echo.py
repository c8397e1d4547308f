# Debian's python3-websockets as a client (run with /usr/bin/python3): echoes a text and a
# binary message against the URL in argv[1], closes with 1000, prints one JSON line of results.
import asyncio
import json
import sys

import websockets


async def main(url):
    results = {}
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send("héllo, wörld")
        results["text"] = await ws.recv() == "héllo, wörld"
        data = bytes(range(256)) * 300
        await ws.send(data)
        results["binary"] = await ws.recv() == data
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        results["ping"] = True
        await ws.close(1000)
        results["closeCode"] = ws.close_code
    print(json.dumps(results))


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 20))
