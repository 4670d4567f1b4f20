#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turns the raw outputs of one tests/bench/run into figure lines and a short table.

Usage: report.py RESULTS_DIR PARTS
       report.py criterion TARGET/criterion OUT.json   (collect criterion means)

RESULTS_DIR holds what the run wrote (p1.txt, floor.txt, p2.txt, scale.txt, p5.txt, p8.txt,
m1-*.json); PARTS is the comma-separated list of parts that were run (P1,...,P5,P8,M1).  Prints one line per
figure, `NAME ours=X anchor=Y ratio=Z`, then a markdown table, and writes both to
RESULTS_DIR/figures.txt and RESULTS_DIR/table.md.  Exit status 1 when a figure of a selected
part could not be measured (its line then says ours=n/a or anchor=n/a).
"""

import json
import os
import statistics
import sys

NA = "n/a"


def kv_line(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [l.rstrip("\n") for l in f if l.strip()]
    except OSError:
        return []


class Report:
    def __init__(self):
        self.figures = []  # (name, ours, anchor, ratio, what)
        self.missing = []

    def add(self, name, ours, anchor, what, ratio=None, fmt="{:.1f}"):
        def show(v):
            if v is None:
                return NA
            if isinstance(v, str):
                return v
            return fmt.format(v)

        if ratio is None and isinstance(ours, float) and isinstance(anchor, float) and anchor:
            ratio = ours / anchor
        if isinstance(ratio, str):
            r = ratio
        else:
            r = NA if ratio is None else f"{ratio:.2f}"
        if ours is None or (anchor is None and what.get("anchor_required", True)):
            self.missing.append(name)
        if anchor is None and not what.get("anchor_required", True):
            r = "-"
        self.figures.append((name, show(ours), show(anchor) if anchor is not None else
                             (NA if what.get("anchor_required", True) else "-"), r, what))


def p1(rep, d):
    rows = [l.split(" ", 2) for l in read_lines(os.path.join(d, "p1.txt"))]
    ours = [kv_line(r[2]) for r in rows if len(r) == 3 and r[0] == "ours"]
    sw = [kv_line(r[2]) for r in rows if len(r) == 3 and r[0] == "charon"]
    floor = kv_line(" ".join(read_lines(os.path.join(d, "floor.txt"))))

    def med(rs, key):
        vals = [r[key] for r in rs if isinstance(r.get(key), float)]
        return statistics.median(vals) if vals else None

    # schedstat (ns, live threads only) unless it falls short of utime+stime (clock ticks, all
    # threads, exact to a tick or two) by more than two ticks: then a thread exited meanwhile
    for r in ours + sw:
        a, b = r.get("responder_sched_us_per_handshake"), r.get("responder_us_per_handshake")
        n, tck = r.get("handshakes"), r.get("clk_tck")
        if not isinstance(b, float):
            continue
        slack = 2 * 1e6 / tck / n if isinstance(n, float) and isinstance(tck, float) and n else 0
        r["cpu_us"] = a if isinstance(a, float) and a >= b - slack else b
    o_us, s_us = med(ours, "cpu_us"), med(sw, "cpu_us")
    f_us = floor.get("floor_us") if isinstance(floor.get("floor_us"), float) else None
    e_us = floor.get("engine_us") if isinstance(floor.get("engine_us"), float) else None
    info = {"unit": "µs CPU / IKE SA + Child SA"}
    rep.add("p1_handshake_cpu_us", o_us, s_us,
            dict(info, anchor_is="strongSwan charon 5.9.8 (fake kernel)"))
    rep.add("p1_handshake_vs_floor_us", o_us, f_us,
            dict(info, anchor_is="crypto floor (primitives alone)"))
    rep.add("p1_engine_inproc_vs_floor_us", e_us, f_us,
            dict(info, anchor_is="crypto floor; ours = responder engine in memory, no I/O"))
    rep.add("p1_charon_vs_floor_us", s_us, f_us,
            dict(info, anchor_is="crypto floor; 'ours' column = charon here"))
    rep.add("p1_rss_per_sa_bytes", med(ours, "responder_rss_per_sa"),
            med(sw, "responder_rss_per_sa"),
            {"unit": "bytes RSS growth / established SA", "anchor_is": "strongSwan charon"},
            fmt="{:.0f}")
    return {"ours": ours, "charon": sw, "floor": floor}


def p2(rep, d):
    rows = [l.split() for l in read_lines(os.path.join(d, "p2.txt"))]
    data = {"ours": [], "strongswan": []}
    fails = {"ours": 0, "strongswan": 0}
    for r in rows:
        if len(r) >= 3 and r[0] in data and r[2] == "FAIL":
            fails[r[0]] += 1
        elif len(r) >= 5 and r[0] in data:
            data[r[0]].append((float(r[2]), int(r[3]), int(r[4])))

    def med(k, i):
        v = [x[i] for x in data[k]]
        return float(statistics.median(v)) if v else None

    def mx(k, i):
        v = [x[i] for x in data[k]]
        return float(max(v)) if v else None

    n = min(len(data["ours"]), len(data["strongswan"]))
    rep.add("p2_nmcli_connect_s", med("ours", 0), med("strongswan", 0),
            {"unit": f"s, median of {n}", "anchor_is": "NetworkManager-strongswan 1.6.0 (charon-nm)"},
            fmt="{:.2f}")
    have = bool(rows)
    rep.add("p2_connect_failures", float(fails["ours"]) if have else None,
            float(fails["strongswan"]) if have else None,
            {"unit": "failed connects (not in the medians)", "anchor_is": "NetworkManager-strongswan"},
            ratio="-", fmt="{:.0f}")

    def first(k):
        v = [x[0] for x in data[k][:1]]
        return float(v[0]) if v else None

    rep.add("p2_nmcli_first_connect_s", first("ours"), first("strongswan"),
            {"unit": "s, the first connect (the plugin process starts cold)",
             "anchor_is": "NetworkManager-strongswan"}, fmt="{:.2f}")
    kib = lambda v: None if v is None else v / 1024
    rep.add("p3_rss_steady_kib", kib(med("ours", 1)), kib(med("strongswan", 1)),
            {"unit": "KiB VmRSS while connected, median", "anchor_is": "charon-nm"}, fmt="{:.0f}")
    rep.add("p3_rss_peak_kib", kib(mx("ours", 2)), kib(mx("strongswan", 2)),
            {"unit": "KiB VmHWM, max over connects", "anchor_is": "charon-nm"}, fmt="{:.0f}")
    return data


def label(n):
    n = int(n)
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def p4(rep, d):
    rows = [kv_line(l) for l in read_lines(os.path.join(d, "scale.txt")) if l.startswith("size=")]
    if not rows:
        for k in ("heap_bytes_per_sa", "rss_bytes_per_sa", "init_msg_us", "auth_msg_us",
                  "info_msg_us", "poll_timeout_us"):
            rep.add(f"p4_{k}", None, None, {"unit": "", "anchor_is": "smallest size"})
        return rows
    base = rows[0]
    keys = [("heap_bytes_per_sa", "heap_bytes_per_sa", "bytes heap / SA", "{:.0f}"),
            ("rss_bytes_per_sa", "rss_bytes_per_sa", "bytes RSS / SA", "{:.0f}"),
            ("init_msg_us", "init_us", "µs / IKE_SA_INIT request", "{:.1f}"),
            ("auth_msg_us", "auth_us", "µs / IKE_AUTH request", "{:.1f}"),
            ("info_msg_us", "info_us", "µs / INFORMATIONAL request", "{:.2f}"),
            ("poll_timeout_us", "poll_timeout_us", "µs / poll_timeout call", "{:.1f}")]
    for r in rows:
        for name, key, unit, fmt in keys:
            rep.add(f"p4_{name}@{label(r['size'])}", r.get(key), base.get(key),
                    {"unit": unit, "anchor_is": f"same figure at {label(base['size'])} SAs"},
                    fmt=fmt)
    return rows


def zero_ratio(ours, anchor):
    """The ratio of two counts whose anchor may be 0: n/a for 0/0, inf for x/0."""
    if ours is None or anchor is None:
        return None
    if anchor == 0:
        return NA if ours == 0 else "inf"
    return ours / anchor


def p5(rep, d):
    rows = {}
    for line in read_lines(os.path.join(d, "p5.txt")):
        who, _, rest = line.partition(" ")
        if who in ("ours", "charon"):
            rows[who] = kv_line(rest)
    o, c = rows.get("ours", {}), rows.get("charon", {})
    lost_o, lost_c = o.get("lost"), c.get("lost")
    n = int(o.get("rekeys", c.get("rekeys", 0)))
    anchor = "strongSwan charon 5.9.8 as the client (kernel ESP)"
    rep.add("p5_rekey_lost_packets", lost_o, lost_c,
            {"unit": f"echo requests lost across {n} Child SA rekeys by the gateway (ping -i 0.01)",
             "anchor_is": anchor}, ratio=zero_ratio(lost_o, lost_c), fmt="{:.0f}")
    rep.add("p5_rekey_pings_sent", o.get("sent"), c.get("sent"),
            {"unit": "echo requests sent meanwhile (context)", "anchor_is": anchor},
            ratio="-", fmt="{:.0f}")
    return rows


def p8(rep, d):
    data = {"ours": [], "charon": []}
    for r in (l.split() for l in read_lines(os.path.join(d, "p8.txt"))):
        if len(r) == 4 and r[0] in data:
            try:
                data[r[0]].append(float(r[3]))
            except ValueError:
                pass

    def med(k):
        return float(statistics.median(data[k])) if data[k] else None

    def mx(k):
        return float(max(data[k])) if data[k] else None

    n = min(len(data["ours"]), len(data["charon"]))
    anchor = "strongSwan charon 5.9.8 as the client (dpd_action=restart)"
    rep.add("p8_back_after_restart_s", med("ours"), med("charon"),
            {"unit": f"s from the gateway answering again to traffic, median of {n}",
             "anchor_is": anchor}, fmt="{:.2f}")
    rep.add("p8_back_after_restart_max_s", mx("ours"), mx("charon"),
            {"unit": f"s, the slowest of {n} rounds", "anchor_is": anchor}, fmt="{:.2f}")
    return data


def m1(rep, d):
    try:
        with open(os.path.join(d, "m1-new.json"), encoding="utf-8") as f:
            new = json.load(f)
    except (OSError, ValueError):
        new = {}
    try:
        with open(os.path.join(d, "m1-prev.json"), encoding="utf-8") as f:
            prev = json.load(f)
    except (OSError, ValueError):
        prev = {}
    if not new:
        rep.add("m1_criterion", None, None, {"unit": "ns", "anchor_is": "previous run"})
    for k in sorted(new):
        rep.add(f"m1_{k}_ns", new[k], prev.get(k),
                {"unit": "ns / iteration (criterion mean)",
                 "anchor_is": "previous run on this machine", "anchor_required": False},
                fmt="{:.0f}")
    return new


def collect_criterion(root, out):
    """Writes {group_function: mean ns} of every benchmark under target/criterion to OUT."""
    res = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        try:
            with open(os.path.join(dirpath, "benchmark.json"), encoding="utf-8") as f:
                bench = json.load(f)
            with open(os.path.join(dirpath, "estimates.json"), encoding="utf-8") as f:
                est = json.load(f)
        except (OSError, ValueError):
            continue
        key = bench.get("full_id", "").replace("/", "_")
        if key:
            res[key] = est["mean"]["point_estimate"]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "criterion":
        return collect_criterion(sys.argv[2], sys.argv[3])
    d, parts = sys.argv[1], sys.argv[2].split(",")
    rep = Report()
    if "P1" in parts:
        p1(rep, d)
    if "P2" in parts or "P3" in parts:
        p2(rep, d)
    if "P4" in parts:
        p4(rep, d)
    if "P5" in parts:
        p5(rep, d)
    if "P8" in parts:
        p8(rep, d)
    if "M1" in parts:
        m1(rep, d)
    lines = [f"{n} ours={o} anchor={a} ratio={r}" for n, o, a, r, _ in rep.figures]
    table = ["| figure | ours | anchor | ratio | unit | anchor is |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    # the short table: every P1-P3, P5 and P8 figure, P4 at the largest size, a few M1 figures
    p4_last = [n for n, *_ in rep.figures if n.startswith("p4_") and "@" in n]
    p4_last = p4_last[-1].split("@")[-1] if p4_last else None
    m1_keep = ("codec_parse_ike_sa_init_req", "codec_parse_ike_auth_req_inner",
               "codec_emit_ike_auth_resp_inner", "crypto_ike_sa_keys_skeyseed+sk",
               "crypto_x25519_keygen+dh")
    for n, o, a, r, w in rep.figures:
        if n.startswith("p4_") and "@" in n and n.split("@")[-1] != p4_last:
            continue
        if n.startswith("m1_") and not any(n == f"m1_{k}_ns" for k in m1_keep):
            continue
        table.append(f"| {n} | {o} | {a} | {r} | {w.get('unit', '')} | {w.get('anchor_is', '')} |")
    print("\n".join(lines))
    print()
    print("\n".join(table))
    with open(os.path.join(d, "figures.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "table.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(table) + "\n")
    if rep.missing:
        print(f"bench: {len(rep.missing)} figure(s) could not be measured: {' '.join(rep.missing)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
