"""A real HTTP server that misbehaves on purpose, for the client's retry and timeout tests and the
gateway's upstream faults.

Each request pops the next scripted action: `(status, headers, body)` to answer, `("drop",)` to close
the connection without answering, `("sleep", seconds, status, body)` to answer late, or
`("stream", events, options)` to answer with server-sent events (chunked, one event per chunk; each
event a dict sent as JSON or a string sent as is), where `options` may hold `pause` (seconds before
each event) and `drop_after` (close the connection after that many events, mid-stream). Every
request's method, path, headers and body are recorded.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultServer:
    def __init__(self):
        self.script: list = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append({"method": self.command, "path": self.path,
                                           "headers": dict(self.headers), "body": body})
                    action = outer.script.pop(0) if outer.script else (200, {}, {"ok": True})
                if action[0] == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if action[0] == "stream":
                    self._stream(action[1], action[2] if len(action) > 2 else {})
                    return
                if action[0] == "sleep":
                    threading.Event().wait(action[1])
                    action = (action[2], {}, action[3])
                status, headers, payload = action
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("x-request-id", f"req_fault_{len(outer.requests)}")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    pass

            def _stream(self, events, options):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    for sent, event in enumerate(events):
                        if sent == options.get("drop_after"):
                            self.connection.shutdown(socket.SHUT_RDWR)
                            self.close_connection = True
                            return
                        threading.Event().wait(options.get("pause", 0))
                        data = f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n".encode()
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
