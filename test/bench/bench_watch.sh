#!/usr/bin/env bash
# solodyno run's memory watch and boot order, measured in one run:
#  1. CPU per memory sample (user + system of the supervisor, the kernel's
#     work reading smaps_rollup included) with 3 members and 20 processes,
#     beside one `ps -e -o pid,pgid,rss` (what a shell script watching memory
#     would run each time);
#  2. the supervisor's own memory (VmRSS, RssAnon, Pss) with sampling on
#     (after ~150 samples) and off, and BASE_SOLODYNO's if given (a build of
#     solodyno from before the memory watch, for "today's" figure);
#  3. time from dyno start to the first HTTP 200 with real Puma and Sidekiq
#     whose boots cost BENCH_BOOT_CPU (5) s of CPU each, on one CPU
#     (taskset), in order (the default) against SOLODYNO_BOOT=together, runs
#     interleaved.
# Medians; the machine is shared, so nothing here passes or fails on a number.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

SOLODYNO=${SOLODYNO:-build/solodyno}
tmp=$(mktemp -d)
redis_pid=""
cleanup() {
  if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- 1 and 2: CPU per sample, and the supervisor's memory ------------------------
python3 - "$SOLODYNO" "$tmp" "${BASE_SOLODYNO:-}" <<'PY'
import os, random, signal, statistics, subprocess, sys, time

solodyno, tmp, base = sys.argv[1], sys.argv[2], sys.argv[3]
RUNS = 5
tag = 400000 + random.randrange(0, 40000)
ruby = "ruby -e 'x = \"a\" * 20_000_000; sleep' -- solodyno-bench-%d" % tag


def members(counts):
    # Each member: its first process and count-1 more it started, all Ruby
    # holding 20 MB: 3 members, 20 processes in all.
    return [f"{' '.join([ruby + ' &'] * (c - 1))} exec {ruby}" for c in counts]


def procfile(counts):
    path = os.path.join(tmp, "Procfile.web")
    with open(path, "w") as f:
        for i, m in enumerate(members(counts)):
            f.write(f"m{i}: {m}\n")
    return path


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])


def count_procs():
    out = subprocess.run(["pgrep", "-f", f"solodyno-bench-{tag}"], capture_output=True, text=True).stdout
    return len(out.split())


