"""A latency proxy for the AWS benchmark (scripts/bench-aws): forwards every HTTP request to moto after waiting a
fixed time, as a round trip to real AWS would (30 ms is typical). One thread a connection, so concurrent requests
wait at the same time. Usage: bench-aws-proxy.py UPSTREAM_URL PORT LATENCY_MS"""
import http.client
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

upstream = urlsplit(sys.argv[1])
port, latency = int(sys.argv[2]), float(sys.argv[3]) / 1000
local = threading.local()
hop_by_hop = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "content-length"}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if latency > 0:
            time.sleep(latency)
        for attempt in (0, 1):
            if getattr(local, "conn", None) is None:
                local.conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop}
                local.conn.request(self.command, self.path, body=body, headers=headers)
                answer = local.conn.getresponse()
                data = answer.read()
                break
            except (http.client.HTTPException, OSError):
                local.conn.close()
                local.conn = None
                if attempt:
                    raise
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in hop_by_hop:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 256
ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
