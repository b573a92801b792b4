#!/usr/bin/env bats
# solodyno run's memory watch with Python snippets as members and the quota
# given by SOLODYNO_MEMORY_MB (no cgroup read: the members' sum is the dyno's
# usage). The real-cgroup tests with Puma and Sidekiq are in run_memory.bats.

load test_helper
load run_watch_helper

setup() {
  common_setup
  watch_setup
}

teardown() {
  watch_teardown
}

# The PIDs a grow member printed ("up PID"), one per start.
grow_pids() {
  sed -n 's/^grow *| up \([0-9]*\)$/\1/p' "$W/out"
}

starts() { (($(grow_pids | wc -l) >= $1)); }

@test "watch: the guard restarts the member it may restart in place; the others run on; once within 10 minutes, then it says why not" {
  web_file <<EOF
web: echo web up; exec sleep $S1
grow: $(grow_command 8 0.1 96)
EOF
  start_supervisor SOLODYNO_MEMORY_MB=64 SOLODYNO_MEMORY_SAMPLE=0.2 SOLODYNO_MEMORY_RESTART=grow
  wait_until 30 starts 1
  local web_pid
  web_pid=$(pgrep -f "^sleep $S1\$")
  wait_until 30 starts 2
  wait_until 30 grep -q "is not restarted again within 10 minutes" "$W/err"
  # The member that was not restarted is the same process.
  [ "$(pgrep -f "^sleep $S1\$")" = "$web_pid" ]
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/err"
  assert_output --partial "solodyno: memory: 64 MB (SOLODYNO_MEMORY_MB); warnings at 90 % and 100 %; restarts grow at 100 % for 2 samples (sampled every 0.2 s)"
  assert_output --regexp "solodyno: memory [0-9]+ MB of 64 MB \([0-9]+ %\), at or over 100 % for 2 samples: restarting grow in place \([0-9]+ MB, the biggest the guard may restart\)"
  assert_output --partial "solodyno: grow exited with status 0 (stopped for its restart in place)"
  assert_output --regexp "solodyno: grow stopped for its restart: memory now [0-9]+ MB of 64 MB \([0-9]+ %\), was [0-9]+ MB; starting it again"
  assert_output --regexp "grow was restarted [0-9]+ s ago and is not restarted again within 10 minutes"
  run grep -c "restarting grow in place" "$W/err"
  assert_output 1
  # Its two runs: two processes, and the first said goodbye on SIGTERM.
  [ "$(grow_pids | sort -u | wc -l)" -eq 2 ]
  run grep -c "^grow *| bye" "$W/out"
  assert_output 2
}

@test "watch: by default the guard restarts the members that run Sidekiq, and none else" {
  mkdir -p "$W/bin"
  # A stand-in program named sidekiq: the command reads as Sidekiq's.
  printf '#!/bin/sh\n%s\n' "$(grow_command 8 0.1 96)" >"$W/bin/sidekiq"
  chmod +x "$W/bin/sidekiq"
  web_file <<EOF
web: $(grow_command 4 0.1 40)
grow: exec sidekiq -c 1
EOF
  start_supervisor PATH="$W/bin:$PATH" SOLODYNO_MEMORY_MB=64 SOLODYNO_MEMORY_SAMPLE=0.2
  wait_until 30 grep -q "restarting grow in place" "$W/err"
  wait_until 30 starts 2
  kill -TERM "$SUP"
  wait_exit
  run cat "$W/err"
  assert_output --partial "restarts grow at 100 %"
  refute_output --partial "restarting web"
}

@test "watch: a restarted member that then ends ends the dyno with its status, as any crash does" {
  web_file <<EOF
web: exec sleep $S1
grow: if [ -e "$W/ran" ]; then echo second run; exit 5; fi; touch "$W/ran"; $(grow_command 8 0.1 96)
EOF
  start_supervisor SOLODYNO_MEMORY_MB=64 SOLODYNO_MEMORY_SAMPLE=0.2 SOLODYNO_MEMORY_RESTART=grow
  wait_exit
  [ "$SUP_STATUS" -eq 5 ]
  run cat "$W/out"
  assert_output --partial "grow | second run"
  run cat "$W/err"
  assert_output --partial "solodyno: grow exited with status 5, which ends the dyno; stopping the others"
}

