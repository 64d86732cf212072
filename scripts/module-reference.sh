#!/bin/sh
# docs/modules.md: every module's `tend doc` (its arguments, what it
# returns, an example), printed by the tend given, so that the reference
# is the binary's own tables (t0001 checks the file is up to date):
#   sh scripts/module-reference.sh bin/tend >docs/modules.md
set -e
tend=${1:?usage: module-reference.sh TEND}
cat <<'HEAD'
# Module reference

Every module tend runs: its arguments (type, default, choices), the keys
it returns (what `register` stores; for the modules Ansible has, the
compat suite compares them with what ansible-playbook registers), and an
example task.
This file is generated from the tables `tend doc MODULE` prints
(`sh scripts/module-reference.sh bin/tend >docs/modules.md`); edit the
module's table, not this file.
HEAD
"$tend" modules | while read -r m _; do
	printf '\n## %s\n\n```\n' "$m"
	"$tend" doc "$m"
	printf '```\n'
done
