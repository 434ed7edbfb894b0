# psimon's container image. Stage 1 builds the release binary; stage 2 is the binary, the
# shared libraries it links (found with ldd), CA certificates and a non-root user 10001,
# on an empty base: no shell, no package manager.
#
# No image registry is reachable from this project's machines, so scripts/image.sh makes
# the builder image from Debian's packages (debootstrap) and vendors the crates into the
# build context; it then builds this file with podman and starts the image. Elsewhere a
# registry's Rust image works as the builder, e.g.
#   podman build --build-arg BUILDER=docker.io/library/rust:1.95-bookworm ...
# (with the crates vendored as scripts/image.sh does, or drop --offline).
ARG BUILDER=localhost/psimon-builder:bookworm-tls

FROM ${BUILDER} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --offline --bin psimon
# The runtime's files under /out: the binary, what it links, the CA bundle (SASL_SSL,
# https registries), the user, a writable home for the outcome join's store, and /tmp.
RUN set -eu; \
    mkdir -p /out/etc/ssl/certs /out/var/lib/psimon /out/tmp; \
    cp target/release/psimon /out/psimon; \
    for lib in $(ldd target/release/psimon | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do \
      cp --parents -L "$lib" /out; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/; \
    echo 'psimon:x:10001:10001:psimon:/var/lib/psimon:/sbin/nologin' > /out/etc/passwd; \
    echo 'psimon:x:10001:' > /out/etc/group; \
    chown 10001:10001 /out/var/lib/psimon; \
    chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/ /
USER 10001:10001
WORKDIR /var/lib/psimon
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 9464
ENTRYPOINT ["/psimon"]
# Without arguments the image runs the demo (embedded Kafka); Kubernetes passes
# `run --config /etc/psimon/psimon.toml`.
CMD ["demo", "--http", "0.0.0.0:9464"]
