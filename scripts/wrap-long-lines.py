#!/usr/bin/env python3
"""Wraps Rust lines longer than 120 characters that are long because of a string literal:
the literal is continued on the next line with a backslash (Rust drops the newline and the
next line's leading spaces, so the text is unchanged). rustfmt leaves string literals alone,
hence this. Usage: scripts/wrap-long-lines.py [--check] FILE.rs... ; prints what is still too
long (and exits 1 if anything is); `--check` changes nothing (make test runs it so)."""
import re
import sys

LIMIT = 120

def literal_spans(line, inside=False):
    """(start, end) of each plain "…" literal (not raw strings, not chars) in the line;
    `inside`: the line starts within a literal (a continuation), after its indentation."""
    spans, i = [], 0
    if inside:
        i = len(line) - len(line.lstrip())
        j = i
        while j < len(line) and line[j] != '"':
            j += 2 if line[j] == '\\' else 1
        spans.append((i - 1, j))
        i = j + 1
    while i < len(line):
        c = line[i]
        if c == '/' and line.startswith('//', i):
            break
        if c == "'" and re.match(r"'(\\.|[^\\'])'", line[i:]):
            i += len(re.match(r"'(\\.|[^\\'])'", line[i:]).group(0))
            continue
        if c == '"' and not (i > 0 and line[i - 1] in 'r#b'):
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == '\\' else 1
            if j >= len(line):
                return spans
            spans.append((i, j))
            i = j + 1
            continue
        i += 1
    return spans

def wrap(line):
    if re.search(r'\br#*"', line):
        return [line]  # a raw string: a backslash there is text
    out = []
    indent = len(line) - len(line.lstrip()) + 4
    inside = False
    while len(line) > LIMIT:
        cut = None
        for (a, b) in literal_spans(line, inside):
            if b - a < 40:
                continue  # a short literal: the line is long for another reason
            # The last space inside the literal that leaves the head within the limit.
            for k in range(min(b, LIMIT - 2), a + 1, -1):
                if line[k - 1] == ' ' and line[k - 2] != '\\':
                    cut = k
                    break
            # No space: cut anywhere outside an escape, before a character that is no space
            # (the continuation drops the next line's leading white space).
            for k in ([] if cut else range(min(b, LIMIT - 2), a + 1, -1)):
                before = line[a + 1:k]
                escaped = (len(before) - len(before.rstrip('\\'))) % 2 == 1
                placeholder = before.count('{') > before.count('}')
                if not escaped and not placeholder and not line[k].isspace() and k < b - 1:
                    cut = k
                    break
            if cut:
                break
        if not cut:
            break
        out.append(line[:cut] + '\\')
        line = ' ' * indent + line[cut:]
        inside = True
    out.append(line)
    return out

left = 0
check = sys.argv[1:2] == ['--check']
for path in sys.argv[1 + check:]:
    src = open(path).read().split('\n')
    new = []
    for line in src:
        new.extend(wrap(line) if len(line) > LIMIT and not check else [line])
    if not check:
        open(path, 'w').write('\n'.join(new))
    for n, line in enumerate(new, 1):
        if len(line) > LIMIT:
            left += 1
            print(f"{path}:{n}: {len(line)} characters")
sys.exit(1 if left else 0)
