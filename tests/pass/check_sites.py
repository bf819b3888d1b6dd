#!/usr/bin/env python3
"""check_sites.py - verify a 32-bit object built with the compiler pass.

Runs: host (meson test --suite pass).
Usage: check_sites.py --classes classes.def --objdump objdump MARKED.o
                      [--plain PLAIN.o] [--min-sites N] [--self-test]
       check_sites.py --classes classes.def --expect-missing PLAIN.o

An independent oracle: objdump -d disassembles every executable section,
this script decides from objdump's own text which instructions are
sensitive, reads .previrt.sites and its R_386_32 relocations straight from
the ELF file, and checks that
  * every sensitive instruction starts a recorded site,
  * every site starts a sensitive instruction of the recorded class, with
    insn_len = its length, len >= max(class pad, 5), 0x90 bytes up to len,
    origin 1 (pass),
  * with --plain, the instruction sequence outside site padding equals that
    of the object built without the pass (branch targets ignored, nop-like
    alignment filler dropped).
Exit status 0 when all hold, 1 with one line per problem otherwise.
--expect-missing inverts that for an object built WITHOUT the pass: it
passes only if sensitive instructions are reported as not at a site.
--self-test also corrupts copies of the marked object's site table and
code (length, class, origin, a padding byte, a dropped entry) and requires
each corruption to be reported.
"""
import argparse
import re
import struct
import subprocess
import sys

PREFIXES = {"rep", "repz", "repe", "repnz", "repne", "lock", "data16",
            "data32", "addr16", "addr32", "cs", "ds", "es", "fs", "gs", "ss",
            "bnd", "notrack"}

# objdump's AT&T spellings -> classes.def IDs (written independently of the
# pass's C table).
PLAIN = {}
for ident, names in {
    "CLI": "cli", "STI": "sti",
    "PUSHF": "pushf pushfl pushfw", "POPF": "popf popfl popfw",
    "IRET": "iret iretl iretw", "HLT": "hlt", "INT": "int",
    "LRET": "lret lretl lretw", "IO": "in out inb inw inl outb outw outl",
    "IO_STRING": "ins insb insw insl insd outs outsb outsw outsl outsd",
    "LOAD_DT": "lgdt lgdtl lgdtw lidt lidtl lidtw",
    "STORE_DT": "sgdt sgdtl sgdtw sidt sidtl sidtw",
    "LOAD_TR_LDT": "lldt ltr", "STORE_TR_LDT": "sldt str",
    "SMSW": "smsw", "LMSW": "lmsw", "CLTS": "clts", "INVLPG": "invlpg",
    "CACHE": "invd wbinvd", "MSR": "rdmsr wrmsr", "CPUID": "cpuid",
    "SYSENTER": "sysenter", "SYSEXIT": "sysexit sysexitl",
    "SEG_QUERY": "lar lsl verr verw",
    "FAR_XFER": "ljmp ljmpw ljmpl lcall lcallw lcalll",
    "SEG_LOAD_FAR": "lds les lfs lgs lss",
}.items():
    for n in names.split():
        PLAIN[n] = ident

SEGS = {"%cs", "%ds", "%es", "%fs", "%gs", "%ss"}


def oracle(mn, ops):
    """Class ID of one objdump instruction, or None."""
    if mn in PLAIN:
        return PLAIN[mn]
    parts = [p.strip() for p in re.split(r",(?![^()]*\))", ops)] if ops else []
    if mn in ("mov", "movl", "movw"):
        if len(parts) != 2:
            return None
        src, dst = parts
        if re.fullmatch(r"%cr\d+", src):
            return "MOV_FROM_CR"
        if re.fullmatch(r"%cr\d+", dst):
            return "MOV_TO_CR"
        if re.fullmatch(r"%d[rb]\d+", src) or re.fullmatch(r"%d[rb]\d+", dst):
            return "MOV_DR"
        if dst in SEGS:
            return "SEG_LOAD"
        if src in SEGS:
            return "SEG_READ"
    if mn in ("push", "pushl", "pushw") and len(parts) == 1 and parts[0] in SEGS:
        return "SEG_READ"
    if mn in ("pop", "popl", "popw") and len(parts) == 1 and parts[0] in SEGS:
        return "SEG_LOAD"
    if mn in ("jmp", "call") and len(parts) == 2:
        return "FAR_XFER"
    return None


def load_classes(path):
    """classes.def -> {ID: (index, pad)} in row order."""
    rows = re.findall(r"^PV_CLASS\((\w+),\s*\"[^\"]*\",\s*\w+,\s*(\d+),",
                      open(path).read(), re.M)
    return {ident: (i, int(pad)) for i, (ident, pad) in enumerate(rows)}


