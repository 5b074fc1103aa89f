# Seduta's image: the compiled server (npm run build) with plain node, Debian's FFmpeg, and a
# mediasoup worker built from the sources inside the npm package by scripts/setup.mjs, exactly as
# `npm start` does on a Debian machine, with nothing downloaded but npm and Debian packages
# (ADR 0002). See README, "Deploying"; docker-compose.yml runs it with PostgreSQL and coturn.
#
#   docker build -t seduta .
#   docker run --env-file .env -e MEDIA_WORKERS=4 -p 443:8080 \
#     -p 40000-40003:40000-40003/udp -p 40000-40003:40000-40003/tcp -v seduta-data:/var/lib/seduta seduta
#
# Written for the classic builder too (Debian's docker.io and docker-compose): no BuildKit-only
# syntax.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- base: node 20 + FFmpeg
FROM ${NODE_IMAGE} AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# ---------------------------------------------------------------- build: worker, server, client
FROM base AS build
# scripts/setup.mjs's BUILD_PACKAGES, installed here once so that its own apt step finds them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev \
      flatbuffers-compiler meson ninja-build pkg-config g++ patch \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY media/package.json media/
COPY recorder/package.json recorder/
COPY server/package.json server/
COPY client/package.json client/
# .npmrc: ignore-scripts=true, so mediasoup's postinstall never tries to download its worker.
RUN npm ci --no-audit --no-fund
COPY . .
# setup.mjs builds the worker from node_modules/mediasoup/worker with media/worker-build's
# subprojects and patches (no download: SEDUTA_WORKER_DOWNLOAD=0) and copies it where mediasoup
# looks (node_modules/mediasoup/worker/out/Release/); then build.mjs compiles server/dist and
# client/dist.
ENV SEDUTA_WORKER_DOWNLOAD=0 XDG_CACHE_HOME=/tmp/seduta-cache
RUN npm run build \
 && rm -rf /tmp/seduta-cache

# ---------------------------------------------------------------- deps: run-time node_modules only
FROM base AS deps
COPY package.json package-lock.json .npmrc ./
COPY media/package.json media/
COPY recorder/package.json recorder/
COPY server/package.json server/
COPY client/package.json client/
# build.mjs stops the build if the compiled server imports a package outside these dependencies.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---------------------------------------------------------------- the image
FROM base
# The worker's shared libraries (ldd: Debian's libuv, OpenSSL, libsrtp2 (with NSS), usrsctp,
# abseil).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libuv1 libssl3 libsrtp2-1 libusrsctp2 libabsl20220623 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 seduta \
 && useradd --system --uid 10001 --gid seduta --home-dir /var/lib/seduta --shell /usr/sbin/nologin seduta \
 && mkdir -p /var/lib/seduta/data /var/lib/seduta/recordings \
 && chown -R seduta:seduta /var/lib/seduta \
 && chmod 750 /var/lib/seduta/data /var/lib/seduta/recordings
COPY --from=deps /app ./
COPY --from=build /app/node_modules/mediasoup/worker/out/Release/mediasoup-worker \
     node_modules/mediasoup/worker/out/Release/mediasoup-worker
COPY --from=build /app/server/dist server/dist
COPY --from=build /app/client/dist client/dist
COPY deploy/healthcheck.mjs deploy/healthcheck.mjs
# The worker runs here: without MEDIASOUP_VERSION it exits 41, as mediasoup's own check expects
# (a missing shared library would exit 127 and fail the build now, not at the first sitting).
RUN env -i node_modules/mediasoup/worker/out/Release/mediasoup-worker; test $? -eq 41

USER seduta
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/var/lib/seduta/data \
    RECORDINGS_DIR=/var/lib/seduta/recordings
# HTTP(S) on PORT; WebRTC on MEDIA_RTC_PORT + i, UDP and TCP, one per worker (default 40000 …).
EXPOSE 8080/tcp 40000/udp 40000/tcp
# GET /api/health: 503 when the database does not answer or a worker is missing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "deploy/healthcheck.mjs"]
# tini as PID 1 reaps orphaned FFmpeg processes and passes SIGTERM to node, which shuts down
# within SHUTDOWN_GRACE_MS (give `docker stop` longer: -t 30, compose's stop_grace_period).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "server/dist/main.js"]
