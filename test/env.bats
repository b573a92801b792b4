#!/usr/bin/env bats
# solodyno env: memory and CPUs from fake cgroup trees, roles from DYNO and
# RUN_WORKER / RUN_STREAMING, the model's values, the user's values winning,
# the three output formats, hostile values, real ImageMagick, the README table.

load test_helper

setup() {
  common_setup
  SOLODYNO="$SOLODYNO_BUILD_DIR/solodyno"
  CG="$BATS_TEST_TMPDIR/cgroup"
  mkdir -p "$CG" "$APP/.solodyno"
  # A Mastodon 4.3.2 whose code reads the usual knobs, as the build records
  # them for the real 4.3 tree (config/sidekiq.yml has read
  # SIDEKIQ_CONCURRENCY since 4.1).
  facts mastodon=true mastodon_version=4.3.2 reads=MAX_THREADS,WEB_CONCURRENCY,DB_POOL,SIDEKIQ_CONCURRENCY \
    read.MAX_THREADS=config/puma.rb:5 read.SIDEKIQ_CONCURRENCY=config/sidekiq.yml:2
}

# facts KEY=VALUE...: the app facts the build records in .solodyno/app-facts.
facts() {
  printf '%s\n' "$@" >"$APP/.solodyno/app-facts"
}

# cg_memory v1|v2 CONTENT: a fake cgroup memory limit file.
cg_memory() {
  if [[ "$1" == v2 ]]; then
    printf '%s\n' "$2" >"$CG/memory.max"
  else
    mkdir -p "$CG/memory"
    printf '%s\n' "$2" >"$CG/memory/memory.limit_in_bytes"
  fi
}

