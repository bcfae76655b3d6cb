/*
 * test_icmp.c - two stacks over the wire: echo round trips of every size
 * (fragmented both ways), reassembly from any order, reassembly timeout and
 * its ICMP time exceeded, overlap/duplicate/oversize fragments, the
 * reassembly memory cap, ICMP error rate limiting, path MTU from
 * "fragmentation needed", and pings under loss.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "capture.h"
#include "frames.h"
#include "checksum.h"
#include "icmp.h"
#include "ping.h"
#include "route.h"

#define SEC NSEC_PER_SEC
#define MS NSEC_PER_MSEC

static struct inet_pair p;
static struct stack *sa, *sb;
static struct ping_sock ps;

static void setup(void)
{
	inet_pair_setup(&p);
	sa = p.w.st[0];
	sb = p.w.st[1];
	cr_assert(eq(int, ping_open(sa, &ps, 4242), 0));
}

static void teardown(void)
{
	ping_close(&ps);
	world_run(&p.w);
	cr_assert(eq(u32, ipfrag_queue_count(sa) + ipfrag_queue_count(sb), 0), "no partial datagrams left");
	world_assert_no_leaks(&p.w);
	inet_pair_teardown(&p);
}

TestSuite(icmp, .init = setup, .fini = teardown, .timeout = 60);

static void fill(u8 *buf, unsigned int len, u32 seed)
{
	for (unsigned int i = 0; i < len; i++)
		buf[i] = (u8)((seed * 2654435761u + i * 40503u) >> 13);
}

/* The reply for @seq, checked byte for byte against what was sent. */
static bool reply_intact(u16 seq, const u8 *data, unsigned int len)
{
	struct sk_buff *skb = ping_recv(&ps);
	bool ok;

	if (!skb)
		return false;
	ok = ntohs(icmp_hdr(skb)->un.echo.sequence) == seq && skb->len == len + 8 &&
	     !memcmp(skb->data + 8, data, len) && ip_compute_csum(skb->data, skb->len) == 0;
	consume_skb(skb);
	return ok;
}

Test(icmp, echo_round_trip_resolves_arp_both_ways)
{
	static u8 data[56];

	fill(data, sizeof(data), 1);
	cr_assert(eq(int, ping_send(&ps, p.b, 1, data, sizeof(data)), 0));
	world_run(&p.w);
	cr_assert(reply_intact(1, data, sizeof(data)));
	cr_assert(eq(u64, mib(sa, ICMP_MIB_OUTECHOS), 1));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_INECHOS), 1));
	cr_assert(eq(u64, mib(sa, ICMP_MIB_INECHOREPS), 1));
}

/* Acceptance: 1000 echoes of 0..8000 bytes, fragmented both ways, all intact. */
Test(icmp, thousand_echoes_of_every_size_up_to_8000)
{
	static u8 data[8000];
	unsigned int ok = 0;

	for (u16 i = 0; i < 1000; i++) {
		unsigned int len = i == 999 ? 8000 : (unsigned int)i * 8;

		fill(data, len, i);
		cr_assert(eq(int, ping_send(&ps, p.b, i, data, len), 0));
		world_run(&p.w);
		ok += reply_intact(i, data, len);
	}
	cr_assert(eq(u32, ok, 1000));
	cr_assert(gt(u64, mib(sa, IPSTATS_MIB_FRAGCREATES), 1000), "large ones were fragmented");
	cr_assert(gt(u64, mib(sb, IPSTATS_MIB_REASMOKS), 500));
	cr_assert(gt(u64, mib(sa, IPSTATS_MIB_REASMOKS), 500), "replies too");
	cr_assert(eq(u64, mib(sa, IPSTATS_MIB_REASMFAILS) + mib(sb, IPSTATS_MIB_REASMFAILS), 0));
}

/* Cut an echo request of @len bytes into fragments of @fraglen payload bytes. */
struct frags {
	u8 buf[16][1600];
	unsigned int len[16];
	int n;
};

static void make_frags(struct frags *f, u16 id, u16 seq, const u8 *data, unsigned int len,
		       unsigned int fraglen)
{
	static u8 icmp[9000];
	unsigned int total = build_icmp_echo(icmp, ICMP_ECHO, 4242, seq, data, len);

	f->n = 0;
	for (unsigned int off = 0; off < total; off += fraglen) {
		unsigned int chunk = total - off < fraglen ? total - off : fraglen;
		struct ipspec s = { .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP, .id = id,
				    .payload = icmp + off, .len = chunk,
				    .frag_off = (u16)((off >> 3) | (off + chunk < total ? IP_MF : 0)) };

		cr_assert(lt(int, f->n, 16));
		f->len[f->n] = build_ip_frame(f->buf[f->n], &s, mac_a, mac_b);
		f->n++;
	}
}

