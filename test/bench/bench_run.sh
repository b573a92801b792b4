#!/usr/bin/env bash
# solodyno run beside what a user would run instead, measured in the same run:
#  1. memory (Pss, VmRSS) of the supervising processes with 2 and 3 members:
#     solodyno run; the bash one-liner `a & b & wait -n; kill -SIGTERM -$$;
#     wait`; tini and dumb-init (Debian's packages), which run one child, so
#     they need that one-liner under them to run several members;
#  2. time from SIGTERM to the supervisor's exit, 3 members that exit at once
#     on SIGTERM: solodyno run, `tini -g` and dumb-init over the one-liner;
#  3. bulk output throughput (3,000,000 lines of 100 bytes): prefixed by
#     solodyno run against unprefixed, measured two ways: (a) as issue 13
#     measured it, the member's lines through one pipe each way: `cat | cat`
#     against `solodyno run >/dev/null` (member -> pipe -> solodyno ->
#     /dev/null); (b) to a reader through a pipe, as on Heroku: the member
#     writing straight into it (SOLODYNO_PREFIX=0, which is what tini and
#     dumb-init do) against prefixed (one more pipe: member -> solodyno ->
#     reader). The CPU time solodyno itself spends is steadier than wall time
#     on a shared machine.
# Medians; the machine is shared, so nothing here passes or fails on a number.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SOLODYNO=${SOLODYNO:-build/solodyno}
TINI=$(command -v tini || true)
DUMB_INIT=$(command -v dumb-init || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 1 and 2: memory and stop latency (Python drives the processes) ----------
python3 - "$SOLODYNO" "$tmp" "$TINI" "$DUMB_INIT" <<'PY'
import os, random, signal, statistics, subprocess, sys, time

solodyno, tmp, tini, dumb_init = sys.argv[1:5]
RUNS = 9
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
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


def descendants(pid):
    kids = children(pid)
    return kids + [d for k in kids for d in descendants(k)]


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def wait_for(cond, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.01)
    raise TimeoutError


def members(n):
    return [f"sleep {base + i}" for i in range(n)]


def solodyno_cmd(n, output_kib=0):
    path = os.path.join(tmp, f"Procfile.web.{n}.{output_kib}")
    out = f"head -c {output_kib * 1024} /dev/zero | tr '\\0' x | fold -w 99; " if output_kib else ""
    with open(path, "w") as f:
        for i, m in enumerate(members(n)):
            f.write(f"m{i}: {out}exec {m}\n")
    return [solodyno, "run", path]


def oneliner(n):
    # What Procfiles used before: every member in the background, the first
    # to end stops the group.
    return ["bash", "-c", " & ".join(members(n)) + " & wait -n; kill -SIGTERM -$$; wait"]


def commands(n):
    rows = [("solodyno run", solodyno_cmd(n), n, ())]
    rows.append(("bash one-liner", oneliner(n), n, ()))
    if tini:
        rows.append(("tini -g + bash one-liner", [tini, "-g", "--"] + oneliner(n), n + 1, ("bash",)))
    if dumb_init:
        rows.append(("dumb-init + bash one-liner", [dumb_init] + oneliner(n), n + 1, ("bash",)))
    return rows


def measure_memory(cmd, procs, wrappers, settle=0.3):
    """Pss and VmRSS of the supervisor, and of it plus its wrapping shells."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        wait_for(lambda: len(descendants(p.pid)) >= procs)
        time.sleep(settle)
        own_pss, own_rss = pss_kb(p.pid), status_kb(p.pid, "VmRSS")
        wrap = [d for d in descendants(p.pid) if comm(d) in wrappers]
        return own_pss, own_rss, own_pss + sum(pss_kb(w) for w in wrap)
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait()


def median_of(f, runs=RUNS):
    samples = [f() for _ in range(runs)]
    return tuple(statistics.median(column) for column in zip(*samples))


print(f"memory of the supervising processes, median of {RUNS} runs (kB):")
print(f"  {'what':<44} {'Pss':>6} {'VmRSS':>6} {'Pss with its wrapper':>21}")
for n in (2, 3):
    results = {}
    for label, cmd, procs, wrappers in commands(n):
        results[label] = median_of(lambda: measure_memory(cmd, procs, wrappers))
        pss, rss, total = results[label]
        print(f"  {label + f', {n} members':<44} {pss:>6.0f} {rss:>6.0f} {total:>21.0f}")
    # Sampled a second and a half after the members' output: solodyno run
    # gives a burst's buffers back after a second of quiet.
    out = median_of(lambda: measure_memory(solodyno_cmd(n, 1024), n, (), settle=1.5))
    print(f"  {f'solodyno run, {n} members, after 1 MiB output each':<44} {out[0]:>6.0f} {out[1]:>6.0f} {out[2]:>21.0f}")
    ours = results["solodyno run"][2]
    for label in results:
        if label != "solodyno run":
            print(f"  ratio solodyno run / {label}, {n} members (Pss with wrapper): "
                  f"{ours / results[label][2]:.2f}")


def stop_latency(cmd, procs):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    wait_for(lambda: len(descendants(p.pid)) >= procs)
    time.sleep(0.1)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait()
    elapsed = (time.monotonic() - t0) * 1000
    try:
        os.killpg(p.pid, signal.SIGKILL)  # whatever a supervisor left behind
    except ProcessLookupError:
        pass
    return elapsed, p.returncode


print("SIGTERM to exit, 3 members that exit at once on SIGTERM, 21 runs (ms):")
latency = {}
for label, cmd, procs, _ in commands(3):
    if label == "bash one-liner":
        continue  # bash in `wait -n` dies of SIGTERM and leaves its members running
    times, codes = [], set()
    for _ in range(21):
        ms, code = stop_latency(cmd, procs)
        times.append(ms)
        codes.add(code)
    latency[label] = statistics.median(times)
    print(f"  {label:<28} median {latency[label]:6.2f}  (min {min(times):.2f}, max {max(times):.2f}; "
          f"exit {'/'.join(str(c) for c in sorted(codes))})")
for label in latency:
    if label != "solodyno run":
        print(f"  ratio solodyno run / {label}: {latency['solodyno run'] / latency[label]:.2f}")
PY

# ---- 3: throughput of the prefixer ---------------------------------------------
lines=3000000
python3 -c "
import sys
line = b'x' * 99 + b'\n'
with open(sys.argv[1], 'wb') as f:
    for _ in range($lines // 1000):
        f.write(line * 1000)
" "$tmp/lines"
bytes=$(stat -c %s "$tmp/lines")
# Two members, as on a dyno: one writes the data, the other only waits (and is
# stopped when the first ends). The dyno's log reader is `cat`.
printf 'writer: cat %s\nidle: sleep %s\n' "$tmp/lines" "$((300000 + RANDOM * 4))" >"$tmp/Procfile.tput"
hyperfine --runs 21 --warmup 2 --export-json "$tmp/tput.json" \
  -n "cat | cat" "cat '$tmp/lines' | cat >/dev/null" \
  -n "prefixed, to /dev/null" "'$SOLODYNO' run '$tmp/Procfile.tput' >/dev/null 2>&1; true" \
  -n "unprefixed, to a reader" "SOLODYNO_PREFIX=0 '$SOLODYNO' run '$tmp/Procfile.tput' 2>/dev/null | cat >/dev/null; true" \
  -n "prefixed, to a reader" "'$SOLODYNO' run '$tmp/Procfile.tput' 2>/dev/null | cat >/dev/null; true" >/dev/null 2>&1
# CPU time of the supervisor alone (perf counts no child with --no-inherit).
cpu_ms=""
if command -v perf >/dev/null && perf stat --no-inherit -x, -e task-clock true >/dev/null 2>&1; then
  perf stat --no-inherit -x, -r 11 -e task-clock -o "$tmp/perf.csv" "$SOLODYNO" run "$tmp/Procfile.tput" >/dev/null 2>&1
  cpu_ms=$(grep task-clock "$tmp/perf.csv" | cut -d, -f1)
fi
python3 - "$tmp/tput.json" "$lines" "$bytes" "$cpu_ms" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
lines, size, cpu = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"throughput, {lines} lines of 100 bytes ({size / 1e6:.0f} MB), median of 21 runs:")
for name, r in results.items():
    t = r["median"]
    print(f"  {name:<28} {t * 1000:7.1f} ms  {size / t / 1e6:7.0f} MB/s")
med = {k: r["median"] for k, r in results.items()}
print(f"  ratio prefixed / unprefixed, one pipe each way (issue 13's measure): "
      f"{med['cat | cat'] / med['prefixed, to /dev/null']:.2f}")
print(f"  ratio prefixed / unprefixed, to a reader through a pipe: "
      f"{med['unprefixed, to a reader'] / med['prefixed, to a reader']:.2f}")
if cpu:
    print(f"  CPU time of solodyno run itself, prefixing to /dev/null: {float(cpu):.1f} ms "
          f"({size / (float(cpu) / 1000) / 1e6:.0f} MB per CPU-second)")
PY
