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

@test "launch.toml of the Mastodon fixture after the Procfile step: web = solodyno run Procfile.web (default), worker, guarded release" {
  cnb_use_fixture mastodon
  cnb_build
  assert_success
  cnb_check
  assert_success
  run python3 -c '
import sys, tomllib
procs = {p["type"]: p for p in tomllib.load(open(sys.argv[1], "rb"))["processes"]}
assert procs["web"]["command"] == ["solodyno", "run", "Procfile.web"] and procs["web"]["default"] is True, procs
assert procs["worker"]["command"] == ["bash", "-c", "bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\""], procs
assert procs["release"]["command"][:2] == ["bash", "-c"] and "RUN_STREAMING" in procs["release"]["command"][2], procs
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
  [[ "$(json_get "$web" PATH)" == "$CNB_LAYERS/solodyno/bin:"* ]]

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
  _cnb_run_env SOLODYNO_MEMORY_MB=512
  run "${CNB_AS_USER[@]}" env -i "${CNB_RUN_ENV[@]}" python3 "$CNB_TOOL" launch "$CNB_APP" release "$CNB_LAYERS"
  assert_success
  assert_output --partial "stub rails: db:migrate"
  _cnb_run_env SOLODYNO_MEMORY_MB=512 RUN_STREAMING=true
  run "${CNB_AS_USER[@]}" env -i "${CNB_RUN_ENV[@]}" python3 "$CNB_TOOL" launch "$CNB_APP" release "$CNB_LAYERS"
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
