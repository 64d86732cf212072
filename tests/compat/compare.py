#!/usr/bin/python3
"""Compare one compat case's ansible-playbook run with tend's (tests/compat/run.sh).

usage: compare.py LABEL ANSIBLE_JSON ANSIBLE_RC TEND_JSON TEND_RC SNAPDIR

ANSIBLE_JSON is ansible-playbook's stdout under ANSIBLE_STDOUT_CALLBACK=json,
TEND_JSON is `tend apply --format json` (docs/plan-format.md, with each
task's `result`). SNAPDIR holds ansible/HOST and tend/HOST, the snapshots
of each host's root tree (written by `snapshot` below). Prints every
difference, then one line "compared N matched K" for run.sh to add up,
and exits 1 if anything differed.

What is compared, per host, in order (see run.sh's header for the why):
- each task, loop item and handler that ran: its name and status (ok,
  changed, skipped, failed, unreachable);
- its result (what `register` stores), key by key: every key Ansible's
  result has, except those in IGNORED (with the reason), must be in
  tend's with an equal value (of those in PRESENT_ONLY only the key);
- whether each run failed (exit code zero or not);
- the root trees: every path with its type, mode, owner, link target and
  content.
"""
import json
import os
import stat
import sys

# Keys of Ansible's result that are not compared, and why.
IGNORED = {
    "invocation": "the module's own arguments echoed back: Ansible's "
                  "internal parameter set, not the task's",
    "action": "added by the json callback, not part of the registered value",
    "start": "a time stamp", "end": "a time stamp", "delta": "a duration",
    "diff": "the --diff data: the end state of the files is compared instead",
    "src": "copy/template: the path of Ansible's temporary file on the host",
    "md5sum": "copy/template: an MD5 tend does not compute (checksum, the "
              "SHA-1, is compared)",
    "backup_file": "named after the time it was made",
    "warnings": "advice, worded per tool",
    "deprecations": "advice, worded per tool",
    "exception": "a Python traceback",
    "module_stdout": "a Python module's raw output",
    "module_stderr": "a Python module's raw output",
    "results": "a loop's items are compared one by one",
}
# Keys whose value each run draws anew: tend's result must have the key
# where Ansible's has it, its value is not compared (a case asserts the
# shape: results_file and erased end with /ansible_job_id).
PRESENT_ONLY = {
    "ansible_job_id": "an async job's id: random digits and a process id",
    "results_file": "an async job's file: named after its id",
    "erased": "an async job's file (async_status mode=cleanup): named "
              "after its id",
}
# `msg` of a failure is an error message, worded per tool: it is compared
# only for modules whose message the playbook writes.
OWN_MSG = {"fail", "assert", "debug"}
# Loop tasks: the per-item entries are compared; ansible's aggregate keys
# ("msg": "All items completed", "changed") follow from them.


# Include and meta steps: Ansible reports an include that ran as a task
# of its own, tend only the tasks it included; both sides leave them out
# (what they include is compared, and a failure shows in the exit code).
STEPS = ("include_tasks", "include_role", "import_tasks", "import_role",
         "include", "meta")


def status_of(r):
    if r.get("unreachable"):
        return "unreachable"
    if r.get("failed"):
        return "failed"
    if r.get("skipped"):
        return "skipped"
    return "changed" if r.get("changed") else "ok"


def short(name):
    """ansible.builtin.copy -> copy"""
    for p in ("ansible.builtin.", "ansible.legacy."):
        if name.startswith(p):
            return name[len(p):]
    return name


def registered(r):
    """Ansible's result as `register` stores it: the json callback drops
    the `failed: false` that the variable carries, and adds `_ansible_*`
    keys that it does not."""
    r = {k: v for k, v in r.items() if not k.startswith("_ansible")}
    # an unreachable result carries no `failed` (ignored or not)
    if "failed" not in r and not r.get("skipped") and "results" not in r \
            and not r.get("unreachable"):
        # the callback dropped it: it was false, or 0 (an async job's
        # start registers `failed: 0`; a debug of the variable compares
        # that exactly)
        r["failed"] = DROPPED_FALSE
    return r


class DroppedFalse:
    """The `failed` the json callback dropped: a false bool or int."""

    def __eq__(self, other):
        return other is False or (type(other) is int and other == 0)

    def __bool__(self):
        return False

    def __repr__(self):
        return "false"


DROPPED_FALSE = DroppedFalse()


STATS = ("ok", "changed", "skipped", "failures", "unreachable", "rescued",
         "ignored")


