#!/usr/bin/env bash
# A Procfile near the 4 MiB cap (about 210,000 process types, Mastodon's web
# and worker lines among them): the build's Procfile step (`solodyno procfile`:
# reads it, lays it out, writes it, reads Procfile.web back), and the slug's
# --json body from the built app (reads it again, every type that counts).
# Beside them, what a user could run instead on the same file to find its
# duplicate names: awk with a hash table, the floor of reading it once.
# Medians over 10 runs each with hyperfine, in the same run. Goal: the step
# well under 0.5 s (comparing every line with every earlier one, as before,
# took minutes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a test/fixtures/mastodon "$tmp/app"
# 8 KiB short of the cap, so the laid-out Procfile still fits in 4 MiB.
python3 - "$tmp/Procfile" <<'PY'
import sys
cap = 4 * 1024 * 1024 - 8192
with open(sys.argv[1], "w") as f:
    size = f.write("web: bin/heroku-web\n")
    i = 0
    while size < cap - 100:
        size += f.write(f"job{i}: bundle exec rake jobs:work QUEUE=q{i}\n")
        i += 1
    f.write("worker: bundle exec sidekiq\n")
PY
lines=$(wc -l <"$tmp/Procfile")
bytes=$(stat -c %s "$tmp/Procfile")
echo "Procfile: $lines lines, $bytes bytes"

solodyno=build/solodyno
prepare="rm -f '$tmp/app/Procfile.web' '$tmp/app/Procfile.orig' && cp '$tmp/Procfile' '$tmp/app/Procfile'"
hyperfine --runs 10 --warmup 1 --export-json "$tmp/step.json" --prepare "$prepare" \
  -n "solodyno procfile (the build step)" "$solodyno procfile '$tmp/app' >/dev/null 2>&1" \
  -n "awk: duplicate names (reference)" "awk -F: 'seen[\$1]++' '$tmp/Procfile' >/dev/null" >/dev/null
json_runs=()
if [[ -x build/solodyno-slug ]]; then
  bash -c "$prepare" && "$solodyno" procfile "$tmp/app" >/dev/null 2>&1
  mkdir -p "$tmp/out"
  hyperfine --runs 10 --warmup 1 --export-json "$tmp/json.json" \
    -n "solodyno-slug --json (packs, then reads the Procfile)" \
    "build/solodyno-slug --json -o '$tmp/out/slug.tgz' '$tmp/app' >/dev/null 2>&1" >/dev/null
  json_runs=("$tmp/json.json")
fi

python3 - "$tmp/step.json" "${json_runs[@]}" <<'PY'
import json, sys
results = [r for path in sys.argv[1:] for r in json.load(open(path))["results"]]
ref = next(r for r in results if r["command"].startswith("awk"))
for r in results:
    print(f"{r['command']}: median {r['median']*1000:.0f} ms over {len(r['times'])} runs "
          f"(min {r['min']*1000:.0f}, max {r['max']*1000:.0f}; {r['median']/ref['median']:.1f}x awk)")
PY
