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
.altinstructions original moves whole with its entry; a 2-byte function
(dead_fn) gets jmp rel8 to an island holding jmp rel32 to its trampoline,
and one out of reach of other windows (short_fn) gets its island from a
donor window of plain code (donor_fn);
a function ending in ret before dead padding (pad_fn) gets a window that
takes just the padding it needs, and its trampoline has no jump back;
rewriting the output again changes nothing; the bad image fails --check
naming "island" and padtgt_fn (padding that is a branch target is never
taken) and makes padtgt_cli's cli a trap site, leaving both functions'
bytes as they were.  Exit 0 when all hold, 1 with one line per
problem.
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


def jmp_dest(image, readelf, addr):
    """Destination of the jmp rel8/rel32 at addr, or None."""
    b = file_bytes(readelf, image, addr, 5)
    if b and b[0] == 0xEB:
        return addr + 2 + int.from_bytes(b[1:2], "little", signed=True)
    if b and b[0] == 0xE9:
        return (addr + 5 + int.from_bytes(b[1:5], "little", signed=True)) \
            & 0xffffffff
    return None


def check_island(a, out, s, name, op):
    """name: jmp rel8 to an island in .text, which jumps to the
    trampoline copy of its first instruction (opcode op, a padded site)
    in .previrt.text."""
    d = s[name]
    b = file_bytes(a.readelf, out, d, 2)
    isl = jmp_dest(out, a.readelf, d)
    tva, text = section(a.readelf, out, ".previrt.text")
    tr = jmp_dest(out, a.readelf, isl) if isl else None
    expect(b and b[0] == 0xEB and isl and tr and
           file_bytes(a.readelf, out, isl, 1) == b"\xe9" and
           tva and 0 <= tr - tva < len(text) and text[tr - tva] == op,
           name + " not sent through an island: bytes %s, island %s, "
           "trampoline %s" % (b, isl and hex(isl), tr and hex(tr)))


def check_padding(a, out, s, r):
    """pad_fn: window of 8 bytes (3 copied + int3 + 4-byte NOP), the
    0x90 padding after it untouched; the copy ends at ret."""
    p = s["pad_fn"]
    b = file_bytes(a.readelf, out, p, s["after_pad"] - p)
    tr = jmp_dest(out, a.readelf, p)
    tva, text = section(a.readelf, out, ".previrt.text")
    ok = b and b[0] == 0xE9 and b[5:8] == b"\xcc" * 3 and \
        set(b[8:]) == {0x90} and tr and tva and 0 <= tr - tva < len(text)
    expect(ok, "pad_fn window wrong: %s" % (b and b.hex()))
    if not ok:
        return
    t = text[tr - tva:]
    n = 8  # pv_site_len(pushf, 1): pushf + NOPs
    while n < len(t) and t[n] == 0x90:
        n += 1
    expect(t[0] == 0x9C and t[n:n + 2] == b"\x58\xc3" and
           t[n + 2:n + 3] not in (b"\xe9", b"\xcc"),
           "pad_fn trampoline is not pushf+NOPs; pop; ret (no jmp back, "
           "no padding copied):"
           " %s" % t[:n + 8].hex())
    k = r.get("window_kinds", {})
    expect(k.get("into_padding", 0) >= 1 and k.get("via_island", 0) >= 1,
           "window_kinds does not count the padding and island windows: "
           "%s" % k)


def rewrite_ok(a, image, name):
    """Rewrite image with --check into OUTDIR/name.rw.elf and name.json;
    (output path, report) or (None, None) after recording the failure."""
    out = os.path.join(a.outdir, name + ".rw.elf")
    rep = os.path.join(a.outdir, name + ".json")
    p = run([a.rewriter, image, "-o", out, "--check", "--report", rep])
    expect(p.returncode == 0, "%s: rewrite --check exit %d: %s"
           % (name, p.returncode, p.stderr.strip()))
    return (out, json.load(open(rep))) if p.returncode == 0 else (None, None)


def check_good(a):
    out, r = rewrite_ok(a, a.good, "e2e")
    if not out:
        return
    rep = os.path.join(a.outdir, "e2e.json")
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
    check_island(a, out, s, "dead_fn", 0x9D)
    check_island(a, out, s, "short_fn", 0x9C)
    expect(jmp_dest(out, a.readelf, s["short_fn"]) == s["donor_fn"] + 5
           and r["window_kinds"]["donor"] == 1,
           "short_fn's island is not in donor_fn's window fill")
    check_padding(a, out, s, r)
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
    u = sorted((x["symbol"], x["class"], x["section"])
               for x in r["unresolved_list"])
    expect(u == [("island+0x0", "popf", ".text"),
                 ("padtgt_fn+0x0", "pushf", ".text")],
           "bad image: unresolved list %s" % u)
    expect(r["origins"]["trap"] == 1 and r["classes"]["cli"]["trap"] == 1,
           "bad image: want padtgt_cli's cli as a trap site, got %s"
           % r["origins"])
    s = symbols(a.readelf, a.bad)
    outp = os.path.join(a.outdir, "bad.rw.elf")
    for f in ("padtgt_fn", "padtgt_cli"):
        expect(file_bytes(a.readelf, a.bad, s[f], 6) ==
               file_bytes(a.readelf, outp, s[f], 6),
               "bad image: %s changed although its padding is a target" % f)


