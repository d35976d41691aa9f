# Securix appliance: compile one binary, run it as a non-root user with /data as the volume.
# Build: docker build -t securix .
# Run:   docker run -d --name sx -p 8080:8080 -p 127.0.0.1:8081:8081 -v securix-data:/data securix
# With build info: docker build --build-arg BUILD_COMMIT=$(git rev-parse HEAD) \
#   --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t securix .

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src ./src
COPY web ./web
COPY migrations ./migrations
RUN deno install --frozen
# The same build info the release workflow writes; without the args the defaults stay.
ARG BUILD_COMMIT=""
ARG BUILD_DATE=""
RUN if [ -n "$BUILD_COMMIT" ]; then printf '%s\n' \
      "export const BUILD_COMMIT = \"$BUILD_COMMIT\";" \
      "export const BUILD_DATE = \"${BUILD_DATE:-unknown}\";" > src/cli/build_info.ts; fi
RUN deno task compile && mkdir -p /data-skeleton

# The libSQL driver is a native glibc addon, so the runtime image keeps glibc.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/securix /usr/local/bin/securix
COPY --from=build --chown=65532:65532 /data-skeleton /data
WORKDIR /data
USER 65532:65532
# Embedded defaults keep state under /data/securix-data (database, master key, pid file,
# backups/); mount a securix.toml at /data/securix.toml to configure it instead. The container's
# loopback is its own: the console (8081) and metrics (9464) listen on every interface here, so
# publish them on the host's loopback only: -p 127.0.0.1:8081:8081 -p 127.0.0.1:9464:9464. Only the
# proxy port is EXPOSEd: `docker run -P` publishes what is exposed on every host interface.
# Serve drains for 8 s on SIGTERM, inside docker stop's default 10 s before SIGKILL.
ENV SECURIX_SERVER_LISTEN=0.0.0.0:8080 \
    SECURIX_SERVER_ADMIN_LISTEN=0.0.0.0:8081 \
    SECURIX_SERVER_METRICS_LISTEN=0.0.0.0:9464 \
    SECURIX_SERVER_SHUTDOWN_TIMEOUT_MS=8000
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
# The image has no shell or curl: the binary asks its own listen address for /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/securix", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/securix"]
CMD ["serve"]