@test "watch: SIGTERM while a member stops for its restart: it is not started again; a member that ignores SIGTERM gets SIGKILL after the grace" {
  # grow ignores SIGTERM: the restart waits out SOLODYNO_GRACE, then SIGKILL.
  web_file <<EOF
web: exec sleep $S1
grow: $(grow_command 8 0.1 96 ignore-term)
EOF
  start_supervisor SOLODYNO_MEMORY_MB=64 SOLODYNO_MEMORY_SAMPLE=0.2 SOLODYNO_MEMORY_RESTART=grow SOLODYNO_GRACE=1
  wait_until 30 grep -q "restarting grow in place" "$W/err"
  wait_until 30 grep -q "grace period of grow over: SIGKILL to what is left of it" "$W/err"
  wait_until 30 starts 2
  # The second run: stop the dyno while the guard stops it again... it may
  # not (10 minutes), so stop the dyno now and check nothing starts after.
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run grep -c "restarting grow in place" "$W/err"
  assert_output 1

  # And a SIGTERM to the dyno during the restart's grace.
  : >"$W/out"
  start_supervisor SOLODYNO_MEMORY_MB=64 SOLODYNO_MEMORY_SAMPLE=0.2 SOLODYNO_MEMORY_RESTART=grow SOLODYNO_GRACE=3
  wait_until 30 grep -q "restarting grow in place" "$W/err"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  [ "$(grow_pids | wc -l)" -eq 1 ]
  run cat "$W/err"
  refute_output --partial "starting it again"
}

@test "watch: warnings at 90 % and 100 % name every member biggest first; metrics lines add up the members" {
  web_file <<EOF
web: $(grow_command 2 0.1 12)
grow: $(grow_command 4 0.2 64)
EOF
  start_supervisor SOLODYNO_MEMORY_MB=64 SOLODYNO_MEMORY_SAMPLE=0.2 SOLODYNO_METRICS=1 \
    SOLODYNO_MEMORY_RESTART=none DYNO=web.1
  wait_until 60 grep -q "over 100 % (the dyno's quota)" "$W/err"
  kill -TERM "$SUP"
  wait_exit
  run cat "$W/err"
  assert_output --partial "no restarts (SOLODYNO_MEMORY_RESTART=none)"
  assert_output --regexp "solodyno: memory [0-9]+ MB of 64 MB \((9[0-9]) %\), over 90 %: grow [0-9]+ MB \([0-9]+ %\), web [0-9]+ MB \([0-9]+ %\)"
  assert_output --regexp "solodyno: memory [0-9]+ MB of 64 MB \(1[0-9][0-9] %\), over 100 % \(the dyno's quota\): grow"
  refute_output --partial "restarting"
  python3 - "$W/out" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("source=web.1 ")]
assert len(lines) >= 5, lines
for line in lines:
    f = {k: float(v) for k, v in re.findall(r"sample#([\w.-]+)=([0-9]+\.[0-9]{2})MB", line)}
    assert set(f) == {"memory_total", "memory_swap", "memory_quota", "memory.web", "memory.grow"}, line
    assert f["memory_quota"] == 64.0
    # No cgroup: the dyno's total is the members' sum (each rounded).
    assert abs(f["memory_total"] - f["memory.web"] - f["memory.grow"]) <= 0.02, line
grow = [float(re.search(r"memory.grow=([0-9.]+)", l).group(1)) for l in lines]
assert max(grow) > min(grow) + 16, grow  # it grew, and the lines show it
PY
}