# senv ARGS... [-- NAME=VALUE...]: solodyno env in the app dir with a clean
# environment: the fake cgroup root, DYNO=web.1, plus the NAME=VALUE given.
senv() {
  local -a args=() vars=()
  while (($#)) && [[ "$1" != -- ]]; do args+=("$1"); shift; done
  (($#)) && shift
  vars=("$@")
  run --separate-stderr env -i -C "$APP" PATH=/usr/bin:/bin SOLODYNO_CGROUP_ROOT="$CG" DYNO=web.1 \
    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "${vars[@]}" \
    "$SOLODYNO" env "${args[@]}"
}

# value NAME: NAME's value in the last --shell output ("<unset>" if absent).
value() {
  local line
  for line in "${lines[@]}"; do
    if [[ "$line" == "export $1="* ]]; then
      eval "printf '%s\n' ${line#export "$1"=}"
      return
    fi
  done
  echo "<unset>"
}

heroku_sizes=(512 1024 2560 14336 30720 63488 129024)

@test "the 512 MB web dyno with Sidekiq gets exactly the known-good values" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- RUN_WORKER=true
  assert_success
  assert_equal "$stderr" ""
  assert_output "export WEB_CONCURRENCY='1'
export WEB_CONCURRENCY_SET_BY='solodyno'
export MAX_THREADS='3'
export SIDEKIQ_THREADS='1'
export SIDEKIQ_CONCURRENCY='1'
export DB_POOL='6'
export MAGICK_MEMORY_LIMIT='268435456'
export MAGICK_THREAD_LIMIT='1'
export VIPS_CONCURRENCY='1'
export MALLOC_ARENA_MAX='2'
export SOLODYNO_DEFAULTS='WEB_CONCURRENCY,MAX_THREADS,SIDEKIQ_THREADS,SIDEKIQ_CONCURRENCY,DB_POOL,MAGICK_MEMORY_LIMIT,MAGICK_THREAD_LIMIT,VIPS_CONCURRENCY,MALLOC_ARENA_MAX'"
}

@test "memory from cgroup v2 memory.max for every Heroku dyno size" {
  for mb in "${heroku_sizes[@]}"; do
    cg_memory v2 $((mb * 1024 * 1024))
    senv --shell
    assert_success
    assert_equal "$(value MAGICK_MEMORY_LIMIT)" "$((mb * 1024 * 1024 / 2))"
    senv --explain
    assert_line "memory   $mb MB (cgroup v2 memory.max)"
  done
}

@test "memory from cgroup v1 memory.limit_in_bytes for every Heroku dyno size" {
  for mb in "${heroku_sizes[@]}"; do
    cg_memory v1 $((mb * 1024 * 1024))
    senv --shell
    assert_success
    assert_equal "$(value MAGICK_MEMORY_LIMIT)" "$((mb * 1024 * 1024 / 2))"
    senv --explain
    assert_line "memory   $mb MB (cgroup v1 memory.limit_in_bytes)"
  done
}

@test "v2 wins over v1; v2's 'max' falls through to v1" {
  cg_memory v2 $((1024 * 1024 * 1024))
  cg_memory v1 $((2560 * 1024 * 1024))
  senv --explain
  assert_line "memory   1024 MB (cgroup v2 memory.max)"
  cg_memory v2 max
  senv --explain
  assert_line "memory   2560 MB (cgroup v1 memory.limit_in_bytes)"
  assert_equal "$stderr" ""
}

@test "no limit (max, v1's 8 EiB, over 1 TiB) or no cgroup at all means 512 MB, silently" {
  for v in max 9223372036854771712 $((1024 * 1024 * 1024 * 1024 + 1)); do
    for version in v1 v2; do
      rm -rf "$CG" && mkdir -p "$CG"
      cg_memory "$version" "$v"
      senv --shell
      assert_success
      assert_equal "$(value MAGICK_MEMORY_LIMIT)" 268435456
      assert_equal "$stderr" ""
    done
  done
  rm -rf "$CG"
  senv --explain
  assert_success
  assert_line --partial "memory   512 MB (no memory limit found"
}

@test "bad cgroup values (garbage, zero, negative, units) warn, name the file, and mean 512 MB" {
  for v in garbage 0 -1 -536870912 512M "" $'536870912\n12'; do
    for version in v1 v2; do
      rm -rf "$CG" && mkdir -p "$CG"
      cg_memory "$version" "$v"
      senv --shell
      assert_success
      assert_equal "$(value MAGICK_MEMORY_LIMIT)" 268435456
      [[ "$stderr" == *"solodyno: warning: $CG/memory"*"expected a byte count or 'max'"* ]]
      [[ "$stderr" != *$'\n'*$'\n'* ]] # one line
    done
  done
}

@test "an unreadable cgroup file warns and the dyno goes on" {
  # Permissions do not bind root: as root, run solodyno as nobody from a
  # world-readable copy, as a dyno's unprivileged user would.
  local base bin=$SOLODYNO
  local -a as_user=()
  base=$(mktemp -d /tmp/solodyno-unreadable.XXXXXX)
  chmod 755 "$base"
  CG="$base/cgroup"
  mkdir -p "$CG"
  cg_memory v2 $((1024 * 1024 * 1024))
  chmod 000 "$CG/memory.max"
  if [[ "$(id -u)" == 0 ]]; then
    cp "$SOLODYNO" "$base/solodyno"
    bin="$base/solodyno"
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  fi
  run --separate-stderr "${as_user[@]}" env -i -C /tmp PATH=/usr/bin:/bin SOLODYNO_CGROUP_ROOT="$CG" \
    DYNO=web.1 ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$bin" env --shell
  rm -rf "$base"
  assert_success
  [[ "$stderr" == *"cannot read $CG/memory.max"* ]]
  assert_equal "$(value MAGICK_MEMORY_LIMIT)" 268435456
}

@test "SOLODYNO_MEMORY_MB overrides the cgroup; a bad one warns and is ignored" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --explain -- SOLODYNO_MEMORY_MB=2560
  assert_line "memory   2560 MB (SOLODYNO_MEMORY_MB)"
  for bad in 0 -5 abc 2560MB " 2560" 99999999999; do
    senv --explain -- "SOLODYNO_MEMORY_MB=$bad"
    assert_success
    assert_line "memory   512 MB (cgroup v2 memory.max)"
    [[ "$stderr" == *"SOLODYNO_MEMORY_MB: expected whole megabytes"* ]]
  done
  # empty counts as not set
  senv --explain -- SOLODYNO_MEMORY_MB=
  assert_line "memory   512 MB (cgroup v2 memory.max)"
  assert_equal "$stderr" ""
}

@test "CPUs: the affinity mask, lowered by cpu.max or cfs quota; SOLODYNO_CPUS overrides" {
  local seen
  seen=$(nproc)
  cg_memory v2 $((14336 * 1024 * 1024))
  senv --explain
  assert_line "CPUs     $seen (affinity mask)"
  printf '100000 100000\n' >"$CG/cpu.max"
  senv --explain
  assert_line "CPUs     1 (cgroup v2 cpu.max)"
  senv --shell
  assert_equal "$(value WEB_CONCURRENCY)" 1
  printf 'max 100000\n' >"$CG/cpu.max"
  senv --explain
  assert_line "CPUs     $seen (affinity mask)"
  printf 'nonsense\n' >"$CG/cpu.max"
  senv --explain
  assert_line "CPUs     $seen (affinity mask)"
  [[ "$stderr" == *"cpu.max: expected 'QUOTA PERIOD'"* ]]
  rm "$CG/cpu.max"
  mkdir -p "$CG/cpu"
  echo 50000 >"$CG/cpu/cpu.cfs_quota_us"
  echo 100000 >"$CG/cpu/cpu.cfs_period_us"
  senv --explain
  assert_line "CPUs     1 (cgroup v1 cpu.cfs_quota_us)"
  # A Performance-L dyno has 8; a shared dyno's mask shows the host's CPUs.
  senv --shell -- SOLODYNO_CPUS=8
  assert_equal "$(value WEB_CONCURRENCY)" 8
  senv --explain -- SOLODYNO_CPUS=8
  assert_line "CPUs     8 (SOLODYNO_CPUS)"
  senv --explain -- SOLODYNO_CPUS=lots
  [[ "$stderr" == *"SOLODYNO_CPUS: expected a whole number"* ]]
}

@test "process counts are capped by CPUs, thread counts are not" {
  cg_memory v2 $((14336 * 1024 * 1024))
  senv --shell -- SOLODYNO_CPUS=2 RUN_WORKER=true
  assert_equal "$(value WEB_CONCURRENCY)" 2
  assert_equal "$(value MAX_THREADS)" 5
  assert_equal "$(value SIDEKIQ_THREADS)" 10
  assert_equal "$(value DB_POOL)" 20
}

@test "shared dynos give the table's row whether they see 8 CPUs or their share" {
  local mb share
  for mb_share in 512:1 1024:2; do
    mb=${mb_share%:*} share=${mb_share#*:}
    senv --shell -- SOLODYNO_MEMORY_MB="$mb" SOLODYNO_CPUS=8 RUN_WORKER=true
    local seen=$output
    senv --shell -- SOLODYNO_MEMORY_MB="$mb" SOLODYNO_CPUS="$share" RUN_WORKER=true
    assert_output "$seen"
  done
}

@test "roles: worker, one-off, release, other types, Fir names, DYNO unset" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- DYNO=worker.1 RUN_WORKER=true
  assert_equal "$(value SIDEKIQ_THREADS)" 5
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" 5
  assert_equal "$(value DB_POOL)" 10
  assert_equal "$(value WEB_CONCURRENCY)" "<unset>"
  assert_equal "$(value MAX_THREADS)" "<unset>"

  for d in run.1234 release.1 scheduler.3 clock.1 'weird name'; do
    senv --shell -- "DYNO=$d" RUN_WORKER=true
    assert_success
    assert_equal "$(value WEB_CONCURRENCY)" "<unset>"
    assert_equal "$(value SIDEKIQ_THREADS)" "<unset>"
    assert_equal "$(value DB_POOL)" "<unset>"
    assert_equal "$(value MALLOC_ARENA_MAX)" 2
    assert_equal "$(value MAGICK_MEMORY_LIMIT)" 268435456
  done

  senv --shell -- DYNO=web.1 RUN_WORKER=true
  local classic=$output
  senv --shell -- DYNO=web-12a34b56d-e78f9 RUN_WORKER=true
  # Fir: the same counts, BIND for its IPv6-only router (test/cnb_launch.bats),
  # ImageMagick within the 85 % Fir's plan keeps (test/unit/test_tuning.c)
  assert_equal "$(grep -v 'BIND\|MAGICK_MEMORY' <<<"$output")" "$(grep -v 'SOLODYNO_DEFAULTS\|MAGICK_MEMORY' <<<"$classic")"
  assert_equal "$(value BIND)" "[::]"
  assert_equal "$(value MAGICK_MEMORY_LIMIT)" $((435 * 1024 * 1024 / 2))
  senv --shell -- DYNO= RUN_WORKER=true
  assert_output "$classic"
  senv --explain -- DYNO=worker-5d8f7c9b4-x2x9z
  assert_line --partial "worker dyno running Sidekiq"

  # RUN_WORKER must be exactly "true"
  senv --shell -- DYNO=web.1 RUN_WORKER=1
  assert_equal "$(value SIDEKIQ_THREADS)" "<unset>"
  assert_equal "$(value DB_POOL)" 6
}

@test "a worker dyno gets more Sidekiq threads than a web dyno's Sidekiq, at every size" {
  local mb worker pool
  for mb in "${heroku_sizes[@]}"; do
    senv --shell -- SOLODYNO_MEMORY_MB="$mb" DYNO=worker.1
    worker=$(value SIDEKIQ_THREADS)
    pool=$(value DB_POOL)
    ((pool > worker))
    senv --shell -- SOLODYNO_MEMORY_MB="$mb" DYNO=web.1 RUN_WORKER=true
    ((worker > $(value SIDEKIQ_THREADS)))
  done
}

@test "streaming: STREAMING_CLUSTER_NUM where the streaming server reads it, on the dyno running it" {
  cg_memory v2 $((512 * 1024 * 1024))
  facts mastodon=true mastodon_version=4.1.9 reads=MAX_THREADS,STREAMING_CLUSTER_NUM \
    read.STREAMING_CLUSTER_NUM=streaming/index.js:92
  # a shared 512 MB dyno's mask shows the host's 8 CPUs
  senv --shell -- RUN_STREAMING=true SOLODYNO_CPUS=8
  assert_equal "$(value STREAMING_CLUSTER_NUM)" 3
  senv --explain -- RUN_STREAMING=true SOLODYNO_CPUS=8
  assert_line --regexp '^STREAMING_CLUSTER_NUM +3 +tuned: the streaming server clusters \(streaming/index\.js:92 reads it\)'
  # a process count: capped by CPUs
  senv --shell -- RUN_STREAMING=true SOLODYNO_CPUS=2
  assert_equal "$(value STREAMING_CLUSTER_NUM)" 2
  senv --shell -- RUN_STREAMING=true
  assert_equal "$(value WEB_CONCURRENCY)" "<unset>"
  assert_equal "$(value DB_POOL)" "<unset>"
  senv --shell -- RUN_STREAMING=true RUN_WORKER=true SOLODYNO_CPUS=8
  assert_equal "$(value STREAMING_CLUSTER_NUM)" 3
  assert_equal "$(value SIDEKIQ_THREADS)" 1
  # never below the streaming server's own pool of 10
  assert_equal "$(value DB_POOL)" 10
  # Puma's dyno of the same app: no streaming server there
  senv --shell
  assert_equal "$(value STREAMING_CLUSTER_NUM)" "<unset>"
  senv --explain
  assert_output --partial "STREAMING_CLUSTER_NUM: the streaming server does not run on this dyno"

  # upstream's main branch after 2023-04-26 still said 4.1.2, without clustering:
  # the scan decides, not the version
  facts mastodon=true mastodon_version=4.1.2 reads=MAX_THREADS,DB_POOL
  senv --shell -- RUN_STREAMING=true
  assert_equal "$(value STREAMING_CLUSTER_NUM)" "<unset>"
  senv --explain -- RUN_STREAMING=true
  assert_output --partial "STREAMING_CLUSTER_NUM: the streaming server of this Mastodon 4.1.2 does not read it (no clustering"
  # before 1.2.1 (no version.rb before 1.3) there was no clustering either:
  # the note must not say it went away in 2023
  facts mastodon=true reads=DB_POOL,MAX_THREADS
  senv --explain -- RUN_STREAMING=true
  assert_output --partial "STREAMING_CLUSTER_NUM: the streaming server of this Mastodon of unknown version does not read it"
  assert_output --partial "clustered only from 1.2.1 to 4.1.2"
  refute_output --partial "STREAMING_CLUSTER_NUM  "
  facts mastodon=true mastodon_version=4.8.0-alpha.1 reads=MAX_THREADS
  senv --explain -- RUN_STREAMING=true
  assert_line "app      Mastodon 4.8.0-alpha.1"
  refute_output --partial "STREAMING_CLUSTER_NUM  "

  # a generic app has no streaming server: RUN_STREAMING changes nothing
  facts mastodon=false reads=STREAMING_CLUSTER_NUM
  senv --shell -- RUN_STREAMING=true
  assert_equal "$(value STREAMING_CLUSTER_NUM)" "<unset>"
  assert_equal "$(value WEB_CONCURRENCY)" 1
}

@test "the source-version stamp's variables go through the same rule" {
  local hash=0123456789abcdef0123456789abcdef01234567
  echo "$hash" >"$APP/.solodyno/source-version"
  senv --shell
  assert_equal "$(value SOURCE_VERSION)" "$hash"
  assert_equal "$(value SOURCE_COMMIT)" "$hash"
  assert_equal "$(value SOURCE_TAG)" "$hash"
  assert_equal "$(value MASTODON_VERSION_METADATA)" 0123456
  senv --shell -- SOURCE_TAG=v4.3.2
  assert_equal "$(value SOURCE_TAG)" "<unset>"
  assert_equal "$(value SOURCE_VERSION)" "$hash"
  senv --explain -- SOURCE_TAG=v4.3.2
  assert_line --regexp '^SOURCE_TAG +v4\.3\.2 +yours'
  assert_line --regexp "^SOURCE_VERSION +$hash +stamp$"
}

@test "SERVICE_TIMEOUT and WAIT_TIMEOUT only where the app's code reads them" {
  senv --shell
  assert_equal "$(value SERVICE_TIMEOUT)" "<unset>"
  assert_equal "$(value WAIT_TIMEOUT)" "<unset>"
  senv --explain
  assert_output --partial "SERVICE_TIMEOUT: the app's code does not read it"
  # a fork's own initializer reads them; --explain names the file and line
  facts mastodon=true mastodon_version=2.4.0 reads=SERVICE_TIMEOUT,WAIT_TIMEOUT,MAX_THREADS \
    read.SERVICE_TIMEOUT=config/initializers/timeout.rb:3 read.WAIT_TIMEOUT=config/initializers/timeout.rb:4
  senv --shell
  assert_equal "$(value SERVICE_TIMEOUT)" 180
  assert_equal "$(value WAIT_TIMEOUT)" 150
  senv --explain
  assert_line --regexp '^SERVICE_TIMEOUT +180 +the app.s code reads it \(config/initializers/timeout\.rb:3\)$'
  assert_line --regexp '^WAIT_TIMEOUT +150 +the app.s code reads it \(config/initializers/timeout\.rb:4\)$'
  refute_output --partial "rack-timeout"
}

@test "a generic app gets RAILS_MAX_THREADS; Mastodon gets MAX_THREADS; no recorded facts: generic" {
  cg_memory v2 $((512 * 1024 * 1024))
  facts mastodon=false reads=RAILS_MAX_THREADS
  senv --shell
  assert_equal "$(value RAILS_MAX_THREADS)" 3
  assert_equal "$(value MAX_THREADS)" "<unset>"
  rm "$APP/.solodyno/app-facts"
  senv --shell
  assert_equal "$(value RAILS_MAX_THREADS)" 3
  senv --explain
  assert_output --partial "not recorded"
}

@test "the user's values win; another buildpack's default does not; empty counts as not set" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- RUN_WORKER=true WEB_CONCURRENCY=4 MALLOC_ARENA_MAX=4
  assert_equal "$(value WEB_CONCURRENCY)" "<unset>"
  assert_equal "$(value WEB_CONCURRENCY_SET_BY)" "<unset>"
  assert_equal "$(value MALLOC_ARENA_MAX)" "<unset>"
  assert_equal "$(value MAX_THREADS)" 3
  senv --explain -- RUN_WORKER=true WEB_CONCURRENCY=4
  assert_line --regexp '^WEB_CONCURRENCY +4 +yours'

  # heroku/nodejs's WEB_CONCURRENCY.sh default
  senv --shell -- RUN_WORKER=true WEB_CONCURRENCY=2 WEB_CONCURRENCY_SET_BY=heroku/nodejs
  assert_equal "$(value WEB_CONCURRENCY)" 1
  assert_equal "$(value WEB_CONCURRENCY_SET_BY)" solodyno
  senv --explain -- RUN_WORKER=true WEB_CONCURRENCY=2 WEB_CONCURRENCY_SET_BY=heroku/nodejs
  assert_line --regexp "^WEB_CONCURRENCY +1 .*replaces heroku/nodejs's 2$"

  # any variable another buildpack marked, and the marker follows
  senv --shell -- MALLOC_ARENA_MAX=8 MALLOC_ARENA_MAX_SET_BY=heroku/ruby
  assert_equal "$(value MALLOC_ARENA_MAX)" 2
  assert_equal "$(value MALLOC_ARENA_MAX_SET_BY)" solodyno

  # a marker left without its variable is made true again
  senv --shell -- MALLOC_ARENA_MAX_SET_BY=heroku/ruby
  assert_equal "$(value MALLOC_ARENA_MAX)" 2
  assert_equal "$(value MALLOC_ARENA_MAX_SET_BY)" solodyno

  # our own value from an earlier eval is recomputed, not taken for the user's
  senv --shell -- WEB_CONCURRENCY=1 WEB_CONCURRENCY_SET_BY=solodyno SOLODYNO_MEMORY_MB=2560
  assert_equal "$(value WEB_CONCURRENCY)" 2

  # empty counts as not set
  senv --shell -- WEB_CONCURRENCY= MAX_THREADS=
  assert_equal "$(value WEB_CONCURRENCY)" 1
  assert_equal "$(value MAX_THREADS)" 3
}

@test "SIDEKIQ_THREADS and SIDEKIQ_CONCURRENCY are one setting" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- RUN_WORKER=true SIDEKIQ_CONCURRENCY=7
  assert_equal "$(value SIDEKIQ_THREADS)" 7
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" "<unset>"
  assert_equal "$(value DB_POOL)" 14
  senv --shell -- RUN_WORKER=true SIDEKIQ_THREADS=4
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" 4
  assert_equal "$(value SIDEKIQ_THREADS)" "<unset>"
  assert_equal "$(value DB_POOL)" 8
  senv --shell -- RUN_WORKER=true SIDEKIQ_THREADS=4 SIDEKIQ_CONCURRENCY=9
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" "<unset>"
  assert_equal "$(value SIDEKIQ_THREADS)" "<unset>"
  # not a number: both left alone, and --explain says why
  senv --shell -- RUN_WORKER=true SIDEKIQ_CONCURRENCY=lots
  assert_equal "$(value SIDEKIQ_THREADS)" "<unset>"
  senv --explain -- RUN_WORKER=true SIDEKIQ_CONCURRENCY=lots
  assert_output --partial "SIDEKIQ_CONCURRENCY is set but is not a whole number"
}

