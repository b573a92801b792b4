#!/usr/bin/env bash
# Dyno-start cost of the .profile block: `bash -c '. ./.profile'` in the built
# Mastodon fixture with the block, without it (an empty .profile), and with a
# script doing what heroku/nodejs's WEB_CONCURRENCY.sh does (shell arithmetic
# on a memory figure), and with `eval "$(/bin/true)"` (the floor for any block
# that runs a program: one fork and exec), medians over 300 runs each with
# hyperfine, all in the same run. Then `solodyno env --shell` alone, with and
# without --start-env (as the block runs it): wall time and CPU time (user +
# system), beside exec'ing /bin/true.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

runs=${BENCH_RUNS:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/env"
cp -a test/fixtures/mastodon "$tmp/app"
STACK=heroku-24 bin/compile "$tmp/app" "$tmp/cache" "$tmp/env" >/dev/null 2>&1

# Apps that differ only in .profile: empty; ours; the floor of any block that
# runs a program (one fork and exec, of /bin/true); the nodejs-style script.
cp -a "$tmp/app" "$tmp/bare" && : >"$tmp/bare/.profile"
cp -a "$tmp/app" "$tmp/floor"
# shellcheck disable=SC2016 # for the dyno's shell
echo 'eval "$(/bin/true)"' >"$tmp/floor/.profile"
cp -a "$tmp/app" "$tmp/nodejs"
cat >"$tmp/nodejs/.profile" <<'SH'
# What heroku/nodejs's WEB_CONCURRENCY.sh does at boot: a memory figure from
# ulimit -u, then shell arithmetic, then exports.
case $(ulimit -u) in
  256) detected=512 ;;
  512) detected=1024 ;;
  16384) detected=2560 ;;
  32768) detected=14336 ;;
  *) detected=512 ;;
esac
MEMORY_AVAILABLE=${MEMORY_AVAILABLE-$detected}
WEB_MEMORY=${WEB_MEMORY-512}
if [ -z "${WEB_CONCURRENCY:-}" ]; then
  WEB_CONCURRENCY=$((MEMORY_AVAILABLE / WEB_MEMORY))
  if ((WEB_CONCURRENCY < 1)); then WEB_CONCURRENCY=1; elif ((WEB_CONCURRENCY > 32)); then WEB_CONCURRENCY=32; fi
  export WEB_CONCURRENCY_SET_BY=heroku/nodejs
fi
export MEMORY_AVAILABLE WEB_MEMORY WEB_CONCURRENCY
SH

dyno_env=(env -i PATH=/usr/bin:/bin DYNO=web.1 RUN_WORKER=true)
hyperfine -N --runs "$runs" --warmup 20 --export-json "$tmp/profile.json" \
  -n "no block" "${dyno_env[*]} HOME=$tmp/bare bash -c 'cd \$HOME && . ./.profile'" \
  -n "solodyno block" "${dyno_env[*]} HOME=$tmp/app bash -c 'cd \$HOME && . ./.profile'" \
  -n "fork+exec floor" "${dyno_env[*]} HOME=$tmp/floor bash -c 'cd \$HOME && . ./.profile'" \
  -n "nodejs-style script" "${dyno_env[*]} HOME=$tmp/nodejs bash -c 'cd \$HOME && . ./.profile'" \
  >/dev/null

hyperfine -N --runs $((runs * 3)) --warmup 50 --export-json "$tmp/env.json" \
  -n "/bin/true" "/bin/true" \
  -n "solodyno env --shell" "${dyno_env[*]} $tmp/app/.solodyno/bin/solodyno env --app $tmp/app --shell" \
  -n "solodyno env --shell --start-env" "${dyno_env[*]} $tmp/app/.solodyno/bin/solodyno env --app $tmp/app --shell --start-env $$" \
  -n "env -i /bin/true" "${dyno_env[*]} /bin/true" \
  >/dev/null

python3 - "$tmp/profile.json" "$tmp/env.json" <<'PY'
import json, sys
prof = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
env = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
ms = lambda s: s * 1000
bare = prof["no block"]["median"]
print(f"dyno start, bash -c '. ./.profile', median of {len(prof['no block']['times'])} runs:")
for name in ("no block", "solodyno block", "fork+exec floor", "nodejs-style script"):
    r = prof[name]
    print(f"  {name:20s} {ms(r['median']):6.2f} ms   (+{ms(r['median'] - bare):5.2f} ms over no block; "
          f"CPU {ms(r['user'] + r['system']):5.2f} ms)")
block = prof["solodyno block"]["median"] - bare
node = prof["nodejs-style script"]["median"] - bare
print(f"  block added / nodejs-style script added: {block / node:.2f}" if node > 0 else "")
print(f"solodyno env --shell, median of {len(env['solodyno env --shell']['times'])} runs (via env -i):")
for name in ("/bin/true", "env -i /bin/true", "solodyno env --shell", "solodyno env --shell --start-env"):
    r = env[name]
    cpu = (r["user"] + r["system"]) * 1000
    print(f"  {name:33s} wall {ms(r['median']):5.2f} ms   CPU (user+system, mean) {cpu:5.2f} ms")
own = (env["solodyno env --shell"]["user"] + env["solodyno env --shell"]["system"]
       - env["env -i /bin/true"]["user"] - env["env -i /bin/true"]["system"]) * 1000
print(f"  solodyno env's own CPU beyond starting a process: {own:.2f} ms")
start = (env["solodyno env --shell --start-env"]["user"] + env["solodyno env --shell --start-env"]["system"]
         - env["solodyno env --shell"]["user"] - env["solodyno env --shell"]["system"]) * 1000
print(f"  reading the start environment (/proc/PID/environ) adds: {start:.3f} ms of CPU")
PY
