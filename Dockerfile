# Dockerfile: the fairreg server image (one binary, nothing beside it).
#
# Used by docker-compose.yml (`docker-compose up`: services migrate and
# fairreg). The builder stage compiles build/fairreg from the sources with the
# project's Makefile (schema, templates and OpenAPI document are embedded in
# the binary); the runtime stage holds only the shared libraries it links
# against, curl for the health check, and the binary.
#
# Configuration comes from the environment (DESIGN.md section 9): DATABASE_URL
# or libpq's PG* variables, FAIRREG_LISTEN, FAIRREG_PUBLIC_URL,
# FAIRREG_READ_DATABASE_URL, FAIRREG_THREADS.

# --- builder ------------------------------------------------------------------
FROM debian:12-slim AS builder
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       build-essential make pkg-config gettext \
       libmicrohttpd-dev libpq-dev libjansson-dev libxml2-dev libsodium-dev \
       libqrencode-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build reads: no build/, var/ or node_modules/ from the host.
COPY Makefile ./
COPY build-aux/ build-aux/
COPY server/ server/
COPY importers/ importers/
COPY schema/ schema/
COPY templates/ templates/
RUN make -j"$(nproc)" all

# --- runtime ------------------------------------------------------------------
FROM debian:12-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libmicrohttpd12 libpq5 libjansson4 libxml2 libsodium23 libqrencode4 \
       curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 fairreg \
    && useradd --system --uid 10001 --gid fairreg --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin fairreg
COPY --from=builder /src/build/fairreg /usr/local/bin/fairreg
# Numeric, so that an orchestrator can check that it is not root.
USER 10001:10001
ENV FAIRREG_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
CMD ["fairreg", "serve"]