Test(icmp, fragments_in_reverse_order_reassemble)
{
	static u8 data[4000];
	struct frags f;

	fill(data, sizeof(data), 7);
	make_frags(&f, 100, 1, data, sizeof(data), 1000);
	cr_assert(eq(int, f.n, 5));
	for (int i = f.n - 1; i >= 0; i--)
		inject_frame(p.db, f.buf[i], f.len[i]);
	world_run(&p.w);
	cr_assert(reply_intact(1, data, sizeof(data)));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_REASMOKS), 1));
}

Test(icmp, fragments_in_random_orders_reassemble)
{
	static u8 data[6000];
	struct frags f;

	srand(11);
	for (u16 round = 0; round < 50; round++) {
		int order[16];

		fill(data, sizeof(data), round);
		make_frags(&f, (u16)(200 + round), round, data, sizeof(data), 504);
		for (int i = 0; i < f.n; i++)
			order[i] = i;
		for (int i = f.n - 1; i > 0; i--) {
			int j = rand() % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < f.n; i++)
			inject_frame(p.db, f.buf[order[i]], f.len[order[i]]);
		world_run(&p.w);
		cr_assert(reply_intact(round, data, sizeof(data)), "round %u", round);
	}
}

Test(icmp, lost_fragment_times_out_frees_memory_and_sends_time_exceeded)
{
	static u8 data[3000];
	struct frags f;

	fill(data, sizeof(data), 3);
	make_frags(&f, 300, 1, data, sizeof(data), 1000);
	inject_frame(p.db, f.buf[0], f.len[0]);
	inject_frame(p.db, f.buf[2], f.len[2]); /* the middle one is lost */
	world_run(&p.w);
	cr_assert(eq(u32, ipfrag_queue_count(sb), 1));
	cr_assert(gt(long, ipfrag_mem(sb), 0));
	world_advance(&p.w, 30 * SEC - MS);
	cr_assert(eq(u32, ipfrag_queue_count(sb), 1), "RFC 1122: kept for the full 30 s");
	world_advance(&p.w, MS);
	cr_assert(eq(u32, ipfrag_queue_count(sb), 0));
	cr_assert(eq(long, ipfrag_mem(sb), 0));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_REASMTIMEOUT), 1));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_REASMFAILS), 1));
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IP_FRAG_TIMEOUT), 2));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTTIMEEXCDS), 1));
	/* A learns it through the quoted echo request. */
	cr_assert(eq(u64, mib(sa, ICMP_MIB_INTIMEEXCDS), 1));
	cr_assert(eq(int, ping_sock_error(&ps), EHOSTUNREACH));
	cr_assert(eq(u8, ps.err_type, ICMP_TIME_EXCEEDED));
	cr_assert(eq(u8, ps.err_code, ICMP_EXC_FRAGTIME));
}

Test(icmp, no_time_exceeded_without_fragment_zero)
{
	static u8 data[3000];
	struct frags f;

	make_frags(&f, 301, 1, data, sizeof(data), 1000);
	inject_frame(p.db, f.buf[1], f.len[1]);
	world_advance(&p.w, 31 * SEC);
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_REASMTIMEOUT), 1));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTTIMEEXCDS), 0), "RFC 792: only with fragment zero");
}

Test(icmp, overlapping_fragment_discards_the_datagram)
{
	static u8 data[3000];
	struct frags f;
	struct ipspec s;
	u8 buf[1600];

	make_frags(&f, 400, 1, data, sizeof(data), 1000);
	inject_frame(p.db, f.buf[0], f.len[0]);
	/* 8 bytes at offset 992: straddles the first fragment's end */
	s = (struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP, .id = 400,
			     .payload = data, .len = 16, .frag_off = IP_MF | (992 >> 3) };
	inject_frame(p.db, buf, build_ip_frame(buf, &s, mac_a, mac_b));
	for (int i = 1; i < f.n; i++)
		inject_frame(p.db, f.buf[i], f.len[i]);
	world_run(&p.w);
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_REASMOVERLAPS), 1));
	cr_assert(eq(ptr, ping_recv(&ps), NULL), "the datagram is gone");
	world_advance(&p.w, 31 * SEC); /* the late fragments started a new queue; let it expire */
}

