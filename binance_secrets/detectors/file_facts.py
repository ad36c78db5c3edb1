"""Facts about a whole chunk that the analysis of its candidates asks: its path's name, whether it
speaks of Binance, is a table, a service-account key file, switches the testnet off, the role its
file name gives a lone key, and the exchange attribution shared by its candidates.

Each fact is computed at most once, and only when a candidate needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from binance_secrets.detectors.file_kinds import is_compiled, is_lock_file, may_hold_credentials
from binance_secrets.detectors.names import AssignedName
from binance_secrets.detectors.roles import role_of_name
from binance_secrets.detectors.testnet_hex import testnet_switched_off
from binance_secrets.detectors.words import name_words
from binance_secrets.triggers import MESSAGE_PATHS, file_name

if TYPE_CHECKING:
    from binance_secrets.detectors.candidate import Role
    from binance_secrets.detectors.exchanges import Attributor

# Every Google service-account key file (`gcloud iam service-accounts keys create`) holds these.
_SERVICE_ACCOUNT_MARKERS = (b'"service_account"', b'"private_key_id"', b'"client_email"')


class FileFacts:
    """Facts about the whole chunk, computed at most once and only when a candidate needs them (most
    chunks have no candidate at all, so even the path is looked at lazily). Plain attributes, not
    `functools.cached_property`, whose lock costs more than most of these facts."""

    def __init__(self, data: bytes, path: str) -> None:
        self._data = data
        self._path = path
        self.compiled = is_compiled(path)
        self.message = path in MESSAGE_PATHS
        self._base: str | None = None
        self._path_mentions_binance: bool | None = None
        self._mentions_binance: bool | None = None
        self._attributor: Attributor | None = None
        self._file_role: Role | None = None
        self._file_role_known = False
        self._testnet_off: bool | None = None
        self._service_account: bool | None = None

    @property
    def base(self) -> str:
        if self._base is None:
            self._base = file_name(self._path)
        return self._base

    @property
    def path_mentions_binance(self) -> bool:
        if self._path_mentions_binance is None:
            self._path_mentions_binance = "binance" in self._path.lower()
        return self._path_mentions_binance

    @property
    def file_name_mentions_binance(self) -> bool:
        return self.path_mentions_binance and "binance" in self.base.lower()

    @property
    def service_account(self) -> bool:
        """A Google service-account key file (JSON): its private key is Google's, not Binance's."""
        if self._service_account is None:
            self._service_account = all(marker in self._data for marker in _SERVICE_ACCOUNT_MARKERS)
        return self._service_account

    @property
    def table(self) -> bool:
        """A CSV/TSV file, whose cells are named by their row's label or their column's header."""
        return self.base.lower().endswith((".csv", ".tsv"))

    @property
    def lock_file(self) -> bool:
        return is_lock_file(self._path)

    @property
    def may_hold_credentials(self) -> bool:
        return may_hold_credentials(self._path)

    @property
    def attributor(self) -> Attributor:
        if self._attributor is None:
            from binance_secrets.detectors.exchanges import Attributor

            self._attributor = Attributor(
                self._data, lambda: self.mentions_binance, path_mentions_binance=self.path_mentions_binance
            )
        return self._attributor

    @property
    def file_role(self) -> Role | None:
        """The role the file's name gives a key it holds alone (`api_key.txt`), if any."""
        if not self._file_role_known:
            self._file_role, self._file_role_known = _file_role(self.base), True
        return self._file_role

    @property
    def testnet_off(self) -> bool:
        """The file sets a testnet switch to false: its hex values are no futures-testnet keys."""
        if self._testnet_off is None:
            self._testnet_off = testnet_switched_off(self._data)
        return self._testnet_off

    @property
    def mentions_binance(self) -> bool:
        if self._mentions_binance is None:
            self._mentions_binance = self.path_mentions_binance or b"binance" in self._data.lower()
        return self._mentions_binance


def _file_role(base: str) -> Role | None:
    """The role a file's name gives the one key it holds: `api_key.txt`, `secret.txt`, `binance.key`."""
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    if extension.lower() in ("key", "secret"):
        stem = f"{stem}_{extension}"
    words = name_words(stem)
    if not words:
        return None
    role = role_of_name(AssignedName(stem, words, adjacent=True))
    return "key" if role == "api_key" else "secret" if role == "secret_key" else None
