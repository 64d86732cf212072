#!/bin/sh
# make demo: plan, apply, and plan again the demo playbook on this host.
set -e
tend=${1:-bin/tend}
cd "$(dirname "$0")/.."
echo "== tend plan playbooks/demo.yml"
"$tend" plan playbooks/demo.yml
echo
echo "== tend apply playbooks/demo.yml"
"$tend" apply playbooks/demo.yml
echo
echo "== tend plan playbooks/demo.yml (again: nothing left to change)"
"$tend" plan --detailed-exitcode playbooks/demo.yml
