#!/usr/bin/env python3
"""check-results.py - smoke test of the benchmark suite: runs
bench/previrt-bench with --runs 1 on a subset of configurations into a
temporary directory and checks that results.md, results.json,
results.csv and ratios.svg exist, are well-formed and complete: every
benchmark of every measured configuration present with numeric figures,
numeric ratios wherever the reference measured the same benchmark,
skipped configurations with a reason (a second run, of the Linux guest
with an empty image directory, must skip its guest configurations and
say why).  Then it damages copies of the outputs and requires the
checker to reject each (so it can fail).
Runs: host (meson test --suite bench).
Usage: check-results.py DRIVER BUILD_DIR CONFIGS"""
import csv, json, math, os, shutil, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

# What the sample guest and the benchmark programs print (docs/benchmarks.md).
USER = ["null-syscall", "pipe-roundtrip", "fork-exit-wait", "page-fault",
        "cpu-loop", "macro-pipeline"]
KERNEL = ["kernel-cli-sti", "kernel-pushf-popf", "kernel-cr3-reload",
          "kernel-invlpg", "kernel-outb", "kernel-int-iret", "kernel-timer-irq"]
GUEST = USER + KERNEL + ["boot-first-user"]
EXPECTED = {"native": GUEST, "native-plain": GUEST, "baremetal": GUEST,
            "hosted": GUEST, "host": USER, "host64": USER, "uml": USER}
REFERENCE = {"native": "native", "native-plain": "native", "baremetal": "native",
             "hosted": "host", "host": "host", "host64": "host", "uml": "host64"}


