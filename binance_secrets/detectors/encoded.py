"""Base64 values that decode to text, scanned decoded and reported where they are encoded.

People base64-encode credentials where a tool asks them to (Kubernetes `Secret` `data:`, the
`*_B64`/`*_BASE64` variables of CI systems that mangle newlines) and to carry a whole `.env` or JSON
config in one variable. Three kinds of value are decoded (the bounds are constants of `encoded_values`,
which does the work and is imported only once a file that is decoded is scanned):

- a standalone, padded, standard-alphabet base64 string of at least `MIN_RUN_LENGTH` (24) characters
  that is a whole value: a Kubernetes `Secret`'s `data:` entries (YAML or JSON manifest), Helm values,
  `echo '…' | base64 -d > .env`, a JSON config pasted encoded;
- a value of at least `MIN_RUN_LENGTH` characters assigned to a name ending in `b64`/`base64`
  (`BINANCE_API_SECRET_B64=…`, `configBase64: …`, `ENV X_B64 …`), padded or not;
- in a YAML or JSON file with `kind: Secret`, the shorter `data:` values too (from `MIN_DATA_LENGTH`
  characters): they are base64 by definition, and an encoded placeholder (`eW91ci1hcGkta2V5`) must be
  read as the placeholder it is, not reported as a credential.

A value is decoded only when it is at most `MAX_ENCODED_BYTES` (64 KiB) long and its decoding is UTF-8 text
with hardly any control characters: digests, images, certificates in DER, sealed or encrypted values
and other providers' base64 secrets decode to binary and stay as they are. Values found inside a
decoded text are decoded once more (`LEVELS`), no deeper.

`decoded_view()` builds a copy of the chunk in which each such value is replaced, in place, by its
decoding. A decoding of one line stays on the line of its name (`BINANCE_API_SECRET: <b64>` reads as
`BINANCE_API_SECRET: <secret>`) and beside its neighbours (two `data:` entries pair up); a decoding of
several lines (an `.env`, a JSON or YAML file) is put on lines of its own, so that every rule that reads
a line, the line before or a section reads it as the file it was. Detection runs once on that copy;
`DecodedView.map_back` moves each finding back to the chunk's own lines and columns, a finding inside a
decoded value to the encoded value's span, and drops it when the encoded value's line is allowlisted (a
pragma there covers all of its decoding). The encoded string itself is never looked at once its
decoding is text, so it is never reported as a key of its own.

Values are decoded in configuration, manifest, script and plain-text files (`decodes_in()`: YAML, JSON,
`.env`, TOML, INI, properties, XML configs, shell and PowerShell scripts, Dockerfiles, Terraform, `.txt`,
files without an extension), where encoded credentials are kept. Source code and documentation are read
as written: finding base64 runs takes two more passes over the bytes (a `translate` and a `find`) and a
look at every long identifier, which on the Python standard library adds more than half to the
detectors' time.

Everything is linear: candidate runs are found with one `bytes.translate` and `bytes.find`, each is judged
by a bounded look around it, each byte of the chunk is decoded at most once per level, and the walk
through a manifest's `data:` blocks reads each line once.
"""

from __future__ import annotations

import functools

from binance_secrets.triggers import decoding

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.detectors.encoded_values import DecodedView


def decodes_in(path: str) -> bool:
    """Whether base64 values are decoded in the file at `path` (an archive member by its own name)."""
    return _decoding(path)[0]


@functools.lru_cache(maxsize=4096)
def _decoding(path: str) -> tuple[bool, bool]:
    """Whether values are decoded in the file at `path`, and whether it may be a Kubernetes manifest.
    Remembered per path: a history asks for every version of a file, and for every commit message.
    Which files these are is told in `triggers.py`, which the pre-commit hook's clean runs read too."""
    return decoding(path)


def decoded_view(data: bytes, path: str, first_line: int = 1) -> DecodedView | None:
    """`data` with every base64 value whose decoding is text decoded in place; None when there is none.

    The decoding is imported when a file it applies to is first scanned: the source files a pre-commit
    hook usually checks never pay for loading it.
    """
    decoded, manifest = _decoding(path)
    if not decoded:
        return None
    from binance_secrets.detectors.encoded_values import view_of

    return view_of(data, first_line, manifest=manifest)
