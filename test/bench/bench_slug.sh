#!/usr/bin/env bash
# solodyno-slug against what a user would run instead, in the same run, on a
# generated Mastodon-sized tree (>= 200 MB, >= 40,000 files, text and binary
# mixed; the same tree every time: a fixed seed). Medians with hyperfine.
#
#   tar --sort=name -czf         GNU tar + gzip -6 (Heroku's own slug compiler runs tar czf)
#   tar --sort=name -cf - | pigz -p 2
#   solodyno-slug                (-j 1: one compression thread)
#   solodyno-slug -j 2
#
# Goals (never pass/fail: the machine is shared): -j 1 <= 1.0x tar's time at
# <= 1.01x its size; -j 2 <= 0.6x tar's time.
#
# BENCH_RUNS (default 5) sets the number of runs of each command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SLUG=${SOLODYNO_SLUG:-build/solodyno-slug}
[[ -x "$SLUG" ]] || {
  echo "bench_slug: $SLUG not built (libarchive's headers missing?); skipped" >&2
  exit 0
}
RUNS=${BENCH_RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/tree" <<'PY'
# A deterministic stand-in for a built Mastodon: node_modules (many small JS
# files), vendor/bundle (Ruby sources, compiled extensions), public/packs
# (minified bundles, source maps, images and fonts that do not compress),
# the app's own code.
import os, random, sys

root = sys.argv[1]
rng = random.Random(20240601)
syll = ["con", "st", "ret", "urn", "fun", "ction", "var", "let", "def", "end", "self", "this",
        "prop", "ert", "ies", "get", "set", "map", "red", "uce", "acc", "ount", "sta", "tus",
        "med", "ia", "att", "ach", "ment", "noti", "fic", "ation", "cli", "ent", "user", "id"]
words = ["".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(3000)]
punct = [" = ", "(", ")", ".", ", ", " => ", "; ", " { ", " }", " + ", " if ", " do |x| "]

def line():
    n = rng.randint(2, 14)
    parts = [" " * (2 * rng.randint(0, 4))]
    for _ in range(n):
        parts.append(rng.choice(words))
        parts.append(rng.choice(punct))
    return "".join(parts) + "\n"

corpus = [line() for _ in range(40000)]
total = {"files": 0, "bytes": 0}

def text(path, size):
    out, n = [], 0
    while n < size:
        l = rng.choice(corpus)
        out.append(l)
        n += len(l)
    write(path, "".join(out).encode())

def incompressible(path, size):
    write(path, rng.randbytes(size))

def object_code(path, size):
    # Compiled code: runs of random bytes between zeros and repeated tables.
    out, n = [], 0
    while n < size:
        k = rng.randint(16, 512)
        chunk = rng.choice((rng.randbytes(k), b"\0" * k, rng.randbytes(8) * (k // 8)))
        out.append(chunk)
        n += len(chunk)
    write(path, b"".join(out)[:size])

def write(path, data):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)
    total["files"] += 1
    total["bytes"] += len(data)

def small():
    return int(rng.lognormvariate(7.6, 1.1)) + 40   # median ~2 KB, long tail

# node_modules: ~1,400 packages, ~26,000 files.
for p in range(1400):
    pkg = "node_modules/%s%s" % ("@scope%d/" % (p % 40) if p % 5 == 0 else "", rng.choice(words) + str(p))
    for f in range(rng.randint(4, 34)):
        sub = rng.choice(["", "lib/", "dist/", "src/", "lib/util/"])
        ext = rng.choice([".js", ".js", ".js", ".d.ts", ".json", ".md", ".map"])
        text("%s/%s%s%d%s" % (pkg, sub, rng.choice(words), f, ext), small())
    if p % 60 == 0:
        object_code("%s/build/Release/binding.node" % pkg, rng.randint(200_000, 2_000_000))
# vendor/bundle: ~220 gems, ~13,000 files.
for g in range(220):
    gem = "vendor/bundle/ruby/3.3.0/gems/%s-%d.%d.%d" % (rng.choice(words), g % 9, g % 7, g % 5)
    for f in range(rng.randint(10, 110)):
        sub = rng.choice(["lib/", "lib/%s/" % rng.choice(words), "spec/", "test/"])
        text("%s/%s%s%d.rb" % (gem, sub, rng.choice(words), f), small())
    if g % 8 == 0:
        object_code("%s/lib/%s.so" % (gem, rng.choice(words)), rng.randint(300_000, 3_000_000))
# public/packs: bundles, source maps, images and fonts.
for f in range(260):
    text("public/packs/js/chunk-%d.js" % f, rng.randint(20_000, 400_000))
    text("public/packs/js/chunk-%d.js.map" % f, rng.randint(40_000, 300_000))
for f in range(900):
    incompressible("public/packs/media/img-%d.png" % f, rng.randint(5_000, 80_000))
for f in range(120):
    incompressible("public/packs/media/font-%d.woff2" % f, rng.randint(20_000, 120_000))
# The app itself.
for f in range(2600):
    text("app/%s/%s_%d.rb" % (rng.choice(["models", "controllers", "services", "workers", "lib"]),
                              rng.choice(words), f), small())
while total["files"] < 40500:
    text("config/locales/%s-%d.yml" % (rng.choice(words), total["files"]), small())
print("tree: %d files, %.1f MB" % (total["files"], total["bytes"] / 1048576))
PY

cd "$tmp"
sync
hyperfine --runs "$RUNS" --warmup 1 --export-json results.json \
  -n "tar --sort=name -czf (gzip -6)" "tar --sort=name -czf out-tar.tgz -C tree ." \
  -n "tar | pigz -p 2" "tar --sort=name -cf - -C tree . | pigz -p 2 >out-pigz.tgz" \
  -n "solodyno-slug -j 1" "'$OLDPWD/$SLUG' -o out-slug1.tgz tree >/dev/null" \
  -n "solodyno-slug -j 2" "'$OLDPWD/$SLUG' -j 2 -o out-slug2.tgz tree >/dev/null"

python3 - <<'PY'
import json, os
res = {r["command"]: r for r in json.load(open("results.json"))["results"]}
sizes = {"tar --sort=name -czf (gzip -6)": "out-tar.tgz", "tar | pigz -p 2": "out-pigz.tgz",
         "solodyno-slug -j 1": "out-slug1.tgz", "solodyno-slug -j 2": "out-slug2.tgz"}
base_t = res["tar --sort=name -czf (gzip -6)"]["median"]
base_s = os.path.getsize("out-tar.tgz")
print("%-32s %9s %7s %14s %7s" % ("command", "median s", "x tar", "bytes", "x tar"))
for name, path in sizes.items():
    r = res[name]
    s = os.path.getsize(path)
    print("%-32s %9.2f %7.2f %14d %7.4f   (min %.2f, max %.2f, %d runs)" % (
        name, r["median"], r["median"] / base_t, s, s / base_s, r["min"], r["max"], len(r["times"])))
PY