def wait_for(cond, limit=60.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise TimeoutError


HZ = os.sysconf("SC_CLK_TCK")
path = procfile([7, 7, 6])


def run(sample, seconds, program=None):
    env = {"PATH": os.environ["PATH"], "SOLODYNO_CGROUP_ROOT": "/nonexistent", "SOLODYNO_MEMORY_MB": "4096",
           "SOLODYNO_MEMORY_SAMPLE": sample, "SOLODYNO_METRICS": "1", "DYNO": "web.1"}
    log = os.path.join(tmp, "out")
    out = open(log, "ab")
    p = subprocess.Popen([program or solodyno, "run", path], stdout=out, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for(lambda: count_procs() >= 20)
        time.sleep(0.5)
        mark = os.path.getsize(log)
        t0 = cpu_ticks(p.pid)
        time.sleep(seconds)
        ticks = cpu_ticks(p.pid) - t0
        end = os.path.getsize(log)
        memory = (status_kb(p.pid, "VmRSS"), status_kb(p.pid, "RssAnon"), pss_kb(p.pid))
        with open(log, "rb") as f:
            f.seek(mark)
            samples = f.read(end - mark).count(b"source=web.1 ")
        return ticks / HZ, samples, memory
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
        out.close()
        wait_for(lambda: count_procs() == 0)


per_sample, on_mem, off_mem, base_mem = [], [], [], []
for _ in range(RUNS):
    cpu_on, n_on, mem_on = run("0.1", 15.0)   # about 150 samples
    cpu_off, n_off, mem_off = run("0", 15.0)
    assert n_on >= 100 and n_off == 0, (n_on, n_off)
    per_sample.append((cpu_on - cpu_off) / n_on * 1000)
    on_mem.append(mem_on)
    off_mem.append(mem_off)
    if base:
        base_mem.append(run("0", 2.0, base)[2])

# What a script would run instead, once per sample.
# CPU times tick at 10 ms: measure 50 runs at a time.
ps = []
for _ in range(5):
    r0 = os.times()
    for _ in range(50):
        subprocess.run(["ps", "-e", "-o", "pid,pgid,rss"], stdout=subprocess.DEVNULL, check=True)
    r1 = os.times()
    ps.append((r1.children_user - r0.children_user + r1.children_system - r0.children_system) * 1000 / 50)

ms = statistics.median(per_sample)
print(f"CPU per memory sample, 3 members, 20 Ruby processes: median {ms:.3f} ms "
      f"(min {min(per_sample):.3f}, max {max(per_sample):.3f}, {RUNS} runs of ~150 samples)")
print(f"  one `ps -e -o pid,pgid,rss` on this machine: median {statistics.median(ps):.2f} ms CPU; "
      f"ratio sample / ps: {ms / statistics.median(ps):.2f}")
on = [statistics.median(c) for c in zip(*on_mem)]
off = [statistics.median(c) for c in zip(*off_mem)]
print(f"supervisor memory, median of {RUNS} runs (kB):  VmRSS  RssAnon  Pss")
print(f"  sampling off (SOLODYNO_MEMORY_SAMPLE=0)      {off[0]:6.0f} {off[1]:8.0f} {off[2]:5.0f}")
print(f"  sampling on, after ~150 samples              {on[0]:6.0f} {on[1]:8.0f} {on[2]:5.0f}")
print(f"  difference (on - off)                        {on[0] - off[0]:6.0f} {on[1] - off[1]:8.0f} {on[2] - off[2]:5.0f}")
if base_mem:
    b = [statistics.median(c) for c in zip(*base_mem)]
    print(f"  BASE_SOLODYNO (before the memory watch)      {b[0]:6.0f} {b[1]:8.0f} {b[2]:5.0f}")
    print(f"  difference (on - before)                     {on[0] - b[0]:6.0f} {on[1] - b[1]:8.0f} {on[2] - b[2]:5.0f}")
PY

# ---- 3: time to the first HTTP 200, in order against together ----------------------
for p in ruby puma sidekiq redis-server taskset; do
  command -v "$p" >/dev/null || { echo "boot order: $p missing, skipped"; exit 0; }
done
mkdir -p "$tmp/env"
cp -a test/fixtures/puma-sidekiq-watch "$tmp/app"
STACK=heroku-24 bin/compile "$tmp/app" "$tmp/cache" "$tmp/env" >/dev/null 2>&1
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >/dev/null 2>&1 &
redis_pid=$!
printf 'redis://127.0.0.1:%s/0' "$redis_port" >"$tmp/env/REDIS_URL"
printf true >"$tmp/env/RUN_WORKER"
printf '%s' "${BENCH_BOOT_CPU:-5}" >"$tmp/env/BOOT_CPU_SECONDS"
python3 - "$tmp" "${BENCH_BOOT_CPU:-5}" <<'PY'
import os, signal, socket, statistics, subprocess, sys, time, urllib.request

tmp, burn = sys.argv[1], sys.argv[2]
RUNS = 7


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def first_200(mode):
    port = free_port()
    env_dir = os.path.join(tmp, "env")
    with open(os.path.join(env_dir, "SOLODYNO_BOOT"), "w") as f:
        f.write(mode)
    t0 = time.monotonic()
    p = subprocess.Popen(["taskset", "-c", "0", "bin/local", "start", os.path.join(tmp, "app"), "web",
                          "--env-dir", env_dir, "--port", str(port), "-e", "PATH=/usr/local/bin:/usr/bin:/bin"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - t0 < 120:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(mode)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()


times = {"order": [], "together": []}
for _ in range(RUNS):
    for mode in ("order", "together"):
        times[mode].append(first_200(mode))
o, t = statistics.median(times["order"]), statistics.median(times["together"])
print(f"time to the first HTTP 200, Puma + Sidekiq booting {burn} s of CPU each on one CPU, median of {RUNS}:")
print(f"  in order (default):      {o:5.2f} s  ({', '.join(f'{x:.2f}' for x in times['order'])})")
print(f"  SOLODYNO_BOOT=together:  {t:5.2f} s  ({', '.join(f'{x:.2f}' for x in times['together'])})")
print(f"  ratio in order / together: {o / t:.2f}")
PY
