"""A fake Stripe: a real HTTP server on 127.0.0.1 that speaks the slice of Stripe's API Tollgate
calls, plus helpers that build and sign webhook events with Stripe's real scheme.

API: POST /v1/checkout/sessions, GET /v1/checkout/sessions/{id}, GET /v1/payment_intents/{id}
(`expand[]=latest_charge`). A hosted "checkout page" at GET /pay/{session id} links to the
session's success and cancel URLs. Every API request is recorded in `requests`; `fail_next`
makes the next one fail. Test code moves sessions on with `complete`, `refund` and `dispute`,
which return the Stripe objects to put in events.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_fake_tollgate"
WEBHOOK_SECRET = "whsec_test_fake_tollgate"


@dataclass
class Recorded:
    method: str
    path: str
    params: dict
    headers: dict[str, str]


@dataclass
class FakeStripe:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    prices: dict[str, tuple[int, str]] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    charges: dict[str, dict] = field(default_factory=dict)
    failures: list[tuple[int, str]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int = 400, message: str = "Simulated failure") -> None:
        self.failures.append((status, message))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    # What a customer and Stripe do after checkout starts

    def complete(self, session_id: str, *, payment_status: str = "paid", **changes) -> dict:
        """The customer paid (or started a delayed payment): the session as Stripe reports it."""
        with self._lock:
            session = self.sessions[session_id]
            if session["payment_intent"] is None:
                intent, charge = self.new_id("pi"), self.new_id("ch")
                session["payment_intent"] = intent
                self.charges[charge] = {
                    "id": charge,
                    "object": "charge",
                    "amount": session["amount_total"],
                    "amount_refunded": 0,
                    "currency": session["currency"],
                    "payment_intent": intent,
                    "receipt_url": f"{self.url}/receipts/{charge}",
                    "refunded": False,
                }
            session.update(status="complete", payment_status=payment_status, **changes)
            return json.loads(json.dumps(session))

    def charge_of(self, session_id: str) -> dict:
        intent = self.sessions[session_id]["payment_intent"]
        return next(c for c in self.charges.values() if c["payment_intent"] == intent)

    def refund(self, session_id: str, amount: int | None = None) -> dict:
        """Refund `amount` more (default: the rest); the charge as in `charge.refunded`."""
        with self._lock:
            charge = self.charge_of(session_id)
            rest = charge["amount"] - charge["amount_refunded"]
            charge["amount_refunded"] += rest if amount is None else amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            return dict(charge)

    def dispute(self, session_id: str, amount: int | None = None, reason: str = "fraudulent"):
        charge = self.charge_of(session_id)
        return {
            "id": self.new_id("dp"),
            "object": "dispute",
            "amount": charge["amount"] if amount is None else amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "needs_response",
        }

    # The HTTP side

    def handle(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        self.requests.append(Recorded(method, path, params, headers))
        if not headers.get("authorization", "").startswith("Bearer sk_"):
            return 401, _error("invalid_request_error", "Invalid API Key provided")
        if self.failures:
            status, message = self.failures.pop(0)
            return status, _error(
                "api_error" if status >= 500 else "invalid_request_error", message
            )
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if method == "GET" and (m := re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)):
            session = self.sessions.get(m.group(1))
            return (200, session) if session else (404, _error("invalid_request_error", "No such"))
        if method == "GET" and (m := re.fullmatch(r"/v1/payment_intents/([\w]+)", path)):
            return self._payment_intent(m.group(1), params)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _create_session(self, params: dict) -> tuple[int, dict]:
        items = params.get("line_items") or []
        if params.get("mode") != "payment" or len(items) != 1:
            return 400, _error("invalid_request_error", "this fake supports one-item payments")
        item = items[0]
        if "price" in item:
            if item["price"] not in self.prices:
                return 400, _error("invalid_request_error", f"No such price: {item['price']}")
            unit_amount, currency = self.prices[item["price"]]
        else:
            unit_amount = int(item["price_data"]["unit_amount"])
            currency = item["price_data"]["currency"]
        session_id = self.new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": unit_amount * int(item.get("quantity", 1)),
            "currency": currency,
            "metadata": params.get("metadata", {}),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "payment_intent": None,
            "url": f"{self.url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, session

    def _payment_intent(self, intent_id: str, params: dict) -> tuple[int, dict]:
        charge = next((c for c in self.charges.values() if c["payment_intent"] == intent_id), None)
        if charge is None:
            return 404, _error("invalid_request_error", f"No such payment_intent: {intent_id}")
        expanded = "latest_charge" in (params.get("expand") or [])
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "status": "succeeded",
            "latest_charge": dict(charge) if expanded else charge["id"],
        }
        return 200, intent

    def checkout_page(self, session_id: str) -> str | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        success = html.escape(session["success_url"])
        cancel = html.escape(session["cancel_url"])
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        return (
            "<!doctype html><title>Fake Stripe Checkout</title>"
            f"<h1>Fake Stripe Checkout</h1><p id='amount'>{amount}</p>"
            f"<a id='pay' href='{success}'>Pay</a> <a id='cancel' href='{cancel}'>Cancel</a>"
        )


def _error(kind: str, message: str) -> dict:
    return {"error": {"type": kind, "message": message}}


def decode_params(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding back to nested data: `a[b][0][c]=1` -> {"a": {"b": [{"c": "1"}]}}."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for here, nxt in itertools.pairwise(parts):
            default: dict | list = [] if nxt.isdigit() or nxt == "[]" else {}
            node = _child(node, here, default)
        _assign(node, parts[-1], value)
    return root


def _child(node, key, default):
    if isinstance(node, list):
        index = len(node) if key == "[]" else int(key)
        while len(node) <= index:
            node.append(type(default)())
        return node[index]
    return node.setdefault(key, default)


def _assign(node, key, value) -> None:
    if isinstance(node, list):
        if key == "[]" or int(key) >= len(node):
            node.append(value)
        else:
            node[int(key)] = value
    else:
        node[key] = value


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if m := re.fullmatch(r"/pay/([\w]+)", parts.path):
            page = self.fake.checkout_page(m.group(1))
            self._send(200 if page else 404, (page or "no such session").encode(), "text/html")
            return
        self._api("GET", parts.path, parse_qsl(parts.query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self._api("POST", urlsplit(self.path).path, parse_qsl(body))

    def _api(self, method: str, path: str, pairs: list[tuple[str, str]]) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.fake.handle(method, path, decode_params(pairs), headers)
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", "req_fake")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass  # quiet tests


@contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Webhook events, signed the way Stripe signs them:
# Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
# https://docs.stripe.com/webhooks#verify-manually


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


_event_ids = itertools.count(1)


def make_event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_event_ids):06d}_{int(time.time() * 1000)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2025-01-01",
        "data": {"object": obj},
    }


def event_body(event: dict) -> str:
    return json.dumps(event, separators=(",", ":"))
