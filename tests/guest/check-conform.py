#!/usr/bin/env python3
"""check-conform.py - the conformance transcript (the sample kernel's
"conform" run, sample-guests/kernel/conform.c) must be the same natively
for the plain, pass-only and rewritten images and on every backend for
the rewritten one; any difference fails, printed as a diff against the
plain native run.  Runs: host, meson test (guest-conform).

Usage: check-conform.py --runner PREVIRT_RUN --plain ELF --pass ELF
                        --sample ELF [--backends hosted,baremetal]
"""
import argparse
import difflib
import subprocess
import sys


def transcript(runner, backend, image):
    """The conform: lines of one boot, or None (with a message)."""
    cmd = [runner, "--backend=" + backend, image, "--timeout", "120",
           "--append", "conform"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        print("check-conform: %s %s: timed out" % (backend, image))
        return None
    lines = [l.strip() for l in p.stdout.splitlines()
             if l.startswith("conform: ")]
    if p.returncode != 0 or not lines or lines[-1] != "conform: done":
        print("check-conform: %s %s: exit %d, transcript incomplete:\n%s"
              % (backend, image, p.returncode,
                 "\n".join((p.stdout + p.stderr).splitlines()[-5:])))
        return None
    return lines


def main():
    ap = argparse.ArgumentParser()
    for k in ("runner", "plain", "pass", "sample"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--backends", default="hosted,baremetal")
    a = ap.parse_args()
    runs = [("native", a.plain), ("native", getattr(a, "pass")),
            ("native", a.sample)]
    runs += [(b, a.sample) for b in a.backends.split(",") if b]
    ref = transcript(a.runner, *runs[0])
    if ref is None:
        return 1
    fail = 0
    for backend, image in runs[1:]:
        got = transcript(a.runner, backend, image)
        if got is None:
            fail = 1
        elif got != ref:
            fail = 1
            print("check-conform: %s %s differs from native plain:" %
                  (backend, image))
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(
                ref, got, "native plain", backend, lineterm="", n=0))
    print("check-conform: %d lines, %d runs: %s" %
          (len(ref), len(runs), "FAIL" if fail else "PASS"))
    return fail


if __name__ == "__main__":
    sys.exit(main())
