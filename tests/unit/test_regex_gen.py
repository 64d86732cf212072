#!/usr/bin/python3
"""Regenerate the table of tests/unit/test_regex.c from Python's re.

    /usr/bin/python3 tests/unit/test_regex_gen.py

rewrites the part of test_regex.c between the GENERATED markers: each case
is run through this Python's re module (ansible-core 2.14 runs on Debian's
Python 3.11) and the answer Python gives is written into the table, so the
C test compares tend with Python, not with what someone believed Python
does. Offsets in the table are byte offsets into the UTF-8 subject.
"""

import os
import re
import sys
import warnings

I, M, S, X, A, B = 'REGEX_IGNORECASE', 'REGEX_MULTILINE', 'REGEX_DOTALL', \
    'REGEX_VERBOSE', 'REGEX_ASCII', 'REGEX_BYTES'
PYFLAGS = {I: re.I, M: re.M, S: re.S, X: re.X, A: re.A, B: 0}

# (op, pattern, flags, subject, replacement, count)
# op: search, match, fullmatch, finditer, sub, error (compile error),
# suberror (re.sub raises on the template), escape (re.escape(subject))
CASES = [
    # lazy quantifiers (POSIX had them greedy)
    ('search', r'^(.*?)=.*$', [], 'key=a=b'),
    ('search', r'^(.*)=.*$', [], 'key=a=b'),
    ('search', r'a+?', [], 'aaa'),
    ('search', r'a{2,3}?', [], 'aaaa'),
    ('search', r'<.*?>', [], '<a><b>'),
    ('search', r'a??b', [], 'ab'),
    # leftmost-first alternation (POSIX takes the longest)
    ('search', r'(a|ab)(c|bcd)(d*)', [], 'abcd'),
    ('search', r'(a|ab)', [], 'ab'),
    ('fullmatch', r'a|ab', [], 'ab'),
    ('search', r'(a)|b', [], 'b'),
    # lookaround
    ('search', r'foo(?=bar)', [], 'foobaz foobar'),
    ('search', r'foo(?!bar)', [], 'foobar foobaz'),
    ('search', r'(?<=\$)\d+', [], 'cost $42'),
    ('search', r'(?<!\$)\b\d+', [], '$42 17'),
    ('search', r'^(?=.*\d)(?=.*[a-z]).{6,}$', [], 'abc123'),
    # named groups and backreferences
    ('search', r'(?P<key>\w+)=(?P<val>\w*)', [], 'a=1'),
    ('search', r'''(?P<q>['"]).*?(?P=q)''', [], 'say "hi" \'x\''),
    ('search', r'(\w)\1', [], 'abccd'),
    ('search', r'(?:a|b)(c)\1', [], 'acd acc'),
    ('search', r'(<)?\w+(?(1)>)', [], '<a> b'),
    ('search', r'(?P<o><)?\w+(?(o)>|!)', [], 'x!'),
    # anchors: Python's \Z is the very end, $ also before a final "\n"
    ('search', r'a$', [], 'a\n'),
    ('search', r'a\Z', [], 'a\n'),
    ('search', r'\Aa\Z', [], 'a'),
    ('search', r'(?m)^b$', [], 'a\nb\nc'),
    ('search', r'a$', [M], 'a\r\n'),
    ('finditer', r'(?m)^', [], 'a\n'),
    ('finditer', r'$', [], 'a\n'),
    ('finditer', r'(?m)^$', [], 'a\n\nb\n'),
    ('search', r'\bfoo\b', [], 'a foo.'),
    ('search', r'\Boo\B', [], 'foo fooa'),
    # dot and DOTALL
    ('search', r'a.b', [], 'a\nb'),
    ('search', r'(?s)a.b', [], 'a\nb'),
    ('search', r'a.b', [S], 'a\nb'),
    ('search', r'a(?s:.)b', [], 'a\nb'),
    # inline and argument flags
    ('search', r'(?i)abc', [], 'xABC'),
    ('search', r'abc', [I], 'xABC'),
    ('search', r'(?i:A)b', [], 'aB ab'),
    ('search', r'(?-i:a)B', [I], 'Ab ab'),
    ('search', r'(?i)é', [], 'CAFÉ'),
    ('search', r'(?i)k', [], '\u212a'),
    ('search', r'(?x) a \s+ b  # a comment (with a paren', [], 'a   b'),
    ('search', r'a b', [X], 'ab'),
    ('search', r'(?x) [ ]+ \# x', [], 'a  #x'),
    ('search', r'(?x)a{1, 2}', [], 'a{1,2}'),
    ('search', r'(?x:a b)c d', [], 'abc d'),
    # braces and brackets that are literals, and quantifier forms
    ('search', r'x{,2}y', [], 'xxxy'),
    ('search', r'x{2,}', [], 'xxxx'),
    ('search', r'a{', [], 'a{'),
    ('search', r'a{}', [], 'a{}'),
    ('search', r'a{x}', [], 'a{x}'),
    ('search', r'a}', [], 'a}'),
    ('search', r'[]a]+', [], 'b]a]'),
    ('search', r'[^]a]+', [], ']ab'),
    ('search', r'[[:alpha:]]+', [], 'ab:]'),
    ('search', r'[a-]+', [], 'x-a-'),
    ('search', r'[\d.-]+', [], 'v1.2-3'),
    ('search', r'[\^]', [], 'a^b'),
    ('search', r'(?>a+)b', [], 'aaab'),
    ('search', r'a++b', [], 'aaab'),
    ('search', r'(?>a+)ab', [], 'aaab'),
    ('search', r'a(?#comment)*b', [], 'aaab'),
    # escapes
    ('search', r'\x41\101\u0042\U00000043', [], 'xAABC'),
    ('search', r'\t\n\v\f\r\a', [], '\t\n\v\f\r\a'),
    ('search', r'[\b]', [], 'a\bb'),
    ('search', r'\.\*\+\?\-\#\ ', [], 'x.*+?-# '),
    ('search', r'\é', [], 'café'),
    ('search', r'[\0101]', [], 'A1'),
    # Unicode classes of str patterns, ASCII ones of bytes patterns and (?a)
    ('search', r'\d+', [], 'x\u0663\u0664y'),
    ('search', r'(?a)\d+', [], 'x\u0663\u06645'),
    ('search', r'\w+', [], 'café au'),
    ('search', r'\w+', [B], 'café au'),
    ('search', r'\w+', [A], 'café au'),
    ('search', r'.', [], 'é'),
    ('search', r'.', [B], 'é'),
    ('search', r'caf.$', [], 'café'),
    ('search', r'caf.$', [B], 'café'),
    ('search', r'\s', [], 'a\x1cb'),
    ('search', r'\s', [B], 'a\x1cb'),
    ('search', r'\S+', [], '\x1cab\x1c'),
    ('search', r'[\s]+', [], 'a\x1c\x1f b'),
    ('search', r'[^\S\n]+', [], 'a \x1c\nb'),
    ('search', r'\s+', [], 'a\u00a0\u2003b'),
    ('search', r'[é]', [], 'café'),
    ('search', r'[é]', [B], 'café'),
    ('search', r'[à-ü]+', [], 'voilà über'),
    # match and fullmatch
    ('match', r'\d+', [], 'a1'),
    ('match', r'a', [], 'ab'),
    ('match', r'(?m)^b', [], 'a\nb'),
    ('fullmatch', r'a*', [], 'aab'),
    ('fullmatch', r'a*?', [], 'aaa'),
    ('search', r'', [], 'abc'),
    # iteration: Python 3.7+'s empty matches
    ('finditer', r'x*', [], 'abxd'),
    ('finditer', r'|a', [], 'a'),
    ('finditer', r'\b', [], 'ab cd'),
    ('finditer', r'a*?', [], 'aa'),
    ('finditer', r'\w+', [], 'héllo wörld'),
    ('finditer', r'.', [], 'aé'),
    ('finditer', r'.', [B], 'aé'),
    ('finditer', r'(?<=a)', [], 'aaa'),
    ('finditer', r'\d*', [], '12ab3'),
    # re.sub
    ('sub', r'^(.*?)=.*$', [], 'key=a=b', r'\1'),
    ('sub', r'x*', [], 'abxd', '-'),
    ('sub', r'|a', [], 'a', '-'),
    ('sub', r'', [], 'ab', '-'),
    ('sub', r'(?P<k>\w+): (?P<v>\w+)', [], 'key: value', r'\g<v>:\g<k>'),
    ('sub', r'(a)(b)?', [], 'a', r'[\1][\2]'),
    ('sub', r'(a)', [], 'a', r'\1\n\t\\\.\&'),
    ('sub', r'(a)', [], 'a', r'\101\1010'),
    ('sub', r'(\w+)', [], 'ab', r'\g<1>\g<0>'),
    ('sub', r'o', [], 'foo', '0', 1),
    ('sub', r'(?i)HELLO', [], 'Hello', 'bye'),
    ('sub', r'\d+', [], 'a1b22c333', '#'),
    ('sub', r'é', [], 'café', 'e'),
    ('sub', r'(?m)^', [], 'a\nb\n', '> '),
    ('sub', r'a', [], 'a', r'\377'),
    ('sub', r'a', [B], 'a', r'\377'),
    ('sub', r'(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)', [], 'abcdefghijk', r'\11\10\g<1>0'),
    ('sub', r'\s+', [], ' a  b ', ' '),
    ('sub', r'(?<=\d)(?=(\d{3})+$)', [], '1234567', ','),
    # bad templates: errors even without a match
    ('suberror', r'(a)', [], 'a', r'\10'),
    ('suberror', r'(a)', [], 'a', r'\g<x>'),
    ('suberror', r'(a)', [], 'a', r'\g<1x>'),
    ('suberror', r'(a)', [], 'a', r'\g<1'),
    ('suberror', r'a', [], 'a', r'\q'),
    ('suberror', r'a', [], 'a', 'x\\'),
    ('suberror', r'x', [], 'abc', r'\9'),
    ('suberror', r'a', [], 'a', r'\400'),
    # re.escape
    ('escape', '', [], 'a.b*c d-e#f&g~h/i:j_k\t\u00e9!"%'),
    # bad patterns
    ('error', r'(a', []),
    ('error', r'a)', []),
    ('error', r'[ab', []),
    ('error', r'*a', []),
    ('error', r'a**', []),
    ('error', r'^*', []),
    ('error', r'\q', []),
    ('error', 'a\\', []),
    ('error', r'\2(a)', []),
    ('error', r'(a\1)', []),
    ('error', r'(?P<1>a)', []),
    ('error', r'(?P=x)', []),
    ('error', r'(?P<a>x)(?P<a>y)', []),
    ('error', r'(?<name>a)', []),
    ('error', r'a(?i)b', []),
    ('error', r'(?z)', []),
    ('error', r'(?i-i:a)', []),
    ('error', r'x{2,1}', []),
    ('error', r'[z-a]', []),
    ('error', r'[\d-z]', []),
    ('error', r'\x4', []),
    ('error', r'[\8]', []),
    ('error', r'\u00e9', [B]),
    ('error', r'(?u)a', [B]),
    ('error', r'(?L)a', []),
    ('error', r'(a)(?(2)b)', []),
    ('error', r'(?#unterminated', []),
    ('error', r'(?P', []),
    ('error', r'(*VERB)', []),
    ('error', r'(?|a)', []),
    ('error', r'(?R)', []),
    ('error', r'\h\K', []),
]