def load_ansible(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        d = json.load(f)
    rows = {}
    stats = {h: {k: s.get(k, 0) for k in STATS}
             for h, s in d.get("stats", {}).items()}
    for play in d.get("plays", []):
        for t in play["tasks"]:
            name = t["task"]["name"]
            for host, r in t["hosts"].items():
                action = short(r.get("action", ""))
                if action in STEPS:
                    # Ansible counts an include that ran as ok; tend has
                    # no such step to count
                    for x in r.get("results") or [r]:
                        if host in stats and status_of(x) == "ok" and \
                                "include" in x:
                            stats[host]["ok"] -= 1
                    continue
                out = rows.setdefault(host, [])
                if isinstance(r.get("results"), list) and r["results"]:
                    for i, item in enumerate(r["results"]):
                        out.append((name, i, action, registered(item)))
                else:
                    out.append((name, None, action, registered(r)))
    return rows, stats


def load_tend(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        d = json.load(f)
    rows, stats = {}, {}
    for h in d["hosts"]:
        out = rows.setdefault(h["host"], [])
        if "stats" in h:
            # tend says "failed" where Ansible's json callback says "failures"
            stats[h["host"]] = {k: h["stats"].get(
                "failed" if k == "failures" else k, 0) for k in STATS}
        # a loop's items come one after the other: a task met again (a
        # file included twice) counts its items from 0 again
        last, i = None, None
        for t in h["tasks"]:
            if short(t["module"]) in STEPS:
                continue
            key = (t["task"], t.get("file"), t.get("line"))
            if t["item"] is None:
                last, i = None, None
            else:
                i = i + 1 if key == last else 0
                last = key
            r = t.get("result")
            if "result" not in t:
                r = None  # a tend older than the `result` field
            elif r is None:
                r = {"(tend gave no result)": t["status"]}
            out.append((t["task"], i, short(t["module"]), r, t["status"]))
    return rows, stats


def show(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=True,
                      default=lambda o: False)  # DROPPED_FALSE


# Keys of stat's `stat` that differ from one run to the next (the two
# tools make the files at different times): the debug of a time that a
# task set compares it instead.
STAT_VOLATILE = {"atime", "mtime", "ctime", "inode", "dev",
                 "version"}  # (the inode's generation number)


# What tend's JSON shows for a value that holds a secret (a cookie, a
# token header's value, what came of a vaulted variable): tend never
# prints one, so it cannot be compared here; a case checks such values
# through a task that uses them (an assert).
SECRET = "<secret>"


def same(a, t, key=None):
    """Equal in value and JSON type. A dict with `changed` is a registered
    result (a `debug: var=` of one): the keys of Ansible's, less IGNORED,
    must be in tend's and be the same. In stat's `stat`, STAT_VOLATILE
    are left out."""
    if isinstance(a, dict) and isinstance(t, dict) and \
            ("changed" in a or "ansible_job_id" in a):
        return all(k in t and (k in PRESENT_ONLY or same(v, t[k], k))
                   for k, v in a.items()
                   if (k not in IGNORED or k == "results") and
                   not k.startswith("_ansible"))
    if isinstance(a, dict) and isinstance(t, dict) and key == "stat":
        a = {k: v for k, v in a.items() if k not in STAT_VOLATILE}
        t = {k: v for k, v in t.items() if k not in STAT_VOLATILE}
    if isinstance(a, dict) and isinstance(t, dict):
        return a.keys() == t.keys() and all(same(v, t[k], k)
                                            for k, v in a.items())
    if isinstance(a, list) and isinstance(t, list):
        # find's files: each a stat
        return len(a) == len(t) and all(
            same(x, y, "stat" if key == "files" else None)
            for x, y in zip(a, t))
    if t == SECRET and isinstance(a, str):
        return True
    if key == "elapsed" and type(a) is int and type(t) is int:
        # uri's whole seconds: two clocks on a loaded machine may read a
        # request that ends near a second's edge one second apart
        return abs(a - t) <= 1
    if a is DROPPED_FALSE:
        return a == t
    return a == t and type(a) is type(t)


def explain(path, a, t, key=None):
    """The differences under two values that are not `same`, by path."""
    if isinstance(a, dict) and isinstance(t, dict) and key == "stat":
        a = {k: v for k, v in a.items() if k not in STAT_VOLATILE}
        t = {k: v for k, v in t.items() if k not in STAT_VOLATILE}
    if isinstance(a, dict) and isinstance(t, dict):
        out = []
        for k in sorted(set(a) | set(t)):
            p = "%s.%s" % (path, k)
            if k not in t:
                if not same(a, {**t, k: a[k]}, key):
                    continue
                out.append("%s: ansible %s, tend has no such key" %
                           (p, show(a[k])))
            elif k not in a:
                if not same(a, {x: v for x, v in t.items() if x != k}, key):
                    out.append("%s: tend %s, ansible has no such key" %
                               (p, show(t[k])))
            elif not same(a[k], t[k], k):
                out.extend(explain(p, a[k], t[k], k))
        return out or ["%s: ansible %s, tend %s" % (path, show(a), show(t))]
    if isinstance(a, list) and isinstance(t, list) and len(a) == len(t):
        sub = "stat" if key == "files" else None
        out = []
        for i, (x, y) in enumerate(zip(a, t)):
            if not same(x, y, sub):
                out.extend(explain("%s[%d]" % (path, i), x, y, sub))
        if out:
            return out
    return ["%s: ansible %s, tend %s" % (path, show(a), show(t))]


def same_tempname(a, t):
    """tempfile's path: a name drawn at random by each run, PREFIX then
    eight of [a-z0-9_] then SUFFIX (Python's mkstemp). The same directory
    and length, and what differs lies in one run of eight such
    characters."""
    if not isinstance(a, str) or not isinstance(t, str) or \
            len(a) != len(t) or os.path.dirname(a) != os.path.dirname(t):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, t)) if x != y]
    ok = set("abcdefghijklmnopqrstuvwxyz0123456789_")
    return not diff or (diff[-1] - diff[0] < 8 and
                        all(a[i] in ok and t[i] in ok for i in diff))


