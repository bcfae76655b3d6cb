#!/usr/bin/env python3
"""report.py - bench/run.sh's measurements as a Markdown table and chart data.

    report.py MACHINE RESULTS OUT.md OUT.dat

MACHINE: "key value" lines (date, cpu, cores, kernel, commit, rounds, ...).
RESULTS: one measurement a line, "ROUND CONFIG METRIC VALUE", or
"ROUND CONFIG METRIC failed REASON" (CONFIG is kk, sk, ss, wire or floor).
Writes the table (medians over rounds, skbos/kernel ratios, the path's raw
frame rate and round-trip floor, each latency row's skbos/floor ratio, every failure
with its reason) to OUT.md and, for chart.gp, one
line per charted row to OUT.dat: label, then skbos↔kernel and skbos↔skbos
relative to the kernel with higher = better for skbos.
"""
import statistics
import sys

CONFIGS = [("kk", "kernel↔kernel"), ("sk", "skbos↔kernel"), ("ss", "skbos↔skbos")]

# metric, label, unit, higher is better, chart label (None: not charted)
# [, scale from the metric's unit to the row's]
ROWS = [
    ("bulk1_gbps", "TCP bulk, 1 stream, client sends (iperf3)", "Gbit/s", True, "bulk 1"),
    ("bulk1r_gbps", "TCP bulk, 1 stream, server sends (iperf3 -R)", "Gbit/s", True, "bulk 1 -R"),
    ("bulk4_gbps", "TCP bulk, 4 streams (iperf3 -P 4)", "Gbit/s", True, "bulk 4"),
    ("bulk4p_gbps", "TCP bulk, 4 iperf3 -s processes, 4 clients at once", "Gbit/s", True, "bulk 4 procs"),
    ("small_gbps", "TCP small writes, 64 B (iperf3 -l 64)", "Mbit/s", True, "writes 64 B", 1000),
    ("smallw_gbps", "TCP small writes, 64 B, sink reads 256 KB (bench/smallw)",
     "Mbit/s", True, "sends 64 B", 1000),
    ("smallw_cpu_snd", "CPU per 64-B send, sender (smallw)", "ns", False, None),
    ("bulk1_cpu_snd", "CPU per byte, sender (bulk 1 stream)", "ns/B", False, "CPU/B snd"),
    ("bulk1_cpu_rcv", "CPU per byte, receiver (bulk 1 stream)", "ns/B", False, "CPU/B rcv"),
    ("rr_tcp_avg", "TCP 64 B ping-pong RTT, avg (sockperf)", "µs", False, None),
    ("rr_tcp_p50", "TCP 64 B ping-pong RTT, p50", "µs", False, "TCP RTT p50"),
    ("rr_tcp_p99", "TCP 64 B ping-pong RTT, p99", "µs", False, "TCP RTT p99"),
    ("rr_tcp_p999", "TCP 64 B ping-pong RTT, p99.9", "µs", False, None),
    ("rr_tcp_cpu_cli", "CPU per TCP round trip, client", "µs", False, None),
    ("rr_tcp_cpu_srv", "CPU per TCP round trip, server", "µs", False, None),
    ("rr_spin_avg", "TCP 64 B ping-pong RTT, avg, both ends busy-polling 50 µs", "µs", False, None),
    ("rr_spin_p50", "TCP 64 B ping-pong RTT, p50, busy-polling", "µs", False, "TCP RTT p50 spin"),
    ("rr_spin_p99", "TCP 64 B ping-pong RTT, p99, busy-polling", "µs", False, None),
    ("rr_spin_cpu_cli", "CPU per TCP round trip, client, busy-polling", "µs", False, None),
    ("rr_spin_cpu_srv", "CPU per TCP round trip, server, busy-polling", "µs", False, None),
    ("rr_udp_avg", "UDP 64 B ping-pong RTT, avg (sockperf)", "µs", False, None),
    ("rr_udp_p50", "UDP 64 B ping-pong RTT, p50", "µs", False, "UDP RTT p50"),
    ("rr_udp_p99", "UDP 64 B ping-pong RTT, p99", "µs", False, "UDP RTT p99"),
    ("rr_udp_p999", "UDP 64 B ping-pong RTT, p99.9", "µs", False, None),
    ("rr_udp_cpu_cli", "CPU per UDP round trip, client", "µs", False, None),
    ("rr_udp_cpu_srv", "CPU per UDP round trip, server", "µs", False, None),
    ("crr_tps", "TCP connect+request+response+close (bench/crr)", "trans/s", True, "connect/req/close"),
    ("crr_cpu_cli", "CPU per transaction, client (crr)", "µs", False, "CPU/trans cli"),
    ("crr_cpu_srv", "CPU per transaction, server (crr)", "µs", False, "CPU/trans srv"),
    ("crr_tfo_tps", "the same with TCP Fast Open: request in the SYN (crr client-tfo)", "trans/s", True, None),
    ("crr_tfo_cpu_srv", "CPU per transaction, server, Fast Open (crr)", "µs", False, None),
    ("http_ka_rps", "nginx + wrk, keep-alive, 16 conns", "req/s", True, "nginx keep-alive"),
    ("http_ka_cpu_srv", "CPU per request, nginx, keep-alive", "µs", False, None),
    ("http_close_rps", "nginx + wrk, Connection: close, 16 conns", "req/s", True, "nginx close"),
    ("http_close_cpu_srv", "CPU per request, nginx, close", "µs", False, None),
    ("http2_ka_rps", "nginx 2 workers + wrk, keep-alive, 32 conns", "req/s", True, "nginx 2w keep-alive"),
    ("http2_ka_cpu_srv", "CPU per request, nginx 2 workers, keep-alive", "µs", False, None),
    ("http2_close_rps", "nginx 2 workers + wrk, Connection: close, 32 conns", "req/s", True, "nginx 2w close"),
    ("http2_close_cpu_srv", "CPU per request, nginx 2 workers, close", "µs", False, None),
    ("redis_set", "redis-benchmark SET, 16 conns", "ops/s", True, "redis SET"),
    ("redis_get", "redis-benchmark GET, 16 conns", "ops/s", True, "redis GET"),
    ("mcd_tps", "memcached -t 4 + memcaslap, 2 threads x 32 conns", "ops/s", True, "memcached -t 4"),
    ("mcd_cpu_srv", "CPU per op, memcached -t 4", "µs", False, None),
    ("mem_kb_per_1000", "server VmRSS growth, 1000 idle connections", "kB", False, None),
    ("mem_kb", "server VmRSS with 1000 idle connections", "kB", False, None),
]

