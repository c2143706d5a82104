#!/usr/bin/env python3
"""A synthetic model-serving workload for the end-to-end test: it exposes istio_requests_total-shaped counters for
the stable (v1) and canary (v2) versions, advancing in real time at 100 requests/s each, with a canary error
ratio the test sets, and a gate signal the test raises and lowers.

  GET  /metrics                 Prometheus text
  POST /control?ratio=0.05      canary error ratio from now on
  POST /control?gate=1          e2e_gate_signal (0 or 1)

Usage: workload.py PORT
"""
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RATE = 100.0
lock = threading.Lock()
state = {"ratio": 0.0, "gate": 0.0, "last": time.monotonic(),
         "v1_ok": 0.0, "v2_ok": 0.0, "v2_error": 0.0}


def advance():
    now = time.monotonic()
    elapsed = now - state["last"]
    state["last"] = now
    state["v1_ok"] += RATE * elapsed
    state["v2_ok"] += RATE * elapsed * (1 - state["ratio"])
    state["v2_error"] += RATE * elapsed * state["ratio"]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if urlparse(self.path).path != "/metrics":
            self.send_error(404)
            return
        with lock:
            advance()
            service = 'destination_service_name="tf-model-service"'
            lines = [
                "# TYPE istio_requests_total counter",
                f'istio_requests_total{{{service},destination_version="v1",response_code="200"}} {state["v1_ok"]:.3f}',
                f'istio_requests_total{{{service},destination_version="v2",response_code="200"}} {state["v2_ok"]:.3f}',
                f'istio_requests_total{{{service},destination_version="v2",response_code="503"}} {state["v2_error"]:.3f}',
                "# TYPE e2e_gate_signal gauge",
                f'e2e_gate_signal{{service="tf-model-service"}} {state["gate"]}',
            ]
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        query = parse_qs(urlparse(self.path).query)
        with lock:
            advance()
            if "ratio" in query:
                state["ratio"] = float(query["ratio"][0])
            if "gate" in query:
                state["gate"] = float(query["gate"][0])
        self.send_response(204)
        self.end_headers()


# A test runner may hand down SIGTERM ignored; this server must stop when the test stops it.
signal.signal(signal.SIGTERM, signal.SIG_DFL)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
