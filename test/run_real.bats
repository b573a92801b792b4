#!/usr/bin/env bats
# solodyno run with the real programs it supervises on a Mastodon web dyno:
# Debian's Puma 5.6 and Sidekiq 6.4 (ruby-sidekiq) with a Redis of our own,
# and Node, built by bin/compile and started and stopped as Heroku does.

load run_helper
load redis_helper

setup() {
  run_setup
}

teardown() {
  run_teardown
}

# Builds the fixture with bin/compile and starts its web dyno: Puma and Sidekiq
# under solodyno run, with Redis at $REDIS_PORT.
start_real_web_dyno() {
  local program
  for program in puma sidekiq redis-server redis-cli ruby; do
    command -v "$program" >/dev/null || fail "$program is needed (see test/packages.txt)"
  done
  use_fixture real-puma-sidekiq
  compile_app
  assert_success
  start_own_redis
  config_var REDIS_URL "redis://127.0.0.1:$REDIS_PORT/0"
  config_var RUN_WORKER true
  # The real Debian programs, not the stubs (.profile adds .solodyno/bin).
  start_dyno web -e "PATH=/usr/local/bin:/usr/bin:/bin" -e "SOLODYNO_RUN_DIR=$SOLODYNO_RUN_DIR" "$@"
  wait_until 60 http_get "$DYNO_PORT"
  wait_until 60 grep -q "sidekiq | .*Booting Sidekiq" "$DYNO_OUT"
}

