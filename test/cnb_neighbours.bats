#!/usr/bin/env bats
# Cloud Native Buildpack mode beside the real neighbours: heroku/nodejs's
# exec.d web_env (its stand-in, test/fixtures/cnb-buildpacks/nodejs) and
# heroku/ruby's env_defaults layer (test/fixtures/cnb-buildpacks/ruby) run
# before solodyno, in group order, as the lifecycle v0.21.12 runs them
# (test/cnb_lifecycle.py). What `docker run -e` gave the container is yours;
# what they add after the launcher started is a default.

load test_helper
load cnb_helper

setup() {
  common_setup
  cnb_setup
}

teardown() { cnb_teardown; }

json_get() {
  python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], "<unset>"))' "$1" "$2"
}

# heroku/nodejs, heroku/ruby, then this buildpack: heroku/builder's order for
# a Mastodon app.
cnb_group_neighbours() {
  cnb_group_nodejs
  cp -a "$CNB_BUILDPACKS/ruby" "$CNB_BASE/bp-ruby"
  chmod -R a-w "$CNB_BASE/bp-ruby"
  CNB_GROUP=("${CNB_GROUP[0]}" "$CNB_BASE/bp-ruby" "${CNB_GROUP[@]:1}")
}

# A cgroup of MB megabytes, v2 or v1, for web_env and solodyno alike.
cgroup() {
  mkdir -p "$CNB_BASE/cg/memory"
  if [[ "$1" == v2 ]]; then
    echo "$2" >"$CNB_BASE/cg/memory.max"
  else
    echo "$2" >"$CNB_BASE/cg/memory/memory.limit_in_bytes"
  fi
  chmod -R a+rX "$CNB_BASE/cg"
}

@test "heroku/nodejs's web_env always exports WEB_CONCURRENCY: at 2 GB ours replaces its 4, on an unlimited v1 host its 63" {
  cnb_use_fixture mastodon
  cnb_group_neighbours
  # the stamp's env.launch defaults are ours, not another buildpack's
  cnb_config_var SOURCE_VERSION 0123456789abcdef0123456789abcdef01234567
  cnb_build
  assert_success
  cgroup v2 $((2048 * 1024 * 1024))
  local at="WEB_ENV_CGROUP_ROOT=$CNB_BASE/cg" ours="SOLODYNO_CGROUP_ROOT=$CNB_BASE/cg"
  cnb_launch_env web "$at" "$ours" SOLODYNO_CPUS=2 RUN_WORKER=true LOG_CONCURRENCY=true
  assert_success
  assert_equal "$(json_get "$output" WEB_CONCURRENCY)" 2
  assert_equal "$(json_get "$output" WEB_CONCURRENCY_SET_BY)" solodyno
  assert_equal "$(json_get "$output" WEB_MEMORY)" 512
  [[ "$stderr" == *" SOURCE_VERSION=0123456789abcdef0123456789abcdef01234567 "* ]]
  [[ "$stderr" == *"(replacing another buildpack's WEB_CONCURRENCY=4, another buildpack's MALLOC_ARENA_MAX=2)"* ]]
  # cgroup v1 without a limit (8 EiB): web_env says 129024 / 2048 = 63
  rm "$CNB_BASE/cg/memory.max"
  cgroup v1 9223372036854771712
  cnb_launch_env web "$at" "$ours" SOLODYNO_CPUS=8 RUN_WORKER=true
  assert_success
  assert_equal "$(json_get "$output" WEB_MEMORY)" 2048
  assert_equal "$(json_get "$output" WEB_CONCURRENCY)" 1 # unknown memory: the smallest dyno
}

@test "docker run -e values are yours: web_env keeps your WEB_CONCURRENCY, and ours leaves it and your MALLOC_ARENA_MAX" {
  cnb_use_fixture mastodon
  cnb_group_neighbours
  cnb_build
  assert_success
  cgroup v2 $((2048 * 1024 * 1024))
  cnb_launch_env web "WEB_ENV_CGROUP_ROOT=$CNB_BASE/cg" "SOLODYNO_CGROUP_ROOT=$CNB_BASE/cg" SOLODYNO_CPUS=2 \
    RUN_WORKER=true WEB_CONCURRENCY=3 MALLOC_ARENA_MAX=4 LOG_CONCURRENCY=true
  assert_success
  assert_equal "$(json_get "$output" WEB_CONCURRENCY)" 3
  assert_equal "$(json_get "$output" WEB_CONCURRENCY_SET_BY)" "<unset>"
  assert_equal "$(json_get "$output" MALLOC_ARENA_MAX)" 4
  assert_equal "$(json_get "$output" RAILS_ENV)" production # heroku/ruby's, not a knob of ours
  [[ "$stderr" == *"(yours: WEB_CONCURRENCY MALLOC_ARENA_MAX)"* ]]
  [[ "$stderr" != *"replacing"* ]]
}

@test "the web process beside both: Puma gets our WEB_CONCURRENCY over web_env's, and yours when you give one" {
  cnb_use_fixture mastodon
  cnb_group_neighbours
  cnb_build
  assert_success
  cgroup v2 $((2048 * 1024 * 1024))
  cnb_start web "WEB_ENV_CGROUP_ROOT=$CNB_BASE/cg" "SOLODYNO_CGROUP_ROOT=$CNB_BASE/cg" SOLODYNO_CPUS=2 RUN_WORKER=true
  wait_until 20 cnb_stub_started puma
  assert_equal "$(cnb_stub_env puma WEB_CONCURRENCY)" 2
  assert_equal "$(cnb_stub_env puma MALLOC_ARENA_MAX)" 2
  assert_equal "$(cnb_stub_env puma DB_POOL)" 10
  cnb_stop
  rm -f "$CNB_STUB_LOG"/*
  cnb_start web "WEB_ENV_CGROUP_ROOT=$CNB_BASE/cg" "SOLODYNO_CGROUP_ROOT=$CNB_BASE/cg" SOLODYNO_CPUS=2 RUN_WORKER=true \
    WEB_CONCURRENCY=3
  wait_until 20 cnb_stub_started puma
  assert_equal "$(cnb_stub_env puma WEB_CONCURRENCY)" 3
  cnb_stop
}
