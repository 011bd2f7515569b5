# syntax=docker/dockerfile:1
#
# hush-controller image.
#
#   docker build -t hush-controller:0.1.0 .
#
# The release profile uses fat LTO and one codegen unit, so the first build
# is slow; the cache mounts below keep later builds incremental (BuildKit).

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts are not part of the image, so the binary is copied out of
# target/ in the same step.
RUN --mount=type=cache,id=hush-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=hush-cargo-git,target=/usr/local/cargo/git \
    --mount=type=cache,id=hush-target,target=/src/target \
    cargo build --release --locked -p hush-controller \
 && install -D -m 0755 target/release/hush-controller /out/hush-controller

# glibc-based and shell-less; same Debian release as the builder, so the
# binary's glibc matches.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/hush-controller /hush-controller
# The image's `nonroot` user, numerically: a pod with runAsNonRoot can only
# be admitted when the kubelet can see the user is not root, which it cannot
# for a user name.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/hush-controller"]
CMD ["run"]
