#!/usr/bin/env bats
# solodyno run's memory watch with real programs in a real memory cgroup:
# Puma answering a curl loop, Sidekiq running a job that grows until the
# dyno's quota. With the guard, Sidekiq is restarted in place before the
# kernel's OOM killer acts; without it (SOLODYNO_MEMORY_RESTART=none) the same
# run ends in an OOM kill.

load test_helper
load memcg_helper
load redis_helper

# The cgroup's limit, and the job's growth: 3 MB every 0.5 s. The guard acts
# at 90 % of 320 MB (no swap here); it needs two samples (0.5 s apart) and
# Sidekiq's shutdown (-t 1, then it pushes the job back): about 2.5 s, 15 MB
# of growth, well inside the 32 MB left under the limit.
QUOTA_MB=320

setup() {
  common_setup
  make_memory_cgroup "$QUOTA_MB"
}

teardown() {
  stop_curl_loop
  if [[ -n "${DYNO_LAUNCHER:-}" ]] && kill -0 "$DYNO_LAUNCHER" 2>/dev/null; then stop_dyno; fi
  stop_own_redis
  remove_memory_cgroup
}

# Puma asked every 0.2 s; one HTTP status per line in $CURL_LOG.
start_curl_loop() {
  CURL_LOG="$BATS_TEST_TMPDIR/curl.log"
  : >"$CURL_LOG"
  (
    while [[ ! -e "$BATS_TEST_TMPDIR/curl.stop" ]]; do
      curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "http://127.0.0.1:$DYNO_PORT/" >>"$CURL_LOG" || true
      sleep 0.2
    done
  ) 3>&- &
  CURL_LOOP=$!
}

stop_curl_loop() {
  if [[ -n "${CURL_LOOP:-}" ]]; then
    touch "$BATS_TEST_TMPDIR/curl.stop"
    wait "$CURL_LOOP" || true
    CURL_LOOP=""
  fi
}

enqueue_grow() {
  (cd "$APP" && REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" ruby enqueue.rb "$1" 3 0.5 2>/dev/null)
}

booted_sidekiqs() {
  grep -c 'sidekiq | .*Booting Sidekiq' "$DYNO_OUT" || true
}

at_least_two_boots() { (($(booted_sidekiqs) >= 2)); }

dyno_ended() { ! kill -0 "$DYNO_LAUNCHER" 2>/dev/null; }

start_watched_dyno() {
  build_watch_app
  config_var SIDEKIQ_TIMEOUT 1
  config_var SOLODYNO_MEMORY_SAMPLE 0.5
  config_var SOLODYNO_METRICS 1
  config_var SOLODYNO_CGROUP_ROOT "$MEMCG_ROOT"
  DYNO_CGROUP=$MEMCG_DIR start_watch_dyno
  wait_until 60 http_get "$DYNO_PORT"
  wait_until 60 grep -q "sidekiq | .*Booting Sidekiq" "$DYNO_OUT"
}

# Checks the metrics lines by parsing them: the quota is the cgroup's, every
# member has its figure, and the members' sum never exceeds what the dyno
# uses by more than rounding; prints the largest sidekiq figure (MB).
check_metrics_lines() {
  python3 - "$DYNO_OUT" "$QUOTA_MB" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1], errors="replace") if l.startswith("source=web.1 sample#memory_total=")]
assert len(lines) >= 10, f"only {len(lines)} metrics lines"
biggest = 0.0
for line in lines:
    fields = dict(re.findall(r"sample#([\w.-]+)=([0-9]+\.[0-9]{2})MB", line))
    assert float(fields["memory_quota"]) == float(sys.argv[2]), line
    assert "memory.puma" in fields and "memory.sidekiq" in fields, line
    assert float(fields["memory_total"]) > 0, line
    biggest = max(biggest, float(fields["memory.sidekiq"]))
print(f"{biggest:.0f}")
PY
}

