#!/usr/bin/env python3
"""A Time Stamping Authority for tests: RFC 3161 over HTTP on loopback, answered by Debian's `openssl ts -reply`.

    tsa-server.py DIR PORT

DIR holds the TSA's openssl config (tsa.cnf, written by scripts/peers' start_tsa_peer with its CA and TSA
certificate). Each POST body (application/timestamp-query) is written to a temporary file, `openssl ts -reply`
signs it, and the TimeStampResp goes back as application/timestamp-reply. GET answers 200 (a readiness probe).
"""
import http.server
import os
import subprocess
import sys
import tempfile
import threading

directory, port = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()  # openssl ts keeps the serial number in a file: one reply at a time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(length)
        with lock, tempfile.TemporaryDirectory(dir=directory) as work:
            query_file, reply_file = os.path.join(work, "q.tsq"), os.path.join(work, "r.tsr")
            with open(query_file, "wb") as f:
                f.write(query)
            result = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(directory, "tsa.cnf"),
                                     "-queryfile", query_file, "-out", reply_file],
                                    cwd=directory, capture_output=True)
            if result.returncode != 0:
                self.send_response(400)
                body = result.stderr
                self.send_header("Content-Type", "text/plain")
            else:
                with open(reply_file, "rb") as f:
                    body = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("tsa: " + (format % args) + "\n")


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
