#!/usr/bin/env bash
# Generates the secrets the local examples use, once, with random values: nothing known ships in
# the repository. Written (only when absent, never committed — see .gitignore):
#   deploy/secrets/wxsession-admin, deploy/secrets/wx-secret, deploy/secrets/grafana-admin
#                                            docker-compose
#   k8s/overlays/dev/secrets.env             the dev kustomize overlay
set -euo pipefail
cd "$(dirname "$0")/.."
random() { openssl rand -hex 24; }
write() { [[ -s $1 ]] || { umask 077; printf '%s\n' "$2" >"$1"; echo "wrote $1"; }; }
mkdir -p deploy/secrets
write deploy/secrets/wxsession-admin "$(random)"
write deploy/secrets/wx-secret "$(random)"
write deploy/secrets/grafana-admin "$(random)"
if [[ ! -s k8s/overlays/dev/secrets.env ]]; then
  write k8s/overlays/dev/secrets.env "admin-token=$(random)
wx-secret=$(random)"
fi
