"""Classification of one candidate value: its rule, its role, and what says how sure it is.

From the value's context (`value_context`), the exchange the text attributes it to (`exchanges`) and
the Binance words around it (`binance_words`): a 64-character value is `binance-api-key` (a secret
once paired, `pairing`), or `hardcoded-api-secret` when another exchange claims it; a hex value is
dropped unless it is named as a Binance (testnet) credential; a PEM key is `binance-private-key`
unless another exchange or a Google service account claims it. Then, once the pairs are known, its
confidence (`confidence`, `pair_confidence`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from binance_secrets import rules
from binance_secrets.detectors.binance_words import binance_context, context_bounds, strong_binance_context
from binance_secrets.detectors.candidate import Candidate
from binance_secrets.detectors.doc_shapes import placeholder_marked
from binance_secrets.detectors.names import assigned_name
from binance_secrets.detectors.testnet_hex import plain_credential_name, testnet_switches
from binance_secrets.detectors.value_context import value_context
from binance_secrets.filters import CONFIDENCE_ORDER
from binance_secrets.finding import Confidence

if TYPE_CHECKING:
    from binance_secrets.detectors.credentials import CredentialMatch
    from binance_secrets.detectors.file_facts import FileFacts
    from binance_secrets.detectors.private_keys import PemMatch

# `exchanges` is imported where first needed (`FileFacts.attributor`): many chunks that reach the
# analysis have no candidate and never need it.
BINANCE = "binance"  # the name `exchanges` gives Binance

# How far back a line is searched for its start when only a bounded window is needed.
LINE_SEARCH_BYTES = 4096

# Names of hex values that are no exchange credential even beside the word Binance: wallet keys of
# BNB Smart Chain projects and the like.
_NOT_EXCHANGE_HEX_WORDS = frozenset(
    {"private", "priv", "pvt", "prv", "wallet", "eth", "bsc", "web3", "mnemonic", "seed", "account",
     "address", "node", "rpc", "infura", "alchemy", "etherscan", "bscscan", "contract", "chain", "pk"}
)  # fmt: skip


def token_candidate(
    data: bytes,
    start: int,
    end: int,
    secret: str,
    facts: FileFacts,
    previous_by_end: dict[int, Candidate],
    *,
    hex_value: bool,
) -> Candidate | None:
    """A 64-character value (a run, a split literal, a `.pyc` constant) classified, or None when it is
    no credential after all (a hex value not named as a Binance one)."""
    line_start = max(data.rfind(b"\n", max(0, start - LINE_SEARCH_BYTES), start) + 1, 0)
    found = value_context(data, start, end, line_start, facts, previous_by_end)
    # Hex is a digest unless it is named as a Binance key or secret in Binance context: by its own name
    # or its place in a client call, not by a word somewhere near (a `.pyc` of digests).
    if hex_value and (found.role == "unknown" or found.loose or _NOT_EXCHANGE_HEX_WORDS.intersection(found.name_words)):
        return None
    exchange = facts.attributor.exchange_of(start, end, line_start, found.name_words)
    other_exchange = exchange is not None and exchange != BINANCE
    binance = not other_exchange and (found.binance or exchange == BINANCE or _binance_nearby(data, start, end, facts))
    hex_partner_needed = False
    if hex_value:
        if other_exchange:
            return None
        strong = (
            exchange == BINANCE
            or found.strong_binance
            or facts.file_name_mentions_binance
            or strong_binance_context(data, start, end, testnet=False)
            or _testnet_nearby(data, start, end, facts)
        )
        if strong:
            binance = True
        elif (
            not facts.mentions_binance
            or not plain_credential_name(found.name_words)
            or facts.testnet_off
            or _other_exchange_file(exchange, facts)
        ):
            return None
        else:
            # Plainly named in a file that speaks of Binance: a testnet key, reported at `medium` at
            # most. A generic name (`secret`, `key`) needs a hex partner as well (checked once every
            # candidate is known).
            hex_partner_needed = found.generic
    generic = found.generic
    if generic and not binance and facts.mentions_binance:
        generic = False  # `secret = "…"` in a file that talks about Binance
    # A file named for Binance (`binance_keys.txt`) vouches for what it holds; a folder named for it
    # (`binance_bot/data/ids.txt`) only for named values: it must not turn every bare token below it,
    # random ids included, into a finding.
    binance = not other_exchange and (
        binance or facts.file_name_mentions_binance or (found.named and facts.path_mentions_binance)
    )
    return Candidate(
        rule_id=rules.CREDENTIAL.id if other_exchange else rules.API_KEY.id,
        start=start,
        end=end,
        secret=secret,
        role=found.role,
        named=found.named,
        binance_context=binance,
        generic_name=generic,
        other_exchange=other_exchange,
        other_name=found.other_name,
        # `### REPLACE THIS WITH YOUR API KEY` after the value (Binance's signing walkthrough): low.
        weak_shape=placeholder_marked(data, start, end),
        hex_value=hex_value,
        hex_partner_needed=hex_partner_needed,
        at_most_medium=hex_value and not binance,
    )


def private_key_candidate(data: bytes, pem: PemMatch, facts: FileFacts) -> Candidate:
    """A PEM private key: Binance's (`binance-private-key`) unless another exchange or a Google service
    account claims it (then `hardcoded-api-secret` at `low`); how sure, from its algorithm, its name and
    Binance around it."""
    line_start = max(data.rfind(b"\n", max(0, pem.start - LINE_SEARCH_BYTES), pem.start) + 1, 0)
    name = assigned_name(data, pem.start, line_start)
    exchange = facts.attributor.exchange_of(pem.start, pem.start, line_start, name.words if name else ())
    # Coinbase and others issue Ed25519 and EC keys too: theirs are not Binance keys; nor is the
    # key of a Google service account (`"type": "service_account"`, `client_email`).
    other_exchange = (
        (exchange is not None and exchange != BINANCE)
        or facts.service_account
        or (not facts.path_mentions_binance and _other_exchange_file(exchange, facts))
    )
    binance = exchange == BINANCE or facts.path_mentions_binance or _binance_nearby(data, pem.start, pem.end, facts)
    weak = pem.algorithm not in ("ed25519", "rsa", "encrypted")
    # RSA and encrypted keys are named by what holds them: a private-key name in a file that speaks
    # of Binance (`Client(api_key, private_key=…, private_key_pass=…)` below), or the file name
    # Binance's signing examples give the key (`test-prv-key.pem`).
    named_key = (
        name is not None
        and name.adjacent
        and bool(_PRIVATE_KEY_WORDS.intersection(name.words))
        and facts.mentions_binance
    ) or _PRV_KEY_FILE in facts.base.lower()
    return Candidate(
        rule_id=rules.CREDENTIAL.id if other_exchange else rules.PRIVATE_KEY.id,
        start=pem.start,
        end=pem.end,
        secret=pem.canonical,
        role="secret",
        # Ed25519 PKCS#8 is the format Binance recommends; RSA and encrypted keys are common
        # everywhere else (TLS), so they need a name or Binance context to rise above `low`.
        named=pem.algorithm == "ed25519" or named_key,
        binance_context=binance and not weak and not other_exchange,
        display_length=len(pem.label) + 16,
        weak_shape=weak,
        other_exchange=other_exchange,
    )


_PRIVATE_KEY_WORDS = frozenset({"private", "priv", "prv", "pvt"})

# The name Binance's REST and WebSocket signing examples give the private key file.
_PRV_KEY_FILE = "prv-key"


def credential_candidate(data: bytes, match: CredentialMatch, facts: FileFacts) -> Candidate:
    """A value assigned to a secret's name (`hardcoded-api-secret`): named like an exchange credential
    or not, in Binance context or another exchange's."""
    words = set(match.words)
    # `api_secret`, `apiSecret`, `secret_key`: named like an exchange credential. Plain
    # `SECRET_KEY` or `client_secret` (Django, OAuth) need Binance context to be reported.
    exchange_like = "api" in words or bool(words & {"binance", "bnb"})
    line_start = max(data.rfind(b"\n", max(0, match.value_start - LINE_SEARCH_BYTES), match.value_start) + 1, 0)
    exchange = facts.attributor.exchange_of(match.value_start, match.value_end, line_start, match.words)
    other_exchange = exchange is not None and exchange != BINANCE
    binance = not other_exchange and (
        exchange == BINANCE
        or facts.file_name_mentions_binance
        or (exchange_like and facts.path_mentions_binance)
        or bool(words & {"binance", "bnb", "mbx"})
        or _binance_nearby(data, match.value_start, match.value_end, facts)
    )
    # A value named like an exchange credential with no Binance around, in a file about another
    # exchange, is that exchange's. (Others are `low` whatever the file says: no need to read it.)
    if exchange_like and not binance and _other_exchange_file(exchange, facts):
        other_exchange = True
    return Candidate(
        rule_id=rules.CREDENTIAL.id,
        start=match.value_start,
        end=match.value_end,
        secret=match.value,
        role="unknown",
        named=exchange_like,
        binance_context=binance,
        other_exchange=other_exchange,
    )


