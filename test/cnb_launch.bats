#!/usr/bin/env bats
# Cloud Native Buildpack mode at launch: the image bin/build makes, started the
# way the CNB launcher starts it (test/cnb_lifecycle.py launch: env.launch
# rules, then exec.d with fd 3, then the process's command), with the stubs
# standing in for Puma, Sidekiq and node.
#
# These rely on the build steps and runtime commands of issues 3 to 6:
# `solodyno procfile`, `solodyno run`, `solodyno env` and `solodyno stamp`.

load test_helper
load cnb_helper

setup() {
  common_setup
  cnb_setup
}

teardown() { cnb_teardown; }

# json_get JSON NAME: one variable of cnb_launch_env's output.
json_get() {
  python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], "<unset>"))' "$1" "$2"
}

@test "launch.toml of the Mastodon fixture after the Procfile step: web = solodyno run Procfile.web (default), worker, guarded release, each as bash -c ARG" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  cnb_check
  assert_success
  run python3 -c '
import sys, tomllib
procs = {p["type"]: p for p in tomllib.load(open(sys.argv[1], "rb"))["processes"]}
for p in procs.values():
    assert p["command"] == ["bash", "-c"] and len(p["args"]) == 1, p
assert procs["web"]["args"] == ["solodyno run Procfile.web"] and procs["web"]["default"] is True, procs
assert procs["worker"]["args"] == ["bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\""], procs
assert "RUN_STREAMING" in procs["release"]["args"][0], procs
assert sum(p.get("default", False) for p in procs.values()) == 1
' "$CNB_LAYERS/launch.toml"
  assert_success
  assert_file_exists "$CNB_APP/Procfile.web"
  assert_file_exists "$CNB_APP/Procfile.orig"
}

@test "exec.d: run with fd 3 open, its TOML parses, all strings: the 512 MB web-with-Sidekiq row" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  # The program alone, as the launcher runs it: app as working directory, fd 3 a file.
  run bash -c 'cd "$1" && DYNO=web.1 RUN_WORKER=true SOLODYNO_MEMORY_MB=512 "$2" 3>"$3"' _ \
    "$CNB_APP" "$CNB_LAYERS/solodyno/exec.d/solodyno-env" "$CNB_BASE/fd3.toml"
  assert_success
  run python3 -c '
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
assert d and all(isinstance(v, str) for v in d.values()), d
want = {"WEB_CONCURRENCY": "1", "MAX_THREADS": "3", "DB_POOL": "6", "SIDEKIQ_THREADS": "1",
        "SIDEKIQ_CONCURRENCY": "1", "MAGICK_MEMORY_LIMIT": "268435456", "MAGICK_THREAD_LIMIT": "1",
        "VIPS_CONCURRENCY": "1", "MALLOC_ARENA_MAX": "2"}
for k, v in want.items():
    assert d.get(k) == v, (k, d.get(k), v)
' "$CNB_BASE/fd3.toml"
  assert_success
}

@test "launch env: each process's role comes from env.launch/<process>/DYNO.default; the platform's values win" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  cnb_launch_env web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true
  assert_success
  local web=$output
  assert_equal "$(json_get "$web" DYNO)" web.1
  assert_equal "$(json_get "$web" WEB_CONCURRENCY)" 1
  assert_equal "$(json_get "$web" SIDEKIQ_THREADS)" 1
  [[ "$(json_get "$web" PATH)" == "$CNB_IMAGE/layers/solodyno_solodyno/solodyno/bin:"* ]]

  cnb_launch_env worker SOLODYNO_MEMORY_MB=512
  assert_success
  assert_equal "$(json_get "$output" DYNO)" worker.1
  # A dedicated worker runs more Sidekiq threads than a web dyno sharing them.
  (($(json_get "$output" SIDEKIQ_THREADS) > 1))

  # What the platform sets (docker run -e) is never overridden.
  cnb_launch_env web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true WEB_CONCURRENCY=4 DYNO=web-12a34b56d-e78f9
  assert_success
  assert_equal "$(json_get "$output" WEB_CONCURRENCY)" 4
  assert_equal "$(json_get "$output" DYNO)" web-12a34b56d-e78f9
}

