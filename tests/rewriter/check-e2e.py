#!/usr/bin/env python3
"""check-e2e.py - end-to-end test of previrt-rewrite on the small images
built from e2e.S and bad.S.  Runs: host (meson test --suite rewriter).

Usage: check-e2e.py --rewriter RW --objdump OBJDUMP --readelf READELF
                    --good E2E.elf --bad BAD.elf --outdir DIR
Checks: --check passes on the rewritten good image and its report has 1
pass site, 1 trap site (hlt between two targets), 0 unresolved; objdump
counts agree with the report; the branch target in the middle of a
would-be window kept its bytes; the relocated call still calls helper;
the new PT_LOAD keeps p_vaddr - p_paddr = 0xC0000000; __ex_table
entries follow the instructions they name and stay sorted; an
.altinstructions original moves whole with its entry; an unreferenced
function whose popf has no window is cleared to int3; rewriting the
output again changes nothing; the bad image fails --check naming
"island".  Exit 0 when all hold, 1 with one line per problem.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
problems = []


def expect(cond, msg):
    if not cond:
        problems.append(msg)


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def symbols(readelf, image):
    out = run([readelf, "-sW", image]).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 8 and re.fullmatch(r"\d+:", f[0]):
            syms[f[7]] = int(f[1], 16)
    return syms


def file_bytes(readelf, image, addr, n):
    """n bytes at virtual address addr, through the section headers."""
    out = run([readelf, "-SW", image]).stdout
    for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]{8}) ([0-9a-f]{6}) "
                         r"([0-9a-f]{6})", out):
        va, off, size = (int(m.group(i), 16) for i in (2, 3, 4))
        if va <= addr < va + size and va:
            with open(image, "rb") as f:
                f.seek(off + addr - va)
                return f.read(n)
    return None


def section(readelf, image, name):
    """(address, bytes) of a section, through readelf -S."""
    out = run([readelf, "-SW", image]).stdout
    m = re.search(r"\]\s+%s\s+\S+\s+([0-9a-f]{8}) ([0-9a-f]{6}) "
                  r"([0-9a-f]{6})" % re.escape(name), out)
    if not m:
        return None, b""
    va, off, size = (int(m.group(i), 16) for i in (1, 2, 3))
    with open(image, "rb") as f:
        f.seek(off)
        return va, f.read(size)


def check_extable(a, out):
    """__ex_table entries follow the moved pops and stay sorted."""
    va, tab = section(a.readelf, out, "__ex_table")
    tva, text = section(a.readelf, out, ".previrt.text")
    rel = lambda o: (va + o + int.from_bytes(tab[o:o + 4], "little",
                                             signed=True)) & 0xffffffff
    insns = [rel(o) for o in range(0, len(tab), 12)]
    fixes = [rel(o + 4) for o in range(0, len(tab), 12)]
    expect(len(insns) == 2 and insns == sorted(insns) and insns == fixes,
           "__ex_table not sorted or insn != fixup: %s %s" % (insns, fixes))
    got = sorted(text[i - tva] for i in insns if tva and
                 0 <= i - tva < len(text))
    expect(got == [0x07, 0x1f], "__ex_table entries do not point at the "
           "moved pop %%es / pop %%ds in .previrt.text: %s" % insns)


def check_alts(a, out):
    """The alternative's original jmp moved whole: its entry points at the
    jmp rel32 copy in .previrt.text, with instrlen 5."""
    va, tab = section(a.readelf, out, ".altinstructions")
    tva, text = section(a.readelf, out, ".previrt.text")
    if len(tab) != 12 or not tva:
        expect(False, ".altinstructions or .previrt.text missing")
        return
    ins = (va + int.from_bytes(tab[0:4], "little", signed=True)) & 0xffffffff
    ok = 0 <= ins - tva < len(text) and text[ins - tva] == 0xe9
    expect(ok and tab[10] == 5, "alternative entry not moved with its jmp:"
           " instr 0x%x len %d" % (ins, tab[10]))


def check_good(a):
    out = os.path.join(a.outdir, "e2e.rw.elf")
    rep = os.path.join(a.outdir, "e2e.json")
    p = run([a.rewriter, a.good, "-o", out, "--check", "--report", rep])
    expect(p.returncode == 0, "rewrite --check exit %d: %s"
           % (p.returncode, p.stderr.strip()))
    if p.returncode:
        return
    r = json.load(open(rep))
    o = r["origins"]
    expect(o["pass"] == 1, "want 1 pass site, got %d" % o["pass"])
    expect(o["trap"] == 1 and r["classes"]["hlt"]["trap"] == 1,
           "want the hlt as the one trap site, got %s" % o)
    expect(o["unresolved"] == 0, "unresolved: %s" % r["unresolved_list"])
    expect(o["rewriter"] >= 13, "want >= 13 trampoline sites, got %d"
           % o["rewriter"])
    q = run([sys.executable, os.path.join(HERE, "objdump-count.py"),
             "--objdump", a.objdump, "--report", rep, out])
    expect(q.returncode == 0, "objdump oracle: " + q.stdout.strip())
    s = symbols(a.readelf, a.good)
    expect(file_bytes(a.readelf, a.good, s["mid_target"], 3) ==
           file_bytes(a.readelf, out, s["mid_target"], 3),
           "bytes at mid_target (a branch target) changed")
    dis = run([a.objdump, "-d", "-M", "att", "-j", ".previrt.text",
               out]).stdout
    expect(re.search(r"\tcall\s+[0-9a-f]+ <helper>", dis),
           "relocated call does not call helper")
    ph = run([a.readelf, "-lW", out]).stdout
    loads = re.findall(r"LOAD\s+\S+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)", ph)
    expect(loads and all(int(v, 16) - int(p_, 16) == 0xC0000000
                         for v, p_ in loads),
           "a PT_LOAD breaks p_vaddr - p_paddr = 0xC0000000: %s" % loads)
    dead = r.get("removed_unreferenced", [])
    expect([d["symbol"] for d in dead] == ["dead_fn"] and
           file_bytes(a.readelf, out, s["dead_fn"], 2) == b"\xcc\xcc",
           "dead_fn not cleared as unreferenced: %s" % dead)
    check_extable(a, out)
    check_alts(a, out)
    again = os.path.join(a.outdir, "e2e.rw2.elf")
    rep2 = os.path.join(a.outdir, "e2e2.json")
    p = run([a.rewriter, out, "-o", again, "--check", "--report", rep2])
    expect(p.returncode == 0 and json.load(open(rep2))["windows"] == 0,
           "rewriting the output again is not a no-op: " + p.stderr)


def check_bad(a):
    rep = os.path.join(a.outdir, "bad.json")
    p = run([a.rewriter, a.bad, "-o", os.path.join(a.outdir, "bad.rw.elf"),
             "--check", "--report", rep])
    expect(p.returncode == 2, "bad image: --check exit %d, want 2"
           % p.returncode)
    expect("island" in p.stderr, "bad image: summary does not name island")
    r = json.load(open(rep))
    u = r["unresolved_list"]
    expect(len(u) == 1 and u[0]["symbol"] == "island+0x0" and
           u[0]["class"] == "popf" and u[0]["section"] == ".text",
           "bad image: unresolved list %s" % u)


def main():
    ap = argparse.ArgumentParser()
    for k in ("rewriter", "objdump", "readelf", "good", "bad", "outdir"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    check_good(a)
    check_bad(a)
    for p in problems:
        print("check-e2e: " + p)
    print("check-e2e: %s" % ("FAIL" if problems else "PASS"))
    return 1 if problems else 0


sys.exit(main())
