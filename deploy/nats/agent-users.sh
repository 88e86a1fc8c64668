#!/usr/bin/env bash
# Prints one nats-server user entry per GPU host, for the users list in kiln-auth.conf.
# Input (stdin or files): one host per line, "<cluster> <rack> <host> <nkey public key U…>"; blank lines and
# lines starting with # are skipped.
#   deploy/nats/agent-users.sh hosts.txt
# Each agent may publish only kiln.v1.gpu.<cluster>.<rack>.<host> (and its partitioned form <subject>.<k>, which is
# what nats-server 2.9 checks where the servers map samples to partitions) and its events on
# kiln.v1.event.<cluster>.<rack>.<host>, and receive only on _INBOX_<host>.>.
set -euo pipefail
token='^[A-Za-z0-9_-]{1,64}$'
n=0
while read -r cluster rack host nkey rest || [[ -n "${cluster:-}" ]]; do
  n=$((n + 1))
  [[ -z "${cluster:-}" || "$cluster" == \#* ]] && continue
  for t in "$cluster" "$rack" "$host"; do
    [[ "$t" =~ $token ]] || { echo "line $n: '$t' is not a subject token ([A-Za-z0-9_-]{1,64})" >&2; exit 1; }
  done
  [[ "${nkey:-}" =~ ^U[A-Z2-7]{55}$ ]] || { echo "line $n: '${nkey:-}' is not an NKey user public key (U…, 56 characters)" >&2; exit 1; }
  [[ -z "${rest:-}" ]] || { echo "line $n: expected 4 fields: <cluster> <rack> <host> <nkey>" >&2; exit 1; }
  subject="kiln.v1.gpu.$cluster.$rack.$host"
  printf '{ nkey: "%s", permissions: { publish: { allow: ["%s", "%s.*", "%s"] }, subscribe: { allow: ["_INBOX_%s.>"] } } }   # %s\n' \
    "$nkey" "$subject" "$subject" "kiln.v1.event.$cluster.$rack.$host" "$host" "$host"
done < <(cat "$@")
