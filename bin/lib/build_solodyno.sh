#!/usr/bin/env bash
# Builds the solodyno helper from src/ with the stack's C compiler, once per
# combination of sources, compiler, stack and architecture; later builds reuse
# the cached binary without running the compiler at all.
#
# Shared by bin/compile (Heroku) and bin/build (Cloud Native Buildpacks).

# The C compiler to use: $CC, else cc, gcc or clang. Empty if none.
find_c_compiler() {
  local c
  for c in "${CC:-}" cc gcc clang; do
    if [[ -n "$c" ]] && command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

# The sources of solodyno: src/main.c and the phases it runs in (src/common,
# src/build, src/dyno; src/slug is solodyno-slug's), headers included. Sorted,
# so the cache key does not depend on directory order.
solodyno_sources() {
  local bp_dir=$1 f
  for f in "$bp_dir"/src/*.[ch] "$bp_dir"/src/{common,build,dyno}/*.[ch]; do
    printf '%s\n' "$f"
  done | LC_ALL=C sort
}

# The SHA-256 of the sources: each file's path under the buildpack, then its
# content. Part of the cache key, and recorded in the CNB cache layer.
solodyno_sources_sha256() {
  local bp_dir=$1 f
  solodyno_sources "$bp_dir" | while IFS= read -r f; do
    printf '%s\n' "${f#"$bp_dir"/}"
    cat "$f"
  done | sha256sum | cut -d' ' -f1
}

# The compiler flags, in the cache key too (a changed flag is a new binary).
# No -Werror: a newer compiler's new warning must not break a deploy.
# No -march=native: the slug runs on other hardware than the build.
# -Os: the helper's code pages stay resident in solodyno run on every dyno,
# and it is not CPU-bound (same output throughput and env time as -O2, 45 kB
# less Pss for the supervisor).
SOLODYNO_CFLAGS=(-Os -Wall -Wextra)

# A key naming everything the binary depends on. The compiler is identified by
# its resolved path and a hash of its driver binary, so computing the key never
# runs the compiler (a warm build must not pay for it).
solodyno_cache_key() {
  local bp_dir=$1 compiler=$2 real
  real=$(readlink -f "$compiler")
  {
    printf 'stack=%s\narch=%s\ncompiler=%s\nflags=%s %s\n' \
      "${STACK:-unknown}" "$(uname -m)" "$real" "${SOLODYNO_CFLAGS[*]}" "${SOLODYNO_EXTRA_CFLAGS:-}"
    sha256sum "$real" | cut -d' ' -f1
    solodyno_sources_sha256 "$bp_dir"
  } | sha256sum | cut -c1-32
}

# compile_solodyno COMPILER OUT_DIR SRC_DIR SOURCE...: OUT_DIR/solodyno from the
# sources, one compiler job per CPU (a cold build waits on this), then one link.
# Each job's messages go to its own OUT_DIR/*.log, so they never interleave.
# xargs -P runs the pool: bash's `wait -n` can miss a job that ended while the
# shell was busy and report 127 for a compile that succeeded.
compile_solodyno() {
  local compiler=$1 out=$2 src_dir=$3 jobs
  shift 3
  local -a flags=(-std=c11 -D_GNU_SOURCE -I"$src_dir" "${SOLODYNO_CFLAGS[@]}")
  local -a extra
  read -r -a extra <<<"${SOLODYNO_EXTRA_CFLAGS:-}"
  flags+=("${extra[@]}")
  jobs=$(nproc 2>/dev/null || echo 2)
  mkdir -p "$out/obj"
  # A subshell, so the exported function reaches xargs' children only and not
  # the programs the rest of the build runs.
  # shellcheck disable=SC2016 # expanded by the bash that xargs starts
  (
    export -f compile_one_source
    printf '%s\0' "$@" |
      xargs -0 -n 1 -P "$jobs" bash -c 'compile_one_source "$@"' _ "$out" "$compiler" "${flags[@]}"
  ) || return 1
  local status=0
  "$compiler" "${flags[@]}" -o "$out/solodyno" "$out"/obj/*.o 2>"$out/link.log" || status=$?
  if ((status != 0)); then
    printf 'linking solodyno: the compiler exited with status %d\n' "$status" >>"$out/link.log"
    return 1
  fi
}

# compile_one_source OUT_DIR COMPILER FLAG... SOURCE: one object file. A
# failure is noted in its log with the status, since a compiler killed by a
# signal (out of memory, say) prints nothing itself.
compile_one_source() {
  local out=$1 compiler=$2 src name status=0
  shift 2
  src=${!#}
  # Named after its folder too (dyno-run, common-log), so two phases may hold
  # files of the same name.
  name=${src%/*}
  name="${name##*/}-${src##*/}"
  name=${name%.c}
  "$compiler" "${@:1:$#-1}" -c -o "$out/obj/$name.o" "$src" 2>"$out/$name.log" || status=$?
  if ((status != 0)); then
    printf 'compiling src/%s: the compiler exited with status %d\n' "${src##*/src/}" "$status" >>"$out/$name.log"
    return 1
  fi
}

# build_solodyno BP_DIR CACHE_DIR: prints the path of a solodyno binary in
# CACHE_DIR, compiling it only when no binary with the current key is cached.
# Log lines go to stderr so the caller can capture the path.
build_solodyno() {
  local bp_dir=$1 cache_dir=$2 compiler key dir tmp
  if ! compiler=$(find_c_compiler); then
    fail "No C compiler found on this stack (${STACK:-unknown stack})." \
      "solodyno is compiled at build time with gcc or clang; heroku-22-build and" \
      "heroku-24-build have gcc. Set CC, or build on a stack image that has a compiler."
  fi
  key=$(solodyno_cache_key "$bp_dir" "$compiler")
  dir="$cache_dir/solodyno-bin/$key"
  if [[ -x "$dir/solodyno" ]]; then
    info "Using cached solodyno (key ${key:0:12})" >&2
  else
    info "Compiling solodyno with $(basename "$compiler") (key ${key:0:12})" >&2
    mkdir -p "$cache_dir/solodyno-bin"
    tmp=$(mktemp -d "$cache_dir/solodyno-bin/tmp.XXXXXX")
    local -a sources
    mapfile -t sources < <(solodyno_sources "$bp_dir" | grep '\.c$')
    if ! compile_solodyno "$compiler" "$tmp" "$bp_dir/src" "${sources[@]}"; then
      cat "$tmp"/*.log 2>/dev/null | indent >&2
      rm -rf "$tmp"
      fail "Compiling solodyno failed (compiler: $compiler, stack: ${STACK:-unknown})."
    fi
    cat "$tmp"/*.log 2>/dev/null | indent >&2
    rm -rf "$tmp"/*.log "$tmp/obj"
    # Keep only the current build: old keys would pile up in the cache.
    rm -rf "$cache_dir/solodyno-bin/"[0-9a-f]*
    mv "$tmp" "$dir"
  fi
  printf '%s\n' "$dir/solodyno"
}
