#!/bin/sh
# service_facts on Debian 12 containers, side by side with ansible-playbook
# (tests/lib/lib-ct-compare.sh): every sysv and systemd service with its
# state, status and source, as both tools read them, equal, with a unit
# that failed, one masked, one stopped and one running among them; the
# facts are ansible_facts.services and `services`, not in the registered
# result's own keys only.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"

cat >"$T/sf.yml" <<'YML'
- hosts: sf
  gather_facts: false
  tasks:
    - copy:
        dest: /etc/systemd/system/tend-fails.service
        content: "[Service]\nExecStart=/bin/false\n"
    - copy:
        dest: /etc/systemd/system/tend-runs.service
        content: "[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n"
    - shell: systemctl daemon-reload; systemctl start tend-fails || true; systemctl enable --now tend-runs; systemctl mask cron 2>/dev/null || systemctl mask tend-masked
    - service_facts:
      register: sf
    - copy:
        dest: /root/services.json
        content: "{{ ansible_facts.services | to_nice_json }}"
    - assert:
        that:
          - services == ansible_facts.services
          - sf.ansible_facts.services['tend-runs.service'].state == 'running'
          - sf.ansible_facts.services['tend-fails.service'].status == 'failed'
YML
ct_pair sf
ct_pair_run sf once "$T/sf.yml"
ct_pair_state sf 'cat /root/services.json'