# enqueue MARKER SECONDS: a SleepJob through Sidekiq::Client; prints its jid.
enqueue() {
  (cd "$APP" && REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" ruby enqueue.rb "$1" "$2" 2>/dev/null)
}

job_started() {
  [[ -n "$(redis_do lrange "$1:started" 0 -1)" ]]
}

job_done() {
  [[ -n "$(redis_do get "$1:done")" ]]
}

@test "run, real programs: Puma answers, and a Heroku-style stop during a Sidekiq job loses no job" {
  start_real_web_dyno
  run http_get "$DYNO_PORT"
  assert_output --partial "hello from puma"
  local jid
  jid=$(enqueue job1 2)
  [ -n "$jid" ]
  wait_until 30 job_started job1
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  # No job lost: done, or handed back to the queue by Sidekiq's shutdown.
  if [[ -z "$(redis_do get job1:done)" ]]; then
    run redis_do lrange queue:default 0 -1
    assert_output --partial "\"jid\":\"$jid\""
  fi
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: SIGTERM received"
  assert_output --partial "puma    | - Gracefully stopping, waiting for requests to finish"
  assert_output --regexp "sidekiq \| .*INFO: Bye!"
  assert_output --partial "solodyno: sidekiq stopped (exit status 0)"
  # Within the grace: neither our SIGKILL nor bin/local's (Heroku's) was needed.
  refute_output --partial "SIGKILL to"
  refute_output --partial "processes left after"
}

@test "run, real programs: a job longer than Sidekiq's shutdown timeout is pushed back to Redis" {
  start_real_web_dyno -e SIDEKIQ_TIMEOUT=1
  local jid
  jid=$(enqueue job2 30)
  wait_until 30 job_started job2
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  run redis_do get job2:done
  assert_output ""
  run redis_do lrange queue:default 0 -1
  assert_output --partial "\"jid\":\"$jid\""
  run cat "$DYNO_OUT"
  assert_output --regexp "sidekiq \| .*Pushed 1 jobs back to Redis"
  refute_output --partial "SIGKILL to"
  refute_output --partial "processes left after"
}

# The pid of the dyno's solodyno run (the state file names it).
supervisor_pid() {
  local f
  f=$(compgen -G "$SOLODYNO_RUN_DIR/run-*" | head -n 1)
  [[ -n "$f" ]] && sed -n 's/^pid \([0-9]*\) .*/\1/p' "$f"
}

# ---- control signals reach one member (item 2 of issue 13) ----------------------------

@test "run, real programs: USR1 and USR2 to the supervisor neither kill Sidekiq nor lose its job" {
  start_real_web_dyno
  local jid sup
  jid=$(enqueue job3 3)
  wait_until 30 job_started job3
  sup=$(supervisor_pid)
  # Free Sidekiq 6 traps neither: passed on, they would kill it mid-job
  # (the dyno then exits 138 or 140).
  kill -USR1 "$sup"
  kill -USR2 "$sup"
  wait_until 30 job_done job3
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: SIGUSR1 received: not passed on"
  assert_output --partial "solodyno: SIGUSR2 received: not passed on"
  refute_output --partial "sidekiq exited"
  refute_output --partial "sidekiq was killed"
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
}

@test "run, real programs: solodyno signal sidekiq TSTP quiets Sidekiq (no new job), TTIN dumps its threads; Puma takes USR1" {
  start_real_web_dyno
  run env SOLODYNO_RUN_DIR="$SOLODYNO_RUN_DIR" "$APP/.solodyno/bin/solodyno" signal sidekiq TSTP
  assert_success
  assert_output --regexp "SIGTSTP sent to sidekiq \(pid [0-9]+: .*sidekiq"
  wait_until 30 grep -q "sidekiq | .*Received TSTP, no longer accepting new work" "$DYNO_OUT"
  # Quiet: a job enqueued now waits in Redis.
  local jid
  jid=$(enqueue job4 0.1)
  sleep 2
  run redis_do lrange queue:default 0 -1
  assert_output --partial "\"jid\":\"$jid\""
  run env SOLODYNO_RUN_DIR="$SOLODYNO_RUN_DIR" "$APP/.solodyno/bin/solodyno" signal sidekiq TTIN
  assert_success
  wait_until 30 grep -q "sidekiq | .*Thread TID-" "$DYNO_OUT"
  # Puma's USR1 is a phased restart; in single mode it restarts, and answers.
  run env SOLODYNO_RUN_DIR="$SOLODYNO_RUN_DIR" "$APP/.solodyno/bin/solodyno" signal puma USR1
  assert_success
  wait_until 30 grep -q "puma    | \* phased-restart called but not available, restarting normally." "$DYNO_OUT"
  wait_until 60 http_get "$DYNO_PORT"
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  run cat "$DYNO_OUT"
  refute_output --partial "SIGKILL to"
}

@test "run, real programs: Node is untouched by USR1 and USR2 sent to the supervisor (no inspector, no death)" {
  command -v node >/dev/null || fail "node is needed (see test/packages.txt)"
  local port
  port=$(free_port)
  cat >"$W/server.js" <<'JS'
require("http").createServer((req, res) => res.end("hello from node\n")).listen(process.env.PORT, "127.0.0.1");
console.log("node listening");
JS
  { echo "streaming: PORT=$port exec node $W/server.js"
    echo "other: sleep $S1"
  } | web_file
  start_supervisor
  wait_until 30 http_get "$port"
  kill -USR1 "$SUP"
  kill -USR2 "$SUP"
  wait_until 10 grep -q "SIGUSR2 received" "$W/err"
  run http_get "$port"
  assert_output "hello from node"
  run cat "$W/out" "$W/err"
  refute_output --partial "Debugger listening"
  refute_output --partial "streaming was killed"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/err"
  # Node's own SIGTERM handling: it exits at once (128 + 15).
  assert_output --regexp "streaming stopped \((SIGTERM|exit status 143)\)"
}

# ---- processes inherited from .profile.d (item 8) ---------------------------------------

# A .profile.d script that starts a background loop, as the heroku/metrics
# buildpack does for its agent (.profile.d/heroku-metrics-daemon.sh runs
# `(while true; do agentmon ...; sleep 1; done) &`): when the dyno's shell
# execs the Procfile command, the loop becomes solodyno's child.
add_profile_agent() {
  mkdir -p "$APP/.profile.d"
  cat >"$APP/.profile.d/zz-agent.sh" <<SH
(while true; do sleep $S3; done) &
echo \$! >"$W/agent.pid"
SH
}

@test "run, real programs: after a member crash the .profile.d agent is stopped with the dyno, and named" {
  use_fixture real-puma-sidekiq
  add_profile_agent
  for program in puma sidekiq redis-server; do command -v "$program" >/dev/null || fail "$program is needed"; done
  compile_app
  assert_success
  start_own_redis
  config_var REDIS_URL "redis://127.0.0.1:$REDIS_PORT/0"
  config_var RUN_WORKER true
  start_dyno web -e "PATH=/usr/local/bin:/usr/bin:/bin" -e "SOLODYNO_RUN_DIR=$SOLODYNO_RUN_DIR"
  wait_until 60 http_get "$DYNO_PORT"
  wait_until 60 grep -q "sidekiq | .*Booting Sidekiq" "$DYNO_OUT"
  local agent jid
  agent=$(cat "$W/agent.pid")
  run cat "$DYNO_OUT"
  assert_output --regexp "solodyno: [0-9]+ process(es)? already running under solodyno run \(left by the shell that ran it, from .profile.d for one\): (.*, )?$agent \(bash[^)]*\)"
  jid=$(enqueue job5 2)
  wait_until 30 job_started job5
  # Puma crashes: the dyno ends, Sidekiq finishes or hands back its job, and
  # the agent loop and its sleep get SIGTERM at once, not SIGKILL at the end
  # of the grace.
  "$APP/.solodyno/bin/solodyno" signal puma KILL
  DYNO_STATUS=0
  wait "$DYNO_LAUNCHER" || DYNO_STATUS=$?
  [ "$DYNO_STATUS" -eq 137 ]
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: puma was killed by SIGKILL, which ends the dyno; stopping the others"
  assert_output --partial "solodyno: sidekiq stopped (exit status 0)"
  refute_output --partial "SIGKILL to"
  refute_output --partial "waiting for"
  refute_output --partial "processes left after"
  run alive "sleep $S3"
  assert_failure
  if [[ -z "$(redis_do get job5:done)" ]]; then
    run redis_do lrange queue:default 0 -1
    assert_output --partial "\"jid\":\"$jid\""
  fi
}
