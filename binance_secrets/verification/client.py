"""One credential, one signed request: the HTTP conversation with Binance and what each answer means.

The status rules are the README's ("Live verification"): only HTTP 200 with a JSON object is `live`;
-2014/-2015/-1022 are `rejected`; everything else (403, 451, 5xx, 429/418 past the backoff budget, timeouts, connection
errors, malformed bodies, surprises) is `unknown`. An unexpected answer is never turned into `rejected`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from binance_secrets.finding import Verification
from binance_secrets.verification import outcome
from binance_secrets.verification.endpoints import Endpoint, is_loopback, require_destination
from binance_secrets.verification.ratelimit import WeightGovernor
from binance_secrets.verification.realms import REALMS, RESTRICTIONS, Check
from binance_secrets.verification.signing import Signer, signed_query

if TYPE_CHECKING:
    import requests

RECV_WINDOW_MS = 5000
# Each realm's paths and weights are in realms.py: the signed check (apiRestrictions on mainnet, the
# account endpoints elsewhere), the public server time, the public exchangeInfo announcing rateLimits.
_INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
_TRANSIENT_RETRIES = 1  # one more try after a timeout, connection error or 5xx
_TRANSIENT_PAUSE = 0.5  # seconds before that try
# Everything below bounds what a server (or whatever answers in its place) can make us do.
MAX_BODY_BYTES = 1 << 20  # Binance's answers here are a few KiB; a bigger one is not an answer to trust
_READ_CHUNK = 64 * 1024
MAX_RETRY_AFTER = 3 * 86400.0  # Binance's IP bans last "from 2 minutes to 3 days"
_MIN_RATE_LIMIT_WAIT = 1.0  # a 429 saying "Retry-After: 0" must not turn into a request loop
_RATE_LIMIT_RETRIES = 3  # 429/418 answers one check accepts before giving up
_RETRY_AFTER = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,6})?\Z")  # delta-seconds; an HTTP-date is ignored
# serverTime in milliseconds since 1970: anything outside 2001..5138 is not a clock to sync with.
_SERVER_TIME_RANGE = (10**12, 10**14)


class ServerClock:
    """Our idea of Binance's time: the local clock plus an offset learnt from /api/v3/time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset_ms = 0

    def now_ms(self) -> int:
        with self._lock:
            return int(time.time() * 1000) + self._offset_ms

    def set_offset(self, offset_ms: int) -> None:
        with self._lock:
            self._offset_ms = offset_ms


@dataclass(frozen=True)
class _Answer:
    status: int
    body: object  # parsed JSON (untrusted: narrowed with isinstance before use), or None when unusable
    retry_after: float | None
    body_problem: str | None = None  # a fixed wording of why the body is unusable

    @property
    def code(self) -> int | None:
        return outcome.error_code(self.body)


def unsendable_key(api_key: str) -> str | None:
    """Why `api_key` cannot go in an X-MBX-APIKEY header (no Binance key looks like it), or None."""
    if not (api_key.isascii() and api_key.isprintable()) or any(c.isspace() for c in api_key):
        return "the API key has characters no Binance key has (non-ASCII or spaces); nothing was sent"
    return None


def make_session(endpoint: Endpoint, pool_size: int) -> requests.Session:
    import requests

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if is_loopback(endpoint.host):
        # A test server on this machine: no proxy, no .netrc, nothing from the environment.
        session.trust_env = False
    return session


