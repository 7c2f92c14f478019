#!/bin/sh
# Profile apiwarden (one worker, --cpu-prof) under wrk and print the top
# self-time functions. Options are profile.ts's:
#   --duration S, --connections N, --access-log file|off, --top N
set -eu
export PATH=/opt/node24/bin:$PATH
cd "$(dirname "$0")/../.."
for tool in node wrk nginx taskset; do
  command -v "$tool" >/dev/null || { echo "profile: $tool is not installed" >&2; exit 1; }
done
exec node bench/proxy/profile.ts "$@"