@test "SIDEKIQ_CONCURRENCY only where the app reads it; SIDEKIQ_THREADS (the appended -c) everywhere" {
  cg_memory v2 $((512 * 1024 * 1024))
  facts mastodon=true mastodon_version=4.0.2 reads=MAX_THREADS,DB_POOL
  senv --shell -- RUN_WORKER=true
  assert_equal "$(value SIDEKIQ_THREADS)" 1
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" "<unset>"
  senv --explain -- RUN_WORKER=true
  assert_output --partial "SIDEKIQ_CONCURRENCY: the app's code does not read it; the -c \${SIDEKIQ_THREADS:-5} of the Sidekiq command carries the thread count"
  # the user's SIDEKIQ_THREADS is not copied into a variable nothing reads
  senv --shell -- RUN_WORKER=true SIDEKIQ_THREADS=4
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" "<unset>"
  assert_equal "$(value DB_POOL)" 8
  # the user's SIDEKIQ_CONCURRENCY still sets SIDEKIQ_THREADS: one setting
  senv --shell -- RUN_WORKER=true SIDEKIQ_CONCURRENCY=3
  assert_equal "$(value SIDEKIQ_THREADS)" 3
  senv --shell -- DYNO=worker.1
  assert_equal "$(value SIDEKIQ_CONCURRENCY)" "<unset>"
  assert_equal "$(value SIDEKIQ_THREADS)" 5
}

