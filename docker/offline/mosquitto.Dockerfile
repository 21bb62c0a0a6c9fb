# Stand-in for eclipse-mosquitto:2: Debian's mosquitto 2 and its clients (mosquitto_sub for the health check),
# with the official image's /mosquitto-no-auth.conf (all addresses, anonymous clients).
FROM eqprop-standin/bookworm:base
RUN apt-get update \
 && apt-get install -y --no-install-recommends mosquitto mosquitto-clients \
 && rm -rf /var/lib/apt/lists/* \
 && printf 'listener 1883\nallow_anonymous true\n' > /mosquitto-no-auth.conf
EXPOSE 1883
USER mosquitto
CMD ["mosquitto", "-c", "/mosquitto-no-auth.conf"]
