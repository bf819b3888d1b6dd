#!/usr/bin/env python3
"""check-image-sites.py - check the site table of a linked sample-guest
image against its own disassembly.  Runs: host (meson test --suite guest).

Usage: check-image-sites.py --objdump OBJDUMP --classes classes.def IMAGE
       check-image-sites.py ... --expect-none IMAGE   (plain build)

Every sensitive instruction in the kernel's C code must start a recorded
site (entry addr = its virtual address, class = its class, insn_len = its
length, len >= max(class pad, 5), NOP padding); instructions inside the
hand-written assembly (boot.S, trapasm.S: pvh_entry alias __kernel_start,
vecN, alltraps, trapret, swtch, int81_raw) are left to the rewriter and only
counted.  With --expect-none the image must have no site table while still containing
sensitive C instructions (so the check can fail).  The instruction
classification is the independent oracle of tests/pass/check_sites.py.
Prints per-class counts; exit status 0 when all holds, 1 otherwise.
"""
import argparse
import importlib.util
import os
import re
import struct
import subprocess
import sys

ASM_SYMS = re.compile(r"(pvh_entry|__kernel_start|vec\d+|alltraps|trapret|swtch|int81_raw)$")


def load_oracle():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "pass", "check_sites.py")
    spec = importlib.util.spec_from_file_location("check_sites", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_sites(path):
    """{addr: (len, insn_len, cls, origin)} from .previrt.sites, or None."""
    d = open(path, "rb").read()
    if d[:4] != b"\x7fELF" or d[4] != 1:
        raise SystemExit("check-image-sites: %s: not an ELF32 file" % path)
    shoff, = struct.unpack_from("<I", d, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x2e)
    sh = [struct.unpack_from("<10I", d, shoff + i * shentsize)
          for i in range(shnum)]
    stro = sh[shstrndx][4]
    for s in sh:
        name = d[stro + s[0]:d.index(b"\0", stro + s[0])].decode()
        if name == ".previrt.sites":
            body = d[s[4]:s[4] + s[5]]
            return {e[0]: e[1:] for e in
                    (struct.unpack_from("<IBBBB", body, k)
                     for k in range(0, len(body) - 7, 8)) if e[0]}
    return None


def disassemble(objdump, path):
    """[(addr, bytes, mnemonic, operands, symbol)] of .text."""
    out = subprocess.run([objdump, "-d", "-w", "-z", "-j", ".text", path],
                         check=True, capture_output=True, text=True).stdout
    insns, sym = [], "?"
    for line in out.splitlines():
        m = re.match(r"[0-9a-f]+ <([^>]+)>:", line)
        if m:
            sym = m.group(1)
            continue
        m = re.match(r"\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$", line)
        if not m:
            continue
        raw = bytes(int(b, 16) for b in m.group(2).split())
        words = m.group(3).split("#")[0].split()
        while len(words) > 1 and words[0] in ("rep", "repz", "repnz",
                                                "lock", "data16"):
            words = words[1:]
        insns.append((int(m.group(1), 16), raw, words[0] if words else "",
                      " ".join(words[1:]), sym))
    return insns


def check(insns, sites, classes, oracle, problems):
    index = {ident: (i, pad) for ident, (i, pad) in classes.items()}
    by_addr = {a: (raw, mn, ops) for a, raw, mn, ops, _ in insns}
    counts = {}
    for addr, raw, mn, ops, sym in insns:
        ident = oracle(mn, ops)
        if not ident:
            continue
        where = "asm" if ASM_SYMS.match(sym) else "c"
        counts[(ident, where)] = counts.get((ident, where), 0) + 1
        if where == "c" and sites is not None and addr not in sites:
            problems.append("%#x <%s>: %s %s is not at a site" %
                            (addr, sym, mn, ops))
    for addr, (ln, ilen, cls, origin) in sorted((sites or {}).items()):
        if addr not in by_addr:
            problems.append("site %#x: not an instruction start" % addr)
            continue
        raw, mn, ops = by_addr[addr]
        ident = oracle(mn, ops)
        if not ident or index[ident][0] != cls:
            problems.append("site %#x: class %d but %s %s" % (addr, cls, mn,
                                                               ops))
            continue
        if ilen != len(raw) or ln < max(index[ident][1], 5, ilen):
            problems.append("site %#x: len %d insn_len %d for %d-byte %s" %
                            (addr, ln, ilen, len(raw), mn))
    return counts


def pad_ok(path, sites, problems):
    """The bytes after each site's instruction up to len are all 0x90."""
    out = subprocess.run(["readelf", "-lW", path], check=True,
                         capture_output=True, text=True).stdout
    segs = [(int(m.group(2), 16), int(m.group(1), 16), int(m.group(3), 16))
            for m in re.finditer(r"LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+"
                                 r"0x[0-9a-f]+\s+(0x[0-9a-f]+)", out)]
    data = open(path, "rb").read()
    for addr, (ln, ilen, _c, _o) in (sites or {}).items():
        for va, off, size in segs:
            if va <= addr < va + size:
                pad = data[off + addr - va + ilen:off + addr - va + ln]
                if pad != b"\x90" * (ln - ilen):
                    problems.append("site %#x: padding is not all NOPs" %
                                    addr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("--classes", required=True)
    ap.add_argument("--expect-none", action="store_true")
    ap.add_argument("image")
    args = ap.parse_args()
    cs = load_oracle()
    classes = cs.load_classes(args.classes)
    sites = read_sites(args.image)
    insns = disassemble(args.objdump, args.image)
    problems = []
    counts = check(insns, sites, classes, cs.oracle, problems)
    c_total = sum(n for (i, w), n in counts.items() if w == "c")
    if args.expect_none:
        problems = []
        if sites:
            problems.append("plain image has %d sites" % len(sites))
        if c_total == 0:
            problems.append("no sensitive C instructions found at all")
    else:
        pad_ok(args.image, sites, problems)
        if not sites:
            problems.append("no site table")
    for (ident, where), n in sorted(counts.items()):
        print("%-14s %-3s %d" % (ident, where, n))
    print("sites %d, sensitive C instructions %d" % (len(sites or {}),
                                                     c_total))
    for p in problems:
        print("check-image-sites: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