@test "DB_POOL stays above the user's own thread counts" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- RUN_WORKER=true MAX_THREADS=16
  assert_equal "$(value MAX_THREADS)" "<unset>"
  assert_equal "$(value DB_POOL)" 32
  senv --shell -- DYNO=worker.1 SIDEKIQ_THREADS=40
  assert_equal "$(value DB_POOL)" 80
}

@test "hostile values never change what eval does beyond setting our variables" {
  cg_memory v2 $((512 * 1024 * 1024))
  local pwned="$BATS_TEST_TMPDIR/pwned"
  local -a hostile=(
    "DYNO=web.1"
    "RUN_WORKER=true\$(touch $pwned)"
    "SIDEKIQ_CONCURRENCY=\`touch $pwned\`"
    "SIDEKIQ_THREADS=3'\"\$(touch $pwned)"
    "WEB_CONCURRENCY_SET_BY=x'; touch $pwned; echo '"
    "WEB_CONCURRENCY=\$(touch $pwned)"
    "MAX_THREADS=$(printf '4\nexport PATH=/nowhere\ntouch %s' "$pwned")"
    "SOLODYNO_MEMORY_MB=\$(touch $pwned)"
    "MALLOC_ARENA_MAX_SET_BY=\`touch $pwned\`"
    "MALLOC_ARENA_MAX=$(printf "'\\n\\\\'")"
  )
  senv --shell -- "${hostile[@]}"
  assert_success
  # every line is one export of a plain name and a single-quoted word
  local line
  for line in "${lines[@]}"; do
    [[ "$line" =~ ^export\ [A-Z_][A-Z0-9_]*=\'([^\']|\'\\\'\')*\'$ ]] || {
      echo "unsafe line: $line"
      false
    }
  done
  # eval it: nothing runs, and only our variables change
  local script="$BATS_TEST_TMPDIR/shell-out"
  printf '%s\n' "$output" >"$script"
  run env -i "${hostile[@]}" bash -c '
    before=$(env -0 | sort -z | tr "\0" "\n")
    eval "$(cat "$1")"
    after=$(env -0 | sort -z | tr "\0" "\n")
    diff <(printf "%s\n" "$before") <(printf "%s\n" "$after") | sed -n "s/^> //p" | cut -d= -f1 | sort -u' \
    x "$script"
  assert_success
  [[ ! -e "$pwned" ]]
  local allowed=" WEB_CONCURRENCY WEB_CONCURRENCY_SET_BY MAX_THREADS RAILS_MAX_THREADS SIDEKIQ_THREADS
    SIDEKIQ_CONCURRENCY DB_POOL MAGICK_MEMORY_LIMIT MAGICK_THREAD_LIMIT VIPS_CONCURRENCY MALLOC_ARENA_MAX
    MALLOC_ARENA_MAX_SET_BY SERVICE_TIMEOUT WAIT_TIMEOUT STREAMING_CLUSTER_NUM SOLODYNO_DEFAULTS "
  for line in "${lines[@]}"; do
    [[ "$allowed" == *" $line"[[:space:]]* ]] || {
      echo "changed: $line"
      false
    }
  done
  # the explain table and the boot log show hostile values escaped, on their own lines
  senv --explain -- "${hostile[@]}" LOG_CONCURRENCY=true
  assert_success
  assert_line --regexp '^MAX_THREADS +4\\x0aexport PATH=/nowhere\\x0atouch .* +yours'
  refute_line --regexp '^(export|touch)'
  senv --shell -- "${hostile[@]}" LOG_CONCURRENCY=true
  [[ "$stderr" == *"MAX_THREADS"* ]] || false
  while IFS= read -r line; do
    [[ "$line" == "solodyno: "* ]] || false
  done <<<"$stderr"
  # a hostile DYNO is no process type: a one-off's defaults, shown escaped
  senv --shell -- "DYNO=web.1'; touch $pwned; '$(printf '\nx')"
  assert_success
  assert_equal "$(value WEB_CONCURRENCY)" "<unset>"
  assert_equal "$(value MALLOC_ARENA_MAX)" 2
  senv --explain -- "DYNO=web.1'; touch $pwned; '$(printf '\nx')"
  assert_line --partial "dyno     DYNO=web.1'; touch $pwned; '\x0ax: one-off dyno"
  [[ ! -e "$pwned" ]]
}

@test "--exec-d writes TOML on fd 3 that tomllib reads as the --shell values" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- RUN_WORKER=true
  local shell_out=$output
  local toml="$BATS_TEST_TMPDIR/out.toml"
  run --separate-stderr env -i -C "$APP" SOLODYNO_CGROUP_ROOT="$CG" DYNO=web.1 RUN_WORKER=true \
    "$SOLODYNO" env --exec-d 3>"$toml"
  assert_success
  assert_output ""
  run python3 - "$toml" "$shell_out" <<'PY'
import shlex, sys, tomllib
with open(sys.argv[1], "rb") as f:
    toml = tomllib.load(f)
shell = {}
for line in sys.argv[2].splitlines():
    name, _, word = line.removeprefix("export ").partition("=")
    shell[name] = shlex.split(word)[0]
assert all(isinstance(v, str) for v in toml.values()), toml
assert toml == shell, (toml, shell)
assert toml["WEB_CONCURRENCY"] == "1" and toml["MAX_THREADS"] == "3" and toml["DB_POOL"] == "6"
print("ok", len(toml))
PY
  assert_success
  assert_output "ok 11"
}

