# syntax=docker/dockerfile:1
# AgentOps Hub image: one image for every role, chosen by the command.
#   docker run IMAGE                 -> agentops serve   (control plane, port 8000)
#   docker run IMAGE proxy           -> agentops proxy   (sidecar / egress proxy, 8080-8082)
#   docker run IMAGE migrate         -> agentops migrate (apply the schema migrations, then exit)
# Build: docker build -t agentops-hub:0.1.0 .
# See docs/deployment.md.

############################ builder: wheels only, never shipped ############################
FROM python:3.12-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src

# The lock first, so the dependency layer is cached until the lock changes.
COPY requirements.lock ./

# Our package: metadata, sources and bundled data (price table, tokenizer encodings, migrations).
COPY pyproject.toml README.md ./
COPY agentops ./agentops
COPY pricing ./pricing
COPY policies ./policies
COPY proxy ./proxy
COPY control_plane ./control_plane
COPY cli ./cli

# 1. The wheel of our package (hatchling, from pyproject.toml).
# 2. Wheels of its runtime dependencies, at exactly the versions of requirements.lock: the lock is
#    a constraints file, so only what agentops-hub needs at run time is fetched (the lock also
#    pins the dev tools, which stay out of the image) and every one of those is pinned.
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip wheel --wheel-dir /wheels --constraint requirements.lock /wheels/agentops_hub-*.whl

############################ runtime ############################
FROM python:3.12-slim-bookworm AS runtime

ARG AGENTOPS_UID=10001

# PYTHONOPTIMIZE: mitmproxy type-checks every field of every HTTP message it builds, but only
# under __debug__; -O drops that (about 20% of the proxy's CPU per call, docs/benchmarks.md).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONOPTIMIZE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/agentops/bin:$PATH \
    HOME=/var/lib/agentops \
    AGENTOPS_HOME=/var/lib/agentops \
    AGENTOPS_CONTROL_PLANE__HOST=0.0.0.0 \
    HEALTHCHECK_URL=http://127.0.0.1:8000/healthz

# iptables: `agentops capture init`, the transparent-capture init container (docs/deployment.md).
# libjemalloc2: the allocator every process of the image runs on (below).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*

# jemalloc instead of glibc's malloc: the tokenizers' Rust cores hold ~900,000 small byte
# strings, which jemalloc packs in size classes where glibc spends a 32-byte chunk on each, and
# freed pages go back to the system after a second (dirty_decay_ms) instead of staying with the
# process. Two arenas: the proxy has one busy thread. The proxy's resident memory measured
# 10-14 MiB lower, same CPU per call (docs/benchmarks.md, "Sidecar memory").
# PYTHONMALLOC=malloc: Python's small objects from jemalloc too, not from pymalloc's 1 MiB arenas,
# which go back only once every object in them is freed: after a burst of concurrent calls the
# proxy kept 8-12 MiB of arenas pinned by a few live objects; jemalloc returns free pages within
# a second. Instructions per call measured 1.5% lower (JSON) and 0.4% lower (SSE).
ENV LD_PRELOAD=libjemalloc.so.2 \
    MALLOC_CONF=narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0 \
    PYTHONMALLOC=malloc

RUN groupadd --system --gid ${AGENTOPS_UID} agentops \
 && useradd --system --uid ${AGENTOPS_UID} --gid agentops --home-dir /var/lib/agentops \
        --no-create-home --shell /usr/sbin/nologin agentops \
 && mkdir -p /var/lib/agentops/ca /var/lib/agentops/spool \
 && chown -R agentops:agentops /var/lib/agentops \
 && chmod 0700 /var/lib/agentops/ca

# Install offline from the builder's wheels (no compiler, no index in this stage): the locked
# dependencies and our wheel, into a virtual environment owned by root (read-only to the app).
# pip compiles the plain .pyc files; under PYTHONOPTIMIZE=1 Python reads only the .opt-1.pyc ones,
# and cannot write them here (PYTHONDONTWRITEBYTECODE, a read-only venv): without this step every
# start compiles every imported module from source (the proxy ready in 4.5 s instead of 1.8 s).
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/agentops \
 && /opt/agentops/bin/pip install --no-index --find-links /wheels agentops-hub \
 && /opt/agentops/bin/python -O -m compileall -q -j 0 /opt/agentops/lib > /dev/null \
 && /opt/agentops/bin/agentops --version

USER ${AGENTOPS_UID}:${AGENTOPS_UID}
WORKDIR /var/lib/agentops

# Local state: the proxy's record spool and interception CA (mount a volume or a Secret here).
VOLUME ["/var/lib/agentops"]

# 8000 control plane; 8080 proxy forward (HTTPS_PROXY); 8081 proxy reverse (base_url); 8082 proxy
# admin; 9090 proxy metrics (when AGENTOPS_PROXY__METRICS_PORT=9090); 15001 transparent capture
EXPOSE 8000 8080 8081 8082 9090 15001

# /healthz of the control plane by default; a proxy container sets
# HEALTHCHECK_URL=http://127.0.0.1:8082/healthz (its admin port).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]

ENTRYPOINT ["agentops"]
CMD ["serve"]
