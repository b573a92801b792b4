#!/usr/bin/env bats
# Runs each unit-test binary built from test/unit/test_*.c (make unit).

load test_helper

setup() { common_setup; }

@test "unit: quote (shell and TOML escaping, UTF-8 validation)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_quote"
  assert_success
}

@test "unit: log (printf's conversions; control characters from arguments escaped)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_log"
  assert_success
}

@test "unit: fileio (atomic writes, refusing paths that lead out of the app)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_fileio" "$BATS_TEST_TMPDIR"
  assert_success
}

@test "unit: procfile (both grammars, warnings and errors with line numbers, rewrites)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_procfile"
  assert_success
}

@test "unit: app_facts (Mastodon detection, version, tunables read, file round trip)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_app_facts" "$FIXTURES/mastodon" "$BATS_TEST_TMPDIR"
  assert_success
}

@test "unit: code_reads (what reading an environment variable is in Ruby, ERB and JavaScript; version.rb formats)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_code_reads"
  assert_success
}

@test "unit: env_value (strict SOLODYNO_GRACE and SOLODYNO_PREFIX values)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_env_value"
  assert_success
}

@test "unit: tuning (cgroup values, DYNO names, the memory-budget model, ImageMagick sizes)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_tuning"
  assert_success
}

@test "unit: profile (the .profile block rewrite: in place, appended, CRLF, bad markers)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_profile"
  assert_success
}

@test "unit: start_env (environ files, lookups, /proc/PID/environ, bad pids)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_start_env"
  assert_success
}

@test "unit: sha256 (FIPS 180-4 examples, padding boundaries, pieces)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_sha256"
  assert_success
}

@test "unit: sha256 of files of many sizes equals sha256sum" {
  local f="$BATS_TEST_TMPDIR/data" n
  for n in 0 1 55 56 63 64 65 1000 65536 1048577; do
    head -c "$n" /dev/urandom >"$f"
    run "$SOLODYNO_BUILD_DIR/unit/test_sha256" "$f"
    assert_output "$(sha256sum "$f" | cut -d' ' -f1)"
  done
}

@test "unit: slugignore (parsing, globs, anchoring, directories, **)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_slugignore"
  assert_success
}

@test "unit: proc_memory (smaps_rollup, smaps and status fields, children lists, the line reader)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_proc_memory" "$BATS_TEST_TMPDIR"
  assert_success
}

@test "unit: net_listen (/proc/net/tcp and tcp6 lines, a real listener over IPv4 and IPv6)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_net_listen"
  assert_success
}

@test "unit: memory_policy (warning levels and their rate, the guard over sample sequences, l2met lines)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_memory_policy"
  assert_success
}

@test "unit: watch_settings (the run's memory and boot config vars, cgroup v1/v2 usage, the guard level)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_watch_settings" "$BATS_TEST_TMPDIR"
  assert_success
}

@test "unit: member_memory (each member's processes: groups, orphans, strays, by real forks)" {
  run "$SOLODYNO_BUILD_DIR/unit/test_member_memory"
  assert_success
}