@test "--exec-d fails clearly when fd 3 is not open" {
  run --separate-stderr env -i -C "$APP" "$SOLODYNO" env --exec-d 3>&-
  assert_failure 1
  [[ "$stderr" == *"file descriptor 3, which is not open"* ]]
}

@test "--explain: memory, CPUs, role, app, and each variable with its origin" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --explain -- RUN_WORKER=true WEB_CONCURRENCY=2 WEB_CONCURRENCY_SET_BY=heroku/nodejs DB_POOL=12
  assert_success
  assert_line "memory   512 MB (cgroup v2 memory.max)"
  assert_line --regexp '^CPUs     [0-9]+ \(affinity mask\)$'
  assert_line "dyno     DYNO=web.1: web dyno running Puma and Sidekiq (RUN_WORKER=true, RUN_STREAMING=(unset))"
  assert_line "app      Mastodon 4.3.2"
  assert_line --regexp '^VARIABLE +VALUE +FROM$'
  assert_line --regexp '^MAX_THREADS +3 +tuned: '
  assert_line --regexp '^DB_POOL +12 +yours \(set, left alone\)$'
  assert_line --regexp "^WEB_CONCURRENCY +1 +tuned: .*; replaces heroku/nodejs's 2$"
  assert_line --regexp '^SIDEKIQ_CONCURRENCY +1 +the same setting as SIDEKIQ_THREADS; config/sidekiq\.yml:2 reads it$'
  assert_line --regexp '^MAX_THREADS +3 +tuned: .*; config/puma\.rb:5 reads it$'
}

