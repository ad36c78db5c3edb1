# binance-secrets in a container, for GitLab CI, Jenkins and pre-commit's `docker_image` language.
#
# Installs the one wheel in dist/ (the release workflow puts the one it built and published there; locally,
# from an empty dist/: `python -m build --wheel`, then `docker build -t binance-secrets .` with BuildKit, the
# default builder since Docker 23). Scan a repository with
#   docker run --rm -v "$PWD:/repo" binance-secrets history
# The exact Python tag pins the base; a rebuild takes that tag's latest Debian security updates.
FROM python:3.14.7-slim-trixie

ARG VERSION=unknown
LABEL org.opencontainers.image.title="binance-secrets" \
      org.opencontainers.image.description="Secret scanner for Binance API credentials" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# git for `staged`, `history` and the plain hooks. Its version is the one of the Debian release the base image
# pins; apt pins (DL3008) would break every build once Debian replaces that version with a security update.
# A repository mounted from the host belongs to another user than the one below, and git refuses to work in
# it ("dubious ownership") unless it is a safe.directory. Only the two places the image documents count:
# /repo (the working directory) and /src (where pre-commit's docker_image language mounts the repository).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory /repo \
    && git config --system --add safe.directory /src

# The wheel is bind-mounted, not copied: no layer keeps it. Binary wheels only, so nothing is compiled and no
# compiler is ever needed in the image.
RUN --mount=type=bind,source=dist,target=/tmp/dist \
    python -m pip install --only-binary=:all: /tmp/dist/binance_secrets-*-py3-none-any.whl

RUN useradd --create-home --uid 10001 --user-group scanner
USER 10001:10001

WORKDIR /repo
ENTRYPOINT ["binance-secrets"]
CMD ["scan", "."]