@test "the web process starts the Mastodon members through the launcher, and the stubs see the tuned values" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  cnb_start web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true SOLODYNO_GRACE=5
  wait_until 20 cnb_stub_started puma
  wait_until 20 cnb_stub_started sidekiq
  run http_get "$CNB_PORT"
  assert_success
  assert_output --partial "puma"
  assert_equal "$(cnb_stub_env puma WEB_CONCURRENCY)" 1
  assert_equal "$(cnb_stub_env puma MAX_THREADS)" 3
  assert_equal "$(cnb_stub_env puma DB_POOL)" 6
  assert_equal "$(cnb_stub_env puma DYNO)" web.1
  assert_equal "$(cnb_stub_env sidekiq SIDEKIQ_THREADS)" 1
  run python3 -c 'import json, sys, glob; print(" ".join(json.load(open(sorted(glob.glob(sys.argv[1] + "/sidekiq.*.json"))[0]))["argv"]))' "$CNB_STUB_LOG"
  assert_output "sidekiq -c 1"
  run cnb_stub_started node # no streaming on this app
  assert_failure
  cnb_stop
  assert_equal "$CNB_STATUS" 143
}

@test "release: the migration runs as a one-off process (CNB has no release phase), skipped on a streaming app" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 --entrypoint release
  assert_success
  assert_output --partial "stub rails: db:migrate"
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 -e RUN_STREAMING=true --entrypoint release
  assert_success
  refute_output --partial "db:migrate"
}

@test "the source version stamp: SOURCE_VERSION from pack's --env reaches every process as env.launch defaults" {
  cnb_use_fixture mastodon
  local sha=0123456789abcdef0123456789abcdef01234567
  cnb_config_var SOURCE_VERSION "$sha"
  cnb_build
  assert_success
  cnb_check
  assert_success
  assert_file_exists "$CNB_APP/.solodyno/source-version"
  run cat "$CNB_LAYERS/solodyno/env.launch/SOURCE_VERSION.default"
  assert_output "$sha"
  cnb_launch_env web SOLODYNO_MEMORY_MB=512
  assert_success
  assert_equal "$(json_get "$output" SOURCE_VERSION)" "$sha"
  assert_equal "$(json_get "$output" SOURCE_COMMIT)" "$sha"
  assert_equal "$(json_get "$output" SOURCE_TAG)" "$sha"
  # The version metadata comes from exec.d, so the run-time switch still works.
  assert_equal "$(json_get "$output" MASTODON_VERSION_METADATA)" "${sha:0:7}"
  cnb_launch_env web SOLODYNO_MEMORY_MB=512 SOLODYNO_VERSION_METADATA=0
  assert_success
  assert_equal "$(json_get "$output" MASTODON_VERSION_METADATA)" "<unset>"
  # A value the platform sets at run time wins over the default.
  cnb_launch_env web SOLODYNO_MEMORY_MB=512 SOURCE_VERSION=v9.9.9
  assert_success
  assert_equal "$(json_get "$output" SOURCE_VERSION)" v9.9.9
}

@test "after a rebuild without compiling, the image launches the same way" {
  cnb_use_fixture mastodon
  cnb_recording_cc
  cnb_build
  assert_success
  cnb_restore
  : >"$CNB_BASE/cc-calls"
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  [ ! -s "$CNB_BASE/cc-calls" ]
  cnb_check
  assert_success
  cnb_start web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true SOLODYNO_GRACE=5
  wait_until 20 cnb_stub_started puma
  wait_until 20 cnb_stub_started sidekiq
  assert_equal "$(cnb_stub_env puma WEB_CONCURRENCY)" 1
  cnb_stop
  assert_equal "$CNB_STATUS" 143
}

@test "with heroku/nodejs before us (its stand-in), its exec.d web_env runs first for every process, and its WEB_MEMORY reaches them" {
  cnb_use_fixture mastodon
  cnb_group_nodejs
  cnb_detect
  assert_success
  assert_output --partial "pass: heroku/nodejs@5.7.10"
  assert_output --partial "pass: solodyno/solodyno@"
  cnb_build
  assert_success
  local t
  for t in web worker release; do
    rm -f "$CNB_STUB_LOG/trace"
    cnb_launch_env "$t" SOLODYNO_MEMORY_MB=512 "CNB_EMULATION_TRACE=$CNB_STUB_LOG/trace" WEB_ENV_CGROUP_ROOT=/nonexistent
    assert_success
    assert_equal "$(json_get "$output" WEB_MEMORY)" 512
    run sed 's|.*/layers/||' "$CNB_STUB_LOG/trace"
    assert_output "$(printf 'heroku_nodejs/web_env/exec.d/web_env\nsolodyno_solodyno/solodyno/exec.d/solodyno-env')"
  done
}

