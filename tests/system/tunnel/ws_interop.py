#!/usr/bin/env python3
"""httvps.v1 against an independent WebSocket client: python3-websockets (Debian).

Drives httvps-gateway (upstream = "echo") through the protocol of docs/protocol.md with a
WebSocket implementation that shares no code with httvps. One scenario per run:

  ws_interop.py handshake  --url URL [--cafile PEM]
  ws_interop.py happy      --url URL --token TOKEN [--cafile PEM]
  ws_interop.py fragments  --url URL --token TOKEN [--cafile PEM]
  ws_interop.py errors     --url URL --token TOKEN --revoked-token TOKEN [--cafile PEM]
  ws_interop.py streams    --url URL --token TOKEN [--cafile PEM]
  ws_interop.py drain      --url URL --token TOKEN --ready-file FILE [--cafile PEM]

Prints "ok - ..." for every check; on the first mismatch prints "ws_interop: SCENARIO:
..." on stderr and exits 1. Every wait has a generous bound (TIMEOUT); no check is about
timing.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import urllib.parse

import websockets
import websockets.exceptions

TIMEOUT = 30.0  # seconds: a failure bound, never an expectation

# Frame types (docs/protocol.md §3).
HELLO, WELCOME, REFUSE = 0x01, 0x02, 0x03
OPEN, OPENED, OPEN_FAILED = 0x10, 0x11, 0x12
DATA, CREDIT, FIN, RESET = 0x20, 0x21, 0x30, 0x31
GOAWAY, LIMITS = 0x40, 0x41
IGNORABLE = 0x80
NAMES = {HELLO: "HELLO", WELCOME: "WELCOME", REFUSE: "REFUSE", OPEN: "OPEN", OPENED: "OPENED",
         OPEN_FAILED: "OPEN_FAILED", DATA: "DATA", CREDIT: "CREDIT", FIN: "FIN", RESET: "RESET",
         GOAWAY: "GOAWAY", LIMITS: "LIMITS"}
HEADER = struct.Struct("!BBHII")  # type, flags, reserved, stream id, payload length
SUBPROTOCOL = "httvps.v1"
HWID = "ws-interop-hwid-1"
SCENARIO = "?"


class Mismatch(Exception):
    pass


def ok(text):
    print(f"ok - {SCENARIO}: {text}", flush=True)


def expect(cond, text):
    if not cond:
        raise Mismatch(text)


def name(t):
    return NAMES.get(t, f"0x{t:02x}")


def frame(ftype, stream=0, payload=b"", flags=0):
    return HEADER.pack(ftype, flags, 0, stream, len(payload)) + payload


def hello_frame(token, window=None, **extra):
    doc = {"token": token, "hwid": HWID, "client": "ws_interop.py/1"}
    if window is not None:
        doc["window"] = window
    doc.update(extra)
    return frame(HELLO, 0, json.dumps(doc).encode())


def ipv4_target(addr="203.0.113.7", port=7):
    return b"\x01" + socket.inet_aton(addr) + struct.pack("!H", port)


def domain_target(host="echo.example", port=443):
    return b"\x03" + bytes([len(host)]) + host.encode() + struct.pack("!H", port)


def ipv6_target(addr="2001:db8::7", port=7):
    return b"\x04" + socket.inet_pton(socket.AF_INET6, addr) + struct.pack("!H", port)


def parse_message(message):
    """The tunnel frames of one WebSocket message; a frame may not span messages."""
    expect(isinstance(message, (bytes, bytearray)),
           f"the gateway sent a text message ({message[:80]!r}); httvps.v1 is binary only")
    frames, pos = [], 0
    while pos < len(message):
        expect(len(message) - pos >= HEADER.size,
               f"a message ends inside a tunnel frame header ({len(message) - pos} bytes left)")
        ftype, flags, reserved, stream, length = HEADER.unpack_from(message, pos)
        expect(reserved == 0, f"{name(ftype)} from the gateway has reserved = {reserved}, not 0")
        expect(length <= 1 << 20, f"{name(ftype)} from the gateway has a payload of {length} bytes (> 1 MiB)")
        pos += HEADER.size
        expect(len(message) - pos >= length,
               f"{name(ftype)} from the gateway spans two WebSocket messages ({length} bytes announced, "
               f"{len(message) - pos} present)")
        frames.append((ftype, flags, stream, bytes(message[pos:pos + length])))
        pos += length
    return frames


def client_ssl(url, cafile):
    if not url.startswith("wss://"):
        return None
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


async def connect(args, path=None, subprotocols=(SUBPROTOCOL,)):
    url = args.url
    if path is not None:
        parts = urllib.parse.urlsplit(url)
        url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    ws = await asyncio.wait_for(
        websockets.connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                           ssl=client_ssl(url, args.cafile), max_size=2 << 20, open_timeout=TIMEOUT,
                           close_timeout=TIMEOUT, ping_interval=None),
        TIMEOUT)
    return ws


async def recv_frames(ws, what):
    try:
        message = await asyncio.wait_for(ws.recv(), TIMEOUT)
    except asyncio.TimeoutError:
        raise Mismatch(f"no message from the gateway within {TIMEOUT:.0f} s while waiting for {what}")
    except websockets.exceptions.ConnectionClosed as e:
        raise Mismatch(f"the connection closed while waiting for {what}: {e}")
    return parse_message(message)


async def next_frame(ws, what, pending):
    while not pending:
        pending.extend(await recv_frames(ws, what))
    return pending.pop(0)


async def expect_close(ws, code, what):
    """Reads until the gateway closes; checks its close code. Returns the frames before it."""
    frames = []
    try:
        while True:
            message = await asyncio.wait_for(ws.recv(), TIMEOUT)
            if isinstance(message, str):
                raise Mismatch(f"{what}: the gateway sent a text message before closing")
            frames.extend(parse_message(message))
    except asyncio.TimeoutError:
        raise Mismatch(f"{what}: the gateway did not close within {TIMEOUT:.0f} s (expected close {code})")
    except websockets.exceptions.ConnectionClosed as e:
        got = e.rcvd.code if e.rcvd is not None else None
        expect(got == code, f"{what}: expected close code {code}, got {got} ({e})")
    return frames


async def handshake_welcome(ws, token, window=None):
    await ws.send(hello_frame(token, window))
    pending = []
    ftype, flags, stream, payload = await next_frame(ws, "WELCOME", pending)
    if ftype == REFUSE:
        raise Mismatch(f"the valid token was refused: {payload.decode(errors='replace')}")
    expect(ftype == WELCOME and stream == 0 and flags == 0,
           f"expected WELCOME on stream 0, got {name(ftype)} flags {flags} stream {stream}")
    try:
        welcome = json.loads(payload)
    except ValueError:
        raise Mismatch(f"WELCOME is not JSON: {payload[:200]!r}")
    return welcome, pending


# ---- stream bookkeeping with flow control -------------------------------------------------

class Streams:
    """A reader task over one connection: DATA is collected per stream and credited back
    as it arrives; the gateway must never send beyond the window granted to it."""

    def __init__(self, ws, client_window, gateway_window, pending):
        self.ws = ws
        self.client_window = client_window
        self.gateway_window = gateway_window
        self.recv = {}       # stream -> bytearray
        self.allowed = {}    # stream -> bytes the gateway may send in all (window + credit)
        self.credit = {}     # stream -> bytes we may still send
        self.events = {}     # stream -> list of (type, payload) of non-DATA frames
        self.changed = asyncio.Condition()
        self.error = None
        self.pending = pending
        self.task = None

    def open(self, stream):
        self.recv[stream] = bytearray()
        self.allowed[stream] = self.client_window
        self.credit[stream] = self.gateway_window
        self.events[stream] = []

    def start(self):
        self.task = asyncio.create_task(self._run())

    async def _handle(self, ftype, flags, stream, payload):
        if stream == 0:
            raise Mismatch(f"unexpected {name(ftype)} on stream 0: {payload[:200]!r}")
        if stream not in self.recv:
            raise Mismatch(f"{name(ftype)} for stream {stream}, which this client never opened")
        if ftype == DATA:
            got = self.recv[stream]
            got.extend(payload)
            if len(got) > self.allowed[stream]:
                raise Mismatch(f"the gateway sent {len(got)} bytes on stream {stream}, beyond the "
                               f"{self.allowed[stream]} granted (HELLO window + CREDIT)")
            # Passed on at once: grant it back.
            if payload:
                self.allowed[stream] += len(payload)
                await self.ws.send(frame(CREDIT, stream, struct.pack("!I", len(payload))))
        elif ftype == CREDIT:
            expect(len(payload) == 4, f"CREDIT with a payload of {len(payload)} bytes")
            (inc,) = struct.unpack("!I", payload)
            expect(inc > 0, f"CREDIT 0 on stream {stream}")
            self.credit[stream] += inc
        elif ftype in (RESET, OPEN_FAILED):
            code = payload[0] if payload else None
            raise Mismatch(f"{name(ftype)} on stream {stream}: reason {code}, "
                           f"{payload[1:].decode(errors='replace')!r}")
        else:
            self.events[stream].append((ftype, payload))

    async def _run(self):
        try:
            for f in self.pending:
                await self._handle(*f)
            self.pending.clear()
            while True:
                for f in await recv_frames(self.ws, "stream frames"):
                    await self._handle(*f)
                async with self.changed:
                    self.changed.notify_all()
        except Exception as e:  # noqa: BLE001 - reported by wait()
            self.error = e
            async with self.changed:
                self.changed.notify_all()

    async def wait(self, predicate, what):
        async def waiter():
            async with self.changed:
                while True:
                    if self.error is not None:
                        raise Mismatch(f"while waiting for {what}: {self.error}")
                    if predicate():
                        return
                    await self.changed.wait()
        try:
            await asyncio.wait_for(waiter(), TIMEOUT * 2)
        except asyncio.TimeoutError:
            raise Mismatch(f"{what} did not happen within {TIMEOUT * 2:.0f} s")

    def kinds(self, stream):
        return [t for t, _ in self.events[stream]]

    async def send_data(self, stream, data, chunk):
        """Sends DATA in frames of at most CHUNK bytes, never beyond the credit."""
        pos = 0
        while pos < len(data):
            await self.wait(lambda: self.credit[stream] > 0, f"CREDIT on stream {stream}")
            n = min(chunk, self.credit[stream], len(data) - pos)
            self.credit[stream] -= n
            await self.ws.send(frame(DATA, stream, data[pos:pos + n]))
            pos += n

    async def stop(self):
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass


# ---- scenarios ----------------------------------------------------------------------------

def raw_request(args, request):
    """Sends REQUEST over a raw (TLS) socket; returns the status code of the answer."""
    parts = urllib.parse.urlsplit(args.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)
    try:
        if parts.scheme == "wss":
            sock = client_ssl(args.url, args.cafile).wrap_socket(sock, server_hostname=parts.hostname)
        sock.sendall(request.replace("@HOST@", parts.netloc).encode())
        data = b""
        while b"\r\n" not in data:
            more = sock.recv(4096)
            if not more:
                break
            data += more
    finally:
        sock.close()
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    fields = line.split(" ")
    expect(len(fields) >= 2 and fields[0].startswith("HTTP/1.") and fields[1].isdigit(),
           f"not an HTTP status line: {line!r}")
    return int(fields[1])


def raw_websocket(args):
    """A WebSocket upgraded by hand over a raw (TLS) socket: the Sec-WebSocket-Accept is
    checked against RFC 6455 §4.2.2 here, with no library involved."""
    parts = urllib.parse.urlsplit(args.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)
    if parts.scheme == "wss":
        sock = client_ssl(args.url, args.cafile).wrap_socket(sock, server_hostname=parts.hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(4096)
        expect(more, f"the connection closed during the upgrade: {data[:200]!r}")
        data += more
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode(errors="replace").split("\r\n")
    expect(lines[0].split(" ")[1:2] == ["101"], f"a hand-made upgrade got {lines[0]!r}")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    expect(headers.get("sec-websocket-accept") == want,
           f"Sec-WebSocket-Accept is {headers.get('sec-websocket-accept')!r}, RFC 6455 gives {want!r}")
    expect(headers.get("sec-websocket-protocol") == SUBPROTOCOL,
           f"a hand-made upgrade got Sec-WebSocket-Protocol {headers.get('sec-websocket-protocol')!r}")
    return sock, rest


def raw_close_code(sock, buffered):
    """Reads server frames (unmasked) until a close frame; returns its code (None if the
    connection ends without one)."""
    data = bytearray(buffered)
    while True:
        while len(data) >= 2:
            opcode, length, off = data[0] & 0x0F, data[1] & 0x7F, 2
            if length == 126:
                if len(data) < 4:
                    break
                length, off = struct.unpack_from("!H", data, 2)[0], 4
            elif length == 127:
                if len(data) < 10:
                    break
                length, off = struct.unpack_from("!Q", data, 2)[0], 10
            if len(data) < off + length:
                break
            payload = bytes(data[off:off + length])
            del data[:off + length]
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        try:
            more = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return None
        if not more:
            return None
        data.extend(more)


def raw_unmasked(args):
    sock, rest = raw_websocket(args)
    try:
        body = frame(HELLO, 0, b'{"token":"htv_unmasked"}')
        sock.sendall(bytes([0x82, len(body)]) + body)  # FIN + binary, no MASK bit
        return raw_close_code(sock, rest)
    finally:
        sock.close()


async def refused_status(args, path=None, subprotocols=(SUBPROTOCOL,)):
    try:
        ws = await connect(args, path=path, subprotocols=subprotocols)
    except websockets.exceptions.InvalidStatusCode as e:
        return e.status_code
    await ws.close()
    raise Mismatch(f"the upgrade (path {path}, subprotocols {subprotocols}) succeeded with "
                   f"subprotocol {ws.subprotocol!r}; expected a refusal")


async def scenario_handshake(args):
    ws = await connect(args)
    expect(ws.subprotocol == SUBPROTOCOL, f"the 101 selected subprotocol {ws.subprotocol!r}, not {SUBPROTOCOL}")
    expect(ws.response_headers.get("Sec-WebSocket-Protocol") == SUBPROTOCOL,
           f"Sec-WebSocket-Protocol in the 101 is {ws.response_headers.get('Sec-WebSocket-Protocol')!r}")
    expect("Sec-WebSocket-Extensions" not in ws.response_headers,
           "the gateway accepted an extension (permessage-deflate) it does not implement")
    ok("the 101 selects httvps.v1 (and no extension, though permessage-deflate was offered)")
    await ws.close()
    expect(ws.close_code == 1000, f"a client close 1000 was answered with {ws.close_code}")
    ok("a client close (1000) is echoed")

    ws = await connect(args, subprotocols=("httvps.v2", SUBPROTOCOL, "chat"))
    expect(ws.subprotocol == SUBPROTOCOL, f"offered v2, v1 and chat, selected {ws.subprotocol!r}")
    await ws.close()
    ok("among several offers the gateway picks httvps.v1")

    status = await refused_status(args, subprotocols=())
    expect(status == 400, f"an upgrade without Sec-WebSocket-Protocol got HTTP {status}, expected 400")
    ok("an upgrade without the subprotocol is refused with 400")
    status = await refused_status(args, subprotocols=("chat",))
    expect(status == 400, f"an upgrade offering only 'chat' got HTTP {status}, expected 400")
    ok("an upgrade offering only another subprotocol is refused with 400")
    parts = urllib.parse.urlsplit(args.url)
    wrong = parts.path.rstrip("/") + "-nope"
    status = await refused_status(args, path=wrong)
    expect(status == 404, f"an upgrade on {wrong} got HTTP {status}, expected 404")
    ok(f"an upgrade on a wrong path ({wrong}) is 404")

    status = await asyncio.to_thread(raw_request, args,
                                     f"GET {parts.path} HTTP/1.1\r\nHost: @HOST@\r\nConnection: close\r\n\r\n")
    expect(status in (400, 426), f"a plain GET of {parts.path} got HTTP {status}, expected 400 or 426")
    ok(f"a plain GET without Upgrade is refused ({status})")

    code = await asyncio.to_thread(raw_unmasked, args)
    expect(code == 1002, f"an unmasked client frame got close {code}, expected 1002")
    ok("a hand-made upgrade gets the RFC 6455 Sec-WebSocket-Accept; an unmasked client frame is closed with 1002")


async def scenario_happy(args):
    client_window = 65536  # small on purpose: 1 MiB needs many CREDITs from us
    ws = await connect(args)
    welcome, pending = await handshake_welcome(ws, args.token, client_window)
    for key in ("session", "window", "max_streams", "limits"):
        expect(key in welcome, f"WELCOME has no '{key}': {welcome}")
    expect(isinstance(welcome["session"], str) and welcome["session"], f"WELCOME session is {welcome['session']!r}")
    expect(isinstance(welcome["window"], int) and 16384 <= welcome["window"] <= 16 << 20,
           f"WELCOME window is {welcome['window']!r}")
    expect(isinstance(welcome["max_streams"], int) and welcome["max_streams"] >= 1,
           f"WELCOME max_streams is {welcome['max_streams']!r}")
    limits = welcome["limits"]
    expect(isinstance(limits, dict), f"WELCOME limits is {limits!r}")
    for key in ("bytes_remaining", "speed_limit_bps", "expires_at"):
        expect(key in limits, f"WELCOME limits has no '{key}': {limits}")
    if args.bytes_remaining is not None:
        # Usage metered by earlier scenarios counts against the plan: at most the limit,
        # and what those scenarios moved is far below it.
        got = limits["bytes_remaining"]
        expect(isinstance(got, int) and args.bytes_remaining - 100_000_000 < got <= args.bytes_remaining,
               f"WELCOME bytes_remaining is {got!r}, expected at most {args.bytes_remaining} "
               f"and within 100 MB of it")
    expect(limits["expires_at"] is None or isinstance(limits["expires_at"], str),
           f"WELCOME expires_at is {limits['expires_at']!r}")
    ok(f"HELLO with the token is answered by WELCOME (session {welcome['session']}, window "
       f"{welcome['window']}, max_streams {welcome['max_streams']}, limits {json.dumps(limits)})")

    st = Streams(ws, client_window, welcome["window"], pending)
    st.open(1)
    st.start()
    # OPEN and the first DATA in one WebSocket message: frames back to back, data before OPENED.
    await ws.send(frame(OPEN, 1, ipv4_target()) + frame(DATA, 1, b"hello"))
    st.credit[1] -= 5
    await st.wait(lambda: len(st.recv[1]) >= 5, "OPENED and the echo of 'hello'")
    expect(st.kinds(1)[:1] == [OPENED], f"stream 1 got {[name(k) for k in st.kinds(1)]} before any DATA, expected OPENED")
    expect(bytes(st.recv[1]) == b"hello", f"the echo of 'hello' is {bytes(st.recv[1])!r}")
    ok("OPEN to an IPv4 target with DATA 'hello' (one message) gives OPENED, then 'hello' back")

    big = os.urandom(1 << 20)
    await st.send_data(1, big, 50000)
    await st.wait(lambda: len(st.recv[1]) >= 5 + len(big), "the 1 MiB echo")
    expect(bytes(st.recv[1]) == b"hello" + big,
           f"the 1 MiB echo differs (got {len(st.recv[1]) - 5} bytes, first difference at "
           f"{next((i for i, (a, b) in enumerate(zip(st.recv[1][5:], big)) if a != b), 'the end')})")
    ok(f"1 MiB in DATA frames within the credit comes back byte-identical "
       f"(the gateway stayed within the {client_window}-byte window plus our CREDIT)")

    await ws.send(frame(FIN, 1))
    await st.wait(lambda: FIN in st.kinds(1), "FIN on stream 1")
    expect(st.kinds(1) == [OPENED, FIN], f"stream 1 frames were {[name(k) for k in st.kinds(1)]}")
    ok("FIN is answered by FIN")

    # Two more streams at once, to a domain and an IPv6 target.
    st.open(3)
    st.open(4)
    await ws.send(frame(OPEN, 3, domain_target()))
    await ws.send(frame(OPEN, 4, ipv6_target()))
    await st.wait(lambda: OPENED in st.kinds(3) and OPENED in st.kinds(4), "OPENED on streams 3 and 4")
    a, b = os.urandom(200000), os.urandom(150000)
    await asyncio.gather(st.send_data(3, a, 16384), st.send_data(4, b, 70000))
    await ws.send(frame(FIN, 3) + frame(FIN, 4))
    await st.wait(lambda: FIN in st.kinds(3) and FIN in st.kinds(4), "FIN on streams 3 and 4")
    expect(bytes(st.recv[3]) == a and bytes(st.recv[4]) == b, "the echoes of streams 3 and 4 differ")
    ok("two streams at once (domain and IPv6 targets) echo independently")

    await st.stop()
    await ws.close()
    expect(ws.close_code == 1000, f"the closing handshake ended with {ws.close_code}, expected 1000")
    ok("the connection closes normally (1000)")


async def scenario_fragments(args):
    ws = await connect(args)
    welcome, pending = await handshake_welcome(ws, args.token)
    st = Streams(ws, 256 * 1024, welcome["window"], pending)
    st.open(1)
    st.start()
    payload = b"fragmented tunnel frame " * 100
    message = frame(OPEN, 1, ipv4_target()) + frame(DATA, 1, payload)
    cuts = [0, 3, 12, 13, 40, len(message) - 1, len(message)]  # splits inside both headers
    pieces = [message[cuts[i]:cuts[i + 1]] for i in range(len(cuts) - 1)]
    st.credit[1] -= len(payload)
    await ws.send(pieces)  # an iterable: one message in len(pieces) WebSocket fragments
    await st.wait(lambda: len(st.recv[1]) >= len(payload), "the echo of the fragmented message")
    expect(bytes(st.recv[1]) == payload, f"the echo of the fragmented message differs: {bytes(st.recv[1])[:60]!r}")
    ok(f"one binary message in {len(pieces)} fragments (cut inside tunnel headers) is one message")

    async def slow_pieces():
        data = frame(DATA, 1, b"async-fragments")
        for i in range(0, len(data), 5):
            yield data[i:i + 5]
            await asyncio.sleep(0.01)
    st.credit[1] -= len(b"async-fragments")
    await ws.send(slow_pieces())
    await st.wait(lambda: bytes(st.recv[1]).endswith(b"async-fragments"), "the echo of the async fragments")
    ok("fragments sent over time (async iterable) form one message")

    for data in (b"", b"ping-payload-123"):
        waiter = await ws.ping(data)
        try:
            await asyncio.wait_for(waiter, TIMEOUT)
        except asyncio.TimeoutError:
            raise Mismatch(f"no pong for a ping with {len(data)} payload bytes within {TIMEOUT:.0f} s")
    ok("a ping (empty and with payload) gets its pong")
    await ws.send(frame(FIN, 1))
    await st.wait(lambda: FIN in st.kinds(1), "FIN on stream 1")
    ok("the stream still works after the pings")
    await st.stop()
    await ws.close()


async def scenario_errors(args):
    async def welcomed():
        ws = await connect(args)
        welcome, pending = await handshake_welcome(ws, args.token)
        expect(not pending, f"frames after WELCOME before any OPEN: {pending}")
        return ws

    # No HELLO at all: 4004 after the gateway's 10 s; runs alongside the other checks.
    async def hello_timeout():
        ws = await connect(args)
        await expect_close(ws, 4004, "a connection that never sends HELLO")
    silent = asyncio.create_task(hello_timeout())

    ws = await welcomed()
    await ws.send("a text message")
    await expect_close(ws, 1003, "a text message")
    ok("a text message is closed with 1003")

    ws = await connect(args)
    await ws.send("text before HELLO")
    await expect_close(ws, 1003, "a text message before HELLO")
    ok("a text message before HELLO is closed with 1003 too")

    ws = await welcomed()
    await ws.send(frame(0x7E, 0, b"future"))
    await expect_close(ws, 4002, "an unknown frame type without IGNORABLE")
    ok("an unknown frame type without IGNORABLE is closed with 4002")

    ws = await welcomed()
    await ws.send(frame(0x7E, 0, b"future, skip me", IGNORABLE) + frame(0x7F, 9, b"", IGNORABLE))
    await ws.send(frame(0x7D, 0, b"x" * 1000, IGNORABLE))
    await ws.send(frame(OPEN, 1, ipv4_target()) + frame(DATA, 1, b"still here"))
    pending = []
    got = []
    while len(b"".join(got)) < len(b"still here"):
        ftype, _, stream, payload = await next_frame(ws, "OPENED and DATA after IGNORABLE frames", pending)
        expect(stream == 1 and ftype in (OPENED, DATA, CREDIT),
               f"after IGNORABLE frames: unexpected {name(ftype)} on stream {stream} ({payload[:100]!r})")
        if ftype == DATA:
            got.append(payload)
    expect(b"".join(got) == b"still here", f"echo after IGNORABLE frames: {b''.join(got)!r}")
    ok("unknown types with IGNORABLE are skipped; the connection stays usable")
    await ws.close()

    ws = await welcomed()
    await ws.send(frame(HELLO, 0, json.dumps({"token": args.token}).encode()))
    await expect_close(ws, 4002, "a second HELLO")
    ok("a second HELLO after WELCOME is closed with 4002")

    # reserved MUST be ignored when received; RESET kills a stream, whose late frames are
    # then ignored (§7).
    ws = await welcomed()
    st = Streams(ws, 256 * 1024, 256 * 1024, [])
    st.open(1)
    st.open(2)
    st.start()
    odd = HEADER.pack(DATA, 0, 0xBEEF, 1, 8) + b"reserved"
    await ws.send(frame(OPEN, 1, ipv4_target()) + odd)
    await st.wait(lambda: bytes(st.recv[1]) == b"reserved", "the echo of DATA with reserved bits set")
    ok("a frame with non-zero reserved bytes is accepted (reserved is ignored)")
    await ws.send(frame(RESET, 1, b"\x00"))
    await ws.send(frame(DATA, 1, b"late") + frame(CREDIT, 1, struct.pack("!I", 100)) + frame(FIN, 1))
    await ws.send(frame(OPEN, 2, ipv4_target()) + frame(DATA, 2, b"after reset") + frame(FIN, 2))
    await st.wait(lambda: FIN in st.kinds(2), "FIN on stream 2 after a RESET of stream 1")
    expect(bytes(st.recv[2]) == b"after reset", f"stream 2 echoed {bytes(st.recv[2])!r}")
    expect(bytes(st.recv[1]) == b"reserved", f"stream 1 sent {bytes(st.recv[1])!r} after its RESET")
    ok("after RESET, late DATA/CREDIT/FIN for the stream are ignored and the connection goes on")
    await st.stop()
    await ws.close()

    ws = await welcomed()
    await ws.send(frame(DATA, 7, b"nobody opened me"))
    await expect_close(ws, 4002, "DATA on a stream never opened")
    ok("DATA on a stream never opened (id above any used) is closed with 4002")

    ws = await welcomed()
    await ws.send(frame(OPEN, 5, ipv4_target()))
    await ws.send(frame(OPEN, 5, ipv4_target()))
    await expect_close(ws, 4002, "OPEN reusing a stream id")
    ok("OPEN with an id not above every id used is closed with 4002")

    ws = await welcomed()
    await ws.send(frame(OPEN, 1, b"\x02\x00\x00"))
    await expect_close(ws, 4002, "OPEN with a bad address type")
    ok("OPEN with an address type SOCKS5 does not define is closed with 4002")

    ws = await welcomed()
    await ws.send(frame(DATA, 1, b"abc")[:-1])  # header says 3, 2 bytes follow
    await expect_close(ws, 4002, "a tunnel frame cut short by the message end")
    ok("a tunnel frame cut short by the end of its message is closed with 4002")

    ws = await connect(args)
    await ws.send(frame(OPEN, 1, ipv4_target()))
    await expect_close(ws, 4002, "OPEN before HELLO")
    ok("a first frame other than HELLO is closed with 4002")

    ws = await connect(args)
    await ws.send(frame(HELLO, 0, json.dumps({"token": 5}).encode()))
    await expect_close(ws, 4002, "HELLO with \"token\": 5")
    ok("HELLO with a token of the wrong type is closed with 4002")

    ws = await connect(args)
    await ws.send(frame(HELLO, 0, b"{not json"))
    await expect_close(ws, 4002, "HELLO that is not JSON")
    ok("HELLO that is not JSON is closed with 4002")

    ws = await connect(args)
    await ws.send(hello_frame(args.token, window=100))
    await expect_close(ws, 4002, "HELLO with a window below 16 KiB")
    ok("HELLO with a window below 16 KiB is closed with 4002")

    async def refused(token, reason, what):
        ws = await connect(args)
        await ws.send(hello_frame(token))
        frames = await expect_close(ws, 4001, what)
        expect(len(frames) == 1 and frames[0][0] == REFUSE and frames[0][2] == 0,
               f"{what}: expected one REFUSE before the close, got "
               f"{[(name(t), s, p[:120]) for t, _, s, p in frames]}")
        try:
            body = json.loads(frames[0][3])
        except ValueError:
            raise Mismatch(f"{what}: REFUSE is not JSON: {frames[0][3][:200]!r}")
        expect(body.get("reason") == reason, f"{what}: REFUSE reason is {body.get('reason')!r}, expected {reason!r} ({body})")
        expect(isinstance(body.get("detail"), str), f"{what}: REFUSE has no detail text ({body})")
        expect(args.token not in frames[0][3].decode(errors="replace") and token not in frames[0][3].decode(errors="replace"),
               f"{what}: REFUSE echoes the token")
        return body

    ws = await welcomed()
    await ws.send(frame(OPEN, 1, ipv4_target()) + frame(DATA, 1, b"x" * ((1 << 20) + 1)))
    await expect_close(ws, 1009, "one message of 1 MiB + 32 bytes")
    ok("a message over 1 MiB + 12 bytes is closed with 1009")

    ws = await welcomed()
    await ws.send([frame(DATA, 1, b"y" * 1000)] + [b"z" * 65536] * 17)
    await expect_close(ws, 1009, "a fragmented message of about 1.06 MiB")
    ok("a message over 1 MiB + 12 bytes in fragments is closed with 1009")

    unknown = "htv_" + "Q" * 8 + os.urandom(24).hex()[:35]
    await refused(unknown, "invalid_token", "an unknown token")
    ok("an unknown token of the right shape gets REFUSE invalid_token and close 4001")
    await refused(args.revoked_token, "device_revoked", "a revoked device")
    ok("a revoked device (never validated before) gets REFUSE device_revoked and close 4001")

    ws = await welcomed()
    await ws.close()
    ok("the valid device is still welcomed after the refusals")

    await asyncio.wait_for(silent, TIMEOUT * 2)
    ok("a connection without HELLO is closed with 4004")


async def scenario_streams(args):
    """max_streams: one OPEN beyond WELCOME's max_streams gets OPEN_FAILED too_many_streams."""
    ws = await connect(args)
    welcome, pending = await handshake_welcome(ws, args.token)
    limit = welcome["max_streams"]
    expect(limit <= 64, f"max_streams is {limit}; this scenario wants a gateway configured with at most 64")
    st = Streams(ws, 256 * 1024, welcome["window"], pending)
    for sid in range(1, limit + 1):
        st.open(sid)
    st.start()
    await ws.send(b"".join(frame(OPEN, sid, ipv4_target()) for sid in range(1, limit + 1)))
    await st.wait(lambda: all(OPENED in st.kinds(sid) for sid in range(1, limit + 1)), f"OPENED on {limit} streams")
    await st.stop()
    await ws.send(frame(OPEN, limit + 1, ipv4_target()))
    ftype, _, stream, payload = await next_frame(ws, "OPEN_FAILED for one stream too many", [])
    expect(ftype == OPEN_FAILED and stream == limit + 1 and payload[:1] == b"\x09",
           f"OPEN number {limit + 1} got {name(ftype)} on stream {stream} ({payload[:80]!r}); "
           f"expected OPEN_FAILED too_many_streams (9)")
    ok(f"{limit} streams open; one more gets OPEN_FAILED too_many_streams")
    await ws.send(b"".join(frame(FIN, sid) for sid in range(1, limit + 1)))
    await ws.close()


