#!/usr/bin/env python3
"""summarize-tests.py - print each meson test's result, the criterion
synthesis lines, and a closing 'N passed, N failed' line.
Runs: host.  Used by: scripts/test.sh."""
import json, sys

passed = failed = skipped = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    res = t.get("result", "")
    print(f"  {res:8} {t['name']}  ({t.get('duration', 0):.1f}s)")
    logs = (t.get("stdout") or "") + (t.get("stderr") or "")
    for out in logs.splitlines():
        if "Synthesis:" in out:
            print(f"           {out.strip()}")
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
