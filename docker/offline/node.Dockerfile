# Stand-in for node:20-bookworm: Debian bookworm with this machine's Node 20 (built by build-standins.sh) and,
# like the real image (buildpack-deps), a C/C++ tool chain and python3 for node-gyp.
# Native modules whose prebuilt binaries come from GitHub (better-sqlite3) cannot download them here, so they
# are compiled against the headers copied from the host: npm_config_nodedir points node-gyp at them instead of
# nodejs.org.
FROM eqprop-standin/bookworm:base
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY include /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENV npm_config_nodedir=/usr/local
# the host's extra certificate authorities (an egress proxy's), so npm and apt inside trust what the host trusts
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
