#!/usr/bin/env bats
# Boot order: members after the one that binds $PORT start once something
# listens on $PORT, or after SOLODYNO_BOOT_WAIT. With snippets as members,
# then with real Puma and Sidekiq whose boot is CPU-heavy, on one CPU.

load test_helper
load run_watch_helper
load redis_helper

setup() {
  common_setup
  watch_setup
}

teardown() {
  watch_teardown
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then stop_dyno; fi
  stop_own_redis
}

# A member that binds $PORT after a while: python's http.server.
binder() {
  printf 'sleep %s; exec python3 -u -m http.server "$PORT" --bind 127.0.0.1' "$1"
}

@test "boot: a member after the one that binds \$PORT starts once it listens; one before it starts at once" {
  local port
  port=$(free_port)
  web_file <<EOF
early: echo early up; exec sleep $S1
web: $(binder 1.5)
late: echo late up; exec sleep $S1
EOF
  start_supervisor PORT="$port"
  wait_until 30 grep -q "late up" "$W/out"
  run cat "$W/err"
  assert_output --regexp "solodyno: late: starting; web listens on $port after [0-9]+\.[0-9] s"
  # early did not wait; late did, and web answered by then.
  run grep -e "early up" -e "late up" "$W/out"
  assert_line --index 0 --partial "early up"
  assert_line --index 1 --partial "late up"
  curl -fsS -o /dev/null "http://127.0.0.1:$port/"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
}

@test "boot: the wait is bounded by SOLODYNO_BOOT_WAIT, and the log says so" {
  local port
  port=$(free_port)
  web_file <<EOF
web: exec sleep $S1 # would bind \$PORT
worker: echo worker up; exec sleep $S1
EOF
  start_supervisor PORT="$port" SOLODYNO_BOOT_WAIT=1
  wait_until 30 grep -q "worker up" "$W/out"
  run cat "$W/err"
  assert_output --partial "solodyno: worker: starting; web did not listen on $port within 1 s (SOLODYNO_BOOT_WAIT)"
  kill -TERM "$SUP"
  wait_exit
}

@test "boot: SIGTERM during the wait stops the dyno cleanly; the waiting member never starts" {
  web_file <<EOF
web: exec sleep $S1 # binds \$PORT one day
worker: echo worker up; exec sleep $S1
EOF
  start_supervisor PORT="$(free_port)"
  wait_until 10 pgrep -f "sleep $S1"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run grep -c "worker up" "$W/out"
  assert_output 0
  run cat "$W/err"
  assert_output --partial "solodyno: SIGTERM received: stopping"
  refute_output --partial "worker: starting"
}

@test "boot: a member that ends during the wait ends the dyno with its status" {
  web_file <<EOF
web: sleep 0.5; echo \$PORT; exit 3
worker: echo worker up; exec sleep $S1
EOF
  start_supervisor PORT="$(free_port)"
  wait_exit
  [ "$SUP_STATUS" -eq 3 ]
  run grep -c "worker up" "$W/out"
  assert_output 0
  run cat "$W/err"
  assert_output --partial "solodyno: web exited with status 3, which ends the dyno; stopping the others"
}

@test "boot: SOLODYNO_BOOT=together, no \$PORT, or no member that binds it: every member starts at once" {
  local port setting
  port=$(free_port)
  web_file <<EOF
web: echo web up; exec sleep $S1 # \$PORT
worker: echo worker up; exec sleep $S1
EOF
  for setting in SOLODYNO_BOOT=together "PORT="; do
    start_supervisor PORT="$port" "$setting"
    wait_until 10 grep -q "worker up" "$W/out"
    kill -TERM "$SUP"
    wait_exit
    run cat "$W/err"
    refute_output --partial "starting;"
  done
  web_file <<EOF
jobs: echo jobs up; exec sleep $S1
worker: echo worker up; exec sleep $S1
EOF
  start_supervisor PORT="$port"
  wait_until 10 grep -q "worker up" "$W/out"
  kill -TERM "$SUP"
  wait_exit
  run cat "$W/err"
  refute_output --partial "starting;"
}

@test "boot: a bad SOLODYNO_BOOT or SOLODYNO_BOOT_WAIT is a warning, and the default is used" {
  local port
  port=$(free_port)
  web_file <<EOF
web: $(binder 0.5)
worker: echo worker up; exec sleep $S1
EOF
  start_supervisor PORT="$port" SOLODYNO_BOOT=sequential SOLODYNO_BOOT_WAIT=forever
  wait_until 30 grep -q "worker up" "$W/out"
  run cat "$W/err"
  assert_output --partial "solodyno: warning: SOLODYNO_BOOT: expected 'order' or 'together'; it is 'sequential'; using order"
  assert_output --partial "solodyno: warning: SOLODYNO_BOOT_WAIT: expected seconds from 0 to 3600, like 45 or 2.5; it is 'forever'; using 45"
  assert_output --regexp "worker: starting; web listens on $port after"
  kill -TERM "$SUP"
  wait_exit
}

# ---- real Puma and Sidekiq, CPU-heavy boots, one CPU -----------------------------

# The monotonic time in NAME's boot-burn line: start or done.
burn_time() {
  sed -n "s/^$1 *| boot-burn: $2 \([0-9.]*\)\$/\1/p" "$DYNO_OUT" | head -n 1
}

# start_heavy_boot_dyno [COMMAND...]: the fixture with 3 s of CPU at each
# boot, on CPU 0 only; COMMAND (a config_var) runs before the start.
start_heavy_boot_dyno() {
  command -v taskset >/dev/null || fail "taskset is needed (util-linux)"
  build_watch_app
  config_var BOOT_CPU_SECONDS 3
  if (($#)); then "$@"; fi
  DYNO_CPUS=0 start_watch_dyno
  wait_until 120 http_get "$DYNO_PORT"
  wait_until 60 grep -q "sidekiq | boot-burn: done" "$DYNO_OUT"
}

@test "boot, real programs on one CPU: in order, Puma boots alone and answers before Sidekiq starts to boot" {
  start_heavy_boot_dyno
  stop_dyno
  [ "$DYNO_STATUS" -eq 143 ]
  run cat "$DYNO_OUT"
  assert_output --regexp "solodyno: sidekiq: starting; puma listens on $DYNO_PORT after [0-9]+\.[0-9] s"
  local puma_done sidekiq_start
  puma_done=$(burn_time puma "done")
  sidekiq_start=$(burn_time sidekiq start)
  [ -n "$puma_done" ] && [ -n "$sidekiq_start" ]
  python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(0 if b > a else 1)" "$puma_done" "$sidekiq_start"
}

@test "boot, real programs on one CPU: SOLODYNO_BOOT=together starts both at once, so their boots overlap" {
  start_heavy_boot_dyno config_var SOLODYNO_BOOT together
  stop_dyno
  run cat "$DYNO_OUT"
  refute_output --partial "solodyno: sidekiq: starting;"
  local puma_done sidekiq_start
  puma_done=$(burn_time puma "done")
  sidekiq_start=$(burn_time sidekiq start)
  [ -n "$puma_done" ] && [ -n "$sidekiq_start" ]
  python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(0 if b < a else 1)" "$puma_done" "$sidekiq_start"
}