Test(icmp, exact_duplicate_fragment_is_harmless)
{
	static u8 data[3000];
	struct frags f;

	fill(data, sizeof(data), 5);
	make_frags(&f, 500, 1, data, sizeof(data), 1000);
	inject_frame(p.db, f.buf[1], f.len[1]);
	inject_frame(p.db, f.buf[1], f.len[1]);
	inject_frame(p.db, f.buf[0], f.len[0]);
	inject_frame(p.db, f.buf[2], f.len[2]);
	inject_frame(p.db, f.buf[3], f.len[3]);
	world_run(&p.w);
	cr_assert(reply_intact(1, data, sizeof(data)));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_REASMOVERLAPS), 0));
}

Test(icmp, ping_of_death_fragment_is_dropped)
{
	u8 buf[1600], data[1000] = { 0 };
	struct ipspec s = { .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP, .id = 600,
			    .payload = data, .len = 1000, .frag_off = 8100 }; /* 64800 + 1000 */

	inject_frame(p.db, buf, build_ip_frame(buf, &s, mac_a, mac_b));
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IP_FRAG_TOO_BIG), 1));
	cr_assert(eq(u32, ipfrag_queue_count(sb), 0));
}

Test(icmp, reassembly_memory_is_capped_under_a_fragment_flood)
{
	u8 buf[1600], data[1000] = { 0 };

	sb->sysctl.ipfrag_high_thresh = 64 * 1024;
	for (u16 id = 0; id < 500; id++) {
		struct ipspec s = { .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP, .id = id,
				    .payload = data, .len = 1000, .frag_off = IP_MF };

		inject_frame(p.db, buf, build_ip_frame(buf, &s, mac_a, mac_b));
		cr_assert(le(long, ipfrag_mem(sb), 64 * 1024));
	}
	cr_assert(gt(u64, drops(sb, SKB_DROP_REASON_IP_FRAG_MEM), 400));
	world_advance(&p.w, 31 * SEC);
	cr_assert(eq(long, ipfrag_mem(sb), 0));
}

Test(icmp, errors_are_rate_limited_per_destination)
{
	u8 data[8] = { 0 };
	struct ipspec s = { .saddr = p.a, .daddr = p.b, .proto = 253, .payload = data, .len = 8 };

	for (int i = 0; i < 20; i++)
		inject_ip(p.db, &s);
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTDESTUNREACHS), 6), "a burst of 6 (XRLIM_BURST_FACTOR)");
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTRATELIMITED), 14));
	world_advance(&p.w, 1 * SEC);
	inject_ip(p.db, &s);
	inject_ip(p.db, &s);
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTDESTUNREACHS), 7), "then one per second");
}

/* A router (@from) says A's echo request with @id needs fragmenting: at most @mtu. */
static void inject_frag_needed(__be32 from, u16 id, u16 mtu)
{
	u8 icmp[600], buf[700], req[8];
	struct icmphdr *h = (struct icmphdr *)(void *)icmp;
	struct ipspec quoted = { .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP, .len = 8, .payload = req };
	unsigned int qlen;

	build_icmp_echo(req, ICMP_ECHO, id, 7, NULL, 0); /* the request the router refused */
	qlen = build_ip_frame(buf, &quoted, mac_a, mac_b) - ETH_HLEN;
	memset(h, 0, sizeof(*h));
	h->type = ICMP_DEST_UNREACH;
	h->code = ICMP_FRAG_NEEDED;
	h->un.frag.mtu = htons(mtu);
	memcpy(icmp + 8, buf + ETH_HLEN, qlen);
	h->checksum = ip_compute_csum(icmp, 8 + qlen);
	struct ipspec err = { .saddr = from, .daddr = p.a, .proto = IPPROTO_ICMP,
			      .payload = icmp, .len = 8 + qlen };
	inject_frame(p.da, buf, build_ip_frame(buf, &err, mac_b, mac_a));
}

