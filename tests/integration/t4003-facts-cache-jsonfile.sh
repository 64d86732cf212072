#!/bin/sh
# ansible.cfg's fact cache between runs: gathering = smart with
# fact_caching = jsonfile. The first apply gathers and writes one file per
# host (0600, in a directory it makes); the next run gathers nothing and
# has the cached facts and cacheable set_facts (host data: a cached
# '{{ x }}' is never rendered); a plan reads the cache but never writes
# it; an expired file, --flush-cache and clear_facts make it gather again;
# a secret never reaches the file; a corrupt file stops the run, named.
# Ansible's cache files and tend's are read by the other tool.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
SECRET=Cached-S3cret-5rx
printf 'vault pw\n' >"$T/pw"
mkdir -p "$T/p"
cd "$T/p"
cat >ansible.cfg <<'CFG'
[defaults]
gathering = smart
fact_caching = jsonfile
fact_caching_connection = cache/facts
fact_caching_timeout = 3600
CFG
printf 'local1 ansible_connection=local\n' >inventory.ini
"$TEND" vault encrypt_string --vault-password-file "$T/pw" --name sec "$SECRET" >"$T/sec.yml" ||
	fail "encrypt_string"
{
	printf -- '- hosts: all\n  gather_subset: [min]\n  vars:\n'
	sed 's/^/    /' "$T/sec.yml"
	cat <<'YML'
  tasks:
    - command: { argv: [printf, "%s", '{{ "{{" }} x }} -x %s \'] }
      register: hostile
      when: first is defined
    - set_fact: { kept: "{{ hostile.stdout }}", secret_fact: "{{ sec }}", cacheable: true }
      when: first is defined
    - debug: { msg: "kept=[{{ kept | default('none') }}] host={{ ansible_hostname == ansible_facts.hostname }}" }
YML
} >site.yml
V="--vault-password-file $T/pw -i inventory.ini"

# the first apply gathers and writes the cache: the file is the user's
run_tend 0 apply $V site.yml -e first=1
expect_in "$T/out" "Gathering Facts"
expect_in "$T/out" "kept=[{{ x }} -x %s \\] host=True"
[ -f cache/facts/local1 ] || fail "no cache file cache/facts/local1"
[ "$(stat -c %a cache/facts/local1)" = 600 ] || fail "cache file mode $(stat -c %a cache/facts/local1)"
python3 - cache/facts/local1 <<'PY' || fail "cache file content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["_ansible_facts_gathered"] is True, d
assert d["kept"] == "{{ x }} -x %s \\", d["kept"]
assert d["ansible_hostname"], d
assert d["module_setup"] is True and d["gather_subset"] == ["min"], d
assert "secret_fact" not in d, "a secret in the cache"
PY
! grep -rqaF -- "$SECRET" cache || fail "the secret is in the cache directory"

# the next apply gathers nothing: facts and the cacheable fact from the file
cp cache/facts/local1 "$T/before"
run_tend 0 apply $V site.yml
expect_not_in "$T/out" "Gathering Facts"
expect_in "$T/out" "kept=[{{ x }} -x %s \\] host=True"

# a plan reads the cache and never writes it
touch -d '10 minutes ago' cache/facts/local1
stamp=$(stat -c %Y cache/facts/local1)
run_tend 0 plan $V site.yml --flush-cache
expect_in "$T/out" "Gathering Facts"
expect_in "$T/out" "kept=[none]"
[ "$(stat -c %Y cache/facts/local1)" = "$stamp" ] || fail "a plan wrote the cache"
run_tend 0 plan $V site.yml
expect_not_in "$T/out" "Gathering Facts"
[ "$(stat -c %Y cache/facts/local1)" = "$stamp" ] || fail "a plan wrote the cache"

# an expired file is not read: the run gathers again, the old fact is gone
touch -d '2 hours ago' cache/facts/local1
run_tend 0 apply $V site.yml
expect_in "$T/out" "Gathering Facts"
expect_in "$T/out" "kept=[none]"

# --flush-cache: the apply starts without the file (and writes it anew)
run_tend 0 apply $V site.yml -e first=1
run_tend 0 apply $V site.yml --flush-cache
expect_in "$T/out" "Gathering Facts"
expect_in "$T/out" "kept=[none]"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert 'kept' not in d and d['_ansible_facts_gathered']" \
	cache/facts/local1 || fail "--flush-cache kept the old facts"

# clear_facts removes the host's file; the next play gathers again
cat >clear.yml <<'YML'
- hosts: all
  gather_subset: [min]
  tasks:
    - meta: clear_facts
    - command: test ! -e cache/facts/local1
      changed_when: false
      args: { chdir: "{{ playbook_dir }}" }
- hosts: all
  gather_subset: [min]
  tasks:
    - debug: { msg: "again={{ ansible_facts._ansible_facts_gathered }}" }
YML
run_tend 0 apply $V clear.yml
expect_in "$T/out" "again=True"
[ "$(grep -c "Gathering Facts" "$T/out")" = 1 ] || fail "expected one gathering: after clear_facts, not before"

# a corrupt file stops the run before any host, named; it is left alone
printf 'not json' >cache/facts/local1
run_tend 1 apply $V site.yml
expect_in "$T/err" "fact cache file '$T/p/cache/facts/local1' is not a JSON object of facts"
expect_content cache/facts/local1 "not json"
rm cache/facts/local1

# refused settings, by origin
ANSIBLE_CACHE_PLUGIN=redis run_tend 1 validate $V site.yml
expect_in "$T/err" "ANSIBLE_CACHE_PLUGIN: fact_caching 'redis' is not supported (tend: memory or jsonfile)"
ANSIBLE_CACHE_PLUGIN_TIMEOUT=-1 run_tend 1 validate $V site.yml
expect_in "$T/err" "expected a whole number of seconds (0 or more) for fact_caching_timeout, got '-1'"
ANSIBLE_GATHERING=lazy run_tend 1 validate $V site.yml
expect_in "$T/err" "ANSIBLE_GATHERING: gathering 'lazy' is not one of implicit, explicit, smart"

# Ansible reads tend's cache: it gathers nothing and has tend's facts
run_tend 0 apply $V site.yml -e first=1
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
ansible-playbook $V site.yml >"$T/a.log" 2>&1 || { cat "$T/a.log"; fail "ansible-playbook failed"; }
expect_not_in "$T/a.log" "Gathering Facts"
expect_in "$T/a.log" "kept=[{{ x }} -x %s \\\\] host=True"
# and tend reads Ansible's
rm -r cache
ansible-playbook $V site.yml -e first=1 >"$T/a.log" 2>&1 || { cat "$T/a.log"; fail "ansible-playbook failed"; }
expect_in "$T/a.log" "Gathering Facts"
run_tend 0 apply $V site.yml
expect_not_in "$T/out" "Gathering Facts"
expect_in "$T/out" "kept=[{{ x }} -x %s \\] host=True"
