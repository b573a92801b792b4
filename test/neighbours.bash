#!/usr/bin/env bash
# What the buildpacks a Mastodon app runs beside solodyno leave in the app,
# emulated from their real files: the same behaviour, in our own words. Each
# function names the file and commit it follows. Call them on $APP before
# bin/compile, in the order the buildpacks run (heroku/nodejs, heroku/ruby,
# then solodyno), since each writes into the same build directory.

# heroku/heroku-buildpack-nodejs at 4f394e954b4e8c438eee33c8146e4bc48f0e1ab7.
# Its bin/compile copies profile/* into .profile.d (lib/environment.sh:69-74):
# - profile/WEB_CONCURRENCY.sh: memory from cgroup v1's
#   memory/memory.limit_in_bytes only (512 MB when it is missing, as on a
#   cgroup v2 host), bounded at 129024 MB; WEB_MEMORY 512 MB per process, 2048
#   above 16384 MB; only when WEB_CONCURRENCY is empty: memory / WEB_MEMORY,
#   at least 1, and 1 with a warning above 200; then, and only then,
#   WEB_CONCURRENCY_SET_BY=heroku/nodejs. LOG_CONCURRENCY=true logs it.
# - profile/nodejs.sh: PATH, NODE_HOME, NODE_ENV (the metrics plugin part,
#   off without HEROKU_METRICS_URL, is left out).
# $1: the cgroup root the dyno sees (the real script reads /sys/fs/cgroup).
neighbour_nodejs_classic() {
  local cg=${1:-/sys/fs/cgroup}
  mkdir -p "$APP/.profile.d"
  cat >"$APP/.profile.d/WEB_CONCURRENCY.sh" <<SH
# emulates heroku/nodejs's profile/WEB_CONCURRENCY.sh (test/neighbours.bash)
if [ -e "$cg/memory/memory.limit_in_bytes" ]; then
  seen_mb=\$(( \$(cat "$cg/memory/memory.limit_in_bytes") / 1048576 ))
else
  seen_mb=512
fi
if (( seen_mb > 129024 )); then seen_mb=129024; fi
export MEMORY_AVAILABLE=\${MEMORY_AVAILABLE-\$seen_mb}
if (( MEMORY_AVAILABLE > 16384 )); then per_process=2048; else per_process=512; fi
export WEB_MEMORY=\${WEB_MEMORY-\$per_process}
if [ -z "\${WEB_CONCURRENCY}" ]; then
  workers=\$(( MEMORY_AVAILABLE / WEB_MEMORY ))
  if (( workers < 1 )); then
    workers=1
  elif (( workers > 200 )); then
    workers=1
    echo "Could not determine a reasonable value for WEB_CONCURRENCY (emulated warning)"
  fi
  export WEB_CONCURRENCY=\$workers
  export WEB_CONCURRENCY_SET_BY="heroku/nodejs"
fi
if [[ "\${LOG_CONCURRENCY+isset}" && "\$LOG_CONCURRENCY" == "true" ]]; then
  echo "Detected \$MEMORY_AVAILABLE MB available memory, \$WEB_MEMORY MB limit per process (WEB_MEMORY)"
  echo "Recommending WEB_CONCURRENCY=\$WEB_CONCURRENCY"
fi
SH
  cat >"$APP/.profile.d/nodejs.sh" <<'SH'
# emulates heroku/nodejs's profile/nodejs.sh (test/neighbours.bash)
export PATH="$HOME/.heroku/node/bin:$HOME/.heroku/yarn/bin:$PATH:$HOME/bin:$HOME/node_modules/.bin"
export NODE_HOME="$HOME/.heroku/node"
export NODE_ENV=${NODE_ENV:-production}
SH
}

