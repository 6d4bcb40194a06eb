# The operator image; the same binary is the Connect clusters' plugin-installer init container
# (`sluice install-plugins`), so one image serves both, and it carries the workers' readiness
# probe (`sluice-probe`), which an init container copies into each worker pod.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p sluice && cp target/release/sluice /sluice
# The workers' readiness probe, linked statically so that any worker image runs it.
RUN RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked -p sluice-probe \
      --target "$(rustc -vV | sed -n 's/^host: //p')" --target-dir /probe \
 && cp /probe/*/release/sluice-probe /sluice-probe

# distroless: no shell, no package manager; runs as the nonroot user (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /sluice /usr/local/bin/sluice
COPY --from=build /sluice-probe /usr/local/bin/sluice-probe
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sluice"]