async def scenario_drain(args):
    """Run while the gateway gets SIGTERM: GOAWAY going_away, new OPENs refused with
    going_away, the open stream finishes, then close 1001. Touches --ready-file once a
    stream is open, for the caller to send the signal."""
    ws = await connect(args)
    welcome, pending = await handshake_welcome(ws, args.token)
    await ws.send(frame(OPEN, 1, ipv4_target()) + frame(DATA, 1, b"before"))
    got = bytearray()
    while len(got) < 6:
        ftype, _, stream, payload = await next_frame(ws, "OPENED and the echo before the drain", pending)
        if ftype == DATA:
            got.extend(payload)
    with open(args.ready_file, "w") as f:
        f.write("ready\n")
    ftype, _, stream, payload = await next_frame(ws, "GOAWAY after SIGTERM", pending)
    expect(ftype == GOAWAY and stream == 0, f"expected GOAWAY, got {name(ftype)} on stream {stream}: {payload[:200]!r}")
    body = json.loads(payload)
    expect(body.get("reason") == "going_away" and isinstance(body.get("drain_seconds"), int),
           f"GOAWAY is {body}")
    ok(f"SIGTERM sends GOAWAY going_away (drain_seconds {body['drain_seconds']})")
    await ws.send(frame(OPEN, 2, ipv4_target()))
    frames = []
    while not any(t == OPEN_FAILED for t, *_ in frames):
        frames.append(await next_frame(ws, "OPEN_FAILED while draining", pending))
    t, _, s2, p2 = next(f for f in frames if f[0] == OPEN_FAILED)
    expect(s2 == 2 and p2[:1] == b"\x0a", f"OPEN while draining got OPEN_FAILED on {s2} with {p2[:80]!r}, expected going_away (10)")
    ok("an OPEN while draining gets OPEN_FAILED going_away")
    await ws.send(frame(DATA, 1, b"after") + frame(FIN, 1))
    rest = await expect_close(ws, 1001, "the drained connection")
    echoed = b"".join(p for t, _, s, p in [f for f in frames if f[0] == DATA] + [f for f in rest if f[0] == DATA])
    expect(echoed == b"after" and any(t == FIN for t, *_ in rest),
           f"the open stream did not finish during the drain: echo {echoed!r}, frames {[name(t) for t, *_ in rest]}")
    ok("the open stream finishes (echo and FIN), then the gateway closes with 1001")


