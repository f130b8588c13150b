#!/usr/bin/env python3
"""For bench/scenarios/two_types.scn runs (umptcp-exp's output directory): how much of the
shared link t the type-1 (MPTCP) users take, and how steadily. For each congestion control:
the type-2 users' mean goodput, the type-1 users' share of their own traffic on t (their
subflows from 10.x.1.1) over the run, and the standard deviation of that share over 1 s
windows (flapping between paths shows as a large one).
Usage: bench/two_types_share.py OUT_DIR"""
import glob
import json
import os
import statistics
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("Usage: ")[1])
    rows = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "run-*.json"))):
        doc = json.load(open(path))
        t, per = doc["series"]["t"], doc["series"]["subflows"]
        step = t[1] - t[0] if len(t) > 1 else 0.1
        window = max(1, int(round(1.0 / step)))
        shares, on_t, total = [], 0.0, 0.0
        for fl, subs in zip(doc["flows"], per):
            if fl["protocol"] != "mptcp":
                continue
            rates = {a: [x or 0.0 for x in v["mbps"]] for a, v in subs.items()}
            t_addr = [a for a in rates if a.split(".")[2] == "1"]
            for k in range(0, len(t) - window + 1, window):
                tot = sum(sum(r[k:k + window]) for r in rates.values())
                ont = sum(sum(rates[a][k:k + window]) for a in t_addr)
                if tot > 0:
                    shares.append(ont / tot)
            on_t += sum(s["bytes_sent"] for s in fl["subflows"] if s["local"].split(".")[2] == "1")
            total += sum(s["bytes_sent"] for s in fl["subflows"])
        type2 = [f["goodput_mbps"] for f in doc["flows"] if f["protocol"] == "tcp"]
        rows.append((doc.get("cc") or "cubic", statistics.mean(type2), on_t / total if total else 0,
                     statistics.pstdev(shares) if shares else 0))
    print("%-8s %22s %26s %22s" % ("cc", "type-2 goodput (mean)", "type-1 traffic on t", "its std over 1 s"))
    for cc, g, share, sd in rows:
        print("%-8s %17.2f Mb/s %25.1f %% %21.1f %%" % (cc, g, 100 * share, 100 * sd))


if __name__ == "__main__":
    main()
