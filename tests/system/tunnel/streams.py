#!/usr/bin/env python3
"""Traffic for the tunnel tests, through httvps-client's SOCKS5 port (standard library only).

  streams.py echo-server PORT
      an asyncio echo server on 127.0.0.1:PORT (runs until killed)
  streams.py many SOCKS_PORT TARGET_PORT N
      opens N SOCKS5 streams to 127.0.0.1:TARGET_PORT (an echo server) at once, keeps them
      all open until every one has sent a distinct 1 KiB message and read it back, then
      closes them; prints "N streams ok" or names the first failure and exits 1
  streams.py stall SOCKS_PORT HTTP_PORT PATH SHA256
      stream A downloads PATH and stops reading after its first bytes (its reader stalls);
      while A stays open, stream B downloads PATH in full and must match SHA256; prints
      "stalled stream did not block" or fails
"""
import asyncio
import hashlib
import struct
import sys

TIMEOUT = 120  # a bound that only a hang reaches; nothing here measures time


async def socks_open(socks_port, host, port):
    reader, writer = await asyncio.open_connection("127.0.0.1", socks_port)
    writer.write(b"\x05\x01\x00")
    if await reader.readexactly(2) != b"\x05\x00":
        raise RuntimeError("SOCKS5 greeting refused")
    writer.write(b"\x05\x01\x00\x01" + bytes(map(int, host.split("."))) + struct.pack(">H", port))
    head = await reader.readexactly(4)
    if head[1] != 0:
        raise RuntimeError(f"SOCKS5 CONNECT failed with reply {head[1]}")
    rest = {1: 4, 4: 16}.get(head[3])
    if rest is None:
        rest = (await reader.readexactly(1))[0]
    await reader.readexactly(rest + 2)
    return reader, writer


async def echo_server(port):
    async def handle(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


async def many(socks_port, target_port, n):
    opened = await asyncio.gather(*(socks_open(socks_port, "127.0.0.1", target_port) for _ in range(n)))
    all_echoed = asyncio.Event()
    echoed = 0

    async def one(i, reader, writer):
        nonlocal echoed
        message = (f"stream {i:05d} ".encode() * 80)[:1024]
        writer.write(message)
        await writer.drain()
        if await reader.readexactly(len(message)) != message:
            raise RuntimeError(f"stream {i} got other bytes back")
        echoed += 1
        if echoed == n:
            all_echoed.set()
        await all_echoed.wait()  # every stream stays open until all have echoed
        writer.close()

    await asyncio.gather(*(one(i, r, w) for i, (r, w) in enumerate(opened)))
    print(f"{n} streams ok")


async def http_get(socks_port, http_port, path):
    reader, writer = await socks_open(socks_port, "127.0.0.1", http_port)
    writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(f"HTTP answer {head[:40]!r}")
    return reader, writer


async def stall(socks_port, http_port, path, sha256):
    a_reader, a_writer = await http_get(socks_port, http_port, path)
    await a_reader.readexactly(1)  # A has started, and now its reader stalls
    b_reader, b_writer = await http_get(socks_port, http_port, path)
    digest = hashlib.sha256()
    while chunk := await b_reader.read(1 << 20):
        digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise RuntimeError("stream B arrived damaged")
    print("stalled stream did not block")
    a_writer.close()
    b_writer.close()


def main():
    cmd, *args = sys.argv[1:]
    if cmd == "echo-server":
        asyncio.run(echo_server(int(args[0])))
    elif cmd == "many":
        asyncio.run(asyncio.wait_for(many(int(args[0]), int(args[1]), int(args[2])), TIMEOUT))
    elif cmd == "stall":
        asyncio.run(asyncio.wait_for(stall(int(args[0]), int(args[1]), args[2], args[3]), TIMEOUT))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
        sys.exit(f"streams.py: {type(e).__name__}: {e}")