@test "--explain says when the stack's ImageMagick policy caps memory below our value" {
  local policy="$BATS_TEST_TMPDIR/policy.xml"
  cat >"$policy" <<'XML'
<policymap>
  <!-- <policy domain="resource" name="memory" value="8GiB"/> -->
  <policy domain="resource" name="memory" value="256MiB"/>
</policymap>
XML
  senv --explain -- SOLODYNO_MEMORY_MB=1024 SOLODYNO_MAGICK_POLICY="$policy"
  assert_output --partial "MAGICK_MEMORY_LIMIT: the stack's ImageMagick policy ($policy) caps memory at 268435456 bytes, below 536870912"
  senv --explain -- SOLODYNO_MEMORY_MB=512 SOLODYNO_MAGICK_POLICY="$policy"
  refute_output --partial "caps memory"
  # the stack's own policy, where ImageMagick is installed
  if [[ -f /etc/ImageMagick-6/policy.xml ]] && grep -q 'name="memory" value="256MiB"' /etc/ImageMagick-6/policy.xml; then
    senv --explain -- SOLODYNO_MEMORY_MB=2560
    assert_output --partial "(/etc/ImageMagick-6/policy.xml) caps memory at 268435456 bytes"
  fi
}

@test "real ImageMagick sees the memory and thread limits we export" {
  command -v identify >/dev/null || skip "ImageMagick is not installed"
  # Under the policy's 256MiB cap (a variable can only lower it): a 256 MB
  # dyno's half is 128 MiB.
  senv --shell -- SOLODYNO_MEMORY_MB=256
  assert_success
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/defaults.sh"
  run env -i PATH=/usr/bin:/bin bash -c '. "$1" && identify -list resource' x "$BATS_TEST_TMPDIR/defaults.sh"
  assert_success
  assert_line --regexp '^ +Memory: 128MiB$'
  assert_line --regexp '^ +Thread: 1$'
}

