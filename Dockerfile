# Multi-stage build of swinit.
#   docker build --target swinit -t swinit .        # FROM scratch: just /sbin/swinit and /sbin/initctl
#   docker build -t swinit-example .                # an example image with swinit as ENTRYPOINT
# The build stage needs only the Swift toolchain: the package has no dependencies.

FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY scripts ./scripts
RUN scripts/build-static \
 && mkdir -p /out/sbin \
 && cp .build-static/release/swinit /out/sbin/swinit \
 && ln -s swinit /out/sbin/initctl

# The binaries alone, for `COPY --from=swinit /sbin/swinit /sbin/swinit` in other images.
FROM scratch AS swinit
COPY --from=build /out/sbin/ /sbin/
ENTRYPOINT ["/sbin/swinit"]

# An example: a small Debian image whose services come from examples/image.
FROM debian:bookworm-slim AS example
COPY --from=build /out/sbin/ /sbin/
COPY examples/image/swinit.toml /etc/swinit/swinit.toml
RUN ["/sbin/swinit", "check"]
HEALTHCHECK --interval=10s CMD ["/sbin/initctl", "check"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/sbin/swinit"]
