#!/bin/sh
# The proxy benchmark (see bench/README.md). Options are run.ts's:
#   --runs N, --layout shared|split, --duration S, --connections N, --rate R,
#   --only upstream,nginx,haproxy,fastify,apiwarden,apiwarden-nolog, --no-openloop,
#   --report results/<file>.json
set -eu
export PATH=/opt/node24/bin:$PATH
cd "$(dirname "$0")/../.."
for tool in node wrk nginx haproxy taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done
exec node bench/proxy/run.ts "$@"