class BinanceClient:
    def __init__(
        self,
        endpoint: Endpoint,
        session: requests.Session,
        governor: WeightGovernor,
        clock: ServerClock,
        *,
        timeout: float,
        max_backoff: float,
    ) -> None:
        self.endpoint = endpoint
        self._session = session
        self._governor = governor
        self._clock = clock
        self._timeout = timeout
        self._max_backoff = max_backoff

    def verify(self, api_key: str, signer: Signer) -> Verification:
        # Time spent waiting on Retry-After and weight windows is bounded by max_backoff; each request by
        # the timeout (one transient retry, one skew retry, one fallback request at most).
        problem = unsendable_key(api_key)
        if problem is not None:
            return outcome.result("unknown", problem, self.endpoint.name)
        started = time.time()
        # Retry-After waits must fit in max_backoff itself (the README's "at most 30 s in total").
        deadlines = (started + self._max_backoff + 4 * self._timeout, started + self._max_backoff)
        checks = self.checks()
        for index, check in enumerate(checks):
            params = dict(check.params)
            answer = self._signed_get(check.path, check.weight, params, api_key, signer, deadlines)
            if isinstance(answer, Verification):
                return answer
            if answer.status != 404 or index == len(checks) - 1:
                return self._interpret(answer, check)
        raise AssertionError("unreachable: every realm has at least one check")  # pragma: no cover

    def checks(self) -> tuple[Check, ...]:
        """The realm's signed calls, in order; a server known to lack /sapi is not asked for it."""
        checks = REALMS[self.endpoint.realm].checks
        return checks if self.endpoint.has_sapi else tuple(c for c in checks if c != RESTRICTIONS)

    def _interpret(self, answer: _Answer, check: Check) -> Verification:
        name = self.endpoint.name
        if answer.status == 200:
            if isinstance(answer.body, dict):
                return outcome.INTERPRETERS[check.interpretation](answer.body, name, self.endpoint.realm)
            problem = f" ({answer.body_problem})" if answer.body_problem else ""
            return outcome.result(
                "unknown",
                f"HTTP 200 with a body that is not a JSON object{problem}: a proxy or captive portal may "
                "have answered. It says nothing certain about the key. " + outcome.REVOKE,
                name,
            )
        code = answer.code
        if code is not None and code in outcome.REASONS:
            return outcome.result("rejected", outcome.REASONS[code], name)
        if code == -1021:
            return outcome.result(
                "unknown",
                "Binance still reports the timestamp outside recvWindow (-1021) after syncing with its "
                "server time: a clock problem here, not an answer about the key.",
                name,
            )
        # The server's own `msg` is never shown: it is whatever the server chose to write (it could
        # echo the key, or carry newlines and terminal escapes). The code gets a fixed wording.
        return outcome.result("unknown", outcome.unexpected_answer(answer.status, code, answer.body_problem), name)

    def _signed_get(
        self,
        path: str,
        weight: int,
        params: dict[str, str],
        api_key: str,
        signer: Signer,
        deadlines: tuple[float, float],
    ) -> _Answer | Verification:
        """The answer to a signed GET, after the retries the rules allow, or an `unknown` verdict.

        `deadlines`: (for the whole check, for Retry-After waits), both `time.time()` values."""
        deadline, backoff_deadline = deadlines
        name = self.endpoint.name
        skew_retried = False
        transient_left = _TRANSIENT_RETRIES
        rate_limits_left = _RATE_LIMIT_RETRIES
        last_problem = ""
        while True:
            if not self._governor.acquire(weight, deadline):
                return outcome.result("unknown", self._gave_up_waiting(last_problem), name)
            timing = {"recvWindow": RECV_WINDOW_MS, "timestamp": self._clock.now_ms()}
            answer = self._send(path, signed_query({**params, **timing}, signer), api_key, weight)
            if isinstance(answer, _Answer):
                if answer.status in (429, 418):
                    wait = max(answer.retry_after if answer.retry_after is not None else 60.0, _MIN_RATE_LIMIT_WAIT)
                    self._governor.block(wait)  # every worker waits, not just this one
                    what = "banned this IP for a while" if answer.status == 418 else "rate-limited this IP"
                    last_problem = f"HTTP {answer.status}: Binance {what} (Retry-After {wait:g} s)"
                    rate_limits_left -= 1
                    if rate_limits_left < 0 or time.time() + wait > backoff_deadline:
                        return outcome.result("unknown", self._gave_up_waiting(last_problem), name)
                    continue
                if answer.status == 403:
                    return outcome.result("unknown", outcome.WAF_403, name)
                if answer.status == 451:
                    return outcome.result("unknown", outcome.GEO_451, name)
                if 300 <= answer.status < 400:
                    reason = (
                        f"HTTP {answer.status}: a redirect, not followed so that the key goes nowhere but "
                        f"{name}. It says nothing about the key."
                    )
                    return outcome.result("unknown", reason, name)
                if answer.status < 500:
                    if answer.code == -1021 and not skew_retried:
                        skew_retried = True
                        self._sync_time(deadline)
                        continue
                    return answer
                problem = f"HTTP {answer.status} from {name}: execution status unknown (server error)"
            else:
                problem = answer
            last_problem = problem
            if transient_left > 0 and time.time() + _TRANSIENT_PAUSE < deadline:
                transient_left -= 1
                time.sleep(_TRANSIENT_PAUSE)
                continue
            reason = f"{problem}. It says nothing about the key; try again later. " + outcome.REVOKE
            return outcome.result("unknown", reason, name)

    def _send(self, path: str, query: str, api_key: str, weight: int) -> _Answer | str:
        """One request: its answer, or why there was none."""
        import requests

        try:
            response = self._get(f"{self.endpoint.base_url}{path}?{query}", {"X-MBX-APIKEY": api_key})
        except requests.Timeout:
            return f"no answer from {self.endpoint.name} within {self._timeout:g} s (timeout)"
        except requests.RequestException as error:
            # The exception text holds the signed URL; only its type is reported.
            return f"could not connect to {self.endpoint.name} ({type(error).__name__})"
        finally:
            self._governor.release(weight)
        with response:
            self._governor.observe(response.headers)
            body, problem = _read_json(response, self._timeout)
            return _Answer(response.status_code, body, _retry_after(response), problem)

    def _get(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        """GET `url` on the validated endpoint: the prepared request is checked against it before sending."""
        import requests

        # identity: an answer is read raw and bounded, never inflated from a compressed body.
        wanted = {"Accept-Encoding": "identity", **(headers or {})}
        prepared = self._session.prepare_request(requests.Request("GET", url, headers=wanted))
        # Defence in depth: whatever the URL validation missed, the request goes to the checked host.
        require_destination(prepared.url or "", self.endpoint)
        settings = self._session.merge_environment_settings(prepared.url, {}, True, None, None)
        # A redirect would carry the X-MBX-APIKEY header to wherever it points.
        return self._session.send(prepared, timeout=self._timeout, allow_redirects=False, **settings)

    def learn_weight_limit(self) -> None:
        """Plan within the REQUEST_WEIGHT limit the server announces (public call: no key, no signature)."""
        import requests

        exchange_info = REALMS[self.endpoint.realm].exchange_info
        if exchange_info is None:
            return  # the realm's published limit, already in our budget, applies
        path, weight = exchange_info
        if not self._governor.acquire(weight, time.time() + self._timeout):
            return
        try:
            response = self._get(f"{self.endpoint.base_url}{path}")
        except requests.RequestException:
            return  # our own budget still applies
        finally:
            self._governor.release(weight)
        with response:
            self._governor.observe(response.headers)
            body = _read_json(response, self._timeout)[0] if response.status_code == 200 else None
        limits = body.get("rateLimits") if isinstance(body, dict) else None
        windows = [
            (entry["limit"], _INTERVAL_SECONDS[entry["interval"]] * entry.get("intervalNum", 1))
            for entry in (limits if isinstance(limits, list) else [])[:100]
            if isinstance(entry, dict)
            and entry.get("rateLimitType") == "REQUEST_WEIGHT"
            and entry.get("interval") in _INTERVAL_SECONDS
            and _int_within(entry.get("limit"), 1, 10**7)
            and _int_within(entry.get("intervalNum", 1), 1, 1000)
        ]
        if windows:
            window_seconds, limit = min((seconds, limit) for limit, seconds in windows)
            self._governor.announce(limit, float(window_seconds))

    def _sync_time(self, deadline: float) -> None:
        """Learn Binance's clock from the public /api/v3/time (no key, no signature sent)."""
        import requests

        if not self._governor.acquire(1, deadline):
            return
        started = time.time()
        try:
            response = self._get(f"{self.endpoint.base_url}{REALMS[self.endpoint.realm].time_path}")
        except requests.RequestException:
            return
        finally:
            self._governor.release(1)
        with response:
            self._governor.observe(response.headers)
            body = _read_json(response, self._timeout)[0]
        finished = time.time()
        server_time = body.get("serverTime") if isinstance(body, dict) else None
        in_range = isinstance(server_time, int) and _int_within(server_time, *_SERVER_TIME_RANGE)
        if response.status_code == 200 and in_range and isinstance(server_time, int):
            # The server read its clock about half-way through the round trip.
            local_ms = int((started + finished) / 2 * 1000)
            self._clock.set_offset(server_time - local_ms)

    def _gave_up_waiting(self, problem: str) -> str:
        because = problem or "the request-weight budget was spent"
        return (
            f"{because}; gave up within the {self._max_backoff:g} s backoff budget. It says nothing "
            "about the key; try again later. " + outcome.REVOKE
        )


def _read_json(response: requests.Response, timeout: float) -> tuple[object, str | None]:
    """The parsed JSON body, or None and a fixed wording of why not. Reads at most MAX_BODY_BYTES,
    for at most `timeout` seconds (a server dripping a byte at a time must not hold us)."""
    import http.client
    import json

    import urllib3

    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        return None, "compressed although no compression was asked for"
    length = response.headers.get("Content-Length", "").strip()
    if re.fullmatch(r"[0-9]{1,18}", length) and int(length) > MAX_BODY_BYTES:
        return None, f"larger than {MAX_BODY_BYTES // 1024} KiB"
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.raw.read1(_READ_CHUNK, decode_content=False):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None, f"larger than {MAX_BODY_BYTES // 1024} KiB"
            if time.monotonic() > deadline:
                return None, f"still arriving after {timeout:g} s"
            chunks.append(chunk)
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError):
        return None, "cut off or unreadable"
    try:
        return json.loads(b"".join(chunks)), None
    except (ValueError, RecursionError):
        # RecursionError: `[` nested thousands deep. Either way it is not an answer from Binance.
        return None, "malformed JSON"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return min(float(value), MAX_RETRY_AFTER) if _RETRY_AFTER.match(value) else None


def _int_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
