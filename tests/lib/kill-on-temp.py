#!/usr/bin/python3
# kill-on-temp.py DIR SIG PID | DIR SIG sshd PIDFILE
#
# Wait (up to 60 s) for a temp file of tend's writes (.tend-*) to appear in
# DIR, then at once send SIG (KILL, TERM, ...) to PID, or to the sshd
# processes of the test host whose listener's pid is in PIDFILE (the
# listener and its session processes, not the shells they started: the
# host's sshd dies, its sessions' children see their input end). Prints
# the temp file's name. A shell loop would notice the file too late: a
# copy of tens of MB streams in well under a second.
import os
import signal
import sys
import time


def children(pid):
    kids = {}
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % p) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(') ') + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def comm(pid):
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return ''


def main():
    d, sig = sys.argv[1], getattr(signal, 'SIG' + sys.argv[2])
    end = time.time() + 60
    while time.time() < end:
        t = [f for f in os.listdir(d) if f.startswith('.tend-')]
        if t:
            break
        time.sleep(0.0005)
    else:
        sys.exit('no temp file appeared in %s' % d)
    if sys.argv[3] == 'sshd':
        with open(sys.argv[4]) as f:
            root = int(f.read())
        for p in children(root):
            if comm(p) == 'sshd':
                os.kill(p, sig)
    else:
        os.kill(int(sys.argv[3]), sig)
    print(t[0])


main()