def cstr(v):
    """A C string literal for str or bytes v (UTF-8), octal escapes."""
    b = v.encode() if isinstance(v, str) else v
    out = '"'
    for c in b:
        ch = chr(c)
        if ch == '"' or ch == '\\':
            out += '\\' + ch
        elif 32 <= c < 127:
            out += ch
        else:
            out += '\\%03o' % c
    return out + '"'


def boff(s, i):
    """Character offset i in s as a byte offset into its UTF-8 form."""
    return i if isinstance(s, bytes) else len(s[:i].encode())


def spans(m, s):
    if m is None:
        return 'None'
    parts = []
    for g in range(len(m.groups()) + 1):
        a, b = m.span(g)
        parts.append('-' if a < 0 else '%d-%d' % (boff(s, a), boff(s, b)))
    return ','.join(parts)


def errmsg(e):
    return e.msg if isinstance(e, re.error) else str(e).strip("'\"")


def run(case):
    op, pat, flags = case[0], case[1], case[2]
    subj = case[3] if len(case) > 3 else ''
    repl = case[4] if len(case) > 4 else ''
    count = case[5] if len(case) > 5 else 0
    pf = 0
    for f in flags:
        pf |= PYFLAGS[f]
    if op == 'escape':
        return re.escape(subj)
    if B in flags:
        pat, subj, repl = pat.encode(), subj.encode(), repl.encode()
    try:
        rx = re.compile(pat, pf)
    except re.error as e:
        assert op == 'error', (case, e)
        return errmsg(e)
    assert op != 'error', case
    if op in ('search', 'match', 'fullmatch'):
        return spans(getattr(rx, op)(subj), subj)
    if op == 'finditer':
        return ' '.join('%d-%d' % (boff(subj, m.start()), boff(subj, m.end()))
                        for m in rx.finditer(subj))
    try:
        out = rx.sub(repl, subj, count)
    except (re.error, IndexError) as e:
        assert op == 'suberror', (case, e)
        return errmsg(e)
    assert op == 'sub', case
    return out


def row(case):
    op, pat, flags = case[0], case[1], case[2]
    subj = case[3] if len(case) > 3 else ''
    repl = case[4] if len(case) > 4 else ''
    count = case[5] if len(case) > 5 else 0
    want = run(case)
    return '\t{ OP_%s, %s, %s,\n\t  %s, %s, %d,\n\t  %s },\n' % (
        op.upper(), cstr(pat), ' | '.join(flags) or '0', cstr(subj),
        cstr(repl), count, cstr(want))


def main():
    warnings.simplefilter('ignore', FutureWarning)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'test_regex.c')
    src = open(path).read()
    begin = '\t/* GENERATED BEGIN */\n'
    end = '\t/* GENERATED END */\n'
    a, b = src.index(begin) + len(begin), src.index(end)
    table = ''.join(row(c) for c in CASES)
    open(path, 'w').write(src[:a] + table + src[b:])
    print('%d cases, Python %s' % (len(CASES), sys.version.split()[0]))


if __name__ == '__main__':
    main()
