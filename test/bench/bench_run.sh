#!/usr/bin/env bash
# solodyno run against what it replaces, measured in the same run:
#  1. memory (VmRSS, RssAnon) of the supervisor with 2 and 3 members, beside
#     the bash one-liner `a & b & wait -n; kill -SIGTERM -$$; wait`;
#  2. line throughput of the prefixer (100-byte lines) against the same data
#     through a plain pipe;
#  3. time from SIGTERM to the supervisor's exit when the members exit at once.
# Medians; the machine is shared, so nothing here passes or fails on a number.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SOLODYNO=${SOLODYNO:-build/solodyno}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 1 and 3: memory and stop latency (Python drives the processes) ----------
python3 - "$SOLODYNO" "$tmp" <<'PY'
import os, random, signal, statistics, subprocess, sys, time

solodyno, tmp = sys.argv[1], sys.argv[2]
RUNS = 7
base = 300000 + random.randrange(0, 40000) * 4  # unique sleeps: never another run's


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def pss_kb(pid):
    # Proportional set size: shared library pages divided among their users.
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def wait_for(cond, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.01)
    raise TimeoutError


def members(n, output_kib=0):
    out = f"head -c {output_kib * 1024} /dev/zero | tr '\\0' x | fold -w 99; " if output_kib else ""
    return [f"{out}exec sleep {base + i}" for i in range(n)]


def solodyno_cmd(n, output_kib=0):
    path = os.path.join(tmp, f"Procfile.web.{n}.{output_kib}")
    with open(path, "w") as f:
        for i, m in enumerate(members(n, output_kib)):
            f.write(f"m{i}: {m}\n")
    return [solodyno, "run", path]


def oneliner_cmd(n):
    # What Procfiles used before: every member in the background, the first to
    # end stops the group.
    line = " & ".join(m.replace("exec ", "") for m in members(n)) + " & wait -n; kill -SIGTERM -$$; wait"
    return ["bash", "-c", line]


def measure_memory(cmd, n, settle=0.3):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        wait_for(lambda: len(children(p.pid)) >= n)
        time.sleep(settle)
        return status_kb(p.pid, "VmRSS"), status_kb(p.pid, "RssAnon"), pss_kb(p.pid)
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait()


def median_memory(cmd, n, settle=0.3):
    samples = [measure_memory(cmd, n, settle) for _ in range(RUNS)]
    return tuple(statistics.median(column) for column in zip(*samples))


print(f"memory of the supervising process, median of {RUNS} runs (kB):")
print(f"  {'what':<52} {'VmRSS':>7} {'RssAnon':>8} {'Pss':>6}")
rows = {}
for n in (2, 3):
    rows[("solodyno", n)] = median_memory(solodyno_cmd(n), n)
    rows[("oneliner", n)] = median_memory(oneliner_cmd(n), n)
    rows[("solodyno-out", n)] = median_memory(solodyno_cmd(n, output_kib=1024), n, settle=1.0)
for n in (2, 3):
    for key, label in (("solodyno", f"solodyno run, {n} members"),
                       ("solodyno-out", f"solodyno run, {n} members, after 1 MiB of output each"),
                       ("oneliner", f"bash one-liner, {n} members")):
        rss, anon, pss = rows[(key, n)]
        print(f"  {label:<52} {rss:>7.0f} {anon:>8.0f} {pss:>6.0f}")
for n in (2, 3):
    (rs, an, ps), (rb, ab, pb) = rows[("solodyno", n)], rows[("oneliner", n)]
    print(f"  ratio solodyno / one-liner, {n} members: VmRSS {rs / rb:.2f}, RssAnon {an / ab:.2f}, "
          f"Pss {ps / pb:.2f}")

# SIGTERM to exit: members are `sleep`, which the kernel ends at once, so this
# is the supervisor's own delay (plus the kernel's) after its last member.
times = []
for _ in range(21):
    p = subprocess.Popen(solodyno_cmd(3), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(children(p.pid)) >= 3)
    time.sleep(0.1)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait()
    times.append((time.monotonic() - t0) * 1000)
    assert p.returncode == 143, p.returncode
print(f"SIGTERM to exit, 3 members exiting at once: median {statistics.median(times):.2f} ms "
      f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)")
PY

# ---- 2: throughput of the prefixer ---------------------------------------------
lines=3000000
python3 -c "
import sys
line = b'x' * 99 + b'\n'
with open(sys.argv[1], 'wb') as f:
    for _ in range($lines // 1000):
        f.write(line * 1000)
" "$tmp/lines"
# Two members, as on a dyno: one writes the data, the other only waits (and
# is stopped when the first ends).
printf 'writer: cat %s\nidle: sleep %s\n' "$tmp/lines" "$((300000 + RANDOM * 4))" >"$tmp/Procfile.tput"
hyperfine --runs 15 --warmup 1 --export-json "$tmp/tput.json" \
  -n "plain pipe" "cat '$tmp/lines' | cat >/dev/null" \
  -n "solodyno run (prefixed)" "'$SOLODYNO' run '$tmp/Procfile.tput' >/dev/null 2>&1; true" >/dev/null
python3 - "$tmp/tput.json" "$lines" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
lines = int(sys.argv[2])
plain, ours = results["plain pipe"]["median"], results["solodyno run (prefixed)"]["median"]
print(f"throughput, {lines} lines of 100 bytes, median of 15 runs:")
print(f"  plain pipe:              {plain * 1000:7.1f} ms  {lines / plain / 1e6:6.2f} M lines/s")
print(f"  solodyno run (prefixed): {ours * 1000:7.1f} ms  {lines / ours / 1e6:6.2f} M lines/s")
print(f"  ratio solodyno / plain pipe (throughput): {plain / ours:.2f}")
# On a shared machine the wall time swings with the load; the CPU time spent
# (all processes of each pipeline, mean of the runs) is steadier.
cpu = {k: (r["user"] + r["system"]) for k, r in results.items()}
print(f"  CPU time, mean: plain pipe {cpu['plain pipe'] * 1000:.0f} ms, "
      f"solodyno run {cpu['solodyno run (prefixed)'] * 1000:.0f} ms "
      f"(ratio {cpu['plain pipe'] / cpu['solodyno run (prefixed)']:.2f})")
PY
