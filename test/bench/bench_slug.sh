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
# The commands run in interleaved rounds (one run of each per round, the order
# rotating), so that a burst of load from other work on a shared machine hits
# all of them alike; medians of wall time and of CPU time (user + system of
# every process of the command) over BENCH_RUNS rounds (default 7), after one
# warm-up round. hyperfine runs each command's runs back to back, which a
# shared machine's changing load turns into noise between commands.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SLUG=${SOLODYNO_SLUG:-build/solodyno-slug}
[[ -x "$SLUG" ]] || {
  echo "bench_slug: $SLUG not built (libarchive's headers missing?); skipped" >&2
  exit 0
}
RUNS=${BENCH_RUNS:-7}
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
    return int(rng.lognormvariate(7.4, 1.1)) + 40   # median ~1.6 KB, mean ~3 KB, long tail

# node_modules: ~1,400 packages, ~26,000 files.
for p in range(1400):
    pkg = "node_modules/%s%s" % ("@scope%d/" % (p % 40) if p % 5 == 0 else "", rng.choice(words) + str(p))
    for f in range(rng.randint(4, 34)):
        sub = rng.choice(["", "lib/", "dist/", "src/", "lib/util/"])
        ext = rng.choice([".js", ".js", ".js", ".d.ts", ".json", ".md", ".map"])
        text("%s/%s%s%d%s" % (pkg, sub, rng.choice(words), f, ext), small())
    if p % 120 == 0:
        object_code("%s/build/Release/binding.node" % pkg, rng.randint(200_000, 2_000_000))
# vendor/bundle: ~220 gems, ~13,000 files.
for g in range(220):
    gem = "vendor/bundle/ruby/3.3.0/gems/%s-%d.%d.%d" % (rng.choice(words), g % 9, g % 7, g % 5)
    for f in range(rng.randint(10, 110)):
        sub = rng.choice(["lib/", "lib/%s/" % rng.choice(words), "spec/", "test/"])
        text("%s/%s%s%d.rb" % (gem, sub, rng.choice(words), f), small())
    if g % 16 == 0:
        object_code("%s/lib/%s.so" % (gem, rng.choice(words)), rng.randint(300_000, 3_000_000))
# public/packs: bundles, source maps, images and fonts.
for f in range(150):
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
SLUG_ABS="$OLDPWD/$SLUG" RUNS="$RUNS" python3 - <<'PY'
import os, resource, statistics, subprocess, time

slug = os.environ["SLUG_ABS"]
runs = int(os.environ["RUNS"])
commands = [
    ("tar --sort=name -czf (gzip -6)", "tar --sort=name -czf out-tar.tgz -C tree .", "out-tar.tgz"),
    ("tar | pigz -p 2", "tar --sort=name -cf - -C tree . | pigz -p 2 >out-pigz.tgz", "out-pigz.tgz"),
    ("solodyno-slug (-j 1)", "'%s' -o out-slug1.tgz tree >/dev/null" % slug, "out-slug1.tgz"),
    ("solodyno-slug -j 2", "'%s' -j 2 -o out-slug2.tgz tree >/dev/null" % slug, "out-slug2.tgz"),
]

def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(["bash", "-c", cmd], check=True)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu

wall = {c[0]: [] for c in commands}
cpu = {c[0]: [] for c in commands}
for i, c in enumerate(commands):   # warm-up round
    run(c[1])
for r in range(runs):
    order = commands[r % len(commands):] + commands[:r % len(commands)]
    for name, cmd, _ in order:
        w, c = run(cmd)
        wall[name].append(w)
        cpu[name].append(c)
    print("round %d/%d done" % (r + 1, runs), flush=True)

base = commands[0][0]
bw, bc = statistics.median(wall[base]), statistics.median(cpu[base])
bs = os.path.getsize(commands[0][2])
print("\n%-31s %8s %6s  %8s %6s  %12s %7s" % ("command (medians of %d rounds)" % runs,
      "wall s", "x tar", "cpu s", "x tar", "bytes", "x tar"))
for name, _, out in commands:
    w, c, s = statistics.median(wall[name]), statistics.median(cpu[name]), os.path.getsize(out)
    print("%-31s %8.2f %6.2f  %8.2f %6.2f  %12d %7.4f   wall min %.2f max %.2f" % (
        name, w, w / bw, c, c / bc, s, s / bs, min(wall[name]), max(wall[name])))
with open("/proc/loadavg") as f:
    print("\nload average at the end: %s (2 cores shared with other work)" % " ".join(f.read().split()[:3]))
PY