@test "docker run IMAGE 'echo hi' replaces the command of every process type, as docker run -it IMAGE bash does" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  local t
  for t in web worker release; do
    run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 --entrypoint "/cnb/process/$t" 'echo "hi from $DYNO"'
    assert_success
    assert_output "hi from $t.1"
  done
  # The image's ENTRYPOINT is /cnb/process/web: `docker run IMAGE CMD`.
  assert_equal "$(cat "$CNB_IMAGE/entrypoint")" /cnb/process/web
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 'echo hi'
  assert_success
  assert_output "hi"
  # docker run -it IMAGE bash: an interactive shell, not a usage error.
  run cnb_docker_run bash <<<'echo "inside $(basename "$0")"; exit 3'
  assert_failure 3
  assert_output "inside bash"
}

@test "the web process: bash execs solodyno run, which is the container's main process and gets docker stop's SIGTERM" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  cnb_start web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true SOLODYNO_GRACE=5
  wait_until 20 cnb_stub_started puma
  assert_equal "$(readlink "/proc/$CNB_PID/exe")" "$CNB_IMAGE/layers/solodyno_solodyno/solodyno/bin/solodyno"
  run tr '\0' ' ' <"/proc/$CNB_PID/cmdline"
  assert_output "solodyno run Procfile.web "
  cnb_stop
  assert_equal "$CNB_STATUS" 143
}

@test "one-offs: docker run --entrypoint launcher IMAGE CMD has no process type: DYNO=run.1, the one-off role, no web tuning" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 --entrypoint launcher 'echo "DYNO=$DYNO WEB_CONCURRENCY=${WEB_CONCURRENCY:-unset}"; solodyno env --explain'
  assert_success
  assert_line --index 0 "DYNO=run.1 WEB_CONCURRENCY=unset"
  assert_output --partial "DYNO=run.1: one-off dyno"
  # Only the process-wide knobs.
  cnb_launch_env_oneoff() {
    run --separate-stderr cnb_docker_run -e SOLODYNO_MEMORY_MB=512 "$@" --entrypoint launcher --print-env -- true
  }
  cnb_launch_env_oneoff
  assert_success
  assert_equal "$(json_get "$output" DYNO)" run.1
  assert_equal "$(json_get "$output" MALLOC_ARENA_MAX)" 2
  assert_equal "$(json_get "$output" DB_POOL)" "<unset>"
  assert_equal "$(json_get "$output" SIDEKIQ_THREADS)" "<unset>"
  # The migration, as the README says to run it.
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 --entrypoint launcher 'bundle exec rails db:migrate'
  assert_success
  assert_output --partial "stub rails: db:migrate"
  # A DYNO the platform sets still wins.
  cnb_launch_env_oneoff -e DYNO=run.4242
  assert_equal "$(json_get "$output" DYNO)" run.4242
}

@test "an app without a Procfile: another buildpack's web process still gets the web role" {
  cnb_use_fixture no-procfile
  cnb_build
  assert_success
  cnb_check
  assert_success
  assert_equal "$(cat "$CNB_LAYERS/solodyno/env.launch/web/DYNO.default")" web.1
}

# ---- where the web process listens: real Puma and real Node ------------------

