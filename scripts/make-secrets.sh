#!/bin/sh
# Make the compose stack's keys, once, before the first `docker compose up`:
#
#   scripts/make-secrets.sh [DIRECTORY]      (default ${LGNET_SECRETS_DIR:-./secrets})
#
#   vault/vault-master.key        the vault's master key (epoch 0; `lgnet vault rotate` adds
#                                 vault-master.key.e1, ... beside it)
#   vault/blind-index.key         the duplicate check's blind-index key
#   audit/checkpoint-signing-key.pem, audit/checkpoint-public-key.pem
#                                 the Ed25519 pair the relay signs audit checkpoints with
#
# Keys are 0600 and directories 0700 (a key others can read refuses to load). The application
# image runs as uid 10001: run this as root (or with sudo) and it hands them over to that user;
# otherwise chown them yourself. Keys that exist are never replaced. Back the directory up apart
# from the database backups (docs/operations.md, "Keys").
set -eu
umask 077
directory=${1:-${LGNET_SECRETS_DIR:-./secrets}}
mkdir -p "$directory/vault" "$directory/audit"
for key in vault-master.key blind-index.key; do
  [ -f "$directory/vault/$key" ] || head -c 32 /dev/urandom > "$directory/vault/$key"
done
if [ ! -f "$directory/audit/checkpoint-signing-key.pem" ]; then
  openssl genpkey -algorithm ed25519 -out "$directory/audit/checkpoint-signing-key.pem"
  openssl pkey -in "$directory/audit/checkpoint-signing-key.pem" -pubout \
    -out "$directory/audit/checkpoint-public-key.pem"
fi
if [ "$(id -u)" = 0 ]; then
  chown -R 10001 "$directory/vault" "$directory/audit"
else
  echo "Now hand the keys to the image's user: sudo chown -R 10001 $directory/vault $directory/audit"
fi
echo "Keys in $directory/vault and $directory/audit (mode 0600)"
