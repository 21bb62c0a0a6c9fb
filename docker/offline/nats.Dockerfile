# Stand-in for nats:2.10-alpine: Debian's nats-server (2.9, JetStream included) and wget for the health check.
# The entry point is nats-server, so the compose file's arguments (-js -sd /data -m 8222) are its flags.
FROM eqprop-standin/bookworm:base
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server wget \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data
EXPOSE 4222 8222
ENTRYPOINT ["nats-server"]
CMD ["-js", "-sd", "/data", "-m", "8222"]
