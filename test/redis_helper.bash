#!/usr/bin/env bash
# A Redis of a test's own on a free port (outside the dyno, as Heroku's
# add-on is), and the real Puma + Sidekiq fixture that uses it.

start_own_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/redis.log" 2>&1 3>&- &
  REDIS_PID=$!
  wait_until 10 own_redis_ping
}

own_redis_ping() {
  [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

stop_own_redis() {
  if [[ -n "${REDIS_PID:-}" ]]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
  fi
}

redis_do() {
  redis-cli -p "$REDIS_PORT" "$@"
}

need_real_programs() {
  local program
  for program in puma sidekiq redis-server redis-cli ruby curl "$@"; do
    command -v "$program" >/dev/null || fail "$program is needed (see test/packages.txt)"
  done
}

# Builds test/fixtures/puma-sidekiq-watch with bin/compile, with a Redis and
# RUN_WORKER=true; the caller adds config vars and starts the dyno.
build_watch_app() {
  need_real_programs "$@"
  use_fixture puma-sidekiq-watch
  compile_app
  assert_success
  start_own_redis
  config_var REDIS_URL "redis://127.0.0.1:$REDIS_PORT/0"
  config_var RUN_WORKER true
}

# The real Debian programs, not the stubs (.profile adds .solodyno/bin).
start_watch_dyno() {
  start_dyno web -e "PATH=/usr/local/bin:/usr/bin:/bin" "$@"
}
