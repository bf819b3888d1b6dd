#!/usr/bin/env python3
"""objdump-count.py - independent oracle for the rewriter's report: counts
the sensitive instructions per class in an image with GNU objdump (-d -M
att, its own decoder) and compares them with previrt-rewrite's JSON report.
Runs: host (meson test --suite rewriter).

Usage: objdump-count.py --objdump OBJDUMP IMAGE [--report R.json]
Without --report: prints the per-class counts as JSON.  With it: exit 1
and one line per class whose counts differ.  The mnemonic -> class map is
written here from the Intel SDM names, not taken from the rewriter.
"""
import argparse
import json
import re
import subprocess
import sys

PREFIXES = {"rep", "repz", "repnz", "repe", "repne", "lock", "data16",
            "addr16", "addr32", "data32", "cs", "ds", "es", "fs", "gs", "ss",
            "notrack", "bnd"}
SEGS = r"%(cs|ds|es|fs|gs|ss)\b"

SIMPLE = {
    "cli": "cli", "sti": "sti", "hlt": "hlt", "clts": "clts",
    "cpuid": "cpuid", "sysenter": "sysenter", "sysexit": "sysexit",
    "rdmsr": "msr", "wrmsr": "msr", "invd": "cache", "wbinvd": "cache",
    "invlpg": "invlpg", "smsw": "smsw", "lmsw": "lmsw",
    "lgdt": "load-dt", "lidt": "load-dt", "sgdt": "store-dt",
    "sidt": "store-dt", "lldt": "load-tr-ldt", "ltr": "load-tr-ldt",
    "sldt": "store-tr-ldt", "str": "store-tr-ldt",
    "lar": "seg-query", "lsl": "seg-query", "verr": "seg-query",
    "verw": "seg-query", "lcall": "far-xfer", "ljmp": "far-xfer",
    "lds": "seg-load-far", "les": "seg-load-far", "lss": "seg-load-far",
    "lfs": "seg-load-far", "lgs": "seg-load-far",
    "in": "io", "out": "io", "ins": "io-string", "outs": "io-string",
    "pushf": "pushf", "popf": "popf", "iret": "iret", "lret": "lret",
}


def base(mn):
    """Strip AT&T size suffixes objdump may add (pushfl, iretw, lgdtl)."""
    if mn in SIMPLE:
        return mn
    for suf in ("l", "w", "b", "d"):
        if mn.endswith(suf) and mn[:-1] in SIMPLE:
            return mn[:-1]
    return mn


def classify(text):
    words = text.split()
    while words and words[0] in PREFIXES:
        words = words[1:]
    if not words:
        return None
    mn, ops = words[0], " ".join(words[1:]).split("#")[0].strip()
    b = base(mn)
    if b in SIMPLE:
        return SIMPLE[b]
    if mn == "int":
        return "int"
    if mn in ("mov", "movl", "movw") and "%cr" in ops:
        return "mov-to-cr" if ops.endswith(tuple("%%cr%d" % i for i in range(9))) else "mov-from-cr"
    if mn in ("mov", "movl") and "%db" in ops:
        return "mov-dr"
    if mn in ("push", "pushl", "pushw") and re.fullmatch(SEGS, ops):
        return "seg-read"
    if mn in ("pop", "popl", "popw") and re.fullmatch(SEGS, ops):
        return "seg-load"
    if mn in ("mov", "movl", "movw"):
        src, _, dst = ops.rpartition(",")
        if re.fullmatch(SEGS, dst):
            return "seg-load"
        if re.fullmatch(SEGS, src):
            return "seg-read"
    return None


def count(objdump, image):
    out = subprocess.run([objdump, "-d", "-M", "att", "-w", image],
                         check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    counts = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 3 or not re.match(r"\s*[0-9a-f]+:$", f[0]):
            continue
        cls = classify(f[2])
        if cls:
            counts[cls] = counts.get(cls, 0) + 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("--report")
    ap.add_argument("image")
    a = ap.parse_args()
    got = count(a.objdump, a.image)
    if not a.report:
        print(json.dumps(got, sort_keys=True))
        return 0
    with open(a.report) as f:
        rep = json.load(f)
    bad = 0
    for cls in sorted(set(got) | set(rep["classes"])):
        want = rep["classes"].get(cls, {}).get("total", 0)
        if got.get(cls, 0) != want:
            print("objdump-count: %s: objdump %d, report %d"
                  % (cls, got.get(cls, 0), want))
            bad = 1
    total = sum(got.values())
    if total != rep["sensitive"]:
        print("objdump-count: total: objdump %d, report %d"
              % (total, rep["sensitive"]))
        bad = 1
    print("objdump-count: %s: %d sensitive, %s" %
          (a.image, total, "agree" if not bad else "DISAGREE"))
    return bad


sys.exit(main())