class Bad(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Bad(what)


def number(v, what):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise Bad(f"{what}: {v!r} is not a number")
    need(math.isfinite(f), f"{what}: {v!r} is not finite")
    return f


def expected(cfg, guest):
    """The benchmarks cfg must report: user programs only for the host
    configurations and for the Linux guest."""
    return USER if guest == "linux" else EXPECTED[cfg]


def check_json(d, configs):
    """results.json -> (measured config names, {(bench, cfg): row})."""
    with open(os.path.join(d, "results.json")) as f:
        try:
            j = json.load(f)
        except json.JSONDecodeError as e:
            raise Bad(f"results.json: {e}")
    for k in ("guest", "runs", "date", "machine"):
        need(k in j.get("meta", {}), f"results.json: meta.{k} missing")
    need([c["name"] for c in j["configs"]] == configs,
         f"results.json: configs {[c['name'] for c in j['configs']]} != {configs}")
    measured = []
    for c in j["configs"]:
        if c["skipped"] is not None:
            need(isinstance(c["skipped"], str) and c["skipped"].strip(),
                 f"results.json: {c['name']} skipped without a reason")
        else:
            need(not c["errors"], f"results.json: {c['name']} errors: {c['errors']}")
            measured.append(c["name"])
    need(measured, "results.json: no configuration measured")
    rows = {(r["benchmark"], r["config"]): r for r in j["results"]}
    need(len(rows) == len(j["results"]), "results.json: duplicate rows")
    for c in measured:
        for b in expected(c, j["meta"]["guest"]):
            r = rows.get((b, c))
            need(r, f"results.json: {b} missing for {c}")
            med = number(r["median"], f"{b}/{c} median")
            need(med > 0, f"{b}/{c}: median {med} not positive")
            need(number(r["min"], "min") <= med <= number(r["max"], "max"),
                 f"{b}/{c}: median outside min-max")
            need(r["runs"] == j["meta"]["runs"], f"{b}/{c}: runs {r['runs']}")
            ref = REFERENCE[c]
            if ref in measured and b in expected(ref, j["meta"]["guest"]):
                ratio = number(r["ratio"], f"{b}/{c} ratio")
                need(ratio > 0, f"{b}/{c}: ratio {ratio}")
                if ref == c:
                    need(abs(ratio - 1) < 1e-9, f"{b}/{c}: self ratio {ratio}")
    need(j.get("targets"), "results.json: no targets")
    for t in j["targets"]:
        need(t["status"] in ("met", "MISSED") or
             t["status"].startswith(("not measured: ", "undecided: ")),
             f"results.json: target status {t['status']!r}")
    return measured, rows


def check_csv(d, rows):
    with open(os.path.join(d, "results.csv"), newline="") as f:
        got = list(csv.DictReader(f))
    need(got, "results.csv: no rows")
    need({(r.get("benchmark"), r.get("config")) for r in got} == set(rows),
         "results.csv: rows differ from results.json")
    for r in got:
        for k in ("median", "min", "max"):
            number(r[k], f"results.csv {r['benchmark']}/{r['config']} {k}")
        if rows[(r["benchmark"], r["config"])]["ratio"] is not None:
            number(r["ratio"], f"results.csv {r['benchmark']}/{r['config']} ratio")


def check_md(d, configs, measured, rows):
    text = open(os.path.join(d, "results.md")).read()
    lines = text.splitlines()
    first = next((i for i, l in enumerate(lines) if l.startswith("|")), len(lines))
    table = []
    for l in lines[first:]:     # the main table: the first block of rows
        if not l.startswith("|"):
            break
        table.append(l)
    need(len(table) >= 3, "results.md: no table")
    head = [h.strip() for h in table[0].strip("|").split("|")]
    need(head[:2] == ["benchmark", "unit"] and head[2:] == measured,
         f"results.md: columns {head}")
    cells = {}
    for line in table[2:]:
        f = [x.strip() for x in line.strip("|").split("|")]
        need(len(f) == len(head), f"results.md: ragged row {line!r}")
        for c, v in zip(measured, f[2:]):
            cells[(f[0], c)] = v
    for (b, c), r in rows.items():
        v = cells.get((b, c), "")
        need(v and v != "n/a", f"results.md: no cell for {b}/{c}")
        number(v.split()[0], f"results.md {b}/{c}")
        if r["ratio"] is not None and c != REFERENCE[c]:
            need(f"({r['ratio']:.3f}x)" in v, f"results.md: {b}/{c} ratio missing")
    for c in configs:
        if c not in measured:
            need(f"- `{c}`: skipped: " in text, f"results.md: {c} not listed as skipped")
    need("Targets" in text, "results.md: no targets section")


def check_svg(d, measured):
    try:
        root = ET.parse(os.path.join(d, "ratios.svg")).getroot()
    except ET.ParseError as e:
        raise Bad(f"ratios.svg: {e}")
    need(root.tag.endswith("svg"), "ratios.svg: root is not <svg>")
    text = " ".join(t for t in root.itertext())
    for c in measured:
        if REFERENCE[c] != c and REFERENCE[c] in measured:
            need(c in text, f"ratios.svg: no series for {c}")


def check(d, configs):
    for name in ("results.md", "results.json", "results.csv", "ratios.svg"):
        need(os.path.isfile(os.path.join(d, name)), f"{name} missing")
    measured, rows = check_json(d, configs)
    check_csv(d, rows)
    check_md(d, configs, measured, rows)
    check_svg(d, measured)
    return measured


def damage(src, tmp):
    """Damaged copies of the outputs; each must be rejected."""
    cases = {
        "svg missing": lambda d: os.remove(os.path.join(d, "ratios.svg")),
        "json truncated": lambda d: truncate(os.path.join(d, "results.json")),
        "csv ratio not numeric": lambda d: edit(os.path.join(d, "results.csv"), csv_bad_ratio),
        "md row dropped": lambda d: edit(os.path.join(d, "results.md"),
                                         lambda t: "\n".join(l for l in t.splitlines()
                                                             if not l.startswith("| cpu-loop"))),
        "json benchmark dropped": lambda d: edit(os.path.join(d, "results.json"), json_drop),
        "svg not xml": lambda d: edit(os.path.join(d, "ratios.svg"), lambda t: t[: len(t) // 2]),
    }
    for what, hurt in cases.items():
        d = os.path.join(tmp, "damaged-" + what.replace(" ", "-"))
        shutil.copytree(src, d)
        hurt(d)
        yield what, d


def truncate(p):
    with open(p, "r+") as f:
        f.truncate(os.path.getsize(p) // 2)


def edit(p, fn):
    t = open(p).read()
    open(p, "w").write(fn(t))


def csv_bad_ratio(t):
    lines = t.splitlines()
    head = lines[0].split(",")
    i = head.index("ratio")
    for n, l in enumerate(lines[1:], 1):
        f = l.split(",")
        if f[i]:
            f[i] = "fast"
            lines[n] = ",".join(f)
            break
    return "\n".join(lines) + "\n"


def json_drop(t):
    j = json.loads(t)
    j["results"] = [r for r in j["results"] if r["benchmark"] != "null-syscall"]
    return json.dumps(j)


def run_driver(driver, build, configs, out, extra):
    p = subprocess.run([sys.executable, driver, "--runs", "1", "--configs", ",".join(configs),
                        "--build", build, "--out", out] + extra, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=240)
    print(p.stdout.decode(errors="replace"))
    if p.returncode != 0:
        raise Bad(f"previrt-bench {' '.join(extra)} exited {p.returncode}")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.splitlines()[-1])
    driver, build, configs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    tmp = tempfile.mkdtemp(prefix="previrt-bench-smoke-")
    out, out_linux = os.path.join(tmp, "out"), os.path.join(tmp, "out-linux")
    # Second run: the Linux guest with an empty image directory, so its
    # guest configurations must be skipped with a reason.
    linux_cfgs, no_linux = ["native", "hosted", "host64"], os.path.join(tmp, "no-linux")
    os.mkdir(no_linux)
    try:
        run_driver(driver, build, configs, out, [])
        measured = check(out, configs)
        run_driver(driver, build, linux_cfgs, out_linux, ["--guest", "linux", "--linux-dir", no_linux])
        need(check(out_linux, linux_cfgs) == ["host64"], "linux run: guest configs not skipped")
        for what, d in damage(out, tmp):
            try:
                check(d, configs)
            except (Bad, KeyError, OSError) as e:
                print(f"check-results: damaged output rejected ({what}): {e}")
                continue
            raise Bad(f"damaged output accepted ({what})")
        print(f"check-results: PASS: measured {','.join(measured)}; linux guest run skipped "
              "native, hosted with reasons")
        return 0
    except (Bad, KeyError, OSError, subprocess.TimeoutExpired) as e:
        print(f"check-results: FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
