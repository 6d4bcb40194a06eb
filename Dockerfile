# The operator image; the same binary is the Connect clusters' plugin-installer init container
# (`sluice install-plugins`), so one image serves both.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p sluice && cp target/release/sluice /sluice

# distroless: no shell, no package manager; runs as the nonroot user (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /sluice /usr/local/bin/sluice
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sluice"]
