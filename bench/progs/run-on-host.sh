#!/usr/bin/env bash
# run-on-host.sh - run one static i386 benchmark program directly on the
# host Linux and require exit status 0 and a "BENCH <name> <n> <unit>"
# line.  Runs: host (meson test --suite bench).
# Usage: run-on-host.sh PROGRAM
set -u
prog=${1:?usage: run-on-host.sh PROGRAM}
out=$("$prog") || { echo "run-on-host: $prog exited with $?"; exit 1; }
echo "$out"
if ! grep -Eq '^BENCH [a-z0-9-]+ [1-9][0-9]* [a-z]+$' <<<"$out"; then
  echo "run-on-host: $prog printed no BENCH line"
  exit 1
fi