@test "boot log line on stderr with LOG_CONCURRENCY=true or SOLODYNO_LOG=1, and only then" {
  cg_memory v2 $((512 * 1024 * 1024))
  senv --shell -- RUN_WORKER=true
  assert_equal "$stderr" ""
  senv --shell -- RUN_WORKER=true LOG_CONCURRENCY=true WEB_CONCURRENCY=2
  assert_equal "$stderr" "solodyno: 512 MB, $(nproc) CPUs, web dyno running Puma and Sidekiq: MAX_THREADS=3 SIDEKIQ_THREADS=1 SIDEKIQ_CONCURRENCY=1 DB_POOL=6 MAGICK_MEMORY_LIMIT=268435456 MAGICK_THREAD_LIMIT=1 VIPS_CONCURRENCY=1 MALLOC_ARENA_MAX=2 (yours: WEB_CONCURRENCY)"
  senv --shell -- SOLODYNO_LOG=1
  [[ "$stderr" == "solodyno: 512 MB, "* ]]
  senv --shell -- LOG_CONCURRENCY=false SOLODYNO_LOG=0
  assert_equal "$stderr" ""
}

@test "usage errors" {
  senv
  assert_failure 2
  senv --shell --explain
  assert_failure 2
  senv --bogus
  assert_failure 2
}

