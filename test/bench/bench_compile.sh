#!/usr/bin/env bash
# bin/compile on the Mastodon fixture: cold (empty cache: compiles solodyno) and
# warm (cached binary), median of 10 runs each, with hyperfine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/env"
prepare_app="rm -rf '$tmp/app' && cp -a test/fixtures/mastodon '$tmp/app'"

STACK=heroku-24 hyperfine --runs 10 --warmup 1 --export-json "$tmp/cold.json" \
  --prepare "$prepare_app && rm -rf '$tmp/cache-cold'" \
  -n "bin/compile cold" "bin/compile '$tmp/app' '$tmp/cache-cold' '$tmp/env' >/dev/null 2>&1"
# Fill the warm cache once, then measure.
bash -c "$prepare_app" && STACK=heroku-24 bin/compile "$tmp/app" "$tmp/cache-warm" "$tmp/env" >/dev/null 2>&1
STACK=heroku-24 hyperfine --runs 20 --warmup 2 --export-json "$tmp/warm.json" \
  --prepare "$prepare_app" \
  -n "bin/compile warm" "bin/compile '$tmp/app' '$tmp/cache-warm' '$tmp/env' >/dev/null 2>&1"

python3 - "$tmp/cold.json" "$tmp/warm.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))["results"][0]
    print(f"{r['command']}: median {r['median']*1000:.0f} ms over {len(r['times'])} runs "
          f"(min {r['min']*1000:.0f}, max {r['max']*1000:.0f})")
PY
