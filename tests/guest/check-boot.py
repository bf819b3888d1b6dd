#!/usr/bin/env python3
"""check-boot.py - boot a sample-guest image with previrt-run and check its
serial log.  Runs: host (meson test --suite guest).

Usage: check-boot.py --runner PREVIRT_RUN --image ELF [--backend native]
                     [--append ARGS] [--module FILE]... [--mem SIZE] [--timeout SEC]
                     [--no-bench] [--no-user-tests] [--require REGEX]...
                     [--expect-fail | --expect-status N] [--log FILE]

A passing boot must show: every in-kernel and user self test named below
as "<name> ok", no "FAILED" line, "SUMMARY: N passed, 0 failed" with N =
the number of ok lines, every BENCH line named below with a positive
integer value, the BOOT first-user line, and previrt-run exit status 0.
--no-bench / --no-user-tests drop the BENCH / user self-test
requirements (for runs with the kernel's nobench / notests switches);
each --require REGEX must match some line.  --expect-fail instead
requires a non-zero exit status, at least one FAILED line and a SUMMARY
with failures (used with selftest=fail-one).
--expect-status N only requires previrt-run to exit with N (and the
--require lines), e.g. 5 for a kernel panic, 124 for a timeout.
Exit status 0 when everything holds, 1 with one line per problem.
"""
import argparse
import re
import subprocess
import sys

KTESTS = ["ktest-irq-flags", "ktest-hlt-timer", "ktest-int-iret",
          "ktest-cpuid", "ktest-msr", "ktest-cr0-clts-smsw", "ktest-cr3-cr4",
          "ktest-dr", "ktest-invlpg-cr3", "ktest-gdt-idt", "ktest-tr-ldt",
          "ktest-segments", "ktest-lar-lsl", "ktest-port-io"]
UTESTS = ["syscalls", "fork-wait", "pipe", "dup", "pipe-fork",
          "brk-demand",
          "mmap-demand", "cow-fork", "preempt", "kill", "user-faults",
          "user-isolation",
          "exec", "time-sleep", "wait-nohang", "fork-exhaust"]
BENCHES = ["kernel-cli-sti", "kernel-pushf-popf", "kernel-cr3-reload",
           "kernel-invlpg", "kernel-outb", "kernel-int-iret",
           "kernel-timer-irq", "null-syscall", "pipe-roundtrip",
           "fork-exit-wait", "page-fault", "cpu-loop", "macro-pipeline"]


def run(args):
    cmd = [args.runner, "--backend=" + args.backend, args.image,
           "--timeout", str(args.timeout)]
    if args.append:
        cmd += ["--append", args.append]
    if args.mem:
        cmd += ["--mem", args.mem]
    for m in args.module:
        cmd += ["--module", m]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=args.timeout + 30)
    out = p.stdout.decode("utf-8", "replace").replace("\r", "")
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


def check_pass(rc, lines, args):
    errs = []
    ok = {l[:-3] for l in lines if l.endswith(" ok")}
    for name in KTESTS + ([] if args.no_user_tests else UTESTS):
        if name not in ok:
            errs.append("self test %s: no '%s ok' line" % (name, name))
    errs += ["failure line: " + l for l in lines if " FAILED" in l]
    summ = [l for l in lines if l.startswith("SUMMARY:")]
    m = re.match(r"SUMMARY: (\d+) passed, (\d+) failed$", summ[-1]) \
        if summ else None
    if not m:
        errs.append("no SUMMARY line")
    elif int(m.group(2)) != 0 or int(m.group(1)) != len(ok):
        errs.append("SUMMARY %s, but %d ok lines" % (summ[-1], len(ok)))
    for name in [] if args.no_bench else BENCHES:
        if not any(re.match(r"BENCH %s [1-9]\d* \S+$" % re.escape(name), l)
                   for l in lines):
            errs.append("no 'BENCH %s <positive value> <unit>' line" % name)
    for rx in args.require:
        if not any(re.search(rx, l) for l in lines):
            errs.append("no line matches %r" % rx)
    if not any(l.startswith("BOOT first-user ") for l in lines):
        errs.append("no BOOT first-user line")
    if rc != 0:
        errs.append("previrt-run exit status %d, want 0" % rc)
    return errs


def check_fail(rc, lines):
    errs = []
    if rc == 0:
        errs.append("previrt-run exit status 0, want non-zero")
    if not any(" FAILED" in l for l in lines):
        errs.append("no FAILED line")
    summ = [l for l in lines if l.startswith("SUMMARY:")]
    m = re.match(r"SUMMARY: \d+ passed, ([1-9]\d*) failed$", summ[-1]) \
        if summ else None
    if not m:
        errs.append("no SUMMARY line with failures")
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--backend", default="native")
    ap.add_argument("--append", default="")
    ap.add_argument("--timeout", type=int, default=50)
    ap.add_argument("--module", action="append", default=[])
    ap.add_argument("--mem")
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument("--no-user-tests", action="store_true")
    ap.add_argument("--require", action="append", default=[])
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--expect-status", type=int)
    ap.add_argument("--log")
    args = ap.parse_args()
    try:
        rc, out, err = run(args)
    except (OSError, subprocess.TimeoutExpired) as e:
        print("check-boot: cannot run %s: %s" % (args.runner, e))
        return 1
    if args.log:
        with open(args.log, "w") as f:
            f.write(out)
    lines = [l.rstrip() for l in out.split("\n")]
    if args.expect_status is not None:
        errs = [] if rc == args.expect_status else \
            ["previrt-run exit status %d, want %d" % (rc, args.expect_status)]
        errs += ["no line matches %r" % rx for rx in args.require
                 if not any(re.search(rx, l) for l in lines)]
    elif args.expect_fail:
        errs = check_fail(rc, lines)
    else:
        errs = check_pass(rc, lines, args)
    sys.stdout.write(out)
    sys.stdout.write(err)
    for e in errs:
        print("check-boot: " + e)
    print("check-boot: %s (%s)" % ("FAIL" if errs else "PASS", args.image))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