SCENARIOS = {"handshake": scenario_handshake, "happy": scenario_happy, "fragments": scenario_fragments,
             "errors": scenario_errors, "streams": scenario_streams, "drain": scenario_drain}


def main():
    global SCENARIO
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--url", required=True, help="ws:// or wss:// URL of the tunnel")
    p.add_argument("--cafile", help="PEM the gateway's certificate is checked against (wss://)")
    p.add_argument("--token", help="a valid device token")
    p.add_argument("--revoked-token", help="the token of a revoked device")
    p.add_argument("--bytes-remaining", type=int, help="the plan's limit: WELCOME's bytes_remaining is at most this")
    p.add_argument("--ready-file", help="drain: touched once a stream is open")
    p.add_argument("--label", help="names the run in messages (default: the scenario)")
    args = p.parse_args()
    SCENARIO = args.label or args.scenario
    if args.scenario != "handshake" and not args.token:
        p.error(f"{args.scenario} needs --token")
    if args.scenario == "drain" and not args.ready_file:
        p.error("drain needs --ready-file")
    if args.scenario == "errors" and not args.revoked_token:
        p.error("errors needs --revoked-token")
    try:
        asyncio.run(SCENARIOS[args.scenario](args))
    except Mismatch as e:
        print(f"ws_interop: {SCENARIO}: {e}", file=sys.stderr, flush=True)
        return 1
    except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError) as e:
        print(f"ws_interop: {SCENARIO}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    print(f"ws_interop: {SCENARIO}: all checks passed (websockets {websockets.__version__})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
