#!/usr/bin/env python3
"""A stand-in for the Telegram Bot API, for system tests (no Telegram server is reachable
from the test machines). Listens on 127.0.0.1, port 0 (the kernel picks), writes the port
to PORT_FILE, and appends one JSON line per request to LOG_FILE:

    {"token": "...", "method": "sendPhoto", "content_type": "...", "json": {...} | null,
     "fields": {"chat_id": "..."}, "files": {"photo": <size in bytes>}}

Answers {"ok": true, "result": ...} like the real API. The token "401:bad" gets the real
API's 401 answer. getWebhookInfo reports the URL of the last setWebhook.

usage: fake_bot_api.py PORT_FILE LOG_FILE
"""
import json
import os
import re
import sys
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2]
state = {"url": ""}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not m:
            return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = m.group(1), m.group(2)
        ctype = self.headers.get("Content-Type", "")
        entry = {"token": token, "method": method, "content_type": ctype, "json": None, "fields": {}, "files": {}}
        if ctype.startswith("application/json"):
            entry["json"] = json.loads(raw or b"{}")
        elif ctype.startswith("multipart/form-data"):
            msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            for part in msg.iter_parts():
                key = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_filename():
                    entry["files"][key] = len(data)
                    entry["png"] = data[:8] == b"\x89PNG\r\n\x1a\n"
                else:
                    entry["fields"][key] = data.decode()
        with open(LOG_FILE, "a") as log:
            log.write(json.dumps(entry) + "\n")
        if token == "401:bad":
            return self.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if method == "setWebhook":
            state["url"] = (entry["json"] or {}).get("url", "")
            return self.answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
        if method == "deleteWebhook":
            state["url"] = ""
            return self.answer(200, {"ok": True, "result": True, "description": "Webhook was deleted"})
        if method == "getWebhookInfo":
            return self.answer(200, {"ok": True, "result": {"url": state["url"], "pending_update_count": 0}})
        if method == "sendPhoto":
            return self.answer(200, {"ok": True, "result": {"message_id": 1}})
        return self.answer(200, {"ok": True, "result": True})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