# raw and script over SSH: Ansible runs them on a terminal (ssh -tt), so
# its stdout has \r\n line ends with the command's stderr mixed in, and its
# stderr is OpenSSH's own ("Shared connection to ... closed."); tend gives
# the two streams apart, as Ansible's local connection does. There, the
# lines of Ansible's stdout must be those of tend's stdout and stderr (the
# terminal interleaves them), and stderr is not compared.
PTY_ACTIONS = ("raw", "script")
OVER_SSH = [False]


def pty_diffs(ar, tr):
    def lines(r, k):
        return (r.get(k) or "").replace("\r\n", "\n").splitlines()
    a = sorted(lines(ar, "stdout"))
    t = sorted(lines(tr, "stdout") + lines(tr, "stderr"))
    if a == t:
        return []
    return ["result.stdout (a terminal's): ansible's lines %s, tend's "
            "stdout and stderr lines %s" % (show(a), show(t))]


def compare_row(a, t):
    """Differences between one Ansible row and one tend row."""
    name, item, action, ar = a
    tname, titem, tmod, tr, tstatus = t
    diffs = []
    pty = OVER_SSH[0] and action in PTY_ACTIONS and "stdout" in ar
    if name != tname or item != titem:
        diffs.append("task: ansible %s item %s, tend %s item %s" %
                     (show(name), item, show(tname), titem))
        return diffs
    if status_of(ar) != tstatus:
        diffs.append("status: ansible %s, tend %s" % (status_of(ar), tstatus))
    if tr is None:
        return diffs  # this tend's JSON has no results (see main)
    if not isinstance(tr, dict):
        diffs.append("result: tend gave %s" % show(tr))
        return diffs
    if pty and isinstance(tr, dict):
        diffs.extend(pty_diffs(ar, tr))
    for k in sorted(ar):
        if k in IGNORED:
            continue
        if pty and k in ("stdout", "stdout_lines", "stderr",
                         "stderr_lines"):
            continue
        if k == "msg" and status_of(ar) in ("failed", "unreachable") and \
                action not in OWN_MSG:
            continue
        if k not in tr:
            diffs.append("result.%s: ansible %s, tend has no such key" %
                         (k, show(ar[k])))
        elif k in PRESENT_ONLY:
            continue
        elif k == "path" and action == "tempfile" and \
                same_tempname(ar[k], tr[k]):
            continue
        elif not same(ar[k], tr[k], k):
            diffs.extend(explain("result." + k, ar[k], tr[k], k))
    return diffs


def snapshot(root, out):
    """Every path under root (root itself as '.'): type, mode, owner and
    link target or content, one a line, sorted."""
    lines = []
    if not os.path.lexists(root):
        lines.append(". absent")
    for dirpath, dirnames, filenames in os.walk(root):
        for n in sorted(dirnames + filenames) + ([""] if dirpath == root else []):
            p = os.path.join(dirpath, n) if n else root
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            own = "%d:%d" % (st.st_uid, st.st_gid)
            mode = "%04o" % stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                lines.append("%s link %s -> %r" % (rel, own, os.readlink(p)))
            elif stat.S_ISDIR(st.st_mode):
                lines.append("%s dir %s %s" % (rel, own, mode))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    data = f.read()
                lines.append("%s file %s %s %r" % (rel, own, mode, data))
            else:
                lines.append("%s other %s %s" % (rel, own, mode))
    with open(out, "w", encoding="utf-8", errors="backslashreplace") as f:
        f.write("".join(l + "\n" for l in sorted(lines)))


