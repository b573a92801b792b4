#!/usr/bin/env bats
# make demo (test/demo) end to end, with the real programs: its output is parsed
# for what Puma answered, the dyno's exit, the job's fate and the evidence read
# from Redis, Sidekiq's own log of what it did, and the slug.

load test_helper

setup() {
  common_setup
  for program in bundle puma sidekiq redis-server redis-cli ruby; do
    command -v "$program" >/dev/null || fail "$program is needed (see test/packages.txt)"
  done
}

# run_demo [NAME=VALUE]...: runs test/demo with those settings (as `run`).
run_demo() {
  run env "$@" "$BP_DIR/test/demo" 3>&-
  echo "$output"
}

# The value after "PREFIX" on the demo's first line that starts with it.
line_after() {
  sed -n "s|^       $1||p" <<<"$output" | head -n 1
}

# Checks what every run shows, and sets JID (the job) and FATE (the outcome).
assert_demo_ran() {
  assert_success
  # Puma answered: the body carries Puma's own SERVER_SOFTWARE, and the pid
  # that answered is a process Puma named.
  assert_output --regexp "GET http://127\.0\.0\.1:[0-9]+/ answered by puma [0-9]+\.[0-9]+\.[0-9]+ [^(]*\(pid [0-9]+: puma[: ]"
  assert_output --regexp "puma +\| .*Puma version: [0-9]"
  # Puma enqueued a job, and the layout's sidekiq member (bundle exec sidekiq)
  # ran it.
  JID=$(line_after "POST /jobs?seconds=[0-9.]*: Puma enqueued DemoWorker job " | cut -d' ' -f1)
  [[ "$JID" =~ ^[0-9a-f]{24}$ ]] || fail "no job id in the output (got '$JID')"
  assert_output --regexp "sidekiq \| .*class=DemoWorker jid=$JID INFO: start"
  # A Heroku-style stop: solodyno was sent SIGTERM and exits 128+15; nobody
  # needed SIGKILL, as the work ended within the grace.
  assert_output --partial "solodyno: SIGTERM received"
  assert_output --regexp "       dyno exited with status 143 after [0-9.]+ s"
  refute_output --partial "SIGKILL to"
  refute_output --partial "processes left after"
  # One fate line, one of the two outcomes.
  [ "$(grep -c '^       Job fate: ' <<<"$output")" -eq 1 ]
  FATE=$(line_after "Job fate: " | sed 's/:.*//')
  [[ "$FATE" == "finished" || "$FATE" == "back in the queue" ]] || fail "unexpected fate '$FATE'"
  # The slug was written and reported.
  assert_output --regexp "Slug written to /[^ ]+/slug\.tgz"
  assert_output --regexp "Checksum: SHA256:[0-9a-f]{64}"
}

# The fate agrees with what the demo read from Redis and with Sidekiq's log.
assert_fate_agrees() {
  local result queued
  result=$(grep -A1 "^       redis> GET demo:result:$JID\$" <<<"$output" | sed -n '2s/^         //p')
  queued=$(grep -A1 "^       redis> LRANGE queue:default 0 -1 " <<<"$output" | sed -n '2s/^         //p')
  case "$FATE" in
    finished)
      [[ "$result" == "worked "*" s in pid "* ]] || fail "finished, but the result key reads '$result'"
      [ "$queued" = "(none)" ]
      assert_output --regexp "sidekiq \| .*class=DemoWorker jid=$JID elapsed=[0-9.]+ INFO: done"
      refute_output --partial "Pushed 1 jobs back to Redis"
      ;;
    "back in the queue")
      [ "$result" = "(nil)" ]
      [[ "$queued" == *"\"class\":\"DemoWorker\""* && "$queued" == *"\"jid\":\"$JID\""* ]] ||
        fail "back in the queue, but queue:default holds '$queued'"
      assert_output --regexp "sidekiq \| .*INFO: Pushed 1 jobs back to Redis"
      ;;
  esac
}

# Nothing the demo started is left: its Redis port is closed, no process runs
# in its (removed) directory.
assert_demo_cleaned_up() {
  local redis_port dir p
  redis_port=$(sed -n 's/^-----> Starting Redis on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' <<<"$output")
  dir=$(sed -n 's|^-----> Building it into \(/.*\)/app (bin/local build)$|\1|p' <<<"$output" | head -n 1)
  [ -n "$redis_port" ]
  [ -n "$dir" ]
  assert_not_exist "$dir"
  for p in /proc/[0-9]*; do
    if tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "HOME=$dir/app"; then
      fail "left running: $(tr '\0' ' ' <"$p/cmdline")"
    fi
  done
  run redis-cli -p "$redis_port" ping
  refute_output PONG
}

@test "demo: Puma answers, a job longer than Sidekiq's shutdown timeout goes back to Redis, the slug is written" {
  run_demo DEMO_JOB_SECONDS=30 DEMO_SIDEKIQ_TIMEOUT=2
  assert_demo_ran
  [ "$FATE" = "back in the queue" ]
  assert_fate_agrees
  assert_demo_cleaned_up
}

@test "demo: a job within Sidekiq's shutdown timeout finishes during the Heroku-style stop" {
  run_demo DEMO_JOB_SECONDS=3 DEMO_SIDEKIQ_TIMEOUT=20
  assert_demo_ran
  [ "$FATE" = "finished" ]
  assert_fate_agrees
  # It ended after the stop began: Sidekiq logged its shutdown, then the job's end.
  local shutting_down done_at
  shutting_down=$(grep -n "sidekiq | .*INFO: Shutting down" <<<"$output" | head -n 1 | cut -d: -f1)
  done_at=$(grep -n "sidekiq | .*jid=$JID elapsed=[0-9.]* INFO: done" <<<"$output" | head -n 1 | cut -d: -f1)
  [ -n "$shutting_down" ] && [ -n "$done_at" ]
  [ "$shutting_down" -lt "$done_at" ]
  assert_demo_cleaned_up
}

@test "demo: bad settings are refused before anything starts" {
  run_demo DEMO_JOB_SECONDS=soon
  assert_failure
  assert_output --partial "DEMO_JOB_SECONDS: a number of seconds"
  refute_output --partial "Building"
  run_demo DEMO_SIDEKIQ_TIMEOUT=0
  assert_failure
  assert_output --partial "DEMO_SIDEKIQ_TIMEOUT: whole seconds, 1 or more"
}