@test "watch: no quota known means sampling only; SOLODYNO_MEMORY_SAMPLE=0 means no watch; bad values are warnings and the dyno starts" {
  web_file <<EOF
web: echo web up; exec sleep $S1
EOF
  start_supervisor SOLODYNO_MEMORY_SAMPLE=0.2 SOLODYNO_METRICS=1
  wait_until 10 grep -q "sample#memory.web=" "$W/out"
  kill -TERM "$SUP"
  wait_exit
  # Sampling only: the metrics lines, without a quota, and nothing said.
  run cat "$W/err"
  refute_output --partial "memory"
  run grep -c "sample#memory_quota" "$W/out"
  assert_output 0

  start_supervisor SOLODYNO_MEMORY_SAMPLE=0 SOLODYNO_MEMORY_MB=64
  wait_until 10 grep -q "web up" "$W/out"
  sleep 0.5
  kill -TERM "$SUP"
  wait_exit
  run cat "$W/err"
  refute_output --partial "memory"

  start_supervisor SOLODYNO_MEMORY_SAMPLE=20s SOLODYNO_METRICS=yes-please SOLODYNO_MEMORY_RESTART='web;puma' SOLODYNO_MEMORY_MB=64
  wait_until 10 grep -q "web up" "$W/out"
  kill -TERM "$SUP"
  wait_exit
  [ "$SUP_STATUS" -eq 143 ]
  run cat "$W/err"
  assert_output --partial "solodyno: warning: SOLODYNO_MEMORY_SAMPLE: expected seconds from 0.1 to 3600 like 20 or 2.5, or 0 for no sampling; it is '20s'; using 20"
  assert_output --partial "solodyno: warning: SOLODYNO_METRICS: expected 1 or 0 (or true/false); it is 'yes-please'; using 0 (no metrics lines)"
  assert_output --partial "solodyno: warning: SOLODYNO_MEMORY_RESTART: expected member names of Procfile.web separated by commas, or 'none'; it is 'web;puma'; using the default"
  assert_output --partial "(sampled every 20 s)"

  start_supervisor SOLODYNO_MEMORY_RESTART=sidekiq SOLODYNO_MEMORY_MB=64
  wait_until 10 grep -q "web up" "$W/out"
  kill -TERM "$SUP"
  wait_exit
  run cat "$W/err"
  assert_output --partial "solodyno: warning: SOLODYNO_MEMORY_RESTART names 'sidekiq', which Procfile.web does not list; ignoring that name"
  assert_output --partial "no member to restart"
}

@test "env --explain: what the memory guard and the boot order will do on this dyno" {
  mkdir -p "$W/cg/memory"
  echo 536870912 >"$W/cg/memory/memory.limit_in_bytes"
  echo 9223372036854771712 >"$W/cg/memory/memory.memsw.limit_in_bytes"
  echo 300000000 >"$W/cg/memory/memory.usage_in_bytes"
  web_file <<EOF
puma: bundle exec puma -C config/puma.rb
sidekiq@RUN_WORKER: bundle exec sidekiq -c 1
EOF
  # Over the quota a Cedar dyno swaps, where the machine has swap at all.
  local pct=90
  if (($(wc -l </proc/swaps) > 1)); then pct=100; fi
  explain() {
    env -i PATH="$PATH" SOLODYNO_CGROUP_ROOT="$W/cg" "$@" "$SOLODYNO" env --explain --app "$W"
  }
  run explain DYNO=web.1 RUN_WORKER=true
  assert_success
  assert_output --partial "solodyno run (Procfile.web):"
  assert_output --partial "  memory   sampled every 20 s, per member (PSS + swap) and for the dyno (its cgroup); metrics lines off"
  assert_output --partial "  warnings at 90 % and 100 % of 512 MB, and when it falls back"
  assert_output --partial "  guard    restarts sidekiq in place when the dyno stays at or over $pct % of 512 MB for 2 samples"
  assert_output --partial "  boot     sidekiq starts once puma listens on \$PORT, or after 45 s at most (SOLODYNO_BOOT_WAIT)"
  run explain DYNO=web-12a34b56d-e78f9 RUN_WORKER=true SOLODYNO_METRICS=1 SOLODYNO_BOOT_WAIT=20
  assert_output --partial "at or over 90 % of 512 MB for 2 samples (Heroku restarts a Fir dyno when it reaches 100 % of its quota)"
  assert_output --partial "metrics lines on (SOLODYNO_METRICS)"
  assert_output --partial "or after 20 s at most"
  run explain DYNO=web.1 RUN_WORKER=true SOLODYNO_MEMORY_RESTART=none SOLODYNO_BOOT=together
  assert_output --partial "  guard    off (SOLODYNO_MEMORY_RESTART=none): warnings only"
  assert_output --partial "  boot     every member at once (SOLODYNO_BOOT=together)"
  run explain DYNO=web.1
  assert_output --partial "  guard    no member to restart on this dyno (none runs Sidekiq)"
  assert_output --partial "  boot     every member at once: none follows a member that binds \$PORT"
  run explain DYNO=web.1 RUN_WORKER=true SOLODYNO_MEMORY_SAMPLE=0 SOLODYNO_BOOT_WAIT=soon
  assert_output --partial "  memory   not sampled (SOLODYNO_MEMORY_SAMPLE=0): no warnings, no guard"
  assert_output --partial "warning: SOLODYNO_BOOT_WAIT: expected seconds from 0 to 3600"
  # Only the web dyno runs solodyno run.
  run explain DYNO=worker.1
  refute_output --partial "solodyno run (Procfile.web)"
}
