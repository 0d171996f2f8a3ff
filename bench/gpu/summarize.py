#!/usr/bin/env python3
"""GPU check (scripts/gpu-check.sh): turns OUT/logs/*.log and OUT/steps.tsv into OUT/report.md.

Kestrel's figures are medians of its own per-run clock() readings (bench/gpu/vadd.kst: launch_ms,
bench/gpu/pi.kst: run_ms), which include the launch and the wait for the result; the baselines
print both an event-timed and a host-timed median, and the comparisons with Kestrel use the
host-timed one (the same footing), the bandwidth targets use cuMemcpyDtoD's event time (the
device's best). Each criterion of issue 15 is printed with the figures it rests on and whether
it holds; a missing figure says which step to look at.

usage: summarize.py OUT --vadd-sizes "1e8 1e9" --pi-n 1e10 [--target ARGS] [--ref ARGS]
                    [--elapsed SECONDS]
"""
import argparse
import os
import re
import statistics

NOISE = 0.02  # "no slower than": within 2 % of the baseline counts as no slower (timer noise)


def read(out, name):
    try:
        with open(os.path.join(out, "logs", name + ".log"), errors="replace") as f:
            return f.read()
    except OSError:
        return None


def result(text, what):
    """The key=value pairs of the `RESULT what ...` line in text, or None."""
    if not text:
        return None
    for line in text.splitlines():
        if line.startswith(f"RESULT {what} "):
            return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}
    return None


def kestrel_times(text, key):
    """The median of the `key X` lines Kestrel's program printed, and how many there were."""
    if not text:
        return None, 0
    xs = [float(m.group(1)) for m in re.finditer(rf"^{key} (\S+)", text, re.M)]
    return (statistics.median(xs) if xs else None), len(xs)


def first(text, key):
    m = re.search(rf"^{key} (.*)$", text or "", re.M)
    return m.group(1).strip() if m else None


def fmt(x, spec=".1f"):
    return "n/a" if x is None else format(x, spec)


