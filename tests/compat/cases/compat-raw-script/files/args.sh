#!/bin/sh
# prints its arguments one a line, between bars, then writes them
for a in "$@"; do printf "|%s|\n" "$a"; done
printf "to stderr\n" >&2
printf "%s\n" "$@" > "$OUT"
printf "pwd %s\n" "$(pwd)"
exit "${RC:-0}"