def compare_trees(snapdir):
    import difflib
    diffs = []
    hosts = sorted(set(os.listdir(os.path.join(snapdir, "ansible"))) |
                   set(os.listdir(os.path.join(snapdir, "tend"))))
    for h in hosts:
        def read(side):
            p = os.path.join(snapdir, side, h)
            return open(p).read().splitlines() if os.path.exists(p) else []
        a, t = read("ansible"), read("tend")
        if a != t:
            diffs.append("%s: root tree differs (- ansible, + tend):" % h)
            diffs.extend("    " + l for l in difflib.unified_diff(
                a, t, "ansible", "tend", n=1, lineterm="") if
                not l.startswith(("---", "+++")))
    return diffs


def replan(label, pjson, allowed_file):
    """After the apply: the plan's hosts have no drift, save for the
    tasks the case lists as changing on every run."""
    allowed = set()
    if os.path.exists(allowed_file):
        with open(allowed_file) as f:
            for line in f:
                name = line.split("#", 1)[0].strip()
                if name:
                    allowed.add(name)
    try:
        with open(pjson) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("%s: replan: cannot read tend plan's output: %s" % (label, e))
        return 1
    bad = []
    for h in doc["hosts"]:
        for t in h.get("drift_tasks", []):
            if t["task"] not in allowed:
                bad.append("%s: replan: %s still changes after the apply "
                           "(%s:%s)" % (label, h["host"] + " " +
                                        show(t["task"]), t.get("file"),
                                        t.get("line")))
    for b in bad:
        print(b)
    return 1 if bad else 0


def main(argv):
    if argv[1] == "snapshot":
        snapshot(argv[2], argv[3])
        return 0
    if argv[1] == "replan":
        return replan(argv[2], argv[3], argv[4])
    label, ajson, arc, tjson, trc, snapdir = argv[1:7]
    OVER_SSH[0] = label.endswith("/ssh")
    problems = []
    try:
        arows, astats = load_ansible(ajson)
    except (OSError, ValueError, KeyError) as e:
        print("%s: cannot read ansible-playbook's output: %s" % (label, e))
        print("compared 0 matched 0")
        return 1
    try:
        trows, tstats = load_tend(tjson)
    except (OSError, ValueError, KeyError) as e:
        print("%s: cannot read tend's output: %s" % (label, e))
        print("compared 0 matched 0")
        return 1
    compared = matched = 0
    for host in sorted(set(arows) | set(trows)):
        a, t = arows.get(host, []), trows.get(host, [])
        for i in range(max(len(a), len(t))):
            compared += 1
            if i >= len(a):
                problems.append("%s #%d %s: tend ran it, ansible did not" %
                                (host, i + 1, show(t[i][0])))
                continue
            if i >= len(t):
                problems.append("%s #%d %s: ansible ran it, tend did not" %
                                (host, i + 1, show(a[i][0])))
                continue
            d = compare_row(a[i], t[i])
            if d:
                where = "%s #%d %s%s" % (host, i + 1, show(a[i][0]),
                                         "" if a[i][1] is None else
                                         " item %d" % a[i][1])
                problems.extend("%s: %s" % (where, x) for x in d)
            else:
                matched += 1
    old = not tstats and any(t[3] is None for r in trows.values() for t in r)
    if old:
        # a tend binary from before `result` and `stats` (another branch):
        # statuses and trees only, and said so
        print("%s: note: this tend's JSON has no task results or host "
              "stats: only statuses, exit code and trees compared" % label)
    # a host that ran nothing has no recap in Ansible's: nor in tend's
    for host in sorted(set(astats) | (set() if old else set(tstats))):
        if not old and astats.get(host) != tstats.get(host):
            problems.append("%s: recap: ansible %s, tend %s" %
                            (host, show(astats.get(host)),
                             show(tstats.get(host))))
    if (arc == "0") != (trc == "0"):
        problems.append("exit code: ansible-playbook %s, tend %s" % (arc, trc))
    problems.extend(compare_trees(snapdir))
    for p in problems:
        print("%s: %s" % (label, p))
    print("compared %d matched %d" % (compared, matched))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