def verdict(ok):
    return "n/a (missing figures)" if ok is None else ("**holds**" if ok else "**does not hold**")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--vadd-sizes", default="")
    p.add_argument("--pi-n", default="1e10")
    p.add_argument("--target", default="")
    p.add_argument("--ref", default="")
    p.add_argument("--elapsed", default="?")
    a = p.parse_args()
    out = a.out
    steps = []
    if os.path.exists(os.path.join(out, "steps.tsv")):
        with open(os.path.join(out, "steps.tsv")) as f:
            steps = [line.rstrip("\n").split("\t") for line in f if line.strip()]

    md = ["# Kestrel GPU check", ""]
    dev = result(read(out, "device"), "info")
    md.append(f"- device: {dev['device']} ({dev['arch']}, {dev['sms']} SMs, "
              f"{dev['memory_gib']} GiB; driver {dev['driver']}, NVRTC {dev['nvrtc']})"
              if dev else "- device: unknown (the `device` step failed: see logs/device.log)")
    md.append(f"- Kestrel run as `kestrel run {a.target} FILE`, reference `kestrel run {a.ref} FILE`")
    md.append(f"- whole check: {a.elapsed} s; raw logs in logs/, environment in logs/environment.log")
    md.append("")
    md.append("| step | outcome | seconds |")
    md.append("|---|---|---|")
    md += [f"| {s[0]} | {s[1]} | {s[2] if len(s) > 2 else ''} |" for s in steps]
    md.append("")

    golden = os.path.join(out, "golden.md")
    if os.path.exists(golden):
        with open(golden) as f:
            md.append(f.read())
    else:
        md += ["## Correctness: golden programs", "", "not run (see the steps above)", ""]

    md += ["## Vector add f32 (`vadd[n](a, b, out)`, 12 n bytes moved)", "",
           "| n | cuMemcpyDtoD GB/s (8 n bytes) | CUDA C++ kernel GB/s (host-timed / event) "
           "| Kestrel GB/s | Kestrel / copy | Kestrel / CUDA C++ | 90 % of copy | no slower than "
           "CUDA C++ |", "|---|---|---|---|---|---|---|---|"]
    vadd_notes = []
    for size in a.vadd_sizes.split():
        n = int(float(size))
        copy = result(read(out, f"vadd-copy-{n}"), "copy")
        cu = result(read(out, f"vadd-cuda-{n}"), "vadd")
        ktext = read(out, f"vadd-kestrel-{n}")
        kms, kcount = kestrel_times(ktext, "launch_ms")
        copy_gbps = float(copy["gbps"]) if copy else None
        cu_wall = 12.0 * n / (float(cu["wall_ms"]) * 1e-3) / 1e9 if cu else None
        cu_event = float(cu["gbps"]) if cu else None
        k_gbps = 12.0 * n / (kms * 1e-3) / 1e9 if kms else None
        r_copy = k_gbps / copy_gbps if k_gbps and copy_gbps else None
        r_cu = k_gbps / cu_wall if k_gbps and cu_wall else None
        md.append(f"| {n:.0e} | {fmt(copy_gbps)} | {fmt(cu_wall)} / {fmt(cu_event)} | "
                  f"{fmt(k_gbps)} (median of {kcount}) | {fmt(r_copy, '.3f')} | "
                  f"{fmt(r_cu, '.3f')} | {verdict(None if r_copy is None else r_copy >= 0.9)} | "
                  f"{verdict(None if r_cu is None else r_cu >= 1 - NOISE)} |")
        notes = []
        if cu and cu.get("check") != "ok":
            notes.append(f"the CUDA C++ kernel's result check: {cu.get('check')}")
        check = first(ktext, "check")
        if ktext is not None:
            notes.append(f"Kestrel warm-up (compile + copies) {first(ktext, 'warm_ms') or 'n/a'} ms;"
                         f" out[0], out[n/2], out[n-1] = {check or 'n/a'} (expected 2.0 each)")
        vadd_notes += [f"- n = {n:.0e}: " + "; ".join(notes)] if notes else []
    md += [""] + vadd_notes + ["", f"(\"no slower\" allows {NOISE:.0%} for timer noise; Kestrel's time is a host clock() "
           "around one launch, so it includes the launch and the wait.)", ""]

    n = int(float(a.pi_n))
    md += [f"## Monte Carlo pi over {n:.0e} samples (seed 42)", ""]
    cu = result(read(out, f"pi-cuda-{n}"), "pi")
    ktext = read(out, f"pi-kestrel-{n}")
    kms, kcount = kestrel_times(ktext, "run_ms")
    nb_text = read(out, f"pi-numba-{n}")
    nb = result(nb_text, "numba-pi")
    k_gsps = n / (kms * 1e-3) / 1e9 if kms else None
    cu_gsps = n / (float(cu["wall_ms"]) * 1e-3) / 1e9 if cu else None
    md += ["| implementation | Gsamples/s | estimate |", "|---|---|---|",
           f"| Kestrel (stdlib montecarlo.pi) | {fmt(k_gsps, '.2f')} (median of {kcount}) | "
           f"{first(ktext, 'pi') or 'n/a'} |",
           f"| CUDA C++, same Philox mapping (host-timed / event) | {fmt(cu_gsps, '.2f')} / "
           f"{cu['gsps'] if cu else 'n/a'} | {cu['pi'] if cu else 'n/a'} |"]
    if nb:
        md.append(f"| numba.cuda | {nb['gsps']} | {nb['pi']} |")
    else:
        skip = first(nb_text, "SKIP")
        md.append(f"| numba.cuda | not run: {skip or 'failed, see logs/pi-numba-' + str(n) + '.log'} | |")
    ratio = k_gsps / cu_gsps if k_gsps and cu_gsps else None
    same = None
    if cu and first(ktext, "pi"):
        same = float(first(ktext, "pi")) == float(cu["pi"])
    md += ["", f"- Kestrel / CUDA C++ = {fmt(ratio, '.3f')}: at least 0.9x "
           f"{verdict(None if ratio is None else ratio >= 0.9)}",
           f"- at least 50 Gsamples/s (the target is for an H200-class device): "
           f"{verdict(None if k_gsps is None else k_gsps >= 50)}",
           f"- Kestrel's estimate equals the CUDA C++ kernel's (the same draws, exactly): "
           f"{verdict(same)}", ""]

    md += ["## NVRTC compile of montecarlo.pi at first launch", ""]
    for name, limit in (("compile-miss", 300.0), ("compile-hit", 5.0)):
        text = read(out, name)
        lines = [x for x in (text or "").splitlines() if re.search(r"gpu|compile|cache", x, re.I)]
        gpu = [x for x in lines if re.search(r"gpu compile", x, re.I)]
        ms = None
        if gpu:
            m = re.search(r"([0-9.]+)\s*ms", gpu[0])
            ms = float(m.group(1)) if m else None
        md.append(f"- {name} (limit {limit:g} ms): "
                  f"{fmt(ms, '.3f')} ms -> {verdict(None if ms is None else ms < limit)}")
        md += [f"    - `{x.strip()}`" for x in lines] or ["    - (no timing line: see logs/"
                                                          f"{name}.log)"]
    md.append("")
    md += ["## Math functions: the target against the reference (bench/gpu/math_ulp.kst)", ""]
    ulp = read(out, "ulp")
    table = [x for x in (ulp or "").splitlines() if x.startswith("|")]
    md += table or ["(no ulp table: see logs/ulp.log)"]
    md.append("")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