class Elf:
    """Just enough ELF32 little-endian: sections, symbols, REL entries."""

    def __init__(self, path, data=None):
        self.data = data if data is not None else open(path, "rb").read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 1 or d[5] != 1:
            raise SystemExit(f"{path}: not a little-endian ELF32 file")
        shoff, = struct.unpack_from("<I", d, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x2e)
        self.sh = [struct.unpack_from("<10I", d, shoff + i * shentsize)
                   for i in range(shnum)]
        strtab = self.sh[shstrndx]
        self.names = [self.cstr(strtab[4] + s[0]) for s in self.sh]

    def cstr(self, off):
        return self.data[off:self.data.index(b"\0", off)].decode()

    def index(self, name):
        return self.names.index(name) if name in self.names else None

    def contents(self, i):
        s = self.sh[i]
        return self.data[s[4]:s[4] + s[5]]

    def symbol(self, symtab, n):
        s = self.sh[symtab]
        value, _size, _info, _other, shndx = struct.unpack_from(
            "<4xIIBBH", self.data, s[4] + n * 16)
        return value, shndx

    def rels_for(self, target):
        """[(offset, type, symbol value, symbol section)] of SHT_REL target."""
        out = []
        for i, s in enumerate(self.sh):
            if s[1] == 9 and s[7] == target:
                body = self.contents(i)
                for k in range(0, len(body), 8):
                    off, info = struct.unpack_from("<II", body, k)
                    val, shndx = self.symbol(s[6], info >> 8)
                    out.append((off, info & 0xff, val, shndx))
        return out


def read_sites(elf, problems):
    """[(section name, offset, len, insn_len, cls, origin)]"""
    idx = elf.index(".previrt.sites")
    if idx is None:
        return []
    s = elf.sh[idx]
    if s[1] != 1 or s[2] & 2 or s[8] != 4:
        problems.append(".previrt.sites: want PROGBITS, not ALLOC, align 4; "
                        f"got type {s[1]} flags {s[2]:#x} align {s[8]}")
    body = elf.contents(idx)
    if len(body) % 8:
        problems.append(f".previrt.sites: size {len(body)} not a multiple of 8")
    rels = {off: (typ, val, shndx) for off, typ, val, shndx in elf.rels_for(idx)}
    sites = []
    for k in range(0, len(body) - len(body) % 8, 8):
        addend, ln, ilen, cls, origin = struct.unpack_from("<IBBBB", body, k)
        if k not in rels or rels[k][0] != 1:
            problems.append(f"site entry at {k:#x}: no R_386_32 relocation")
            continue
        _typ, val, shndx = rels[k]
        sites.append((elf.names[shndx], val + addend, ln, ilen, cls, origin))
    return sites


def disassemble(objdump, path):
    """{section: [(offset, length, mnemonic, operands)]} via objdump -d."""
    out = subprocess.run([objdump, "-d", "-w", "-z", path], check=True,
                         capture_output=True, text=True).stdout
    secs, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"Disassembly of section (\S+):", line)
        if m:
            cur = secs.setdefault(m.group(1), [])
            continue
        m = re.match(r"\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$", line)
        if not m or cur is None:
            continue
        words = m.group(3).split("#")[0].split()
        while words and words[0] in PREFIXES and len(words) > 1:
            words = words[1:]
        mn = words[0] if words else "(bad)"
        cur.append((int(m.group(1), 16), len(m.group(2).split()), mn,
                    " ".join(words[1:])))
    return secs


def is_filler(mn, ops):
    return mn.startswith("nop") or mn == "xchg" and ops == "%ax,%ax" or \
        mn == "lea" and re.fullmatch(r"0x0\((%e[sd]i)(,%eiz,1)?\),\1", ops) or \
        mn == "mov" and ops in ("%esi,%esi", "%edi,%edi")