# latency rows and the floor (run.sh t_floor) each is set beside: skbos's
# device asleep on its io_uring completion for the blocking rows, spinning on
# it for rr_spin (issue 18's acceptance compares with these)
FLOOR_OF = {
    "rr_tcp_p50": "uring_p50", "rr_tcp_p99": "uring_p99", "rr_tcp_p999": "uring_p999",
    "rr_udp_p50": "uring_p50", "rr_udp_p99": "uring_p99", "rr_udp_p999": "uring_p999",
    "rr_spin_p50": "uringspin_p50", "rr_spin_p99": "uringspin_p99",
}
FLOORS = [("raw", "plain raw socket, blocking recv at both ends"),
          ("uring", "skbos's device asleep on its io_uring completion, blocking echo"),
          ("rawspin", "plain raw socket, both ends polling"),
          ("uringspin", "skbos's device polling its ring, polling echo")]

# test names as run.sh's metrics start (longest first where one prefixes another)
TESTS = ["bulk1r", "bulk1", "bulk4p", "bulk4", "smallw", "small", "rr_tcp", "rr_spin", "rr_udp", "crr_tfo", "crr", "http_ka", "http_close", "http2_ka", "http2_close",
         "redis", "mcd", "mem", "tx1514", "rx1514", "tx64", "rx64"]


