# Stand-in for postgres:15: Debian's postgresql-15 with an entrypoint that, like the official image's, creates
# POSTGRES_USER/POSTGRES_DB with POSTGRES_PASSWORD on first start and listens on all addresses.
FROM eqprop-standin/bookworm:base
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 gosu \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