def check_marked(elf, secs, classes, problems):
    """Check sites against sensitive instructions; return padding offsets."""
    by_index = {i: (ident, pad) for ident, (i, pad) in classes.items()}
    sites = read_sites(elf, problems)
    starts = {}
    for sec, off, ln, ilen, cls, origin in sites:
        if (sec, off) in starts:
            problems.append(f"{sec}+{off:#x}: two site entries")
        starts[(sec, off)] = (ln, ilen, cls, origin)
    padding = set()
    nsens = 0
    seen = {}
    for sec, insns in secs.items():
        at = {o: (n, mn, ops) for o, n, mn, ops in insns}
        idx = elf.index(sec)
        body = elf.contents(idx) if idx is not None else b""
        for off, n, mn, ops in insns:
            want = oracle(mn, ops)
            if (sec, off) in padding:
                if body[off:off + n] != b"\x90" * n:
                    problems.append(f"{sec}+{off:#x}: '{mn} {ops}' inside site padding")
                continue
            if want:
                nsens += 1
                seen[want] = seen.get(want, 0) + 1
            site = starts.pop((sec, off), None)
            if want and not site:
                problems.append(f"{sec}+{off:#x}: sensitive '{mn} {ops}' "
                                f"({want}) is not at a recorded site")
                continue
            if not site:
                continue
            ln, ilen, cls, origin = site
            ident, pad = by_index.get(cls, ("?", 0))
            where = f"{sec}+{off:#x} '{mn} {ops}'"
            if not want:
                problems.append(f"{where}: site recorded on a non-sensitive insn")
            elif ident != want:
                problems.append(f"{where}: site class {ident}, want {want}")
            if ilen != n:
                problems.append(f"{where}: insn_len {ilen}, objdump says {n}")
            if ln < max(pad, 5, n):
                problems.append(f"{where}: len {ln} < max(pad {pad}, 5, {n})")
            if origin != 1:
                problems.append(f"{where}: origin {origin}, want 1 (pass)")
            if body[off + n:off + ln] != b"\x90" * (ln - n):
                problems.append(f"{where}: bytes after insn up to len are not 0x90")
            padding.update((sec, o) for o in range(off + n, off + ln))
            # padding must end on an instruction boundary
            if ln > n and off + ln not in at and off + ln != len(body):
                problems.append(f"{where}: site end {off + ln:#x} splits an insn")
    for (sec, off) in starts:
        problems.append(f"{sec}+{off:#x}: site does not start an instruction")
    return padding, len(sites), nsens, seen


def sequence(secs, padding):
    seq = []
    for sec in sorted(secs):
        for off, _n, mn, ops in secs[sec]:
            if (sec, off) in padding or is_filler(mn, ops):
                continue
            if re.match(r"(j|l?call|loop|ljmp)", mn):
                ops = ""
            seq.append(f"{sec}: {mn} {re.sub(r' <[^>]*>', '', ops)}")
    return seq


def self_test(path, secs, classes):
    """Each corruption of the marked object must produce a problem."""
    elf = Elf(path)
    idx = elf.index(".previrt.sites")
    base = elf.sh[idx][4]
    sites = read_sites(elf, [])
    text = elf.index(sites[0][0])
    first = sites[0][1]
    bad = {
        "len below pad": (base + 4, 1),
        "wrong class": (base + 6, (elf.data[base + 6] + 1) % len(classes)),
        "origin": (base + 7, 2),
        "padding byte": (elf.sh[text][4] + first + sites[0][3], 0xcc),
    }
    failures = []
    for what, (off, val) in bad.items():
        data = bytearray(elf.data)
        data[off] = val
        problems = []
        check_marked(Elf(path, bytes(data)), secs, classes, problems)
        print(f"{path}: self-test '{what}': {len(problems)} problem(s), "
              f"first: {problems[0] if problems else '-'}")
        if not problems:
            failures.append(f"self-test: corruption '{what}' not detected")
    # drop the first entry: its relocation now points at entry 0 = nothing
    data = bytearray(elf.data)
    for i, s in enumerate(elf.sh):
        if s[1] == 9 and s[7] == idx:
            data[s[4] + 4] = 0           # r_info of first REL: R_386_NONE
    problems = []
    check_marked(Elf(path, bytes(data)), secs, classes, problems)
    print(f"{path}: self-test 'dropped entry': {len(problems)} problem(s)")
    if not problems:
        failures.append("self-test: dropped entry not detected")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", required=True)
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("--plain")
    ap.add_argument("--min-sites", type=int, default=1)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--expect-missing", action="store_true")
    ap.add_argument("marked")
    a = ap.parse_args()
    problems = []
    classes = load_classes(a.classes)
    elf = Elf(a.marked)
    secs = disassemble(a.objdump, a.marked)
    padding, nsites, nsens, seen = check_marked(elf, secs, classes, problems)
    if nsites < a.min_sites:
        problems.append(f"{nsites} sites, want at least {a.min_sites}")
    ncmp = 0
    if a.plain:
        want = sequence(disassemble(a.objdump, a.plain), set())
        got = sequence(secs, padding)
        ncmp = len(want)
        for i, (w, g) in enumerate(zip(want, got)):
            if w != g:
                problems.append(f"insn {i} differs: plain '{w}', marked '{g}'")
                break
        if len(want) != len(got):
            problems.append(f"{len(want)} insns plain, {len(got)} marked")
    if a.expect_missing:
        missing = [p for p in problems if "is not at a recorded site" in p]
        print(f"{a.marked}: {len(missing)} sensitive insns not at a site "
              "(expected for an object built without the pass)")
        return 0 if missing else 1
    if a.self_test and not problems:
        problems += self_test(a.marked, secs, classes)
    for p in problems:
        print(f"{a.marked}: {p}")
    print(f"{a.marked}: {nsites} sites, {nsens} sensitive insns, "
          f"{ncmp} insns compared, {len(problems)} problems")
    print(f"{a.marked}: classes seen: " +
          " ".join(f"{k}={v}" for k, v in sorted(seen.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
