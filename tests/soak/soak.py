#!/usr/bin/env python3
"""soak.py - boot a guest on one backend again and again for a while:
every round must finish, print the same self-test and workload results
as the first (numbers of benchmarks aside), and the runs must not grow:
the largest resident set of any run (previrt-hosted, or QEMU for the
QEMU-based backends) may not exceed the first round's by more than 10 %,
and the host's available memory may not shrink by more than 256 MiB.
Runs: host (meson test --suite slow: soak-hosted, soak-baremetal, 30
minutes each; a short default-tier run, soak-short).
Usage: soak.py --runner PREVIRT_RUN --backend B --image IMAGE
               [--module F]... [--append ARGS] [--mem SIZE]
               (--minutes N | --rounds N)
Prints one line per round and a summary; exit 0 when all held."""
import argparse
import os
import re
import resource
import subprocess
import sys
import time

# What a round must print the same each time: self-test verdicts, the
# summary, workload output hashes and init's per-program status lines.
KEEP = re.compile(r"^(\S+ ok|SUMMARY: .*|OUTPUT .*|previrt-linux-init: .*|"
                  r"[a-z0-9-]+ FAILED.*)$")


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


def one_round(a):
    cmd = [a.runner, "--backend=" + a.backend, a.image, "--timeout",
           str(a.timeout)]
    for m in a.module:
        cmd += ["--module", m]
    if a.append:
        cmd += ["--append", a.append]
    if a.mem:
        cmd += ["--mem", a.mem]
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=a.timeout + 60)
    out = p.stdout.decode("utf-8", "replace").replace("\r", "")
    kept = [l for l in out.splitlines() if KEEP.match(l.strip())]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return p.returncode, kept, peak, time.monotonic() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--backend", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--module", action="append", default=[])
    ap.add_argument("--append", default="")
    ap.add_argument("--mem")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--ok-status", type=int, action="append", default=[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--minutes", type=float)
    g.add_argument("--rounds", type=int)
    ap.add_argument("--skip-without", help="exit 77 (skipped) when this "
                    "file is missing (a Linux image the slow tier builds)")
    a = ap.parse_args()
    if a.skip_without and not os.path.exists(a.skip_without):
        print(f"soak: {a.skip_without} not built: skipped")
        return 77
    end = time.monotonic() + (a.minutes or 0) * 60
    avail0 = mem_available()
    first = first_peak = None
    n = 0
    problems = []
    while (a.rounds and n < a.rounds) or (a.minutes and time.monotonic() < end):
        n += 1
        status, kept, peak, secs, out = one_round(a)
        print(f"soak: round {n}: exit {status}, {len(kept)} result lines, "
              f"{secs:.1f} s, peak RSS so far {peak} MiB", flush=True)
        if status not in a.ok_status:
            problems.append(f"round {n}: exit status {status}: "
                            + (out.strip().splitlines() or [""])[-1])
            break
        if first is None:
            first, first_peak = kept, peak
            if not kept:
                problems.append("round 1 printed no results to compare")
                break
        elif kept != first:
            diff = [l for l in kept if l not in first][:3] + \
                   ["(missing) " + l for l in first if l not in kept][:3]
            problems.append(f"round {n} differs from round 1: {diff}")
            break
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    avail = mem_available()
    if first_peak and peak > first_peak * 1.1 + 8:
        problems.append(f"largest run grew: {first_peak} MiB in round 1, "
                        f"{peak} MiB later")
    if avail0 - avail > 256:
        problems.append(f"host memory available fell {avail0 - avail} MiB "
                        f"({avail0} -> {avail})")
    print(f"soak: {n} rounds on {a.backend}; peak RSS {first_peak} -> {peak} "
          f"MiB; host available {avail0} -> {avail} MiB")
    for p in problems:
        print("soak: " + p)
    print("soak: " + ("FAIL" if problems else "PASS"))
    return 1 if problems else 0


sys.exit(main())
