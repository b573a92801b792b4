#!/usr/bin/env bash
# A memory cgroup of a test's own, to run a dyno in as Heroku does: cgroup v2
# where the machine runs it with the memory controller (CI's Ubuntu), else a
# cgroup v1 memory hierarchy (the machine's, or one mounted here). No swap
# in it, so past its limit the kernel's OOM killer acts, as on Fir.
#
#   make_memory_cgroup MB   sets MEMCG_DIR (the cgroup), MEMCG_ROOT (what
#                           SOLODYNO_CGROUP_ROOT must be for solodyno to read
#                           it as the dyno's own: v2 files directly under it,
#                           v1 under memory/) and MEMCG_VERSION
#   remove_memory_cgroup    kills what is left in it and removes it (teardown)
#   memcg_oom_kills         how many processes the OOM killer ended in it

make_memory_cgroup() {
  local mb=$1 name="solodyno-test-$$-${BATS_TEST_NUMBER:-0}-$RANDOM"
  local bytes=$((mb * 1024 * 1024))
  [[ $EUID -eq 0 ]] || skip "creating a memory cgroup needs root"
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    if ! grep -qw memory /sys/fs/cgroup/cgroup.subtree_control; then
      echo +memory >/sys/fs/cgroup/cgroup.subtree_control
    fi
    MEMCG_DIR=/sys/fs/cgroup/$name
    mkdir "$MEMCG_DIR"
    echo "$bytes" >"$MEMCG_DIR/memory.max"
    if [[ -f "$MEMCG_DIR/memory.swap.max" ]]; then echo 0 >"$MEMCG_DIR/memory.swap.max"; fi
    MEMCG_ROOT=$MEMCG_DIR
    MEMCG_VERSION=2
    return 0
  fi
  local mnt
  mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
  if [[ -z "$mnt" ]]; then
    mnt="$BATS_TEST_TMPDIR/memcg-v1"
    mkdir -p "$mnt"
    if ! mount -t cgroup -o memory solodyno-memcg "$mnt" 2>/dev/null; then
      skip "no memory cgroup here: cgroup v2 has no memory controller and a cgroup v1 memory hierarchy cannot be mounted"
    fi
    MEMCG_MOUNTED=$mnt
  fi
  MEMCG_DIR=$mnt/$name
  mkdir "$MEMCG_DIR"
  echo "$bytes" >"$MEMCG_DIR/memory.limit_in_bytes"
  # Where swap is accounted, none past the limit either.
  if [[ -f "$MEMCG_DIR/memory.memsw.limit_in_bytes" ]]; then
    echo "$bytes" >"$MEMCG_DIR/memory.memsw.limit_in_bytes"
  fi
  MEMCG_ROOT="$BATS_TEST_TMPDIR/cgroup-root"
  mkdir -p "$MEMCG_ROOT"
  ln -sfn "$MEMCG_DIR" "$MEMCG_ROOT/memory"
  MEMCG_VERSION=1
}

memcg_empty() {
  [[ -z "$(cat "$MEMCG_DIR/cgroup.procs" 2>/dev/null)" ]]
}

remove_memory_cgroup() {
  if [[ -n "${MEMCG_DIR:-}" && -d "$MEMCG_DIR" ]]; then
    local pid
    while read -r pid; do
      kill -KILL "$pid" 2>/dev/null || true
    done <"$MEMCG_DIR/cgroup.procs"
    wait_until 10 memcg_empty || true
    rmdir "$MEMCG_DIR" || true
  fi
  if [[ -n "${MEMCG_MOUNTED:-}" ]]; then umount "$MEMCG_MOUNTED" || true; fi
  MEMCG_DIR="" MEMCG_MOUNTED=""
}

memcg_oom_kills() {
  local file=memory.events
  [[ $MEMCG_VERSION == 2 ]] || file=memory.oom_control
  awk '$1 == "oom_kill" { print $2; found = 1 } END { if (!found) print "unknown" }' "$MEMCG_DIR/$file"
}
