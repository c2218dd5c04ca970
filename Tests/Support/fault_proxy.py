#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for dsv's S3 tests: it forwards each request to the upstream S3
verbatim (Host header included, so SigV4 signatures still verify) and, at random, answers
503 SlowDown instead or drops the connection without an answer.

usage: fault_proxy.py UPSTREAM_PORT SLOWDOWN_RATE DROP_RATE SEED [DIE_AFTER [RETRY_AFTER]]
prints the port it listens on (127.0.0.1), then serves until killed — or, with DIE_AFTER, exits
abruptly after that many requests (a server that dies mid-run; 0 for never). With RETRY_AFTER,
its 503 answers carry a Retry-After header of that many seconds.
"""
import http.client, os, random, socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream_port, slowdown, drop, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
die_after = int(sys.argv[5]) if len(sys.argv) > 5 and int(sys.argv[5]) > 0 else None
retry_after = sys.argv[6] if len(sys.argv) > 6 else None
rng = random.Random(seed)
lock = threading.Lock()
served = 0

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message></Error>')

class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: without it Nagle's algorithm and delayed ACKs
    # hold each response back by 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def handle_any(self):
        global served
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            roll = rng.random()
            served += 1
            if die_after is not None and served > die_after:
                os._exit(0)
        if roll < drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if roll < drop + slowdown:
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", str(len(SLOWDOWN)))
            self.end_headers()
            self.wfile.write(SLOWDOWN)
            return
        connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
        connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on this request (it may be stopping)
        connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

class Server(ThreadingHTTPServer):
    # Clients open dozens of connections at once; the default backlog of 5 drops their SYNs,
    # which TCP retries only after 1, 3, 7… seconds.
    request_queue_size = 256
    daemon_threads = True

server = Server(("127.0.0.1", 0), Proxy)
print(server.server_address[1], flush=True)
server.serve_forever()
