"""TEST DOUBLE: an HTTP proxy between boto3 and the moto server.

It stands in for the parts of the real AWS endpoint that moto does not emulate:
the request quota (a token bucket at `rate_limit_tps`, answering ThrottlingException
like SSM does at its 40 TPS default), random throttling (`throttle_ratio`), injected
errors (`inject`), and an endpoint that stops answering (`stop_answering_after`). It
also counts every request that reaches the endpoint, by operation, which is how tests
and benchmarks measure API calls. Everything else is forwarded to moto unchanged.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers.moto_endpoint import free_port

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
READ_PREFIXES = ("Get", "Describe", "List")


def operation_of(method, path, headers):
    """'GetParameters' for JSON-protocol calls (X-Amz-Target), 'S3:PUT' style otherwise."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    return f"REST:{method}"


class TokenBucket:
    def __init__(self, rate):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hung up on a kept-alive connection is no error (botocore does, and
        # make demo printed its traceback); anything else is printed as usual.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class AwsProxy:
    """Start with .start(); point boto3 at .url. Thread-safe counters."""

    def __init__(
        self,
        upstream_url,
        rate_limit_tps=None,
        throttle_ratio=0.0,
        seed=0,
        inject=None,
        port=None,
        responder=None,
        host="127.0.0.1",
    ):
        parsed = urllib.parse.urlsplit(upstream_url)
        self.upstream = (parsed.hostname, parsed.port or 80)
        self.bucket = TokenBucket(rate_limit_tps) if rate_limit_tps else None
        self.throttle_ratio = throttle_ratio
        self.random = random.Random(seed)
        # inject(operation, body: dict|None) -> None or (status, code, message)
        self.inject = inject
        # responder: a TEST DOUBLE for APIs moto lacks (e.g. appconfig_double.AppConfigDouble):
        # operation_name(method, path, headers) names REST calls, handle(method, path, headers,
        # body) answers them -> (status, headers, body), or None to forward to moto.
        self.responder = responder
        # The address to listen on: loopback unless a caller's clients live elsewhere (make
        # demo's containers reach it at their Docker network's gateway); never 0.0.0.0.
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 (refused here, not bound)
            raise ValueError("AwsProxy host: a specific address, not every interface")
        self.host = host
        self.port = port or free_port(host)
        self.counts = Counter()
        self.throttled = Counter()
        self.lock = threading.Lock()
        self._answer_budget = None
        self._stopping = threading.Event()
        self.server = None
        self.thread = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # -- measurements -------------------------------------------------------------------
    def reset_counts(self):
        with self.lock:
            self.counts.clear()
            self.throttled.clear()

    def total(self):
        with self.lock:
            return sum(self.counts.values())

    def reads(self):
        with self.lock:
            return sum(n for op, n in self.counts.items() if op.startswith(READ_PREFIXES))

    def writes(self):
        with self.lock:
            return sum(n for op, n in self.counts.items() if not op.startswith(READ_PREFIXES))

    # -- faults ---------------------------------------------------------------------------
    def stop_answering_after(self, n):
        """After n more requests, accept connections but never answer (until stop())."""
        with self.lock:
            self._answer_budget = n

    def answer_again(self):
        with self.lock:
            self._answer_budget = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                named = proxy.responder and proxy.responder.operation_name(self.command, self.path, self.headers)
                operation = named or operation_of(self.command, self.path, self.headers)
                with proxy.lock:
                    proxy.counts[operation] += 1
                    hang = proxy._answer_budget is not None and proxy._answer_budget <= 0
                    if proxy._answer_budget is not None and proxy._answer_budget > 0:
                        proxy._answer_budget -= 1
                if hang:
                    proxy._stopping.wait()
                    self.close_connection = True
                    return
                error = proxy._fault_for(operation, body)
                if error:
                    status, code, message = error
                    if code == "ThrottlingException":
                        with proxy.lock:
                            proxy.throttled[operation] += 1
                    self._send_error(status, code, message)
                    return
                answer = named and proxy.responder.handle(self.command, self.path, dict(self.headers), body)
                if answer:
                    self._send(*answer)
                    return
                self._forward(body)

            def _send(self, status, headers, payload):
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _send_error(self, status, code, message):
                payload = json.dumps({"__type": code, "message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body):
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = _Server((self.host, self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def _fault_for(self, operation, body):
        if self.inject:
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
            injected = self.inject(operation, parsed)
            if injected:
                return injected
        if self.bucket and not self.bucket.take():
            return (400, "ThrottlingException", "Rate exceeded")
        if self.throttle_ratio:
            with self.lock:
                roll = self.random.random()
            if roll < self.throttle_ratio:
                return (400, "ThrottlingException", "Rate exceeded")
        return None

    def stop(self):
        self._stopping.set()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
