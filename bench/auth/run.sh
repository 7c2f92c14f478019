#!/bin/sh
# The auth benchmark (see bench/README.md, "bench/auth"). Options are run.ts's:
#   --runs N, --layout split|shared, --duration S, --warmup S, --connections N,
#   --tokens N, --only anonymous,public,apikey,jwt,jwt-many,jwt-cold,
#   --profile anonymous,jwt [--profile-only], --report results/<file>.json
set -eu
export PATH=/opt/node24/bin:$PATH
cd "$(dirname "$0")/../.."
for tool in node wrk nginx taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done
exec node bench/auth/run.ts "$@"
