"""A local Binance REST API for tests and benchmarks: a real threaded HTTP server on 127.0.0.1.

It checks what Binance checks, the way Binance documents it (rest-api.md "SIGNED endpoint security"):
the `X-MBX-APIKEY` header (-2014 bad format, -2015 unknown key or IP not whitelisted), the timestamp
window (rejected if `timestamp >= serverTime + 1000` or `serverTime - timestamp > recvWindow`, -1021;
recvWindow at most 60000), and the signature over the percent-encoded query as sent (HMAC-SHA256 hex,
case-insensitive; Ed25519 and RSA PKCS#1 v1.5 SHA-256 base64, -1022). It counts request weight per
window, reports it in `X-MBX-USED-WEIGHT-<n><unit>` and answers 429 with `Retry-After` past its limit.

Failures are scripted with `fail_next(...)`, any raw answer (hostile ones included: huge, nested,
dripping, echoing the key) with `answer_next(...)`, and the clock with `clock_offset_ms`; `delay` slows
every answer; `geo_blocked` answers every request with HTTP 451. `host="::1"` serves on IPv6 loopback.
Used in tests as a context manager:

    with FakeBinance() as server:
        server.add_hmac_key(key, secret, enableWithdrawals=True)
        main(["verify", "--api-url", server.url, ...])

`realm=` serves one realm's paths, weights and limit (REALM_PATHS: /sapi only on mainnet, /api on the
spot testnet, demo and Binance.US, /fapi on the futures testnet). `FakeRealms` serves several realms at
once, each on its own loopback port with its own key store, as the real realms are separate systems:

    with FakeRealms() as realms:
        realms["testnet"].add_hmac_key(key, secret)
        monkeypatch.setattr(os, "environ", {**os.environ, **realms.env()})  # BINANCE_SECRETS_API_URL_<REALM>
        main(["verify", "--endpoint", "auto", ...])
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{64}\Z")
# Each realm's paths and their request weights (see binance_secrets/verification/realms.py for sources).
_SPOT_PUBLIC = {"/api/v3/time": 1, "/api/v3/exchangeInfo": 20}
REALM_PATHS: dict[str, dict[str, int]] = {
    "binance": {**_SPOT_PUBLIC, "/sapi/v1/account/apiRestrictions": 1, "/api/v3/account": 20},
    "testnet": {**_SPOT_PUBLIC, "/api/v3/account": 20},
    "demo": {**_SPOT_PUBLIC, "/api/v3/account": 20},
    "binance-us": {"/api/v3/time": 1, "/api/v3/exchangeInfo": 10, "/api/v3/account": 10},
    "futures-testnet": {"/fapi/v1/time": 1, "/fapi/v1/exchangeInfo": 1, "/fapi/v2/account": 5},
}
WEIGHTS = REALM_PATHS["binance"]
# Binance's published REQUEST_WEIGHT per minute per IP.
REALM_WEIGHT_LIMITS = {"binance": 6000, "testnet": 6000, "demo": 6000, "binance-us": 1200, "futures-testnet": 2400}
REALM_NAMES = ("binance", "testnet", "futures-testnet", "demo", "binance-us")
_TIME_PATHS = ("/api/v3/time", "/fapi/v1/time")
_EXCHANGE_INFO_PATHS = ("/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo")
FAILURES = ("429", "418", "451", "403", "500", "503", "timeout", "malformed", "skew", "redirect", "html200")

_WAF_PAGE = b"<html><head><title>403 Forbidden</title></head><body><h1>403 ERROR</h1>Request blocked.</body></html>"
_GEO_BODY = {
    "code": 0,
    "msg": "Service unavailable from a restricted location according to 'b. Eligibility' in "
    "https://www.binance.com/en/terms. Please contact customer service if you believe you received "
    "this message in error.",
}


def default_restrictions() -> dict[str, Any]:
    return {
        "ipRestrict": False,
        "createTime": 1_700_000_000_000,
        "enableReading": True,
        "enableSpotAndMarginTrading": False,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enablePortfolioMarginTrading": False,
    }


@dataclass
class FakeAccount:
    api_key: str
    hmac_secret: str | None = None
    public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey | None = None
    restrictions: dict[str, Any] = field(default_factory=default_restrictions)
    # None: any IP. Otherwise requests from other addresses get -2015, as a whitelisted key does.
    allowed_ips: tuple[str, ...] | None = None


@dataclass
class _Failure:
    kind: str
    retry_after: float | None
    paths: tuple[str, ...] | None
    scripted: _Response | None = None  # kind "scripted": this exact answer


@dataclass
class ServerLog:
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, outcome)
    raw: list[str] = field(default_factory=list)  # request target and headers, exactly as received
    api_keys: list[str] = field(default_factory=list)  # every X-MBX-APIKEY received, in order
    max_window_weight: int = 0
    weight_rejections: int = 0
    max_concurrent: int = 0


class FakeBinance:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        weight_limit: int | None = None,
        window_seconds: int = 60,
        sapi: bool = True,
        clock_offset_ms: int = 0,
        hang_seconds: float = 5.0,
        host: str = "127.0.0.1",
        realm: str = "binance",
        geo_blocked: bool = False,
    ) -> None:
        if realm not in REALM_PATHS:
            raise ValueError(f"unknown realm {realm!r}")
        self.realm = realm
        self.paths = {path: weight for path, weight in REALM_PATHS[realm].items() if sapi or "/sapi/" not in path}
        self.host = host
        self.delay = delay
        self.weight_limit = REALM_WEIGHT_LIMITS[realm] if weight_limit is None else weight_limit
        self.window_seconds = window_seconds
        self.sapi = sapi
        self.geo_blocked = geo_blocked
        self.clock_offset_ms = clock_offset_ms
        self.hang_seconds = hang_seconds
        self.log = ServerLog()
        self._accounts: dict[str, FakeAccount] = {}
        self._failures: deque[_Failure] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._window = -1
        self._window_weight = 0
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- setup
    def add_hmac_key(self, api_key: str, secret: str, **restrictions: Any) -> FakeAccount:
        return self._add(FakeAccount(api_key, hmac_secret=secret), restrictions)

    def add_private_key(
        self, api_key: str, private_key_pem: str, passphrase: bytes | None = None, **restrictions: Any
    ) -> FakeAccount:
        private = serialization.load_pem_private_key(private_key_pem.encode(), password=passphrase)
        public = private.public_key()
        assert isinstance(public, (ed25519.Ed25519PublicKey, rsa.RSAPublicKey))
        return self._add(FakeAccount(api_key, public_key=public), restrictions)

    def _add(self, account: FakeAccount, restrictions: dict[str, Any]) -> FakeAccount:
        allowed = restrictions.pop("allowed_ips", None)
        account.restrictions.update(restrictions)
        if allowed is not None:
            account.allowed_ips = tuple(allowed)
            account.restrictions["ipRestrict"] = True
        with self._lock:
            self._accounts[account.api_key] = account
        return account

    def fail_next(
        self,
        kind: str,
        times: int = 1,
        *,
        retry_after: float | None = None,
        paths: tuple[str, ...] | None = None,
    ) -> None:
        """The next `times` requests (to `paths`, default any) fail with `kind`, one of FAILURES."""
        if kind not in FAILURES:
            raise ValueError(f"unknown failure {kind!r}")
        with self._lock:
            self._failures.extend(_Failure(kind, retry_after, paths) for _ in range(times))

    def answer_next(
        self,
        status: int,
        body: bytes,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json;charset=UTF-8",
        times: int = 1,
        paths: tuple[str, ...] | None = None,
        drip_seconds: float = 0.0,
        declared_length: int | None = None,
    ) -> None:
        """The next `times` requests (to `paths`, default any) get exactly this answer, unchecked.

        `drip_seconds` sends the body one byte at a time with that pause between bytes (the server stops
        dripping when it is stopped); `declared_length` overrides Content-Length, and -1 sends none (the
        body then ends when the connection closes).
        """
        response = _Response(
            status, body, content_type, f"scripted-{status}", dict(headers or {}),
            drip_seconds=drip_seconds, declared_length=declared_length,
        )  # fmt: skip
        with self._lock:
            self._failures.extend(_Failure("scripted", None, paths, response) for _ in range(times))

    # ------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> FakeBinance:
        handler = type("Handler", (_Handler,), {"fake": self})
        server_class = _IPv6Server if ":" in self.host else ThreadingHTTPServer
        self._server = server_class((self.host, 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-binance", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the server is stopping; True if it is."""
        return self._stopping.wait(seconds)

    def server_time_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    # --------------------------------------------------------------- handling
    def handle(self, method: str, target: str, headers: dict[str, str], client_ip: str) -> _Response:
        parts = urlsplit(target)
        path = parts.path
        with self._lock:
            self._in_flight += 1
            self.log.max_concurrent = max(self.log.max_concurrent, self._in_flight)
            failure = self._take_failure(path)
        try:
            if self.delay:
                self._stopping.wait(self.delay)
            response = self._answer(method, path, parts.query, headers, client_ip, failure)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self.log.requests.append((path, response.outcome))
            self.log.raw.append(f"{method} {target} {headers!r}")
            if "x-mbx-apikey" in headers:
                self.log.api_keys.append(headers["x-mbx-apikey"])
        return response

    def _take_failure(self, path: str) -> _Failure | None:
        for index, failure in enumerate(self._failures):
            if failure.paths is None or path in failure.paths:
                del self._failures[index]
                return failure
        return None

    def _answer(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        client_ip: str,
        failure: _Failure | None,
    ) -> _Response:
        if failure is not None and failure.scripted is not None:
            return failure.scripted
        if failure is not None and failure.kind not in ("skew", "malformed", "html200"):
            return self._fail(failure)
        if self.geo_blocked:
            return self._fail(_Failure("451", None, None))
        if path not in self.paths:
            return _Response(404, b"<html><body>Not Found</body></html>", "text/html", outcome="404")
        weight_headers, over = self._charge(self.paths[path])
        if over is not None:
            body = {
                "code": -1003,
                "msg": f"Too much request weight used; current limit is {self.weight_limit} "
                f"request weight per {self.window_seconds} SECOND.",
            }
            return _Response.of_json(429, body, "429-weight", {**weight_headers, "Retry-After": str(over)})
        if method != "GET":
            return _Response.of_json(405, {"code": -1000, "msg": "method not allowed"}, "405", weight_headers)
        if path in _TIME_PATHS:
            return _Response.of_json(200, {"serverTime": self.server_time_ms()}, "time", weight_headers)
        if path in _EXCHANGE_INFO_PATHS:
            return _Response.of_json(200, self._exchange_info(), "exchangeInfo", weight_headers)
        error = self._check_signed(query, headers, client_ip, skew=failure is not None and failure.kind == "skew")
        if error is not None:
            status, code, message = error
            return _Response.of_json(status, {"code": code, "msg": message}, str(code), weight_headers)
        if failure is not None and failure.kind == "malformed":
            return _Response(200, b'{"ipRestrict": tru', "application/json", "malformed", weight_headers)
        if failure is not None and failure.kind == "html200":
            return _Response(200, b"<html>Welcome to the hotel wifi</html>", "text/html", "html200", weight_headers)
        account = self._accounts[headers["x-mbx-apikey"]]
        if path == "/api/v3/account":
            return _Response.of_json(200, _account_body(account), "account", weight_headers)
        if path == "/fapi/v2/account":
            return _Response.of_json(200, _futures_account_body(account), "futures-account", weight_headers)
        return _Response.of_json(200, dict(account.restrictions), "live", weight_headers)

    def _fail(self, failure: _Failure) -> _Response:
        kind = failure.kind
        if kind == "timeout":
            self._stopping.wait(self.hang_seconds)
            return _Response(504, b"", "text/plain", "timeout", close=True)
        if kind in ("429", "418"):
            retry = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            body = {
                "code": -1003,
                "msg": "Way too much request weight used; IP banned until 0."
                if kind == "418"
                else "Too many requests.",
            }
            return _Response.of_json(int(kind), body, kind, retry)
        if kind == "451":
            return _Response.of_json(451, _GEO_BODY, "451")
        if kind == "403":
            return _Response(403, _WAF_PAGE, "text/html", "403")
        if kind == "redirect":
            return _Response(302, b"", "text/plain", "302", {"Location": "http://127.0.0.2:9/elsewhere"})
        return _Response(int(kind), b"<html>Internal error</html>", "text/html", kind)

    def _charge(self, weight: int) -> tuple[dict[str, str], int | None]:
        """Add `weight` to the current window; the Retry-After seconds if that passes the limit."""
        with self._lock:
            now = self.server_time_ms() / 1000
            window = int(now // self.window_seconds)
            if window != self._window:
                self._window, self._window_weight = window, 0
            if self._window_weight + weight > self.weight_limit:
                self.log.weight_rejections += 1
                retry = int((window + 1) * self.window_seconds - now) + 1
                return self._weight_header(), retry
            self._window_weight += weight
            self.log.max_window_weight = max(self.log.max_window_weight, self._window_weight)
            return self._weight_header(), None

    def _exchange_info(self) -> dict[str, Any]:
        minutes = self.window_seconds % 60 == 0
        weight_limit = {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE" if minutes else "SECOND",
            "intervalNum": self.window_seconds // 60 if minutes else self.window_seconds,
            "limit": self.weight_limit,
        }
        orders = {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100}
        return {"timezone": "UTC", "serverTime": self.server_time_ms(), "rateLimits": [weight_limit, orders]}

    def _weight_header(self) -> dict[str, str]:
        seconds = self.window_seconds
        label = f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"
        return {f"X-MBX-USED-WEIGHT-{label}": str(self._window_weight)}

    def _check_signed(
        self, query: str, headers: dict[str, str], client_ip: str, *, skew: bool
    ) -> tuple[int, int, str] | None:
        api_key = headers.get("x-mbx-apikey")
        if api_key is None or not _KEY_SHAPE.match(api_key):
            return 401, -2014, "API-key format invalid."
        account = self._accounts.get(api_key)
        if account is None or (account.allowed_ips is not None and client_ip not in account.allowed_ips):
            return 401, -2015, "Invalid API-key, IP, or permissions for action."
        fields = query.split("&") if query else []
        signatures = [f for f in fields if f.startswith("signature=")]
        payload = "&".join(f for f in fields if not f.startswith("signature="))
        params = dict(parse_qsl(payload, keep_blank_values=True))
        if len(signatures) != 1:
            return 400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
        if not params.get("timestamp", "").isdigit():
            return 400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
        recv_window = int(params.get("recvWindow", "5000")) if params.get("recvWindow", "5000").isdigit() else -1
        if not 0 < recv_window <= 60000:
            return 400, -1131, "recvWindow must be less than 60000"
        timestamp = int(params["timestamp"])
        server_ms = self.server_time_ms() + (3_600_000 if skew else 0)
        if len(params["timestamp"]) >= 16:  # microseconds
            timestamp //= 1000
        if timestamp >= server_ms + 1000 or server_ms - timestamp > recv_window:
            return 400, -1021, "Timestamp for this request is outside of the recvWindow."
        signature = unquote(signatures[0][len("signature=") :])
        if not _signature_valid(account, payload, signature):
            return 400, -1022, "Signature for this request is not valid."
        return None


def _signature_valid(account: FakeAccount, payload: str, signature: str) -> bool:
    if account.hmac_secret is not None:
        expected = hmac.new(account.hmac_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.lower())
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        if isinstance(account.public_key, ed25519.Ed25519PublicKey):
            account.public_key.verify(raw, payload.encode())
        elif isinstance(account.public_key, rsa.RSAPublicKey):
            account.public_key.verify(raw, payload.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _account_body(account: FakeAccount) -> dict[str, Any]:
    # Shaped like Binance's, balances and uid included, so tests can prove they never reach a report.
    return {
        "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
        "canTrade": bool(account.restrictions.get("enableSpotAndMarginTrading")),
        "canWithdraw": bool(account.restrictions.get("enableWithdrawals")),
        "canDeposit": True, "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
        "updateTime": 1_700_000_000_000, "accountType": "SPOT",
        "balances": [{"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"}],
        "permissions": ["SPOT"], "uid": 354937868,
    }  # fmt: skip


def _futures_account_body(account: FakeAccount) -> dict[str, Any]:
    # Shaped like /fapi/v2/account: capability flags, then assets and positions a report must never show.
    restrictions = account.restrictions
    can_trade = bool(restrictions.get("enableFutures") or restrictions.get("enableSpotAndMarginTrading"))
    return {
        "feeTier": 0, "canTrade": can_trade, "canDeposit": True,
        "canWithdraw": bool(account.restrictions.get("enableWithdrawals")), "updateTime": 0,
        "multiAssetsMargin": False, "tradeGroupId": -1,
        "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
        "totalWalletBalance": "15000.00000000", "totalUnrealizedProfit": "0.00000000",
        "totalMarginBalance": "15000.00000000", "availableBalance": "15000.00000000",
        "maxWithdrawAmount": "15000.00000000",
        "assets": [{"asset": "USDT", "walletBalance": "15000.00000000", "availableBalance": "15000.00000000"}],
        "positions": [{"symbol": "BTCUSDT", "positionAmt": "0.000", "leverage": "20", "isolated": False}],
    }  # fmt: skip


class FakeRealms:
    """Several realms at once, one FakeBinance each (its own loopback port, key store, paths and limit)."""

    def __init__(self, realms: tuple[str, ...] = REALM_NAMES, **options: Any) -> None:
        self.servers = {realm: FakeBinance(realm=realm, **options) for realm in realms}

    def __getitem__(self, realm: str) -> FakeBinance:
        return self.servers[realm]

    def env(self) -> dict[str, str]:
        """BINANCE_SECRETS_API_URL_<REALM> for every realm served, as the tool reads them."""
        return {
            "BINANCE_SECRETS_API_URL_" + realm.upper().replace("-", "_"): server.url
            for realm, server in self.servers.items()
        }

    def contacted(self) -> set[str]:
        """The realms that received at least one request."""
        return {realm for realm, server in self.servers.items() if server.log.requests}

    def realms_seeing(self, api_key: str) -> list[str]:
        """The realms that received `api_key` in an X-MBX-APIKEY header, in AUTO order."""
        return [realm for realm, server in self.servers.items() if api_key in server.log.api_keys]

    def start(self) -> FakeRealms:
        for server in self.servers.values():
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> FakeRealms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str
    outcome: str
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False
    drip_seconds: float = 0.0
    declared_length: int | None = None

    @classmethod
    def of_json(cls, status: int, body: Any, outcome: str, headers: dict[str, str] | None = None) -> _Response:
        return cls(status, json.dumps(body).encode(), "application/json;charset=UTF-8", outcome, headers or {})


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    fake: FakeBinance
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API

    def handle(self) -> None:
        # The client may hang up on an answer it will not read to the end: what it should do.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.fake.handle(method, self.path, headers, self.client_address[0])
        if response.close:
            self.close_connection = True
            return  # drop the connection without an answer, as a hung server would
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.declared_length is None:
            self.send_header("Content-Length", str(len(response.body)))
        elif response.declared_length >= 0:
            self.send_header("Content-Length", str(response.declared_length))
        else:
            self.close_connection = True  # no length: the body ends when the connection closes
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if not response.drip_seconds:
                self.wfile.write(response.body)
                return
            for index in range(len(response.body)):
                if self.fake.pause(response.drip_seconds):
                    return
                self.wfile.write(response.body[index : index + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading, as it may with a hostile answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean (and the request line, which holds the API key header, out of it)
