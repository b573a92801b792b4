#!/usr/bin/env bash
# Build-log helpers in Heroku's style: "-----> " for a step, seven spaces for a
# detail, " !     " for a warning (on stderr, so it stands out in the log).

header() { printf -- '-----> %s\n' "$*"; }
info() { printf '       %s\n' "$*"; }
warning() { printf ' !     %s\n' "$*" >&2; }

# Prints the error and stops the build.
fail() {
  printf ' !     %s\n' "$@" >&2
  exit 1
}

# Indents a command's output as build-log details: cmd | indent
indent() { sed -u 's/^/       /'; }
