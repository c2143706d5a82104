# Multi-stage build: compile with the Swift toolchain, ship the binary on a slim runtime as a non-root user.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product coalmine --static-swift-stdlib \
    && install -D .build/release/coalmine /out/coalmine

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libsqlite3-0 libcurl4 libxml2 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 coalmine && useradd --uid 10001 --gid coalmine --no-create-home --shell /usr/sbin/nologin coalmine
COPY --from=build /out/coalmine /usr/local/bin/coalmine
USER 10001:10001
EXPOSE 9095
ENTRYPOINT ["/usr/local/bin/coalmine"]
CMD ["serve", "--config", "/etc/coalmine/coalmine.yaml"]