def fmt(v):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def main():
    machine_file, res_file, out_md, out_dat = sys.argv[1:5]
    machine = {}
    for line in open(machine_file):
        k, _, v = line.rstrip("\n").partition(" ")
        machine[k] = v
    vals, fails = {}, {}
    for line in open(res_file):
        parts = line.rstrip("\n").split(" ", 4)
        if len(parts) < 4:
            continue
        rnd, cfg, metric, value = parts[:4]
        if value == "failed":
            fails.setdefault((cfg, metric), []).append((rnd, parts[4] if len(parts) > 4 else ""))
            continue
        try:
            v = float(value)
        except ValueError:
            continue
        if v == v:  # not nan
            vals.setdefault((cfg, metric), []).append(v)

    def med(cfg, metric):
        v = vals.get((cfg, metric))
        return statistics.median(v) if v else None

    wire_pps = {k: med("wire", k) for k in ("tx1514_pps", "rx1514_pps", "tx64_pps", "rx64_pps")}
    wire = [p * 1514 * 8 / 1e9 for p in (wire_pps["tx1514_pps"], wire_pps["rx1514_pps"]) if p]
    wire_gbps = min(wire) if wire else None

    m = machine
    out = []
    out.append("# skbos vs the kernel's stack")
    out.append("")
    out.append(f"{m.get('date', '?')}; {m.get('cpu', '?')}, {m.get('cores', '?')} CPUs; "
               f"{m.get('kernel', '?')}; skbos commit `{m.get('commit', '?')}`; "
               f"{m.get('rounds', '?')} round(s) of {m.get('secs', '?')} s runs"
               f"{' (`--quick`)' if m.get('mode') else ''}, medians; the run took {m.get('elapsed', '?')} s.")
    cpus = m.get("cpus", "").split()
    cpu_s, cpu_c = (cpus[1], cpus[3]) if len(cpus) >= 4 else ("?", "?")
    busy = "/".join(m.get("busypoll", "? ?").split())
    out.append("")
    out.append("One veth pair between two network namespaces; the server side pinned to CPU "
               f"{cpu_s}, the client side to CPU {cpu_c} (`taskset`, whole process, skbos's stack "
               "thread included). Nothing busy-polls (except the rows that say so: `SKBOS_SPIN_US=50` for "
               "skbos, `net.core.busy_read`/`busy_poll` 50 and veth GRO on for the kernel): `SKBOS_SPIN_US=0`, "
               f"`net.core.busy_poll`/`busy_read` {busy}, sockperf in its default blocking mode. "
               "skbos↔kernel: the server (iperf3 -s, sockperf server, crr, nginx, redis-server) "
               "runs under `skbos-run`, the client on the kernel; skbos↔skbos: both under `skbos-run`. "
               "Ratios are skbos / kernel↔kernel (↑: higher is better, ↓: lower is better). "
               "CPU is utime+stime from `/proc/PID/stat`: the kernel's softirq work is charged to "
               "whichever process it interrupted (on veth, mostly the sender), or to no one when "
               "ksoftirqd runs it.")
    out.append("")
    head = ["test", "unit"] + [name for _, name in CONFIGS] + ["skbos↔kernel / kernel", "skbos↔skbos / kernel",
                                                             "skbos↔kernel / floor"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    dat = []
    for metric, label, unit, higher, chart, *scale in ROWS:
        cells, meds = [], {}
        for cfg, _ in CONFIGS:
            v = med(cfg, metric)
            if v is not None and scale:
                v *= scale[0]
            meds[cfg] = v
            nf = len(fails.get((cfg, metric), []))
            if v is None:
                cells.append("failed" if nf else "–")
            else:
                c = fmt(v)
                if nf:
                    c += f" ({nf} failed)"
                cells.append(c)
        ratios, rel = [], []
        k = meds["kk"]
        for cfg in ("sk", "ss"):
            v = meds[cfg]
            if v is None or not k:
                ratios.append("–")
                rel.append("nan")
            else:
                ratios.append(f"{v / k:.2f}")
                rel.append(f"{(v / k if higher else (k / v if v else float('nan'))):.4f}")
        floor = med("floor", FLOOR_OF[metric]) if metric in FLOOR_OF else None
        ratios.append(f"{meds['sk'] / floor:.2f}" if floor and meds["sk"] is not None else "–")
        arrow = "↑" if higher else "↓"
        out.append(f"| {label} | {unit} {arrow} | " + " | ".join(cells + ratios) + " |")
        if chart and rel != ["nan", "nan"]:
            dat.append(f'"{chart}" {rel[0]} {rel[1]}')
    out.append("")
    out.append("The floor: a 64-B frame's round trip on the same veth with no IP and no TCP "
               "(`bench/afpacket_bench pp-*`, client namespace to a raw AF_PACKET echo in the server "
               "namespace, same CPUs); the latency rows' last column divides skbos↔kernel by the "
               "io_uring rows (blocking rows by the sleeping one, busy-polling rows by the polling one).")
    out.append("")
    out.append("| round-trip floor | p50 µs | p99 µs | p99.9 µs | kernel↔kernel TCP p50 / this |")
    out.append("|---|---|---|---|---|")
    for key, label in FLOORS:
        p50 = med("floor", f"{key}_p50")
        kk = med("kk", "rr_spin_p50" if key.endswith("spin") else "rr_tcp_p50")
        out.append(f"| {label} | {fmt(p50)} | {fmt(med('floor', key + '_p99'))} | "
                   f"{fmt(med('floor', key + '_p999'))} | {f'{kk / p50:.2f}' if kk and p50 else '–'} |")
    out.append("")
    out.append("The path: a plain AF_PACKET socket (`bench/afpacket_bench`, sendmmsg/recvmmsg, batches "
               "of 64) on the same veth, one CPU, sending (client namespace) and receiving (server "
               "namespace, a generator on the other CPU):")
    out.append("")
    out.append("| raw AF_PACKET | sent frames/s | received frames/s | Gbit/s of frames (the lower) |")
    out.append("|---|---|---|---|")
    for size in (1514, 64):
        tx, rx = wire_pps[f"tx{size}_pps"], wire_pps[f"rx{size}_pps"]
        low = min(p for p in (tx, rx) if p) if (tx or rx) else None
        out.append(f"| {size}-B frames | {fmt(tx)} | {fmt(rx)} | "
                   f"{fmt(low * size * 8 / 1e9) if low else '–'} |")
    out.append("")
    if wire_gbps:
        out.append("Bulk throughput as a fraction of that wire (1514-B frames, "
                   f"{wire_gbps:.2f} Gbit/s). A kernel sender hands whole 64 KB TSO segments across the "
                   "veth, so figures with the kernel sending can pass 1.")
        out.append("")
        out.append("| of the wire | " + " | ".join(n for _, n in CONFIGS) + " |")
        out.append("|---|---|---|---|")
        for metric, label, unit, *_ in ROWS:
            if unit == "Gbit/s":
                cells = [med(c, metric) for c, _ in CONFIGS]
                out.append(f"| {label} | " + " | ".join(f"{v / wire_gbps:.2f}" if v else "–"
                                                        for v in cells) + " |")
        out.append("")
    out.append("Memory: the server's VmRSS; the kernel keeps its sockets outside the process, so for "
               "kernel↔kernel the growth is the application's own (here crr, which keeps an fd only).")
    out.append("")
    if dat:
        out.append("![skbos relative to the kernel](CHART)")
    else:
        out.append("(No chart: no skbos figure to set against the kernel's.)")
    out.append("")
    if fails:
        out.append("Failed runs:")
        out.append("")
        names = dict(CONFIGS, wire="wire", floor="floor")
        seen = set()
        for (cfg, metric), lst in sorted(fails.items()):
            for rnd, why in lst:
                test = next((t for t in TESTS if metric.startswith(t)), metric)
                key = (cfg, test, rnd, why)
                if key in seen:
                    continue
                seen.add(key)
                out.append(f"- {names.get(cfg, cfg)}, {test} (round {rnd}): {why}")
        out.append("")
    stamp = out_md.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    text = "\n".join(out).replace("(CHART)", f"({stamp}.png)")
    open(out_md, "w").write(text)
    open(out_dat, "w").write("".join(d + "\n" for d in dat))


if __name__ == "__main__":
    main()
