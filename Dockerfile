# Securix appliance: compile one binary, run it as a non-root user with /data as the volume.
# Build: docker build -t securix .   Run: docker run -p 8080:8080 -v securix-data:/data securix

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src ./src
COPY web ./web
COPY migrations ./migrations
RUN deno install --frozen
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