@test "the README's per-dyno-size table is what solodyno env --table prints" {
  run "$SOLODYNO" env --table
  assert_success
  local table=$output
  run python3 - "$BP_DIR/README.md" "$table" <<'PY'
import sys
readme = open(sys.argv[1]).read()
table = sys.argv[2].strip("\n") + "\n"
assert table in readme, "README's table differs from `solodyno env --table`:\n" + table
print("in step")
PY
  assert_success
  # and it has every Heroku dyno size
  for mb in "${heroku_sizes[@]}"; do
    [[ "$table" == *"| $mb MB |"* ]]
  done
}

@test "evaluating the output again in the same environment changes nothing (re-sourced .profile)" {
  cg_memory v2 $((1024 * 1024 * 1024))
  run env -i -C "$APP" PATH=/usr/bin:/bin SOLODYNO_CGROUP_ROOT="$CG" DYNO=web.1 RUN_WORKER=true \
    MAX_THREADS=9 ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" bash -c '
    eval "$("$1" env --shell)"; first=$(env | sort)
    eval "$("$1" env --shell)"; second=$(env | sort)
    [ "$first" = "$second" ] && echo "same; MAX_THREADS=$MAX_THREADS DB_POOL=$DB_POOL"' x "$SOLODYNO"
  assert_success
  assert_output "same; MAX_THREADS=9 DB_POOL=18"
}
