#!/usr/bin/env python3
"""check-targets.py - bench/previrt-bench's verdict on a target from the
per-round ratios: met, MISSED when every round misses it, undecided when
the rounds straddle it (timed noise), never undecided for one round or
identical rounds (instruction counts).  Runs: host, meson test
(bench-targets).  Usage: check-targets.py PREVIRT_BENCH"""
import importlib.machinery
import importlib.util
import sys

loader = importlib.machinery.SourceFileLoader("previrt_bench", sys.argv[1])
spec = importlib.util.spec_from_loader("previrt_bench", loader)
pb = importlib.util.module_from_spec(spec)
loader.exec_module(pb)

T = (None, 1.01)
cases = [  # per-round ratios, want met, want undecided
    ([1.00, 1.002, 1.005], True, False),
    ([0.99, 1.05, 1.04], False, True),
    ([1.02, 1.05, 1.04], False, False),
    ([1.04], False, False),
    ([3.2, 3.2, 3.2], False, False),
]
bad = 0
for rr, met, und in cases:
    ratio = sorted(rr)[len(rr) // 2]
    got = (pb.target_met(ratio, T), pb.undecided(rr, ratio, T))
    if got != (met, und):
        print("check-targets: ratios %s: got met=%s undecided=%s, want %s %s"
              % (rr, got[0], got[1], met, und))
        bad = 1
lo = (0.995, 1.005)
if pb.undecided([0.99, 1.0, 0.98], 0.99, lo) is not True:
    print("check-targets: a lower bound straddled is not undecided")
    bad = 1
print("check-targets: %s" % ("FAIL" if bad else "PASS"))
sys.exit(bad)
