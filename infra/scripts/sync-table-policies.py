#!/usr/bin/env python3
"""Rewrites each role's `table` policy in infra/template.yaml to what shared/engine/src/access.rs
declares, from the statements `template_consistency::table::table_access_matches_shared_access`
prints when they differ. Run it after changing a row of `shared::access`, then review the
diff: the test stays the judge (this only saves typing the YAML)."""
import re
import subprocess
import sys

TEMPLATE = "infra/template.yaml"
TEST = ["cargo", "test", "-q", "-p", "e2e", "--test", "api", "--",
        "template_consistency::table::table_access_matches_shared_access"]

for _ in range(40):
    out = subprocess.run(TEST, capture_output=True, text=True)
    text = out.stdout + out.stderr
    m = re.search(r"\((\w+Role)\): table access differs.*?should be:\n(.*?)(?:\n\S|\Z)", text, re.S)
    if out.returncode == 0:
        print("table policies match shared::access")
        sys.exit(0)
    if not m:
        print(text[-3000:])
        sys.exit("test failed for another reason")
    role, statements = m.group(1), m.group(2).rstrip() + "\n"
    lines = open(TEMPLATE).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith(f"  {role}:"))
    marker = next(i for i in range(start, len(lines)) if "# = shared/engine/src/access.rs" in lines[i])
    indent = len(lines[marker]) - len(lines[marker].lstrip())
    end = marker + 1
    while end < len(lines) and (lines[end].strip() == "" or
                                len(lines[end]) - len(lines[end].lstrip()) >= indent):
        end += 1
    body = statements.rstrip("\n").split("\n")
    lines[marker + 1:end] = body
    open(TEMPLATE, "w").write("\n".join(lines))
    print(f"rewrote {role}")
sys.exit("gave up after 40 roles")
