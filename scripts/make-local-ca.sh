#!/bin/sh
# Make a local certificate authority and, signed by it, a certificate for the NATS servers of
# the compose stack, for trying TLS (clients and cluster routes) on one machine. Not for
# production: there, certificates come from your organisation's CA.
#
#   scripts/make-local-ca.sh [DIRECTORY] [HOSTNAME ...]
#
# DIRECTORY (default secrets/nats-tls) receives ca.pem (give it to clients: LGNET_NATS_TLS_CA_FILE),
# ca-key.pem (keep it or delete it), server.pem and server-key.pem (the NATS servers'). The
# server certificate names nats-1, nats-2, nats-3, localhost and 127.0.0.1, plus any HOSTNAME
# given. Every file is made readable by its owner only (umask 077); for the compose stack,
# where nats-server runs as another user, see docs/operations.md ("TLS").
set -eu
umask 077
directory=${1:-secrets/nats-tls}
[ $# -gt 0 ] && shift
names="DNS:nats-1,DNS:nats-2,DNS:nats-3,DNS:localhost,IP:127.0.0.1"
for name in "$@"; do names="$names,DNS:$name"; done
mkdir -p "$directory"
cd "$directory"
if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -keyout ca-key.pem -out ca.pem -subj "/CN=LGNetEA local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server-key.pem \
  -out server.csr -subj "/CN=lgnet-nats" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' \
  "$names" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem  # a certificate is public: the application's user (uid 10001) reads it
echo "Wrote $(pwd)/ca.pem (the CA clients trust), server.pem and server-key.pem (for $names)"