def _other_exchange_file(exchange: str | None, facts: FileFacts) -> bool:
    """Nothing near the value names an exchange, and the file is about another one."""
    if exchange is not None:
        return False
    file_exchange = facts.attributor.file_exchange()
    return file_exchange is not None and file_exchange != BINANCE


def _testnet_nearby(data: bytes, start: int, end: int, facts: FileFacts) -> bool:
    """`testnet` around a hex value, where Binance is named in the file or the word is a switch turned
    on (`testnet=True`, `testnet: true`): other chains have testnets too (`network = "testnet"`). A
    switch turned off says the opposite."""
    if not strong_binance_context(data, start, end):
        return False
    low, high = context_bounds(data, start, end)
    on, off = testnet_switches(data[low:high])
    if off and not on:
        return False  # `TESTNET=false` beside it: a mainnet setting, whose hex values are no testnet keys
    return on or facts.mentions_binance


def _binance_nearby(data: bytes, start: int, end: int, facts: FileFacts) -> bool:
    """Binance words around a value. `ccxt` and `bnb` say Binance only when no other exchange is
    named nearby: `ccxt.bybit(…)` is ccxt, and every exchange trades BNB."""
    if not binance_context(data, start, end):
        return False
    low, high = context_bounds(data, start, end)
    if not any(m.exchange != BINANCE for m in facts.attributor.mentions.between(low, high)):
        return True
    return strong_binance_context(data, start, end, testnet=False)


def confidence(candidate: Candidate) -> Confidence:
    if candidate.weak_shape or candidate.other_exchange:
        return "low"
    partner = candidate.partner
    paired_by_name = partner is not None and candidate.named and partner.named
    if candidate.binance_context or (paired_by_name and not candidate.at_most_medium):
        return "high"
    if candidate.named and not candidate.generic_name:
        return "medium"
    return "low"


def pair_confidence(candidate: Candidate) -> Confidence:
    """A key and a secret paired are one credential: the partner inherits the pair's confidence."""
    own = confidence(candidate)
    partner = candidate.partner
    if partner is None or candidate.weak_shape or candidate.other_exchange:
        return own
    theirs = confidence(partner)
    return theirs if CONFIDENCE_ORDER[theirs] > CONFIDENCE_ORDER[own] else own