@test "memory guard, real cgroup: Sidekiq's runaway job gets it restarted in place before the OOM killer; Puma answers every request; the job goes back to Redis" {
  start_watched_dyno
  start_curl_loop
  local jid
  jid=$(enqueue_grow grow1)
  [ -n "$jid" ]
  wait_until 120 grep -q "solodyno: memory .*restarting sidekiq in place" "$DYNO_OUT"
  wait_until 30 grep -q "solodyno: sidekiq stopped for its restart" "$DYNO_OUT"
  wait_until 60 at_least_two_boots
  # Let Puma answer a while after the restart, then stop as Heroku does.
  sleep 2
  stop_curl_loop
  stop_dyno
  grep -v "^source=" "$DYNO_OUT" | tail -n 40
  [ "$DYNO_STATUS" -eq 143 ]
  # The kernel never had to act: the guard did.
  [ "$(memcg_oom_kills)" = 0 ]
  # Sidekiq's shutdown handed the job back (sidekiq/fetch.rb, bulk_requeue):
  # it is in the queue, or the restarted Sidekiq has started it again.
  run cat "$DYNO_OUT"
  assert_output --regexp "sidekiq \| .*Pushed 1 jobs back to Redis"
  assert_output --partial "solodyno: sidekiq exited with status 0 (stopped for its restart in place)"
  if [[ "$(redis_do llen grow1:started)" -lt 2 ]]; then
    run redis_do lrange queue:default 0 -1
    assert_output --partial "\"jid\":\"$jid\""
  fi
  # Puma answered every request, before, during and after the restart.
  [ "$(wc -l <"$CURL_LOG")" -ge 10 ]
  run grep -vx 200 "$CURL_LOG"
  assert_output ""
  # The warning came first, with every member's share, biggest first.
  python3 - "$DYNO_OUT" <<'PY'
import re, sys
log = open(sys.argv[1], errors="replace").read()
warn = re.search(r"solodyno: memory (\d+) MB of 320 MB \((\d+) %\), over 90 %: sidekiq (\d+) MB \(\d+ %\), puma (\d+) MB", log)
assert warn, "no 90 % warning naming sidekiq then puma"
assert int(warn.group(2)) >= 90 and int(warn.group(3)) > int(warn.group(4)), warn.group(0)
restart = re.search(r"solodyno: memory (\d+) MB of 320 MB \((\d+) %\), at or over 90 % for 2 samples: restarting sidekiq", log)
assert restart and int(restart.group(2)) >= 90 and warn.start() < restart.start()
after = re.search(r"solodyno: sidekiq stopped for its restart: memory now (\d+) MB of 320 MB \((\d+) %\), was (\d+) MB", log)
assert after and int(after.group(1)) < int(after.group(3)) and int(after.group(2)) < 90, after.group(0)
PY
  run check_metrics_lines
  assert_success
  # Sidekiq held most of the quota at its biggest.
  [ "${lines[-1]}" -ge 150 ]
}

@test "memory guard off (SOLODYNO_MEMORY_RESTART=none), real cgroup: the same run ends in an OOM kill of Sidekiq, which ends the dyno" {
  config_var SOLODYNO_MEMORY_RESTART none
  start_watched_dyno
  start_curl_loop
  run enqueue_grow grow2
  assert_success
  wait_until 180 dyno_ended
  stop_curl_loop
  stop_dyno
  grep -v "^source=" "$DYNO_OUT" | tail -n 30
  [ "$DYNO_STATUS" -eq 137 ]
  [ "$(memcg_oom_kills)" -ge 1 ]
  run cat "$DYNO_OUT"
  assert_output --partial "solodyno: memory: 320 MB (cgroup v"
  assert_output --partial "no restarts (SOLODYNO_MEMORY_RESTART=none)"
  assert_output --partial "solodyno: sidekiq was killed by SIGKILL, which ends the dyno; stopping the others"
  assert_output --regexp "solodyno: memory [0-9]+ MB of 320 MB \([0-9]+ %\), over 90 %: sidekiq"
  refute_output --partial "restarting sidekiq"
  run check_metrics_lines
  assert_success
}