# A Mastodon app whose web process is real: Puma with a config/puma.rb that
# binds as Mastodon's does, and a streaming server that listens as Mastodon's
# streaming/index.js does (both read BIND; mastodon/mastodon config/puma.rb
# line 12, streaming/index.js attachServerWithConfig).
real_web_app() {
  cnb_use_fixture mastodon
  printf '%s\n' 'web: BIND=0.0.0.0 bundle exec puma -C config/puma.rb' 'worker: bundle exec sidekiq' >"$CNB_APP/Procfile"
  cat >"$CNB_APP/config/puma.rb" <<'RUBY'
threads 1, 1
workers 0
bind "tcp://#{ENV.fetch('BIND', '127.0.0.1')}:#{ENV.fetch('PORT', 3000)}"
RUBY
  printf '%s\n' 'run ->(env) { [200, { "content-type" => "text/plain" }, ["puma here\n"]] }' >"$CNB_APP/config.ru"
  cat >"$CNB_APP/streaming/index.js" <<'JS'
const http = require('http');
const server = http.createServer((req, res) => res.end('streaming here\n'));
server.listen(+(process.env.PORT || 4000), process.env.BIND || '127.0.0.1', () => {
  console.log(`Streaming API now listening on ${server.address().address}:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
JS
  cnb_own "$CNB_APP"
  # The real programs first on the container's PATH (bundle exec is a no-op here).
  mkdir -p "$CNB_BASE/real"
  printf '#!/bin/sh\n[ "$1" = exec ] && shift\nexec "$@"\n' >"$CNB_BASE/real/bundle"
  ln -s "$(command -v puma)" "$CNB_BASE/real/puma"
  ln -s "$(command -v node)" "$CNB_BASE/real/node"
  chmod 755 "$CNB_BASE/real/bundle"
}

# listening PORT: "tcp6 ::" / "tcp 0.0.0.0" ... for each socket listening on
# PORT, from /proc/net/tcp and /proc/net/tcp6 (state 0A), sorted.
listening() {
  python3 - "$1" <<'PY'
import ipaddress, sys
port = int(sys.argv[1])
found = []
for fam in ("tcp", "tcp6"):
    for line in open(f"/proc/net/{fam}").readlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        addr, p = local.split(":")
        if state != "0A" or int(p, 16) != port:
            continue
        raw = bytes.fromhex(addr)
        # /proc/net prints each 32-bit word in host (little-endian) order
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
        found.append(f"{fam} {ipaddress.ip_address(raw)}")
print("\n".join(sorted(found)))
PY
}

# start_real_web [NAME=VALUE ...]: the web process with the real programs; waits until PORT listens.
start_real_web() {
  cnb_start web SOLODYNO_MEMORY_MB=512 SOLODYNO_GRACE=5 "PATH=/cnb/process:$CNB_BASE/real:/usr/local/bin:/usr/bin:/bin" "$@"
  wait_until 30 port_listens "$CNB_PORT" || { cat "$CNB_OUT"; return 1; }
}
port_listens() { [[ -n "$(listening "$1")" ]]; }

@test "Fir: real Puma listens on [::]:\$PORT (IPv6, reachable over ::1), real Node on ::; Cedar 0.0.0.0; a BIND the user set always wins" {
  [[ -e /proc/net/tcp6 ]] || skip "no IPv6 on this machine"
  real_web_app
  cnb_build
  assert_success
  run grep '^puma' "$CNB_APP/Procfile.web"
  assert_output 'puma@!RUN_STREAMING: BIND=${BIND:-0.0.0.0} bundle exec puma -C config/puma.rb'
  local fir=web-12a34b56d-e78f9

  start_real_web "DYNO=$fir"
  run listening "$CNB_PORT"
  assert_output "tcp6 ::"
  run curl -sS -g "http://[::1]:$CNB_PORT/"
  assert_output "puma here"
  cnb_stop
  assert_equal "$CNB_STATUS" 143

  # Cedar (and docker run, DYNO=web.1 from env.launch): IPv4, as before.
  start_real_web
  run listening "$CNB_PORT"
  assert_output "tcp 0.0.0.0"
  cnb_stop

  # The user's BIND wins on Fir, against ours and against the Procfile's 0.0.0.0.
  start_real_web "DYNO=$fir" BIND=127.0.0.1
  run listening "$CNB_PORT"
  assert_output "tcp 127.0.0.1"
  cnb_stop

  # The streaming app of the pipeline on Fir: Node takes the bare "::".
  start_real_web "DYNO=$fir" RUN_STREAMING=true
  run listening "$CNB_PORT"
  assert_output "tcp6 ::"
  run curl -sS -g "http://[::1]:$CNB_PORT/"
  assert_output "streaming here"
  grep -q "Streaming API now listening on :::$CNB_PORT" "$CNB_OUT"
  cnb_stop
  start_real_web RUN_STREAMING=true BIND=127.0.0.1
  run listening "$CNB_PORT"
  assert_output "tcp 127.0.0.1"
  cnb_stop
}

@test "a Fir web dyno through the launcher: IPv6 BIND, the plan within 85 % of memory, ImageMagick within it, and --explain says why" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  local fir=web-12a34b56d-e78f9
  cnb_launch_env web SOLODYNO_MEMORY_MB=1024 RUN_WORKER=true "DYNO=$fir"
  assert_success
  assert_equal "$(json_get "$output" BIND)" "[::]"
  assert_equal "$(json_get "$output" MAGICK_MEMORY_LIMIT)" $((870 * 1024 * 1024 / 2))
  run cnb_docker_run -e SOLODYNO_MEMORY_MB=512 -e RUN_WORKER=true -e "DYNO=$fir" 'solodyno env --explain'
  assert_success
  assert_output --partial "Fir restarts a dyno at 100 % of its memory (no swap): planned within 85 % (435 MB); the smallest plan needs more"
  assert_output --regexp "BIND +\[::\] +Fir: IPv6"
  # Cedar (docker run, DYNO=web.1): no BIND (the member's 0.0.0.0), half the dyno for ImageMagick.
  cnb_launch_env web SOLODYNO_MEMORY_MB=512 RUN_WORKER=true
  assert_equal "$(json_get "$output" BIND)" "<unset>"
  assert_equal "$(json_get "$output" MAGICK_MEMORY_LIMIT)" 268435456
}