# heroku/heroku-buildpack-ruby at 0c80c93dc4fb6b5ed3dccda8a87601efe0e1c33f,
# what its build leaves for a Rails app built for the first time:
# - .profile.d/ruby.sh from setup_profiled (lib/language_pack/ruby.rb:364-403):
#   each default as `export K=${K:-V}`, each override as `export K="V"`
#   (base.rb:130-136): the default config vars of
#   helpers/default_env_vars.rb (LANG, PUMA_PERSISTENT_TIMEOUT, RACK_ENV,
#   RAILS_ENV, SECRET_KEY_BASE, RAILS_SERVE_STATIC_FILES,
#   RAILS_LOG_TO_STDOUT), GEM_PATH, PATH and DISABLE_SPRING overrides, and
#   MALLOC_ARENA_MAX=2 for an app whose first build this is (ruby.rb:170-175,
#   387), then the BUNDLE_* defaults.
# - .profile.d/WEB_CONCURRENCY.sh, rewritten at every build (mode "w",
#   ruby.rb:389-391, so heroku/nodejs's file of that name is gone): empty, or
#   with the SENSIBLE_DEFAULTS config var the `case $(ulimit -u)` block of
#   ruby.rb:260-285, which keeps a WEB_CONCURRENCY already set but exports
#   WEB_CONCURRENCY_SET_BY=heroku/ruby whatever.
# - tmp/heroku-buildpack-release-step.yml (base.rb:95-106, written with
#   Ruby's to_yaml; addons: heroku-postgresql when the pg gem is locked,
#   ruby.rb:749-761).
# Options: --sensible-defaults, --pg.
neighbour_ruby_classic() {
  local sensible="" pg=""
  while (($#)); do
    case "$1" in
      --sensible-defaults) sensible=1 ;;
      --pg) pg=1 ;;
    esac
    shift
  done
  mkdir -p "$APP/.profile.d" "$APP/tmp"
  cat >"$APP/.profile.d/ruby.sh" <<'SH'
export LANG=${LANG:-en_US.UTF-8}
export PUMA_PERSISTENT_TIMEOUT=${PUMA_PERSISTENT_TIMEOUT:-95}
export RACK_ENV=${RACK_ENV:-production}
export RAILS_ENV=${RAILS_ENV:-production}
export SECRET_KEY_BASE=${SECRET_KEY_BASE:-0123456789abcdef0123456789abcdef}
export RAILS_SERVE_STATIC_FILES=${RAILS_SERVE_STATIC_FILES:-enabled}
export RAILS_LOG_TO_STDOUT=${RAILS_LOG_TO_STDOUT:-enabled}
export GEM_PATH="$HOME/vendor/bundle/ruby/3.3.0:$GEM_PATH"
export PATH="$HOME/bin:$HOME/vendor/bundle/bin:$HOME/vendor/bundle/ruby/3.3.0/bin:$PATH"
export DISABLE_SPRING="1"
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
export BUNDLE_PATH=${BUNDLE_PATH:-vendor/bundle}
export BUNDLE_WITHOUT=${BUNDLE_WITHOUT:-development:test}
export BUNDLE_BIN=${BUNDLE_BIN:-vendor/bundle/bin}
SH
  if [[ -n "$sensible" ]]; then
    cat >"$APP/.profile.d/WEB_CONCURRENCY.sh" <<'SH'
case $(ulimit -u) in
256)
  export HEROKU_RAM_LIMIT_MB=${HEROKU_RAM_LIMIT_MB:-512}
  export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
  export WEB_CONCURRENCY_SET_BY=heroku/ruby
  ;;
512)
  export HEROKU_RAM_LIMIT_MB=${HEROKU_RAM_LIMIT_MB:-1024}
  export WEB_CONCURRENCY=${WEB_CONCURRENCY:-4}
  export WEB_CONCURRENCY_SET_BY=heroku/ruby
  ;;
16384)
  export HEROKU_RAM_LIMIT_MB=${HEROKU_RAM_LIMIT_MB:-2560}
  export WEB_CONCURRENCY=${WEB_CONCURRENCY:-8}
  export WEB_CONCURRENCY_SET_BY=heroku/ruby
  ;;
32768)
  export HEROKU_RAM_LIMIT_MB=${HEROKU_RAM_LIMIT_MB:-6144}
  export WEB_CONCURRENCY=${WEB_CONCURRENCY:-16}
  export WEB_CONCURRENCY_SET_BY=heroku/ruby
  ;;
*)
  ;;
esac
SH
  else
    echo >"$APP/.profile.d/WEB_CONCURRENCY.sh" # puts "" writes one newline
  fi
  # The release file, as Ruby's to_yaml writes it.
  ruby -ryaml -e '
    addons = ARGV[0] == "pg" ? ["heroku-postgresql"] : []
    types = {"rake" => "bundle exec rake", "console" => "bin/rails console",
             "web" => "bin/rails server -p ${PORT:-5000} -e $RAILS_ENV"}
    File.write(ARGV[1], {"addons" => addons, "default_process_types" => types}.to_yaml)
  ' "${pg:+pg}" "$APP/tmp/heroku-buildpack-release-step.yml"
}

# Runs the rest of the test's commands under a process limit like a dyno's:
# heroku/ruby's SENSIBLE_DEFAULTS reads the dyno size from `ulimit -u` (256
# on a 512 MB dyno, 512 on 1 GB, ruby.rb:261-281). Lowering it is harmless for
# root, whom the limit does not bind; another user needs few processes.
dyno_process_limit() {
  if ((EUID != 0)) && (($(ps -u "$EUID" --no-headers | wc -l) > $1 / 2)); then
    skip "this user runs too many processes to lower ulimit -u to $1"
  fi
  ulimit -u "$1"
}