def check_boot_args(a):
    """A Linux image (its "Linux" note) gets the boot arguments it needs
    recorded in .note.previrt: memmap= over the trampoline segment's pages,
    reservetop= for the wedge; any other image gets none."""
    rep = os.path.join(a.outdir, "e2e.json")
    expect(json.load(open(rep)).get("boot_args", 0) is None,
           "a non-Linux image got boot arguments")
    out, r = rewrite_ok(a, a.linux, "e2e-linux")
    if not out:
        return
    seg, args = r["segment"], r.get("boot_args") or {}
    lo = int(seg["paddr"], 16) & ~0xfff
    hi = (int(seg["paddr"], 16) + seg["size"] + 0xfff) & ~0xfff
    want = "memmap=%dK$0x%x" % ((hi - lo) >> 10, lo)
    expect(args.get("always") == want and
           args.get("backend") == "reservetop=64M" and
           args.get("tsc") == "tsc_early_khz=",
           "linux image: boot_args %s, want always %s" % (args, want))
    notes = run([a.readelf, "-nW", out]).stdout
    expect(len(re.findall(r"^\s+previrt\s", notes, re.M)) == 4,
           "linux image: want 4 previrt notes in .note.previrt:\n" + notes)


def unresolved_note(a, image):
    """The count in image's previrt note type 3 (PV_NOTE_UNRESOLVED), or
    None."""
    notes = run([a.readelf, "-nW", image]).stdout
    m = re.search(r"^\s+previrt\s+0x00000004\s.*\(0x00000003\)"
                  r".*description data: ((?:[0-9a-f]{2} ?){4})", notes, re.M)
    return int.from_bytes(bytes.fromhex(m.group(1).replace(" ", "")),
                          "little") if m else None


def check_unresolved_note(a):
    """previrt-rewrite stamps the count its final check of the output
    found: 0 for a complete image, the unresolved count otherwise (the
    loaders sweep any image whose count is not 0)."""
    got = unresolved_note(a, os.path.join(a.outdir, "e2e.rw.elf"))
    expect(got == 0, "complete image: unresolved note %s, want 0" % got)
    got = unresolved_note(a, os.path.join(a.outdir, "bad.rw.elf"))
    expect(got == 2, "bad image: unresolved note %s, want 2" % got)


def relocs_of(readelf, image, section):
    """(offset, type) of each entry of a relocation section."""
    out = run([readelf, "-rW", image]).stdout
    part = out.split("Relocation section '%s'" % section)
    if len(part) < 2:
        return []
    rows = part[1].split("\n\n")[0].splitlines()[2:]
    return [(int(r.split()[0], 16), r.split()[2]) for r in rows if r.strip()]


def check_relocs(a):
    """An image linked with --emit-relocs (a RELOCATABLE Linux): the
    fields with absolute relocations move with their instructions and the
    relocations follow them into .previrt.text, holding the same values;
    plain numbers in data that equal code addresses do not stop windows."""
    out, r = rewrite_ok(a, a.relocs, "relocs")
    if not out:
        return
    expect(r["origins"]["unresolved"] == 0 and r["origins"]["trap"] == 0,
           "relocs image: %s" % r["origins"])
    expect(r.get("dormant_sites") == 1 and r["origins"]["pass"] == 0,
           "relocs image: the .rodata template's site is not dormant: %s, "
           "%s" % (r.get("dormant_sites"), r["origins"]))
    lo, code = section(a.readelf, out, ".previrt.text")
    size = len(code)
    before = relocs_of(a.readelf, a.relocs, ".rel.text")
    after = relocs_of(a.readelf, out, ".rel.text")
    expect(len(before) == len(after) == 2, "relocs image: .rel.text %s -> %s"
           % (before, after))
    for (o0, t0), (o1, t1) in zip(before, after):
        expect(lo <= o1 < lo + size and t0 == t1 == "R_386_32" and
               file_bytes(a.readelf, a.relocs, o0, 4) ==
               file_bytes(a.readelf, out, o1, 4),
               "relocs image: relocation at 0x%x did not follow its field "
               "(now 0x%x)" % (o0, o1))


def check_bad_options(a):
    """A --tramp-at whose physical address would wrap is refused with one
    line and exit 1 (it used to write an image no backend loads)."""
    p = run([a.rewriter, a.good, "-o", os.path.join(a.outdir, "wrap.elf"),
             "--tramp-at", "0x1000:0x4000"])
    lines = p.stderr.strip().splitlines()
    expect(p.returncode == 1 and len(lines) == 1 and
           "virtual-to-physical offset" in p.stderr,
           "--tramp-at below vaddr-paddr: exit %d, %r" % (p.returncode, p.stderr))


def main():
    ap = argparse.ArgumentParser()
    for k in ("rewriter", "objdump", "readelf", "good", "bad", "linux",
              "relocs", "outdir"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    check_good(a)
    check_bad(a)
    check_boot_args(a)
    check_unresolved_note(a)
    check_relocs(a)
    check_bad_options(a)
    for p in problems:
        print("check-e2e: " + p)
    print("check-e2e: %s" % ("FAIL" if problems else "PASS"))
    return 1 if problems else 0


sys.exit(main())