Test(icmp, fragmentation_needed_lowers_the_path_mtu)
{
	static u8 data[1400];
	struct capture tx;
	struct sk_buff *skb;

	inject_frag_needed(ip4("10.0.0.254"), 4242, 1000);
	cr_assert(eq(u32, ipv4_pmtu_lookup(sa, p.b), 1000));
	cr_assert(eq(int, ping_sock_error(&ps), EMSGSIZE));

	capture_attach(&tx, sa, p.da, CAPTURE_TX);
	fill(data, sizeof(data), 9);
	ping_send(&ps, p.b, 1, data, sizeof(data));
	world_run(&p.w);
	cr_assert(reply_intact(1, data, sizeof(data)));
	while ((skb = capture_pop(&tx)) != NULL) {
		if (skb->data[12] == 0x08 && skb->data[13] == 0)
			cr_assert(le(u32, skb->len - ETH_HLEN, 1000), "every datagram fits the path");
		consume_skb(skb);
	}
	capture_detach(&tx);
}

/* Linux learns the path MTU in the err_handler that owns the quoted
 * datagram: an error about an echo no socket sent changes nothing. */
Test(icmp, fragmentation_needed_about_no_socket_leaves_the_path_mtu)
{
	inject_frag_needed(p.b, 4343, 600); /* no ping socket has id 4343 */
	cr_assert(eq(u32, ipv4_pmtu_lookup(sa, p.b), 0));
	cr_assert(eq(u64, mib(sa, ICMP_MIB_INDESTUNREACHS), 1));
}

Test(icmp, spoofed_error_about_foreign_traffic_is_ignored)
{
	u8 icmp[100], buf[200];
	struct icmphdr *h = (struct icmphdr *)(void *)icmp;
	struct ipspec quoted = { .saddr = ip4("10.0.0.77"), .daddr = p.b, .proto = IPPROTO_ICMP };
	unsigned int qlen = build_ip_frame(buf, &quoted, mac_a, mac_b) - ETH_HLEN;

	memset(h, 0, sizeof(*h));
	h->type = ICMP_DEST_UNREACH;
	h->code = ICMP_FRAG_NEEDED;
	h->un.frag.mtu = htons(600);
	memcpy(icmp + 8, buf + ETH_HLEN, qlen);
	memset(icmp + 8 + qlen, 0, 8);
	h->checksum = ip_compute_csum(icmp, 16 + qlen);
	struct ipspec err = { .saddr = p.b, .daddr = p.a, .proto = IPPROTO_ICMP, .payload = icmp, .len = 16 + qlen };
	inject_frame(p.da, buf, build_ip_frame(buf, &err, mac_b, mac_a));
	cr_assert(eq(u32, ipv4_pmtu_lookup(sa, p.b), 0));
	cr_assert(eq(u64, mib(sa, ICMP_MIB_INERRORS), 1));
}

Test(icmp, echo_to_broadcast_is_ignored)
{
	u8 echo[16];
	unsigned int len = build_icmp_echo(echo, ICMP_ECHO, 4242, 1, NULL, 0);
	struct ipspec s = { .saddr = p.a, .daddr = ip4("10.0.0.255"), .proto = IPPROTO_ICMP,
			    .payload = echo, .len = len, .dst_mac = mac_bcast };

	inject_ip(p.db, &s);
	world_run(&p.w);
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTECHOREPS), 0));
	cr_assert(eq(ptr, ping_recv(&ps), NULL));
}

Test(icmp, pings_under_ten_percent_loss_are_lost_never_wrong)
{
	static u8 data[2000];
	struct impair_config cfg = { .seed = 5, .drop = { .rate_ppm = 100000 } };
	unsigned int ok = 0, lost = 0;

	wire_set_impair(p.wire, 0, &cfg);
	cfg.seed = 6;
	wire_set_impair(p.wire, 1, &cfg);
	for (u16 i = 0; i < 300; i++) {
		unsigned int len = (i % 3 == 0) ? 2000 : 56; /* some fragmented */
		struct sk_buff *skb;

		fill(data, len, i);
		ping_send(&ps, p.b, i, data, len);
		world_advance(&p.w, 10 * MS);
		skb = ping_recv(&ps);
		if (!skb) {
			lost++;
			continue;
		}
		cr_assert(eq(u16, ntohs(icmp_hdr(skb)->un.echo.sequence), i));
		cr_assert(eq(int, memcmp(skb->data + 8, data, len), 0), "echo %u intact", i);
		cr_assert(eq(u32, skb->len, len + 8));
		consume_skb(skb);
		ok++;
	}
	cr_assert(gt(u32, ok, 200));
	cr_assert(gt(u32, lost, 20));
	world_advance(&p.w, 31 * SEC); /* partial datagrams of lost fragments expire */
}
