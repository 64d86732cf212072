#!/bin/sh
# The generated references, printed by the tend given from its own tables
# (t0001 checks that the files are up to date):
#   sh scripts/reference.sh bin/tend modules  >docs/modules.md
#   sh scripts/reference.sh bin/tend keywords >docs/keywords.md
set -e
tend=${1:?usage: reference.sh TEND modules|keywords}
case ${2:-} in
modules)
	cat <<'HEAD'
# Module reference

Every module tend runs: its arguments (type, default, choices), the keys
it returns (what `register` stores; for the modules Ansible has, the
compat suite compares them with what ansible-playbook registers), and an
example task. This file is generated from the tables `tend doc MODULE`
prints (`sh scripts/reference.sh bin/tend modules >docs/modules.md`);
edit the module's table, not this file.
HEAD
	"$tend" modules | while read -r m _; do
		printf '\n## %s\n\n```\n' "$m"
		"$tend" doc "$m"
		printf '```\n'
	done
	;;
keywords)
	cat <<'HEAD'
# Playbook keyword reference

The keywords of plays and of tasks (blocks and handlers take the task
keywords too) that tend reads, with Ansible's meaning unless the line
says otherwise; a keyword marked "not supported yet" is refused by name
when the playbook loads, as is one not listed. The filters and tests
are in [templates.md](templates.md), the lookups in
[lookups.md](lookups.md), the modules in [modules.md](modules.md);
`async`, `poll` and `async_status` in [async.md](async.md). This
file is generated from the tables the loader reads the keywords with
(`sh scripts/reference.sh bin/tend keywords >docs/keywords.md`).

```
HEAD
	"$tend" help keywords
	echo '```'
	;;
*)
	echo "usage: reference.sh TEND modules|keywords" >&2
	exit 2
	;;
esac
