# Securix appliance: compile one binary, run it as a non-root user with /data as the volume.
# Build: docker build -t securix .   Run: docker run -p 8080:8080 -v securix-data:/data securix
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
# Embedded defaults keep state under /data/securix-data (database and master key);
# mount a securix.toml at /data/securix.toml to configure it instead.
ENV SECURIX_SERVER_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/securix"]
CMD ["serve"]
