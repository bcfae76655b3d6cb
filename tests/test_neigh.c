/*
 * test_neigh.c - neighbours and ARP between two stacks on virtual time:
 * every NUD transition with Linux's timers, the hh cache fast path, the
 * unresolved queue, answering and learning from ARP, locktime, malformed
 * ARP, and the table bound.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "capture.h"
#include "frames.h"
#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "inetdevice.h"
#include "neighbour.h"
#include "ping.h"

#define SEC NSEC_PER_SEC
#define MS NSEC_PER_MSEC

static struct inet_pair p;
static struct ping_sock ps;
static struct capture txa;
static struct stack *sa, *sb;

static void setup(void)
{
	inet_pair_setup(&p);
	sa = p.w.st[0];
	sb = p.w.st[1];
	/* Fix the randomised reachable time so the test can name the instants. */
	__in_dev_get(p.da)->arp_parms.reachable_time = 30 * SEC;
	__in_dev_get(p.db)->arp_parms.reachable_time = 30 * SEC;
	cr_assert(eq(int, ping_open(sa, &ps, 77), 0));
	capture_attach(&txa, sa, p.da, CAPTURE_TX);
}

static void teardown(void)
{
	capture_detach(&txa);
	ping_close(&ps);
	world_run(&p.w);
	inet_pair_teardown(&p);
}

TestSuite(neigh, .init = setup, .fini = teardown);

static struct neighbour *na(const char *ip)
{
	return neigh_lookup(sa->ipv4.arp_tbl, ip4(ip), p.da);
}

static void ping(const char *ip, u16 seq)
{
	cr_assert(eq(int, ping_send(&ps, ip4(ip), seq, "abcdefgh", 8), 0));
}

/* Pop A's transmitted frames; return how many were ARP with opcode @op. */
static int count_arp_tx(u16 op, const u8 *want_dst, __be32 want_tip)
{
	struct sk_buff *skb;
	int n = 0;

	while ((skb = capture_pop(&txa)) != NULL) {
		const struct ethhdr *eth = (const struct ethhdr *)(const void *)skb->data;
		const struct arphdr_eth *arp = (const struct arphdr_eth *)(const void *)(skb->data + ETH_HLEN);

		if (eth->h_proto == htons(ETH_P_ARP) && arp->ar_op == htons(op) &&
		    (!want_dst || ether_addr_equal(eth->h_dest, want_dst)) &&
		    (!want_tip || arp->ar_tip == want_tip))
			n++;
		consume_skb(skb);
	}
	return n;
}

static void drain_replies(void)
{
	struct sk_buff *skb;

	while ((skb = ping_recv(&ps)) != NULL)
		consume_skb(skb);
}

/* Resolve B from A and return its entry (REACHABLE). */
static struct neighbour *resolve_b(void)
{
	ping(ADDR_B, 1);
	world_run(&p.w);
	drain_replies();
	cr_assert(not(eq(ptr, na(ADDR_B), NULL)));
	cr_assert(eq(u8, na(ADDR_B)->nud_state, NUD_REACHABLE));
	return na(ADDR_B);
}

Test(neigh, first_packet_queues_and_broadcasts_a_request)
{
	struct neighbour *n;
	struct sk_buff *skb;
	const struct arphdr_eth *arp;

	ping(ADDR_B, 1);
	n = na(ADDR_B);
	cr_assert(not(eq(ptr, n, NULL)));
	cr_assert(eq(u8, n->nud_state, NUD_INCOMPLETE));
	cr_assert(eq(u32, skb_queue_len(&n->arp_queue), 1));
	skb = capture_pop(&txa);
	arp = (const struct arphdr_eth *)(const void *)(skb->data + ETH_HLEN);
	cr_assert(ether_addr_equal(((const struct ethhdr *)(const void *)skb->data)->h_dest, mac_bcast));
	cr_assert(eq(u16, ntohs(arp->ar_op), ARPOP_REQUEST));
	cr_assert(eq(u32, arp->ar_tip, p.b));
	cr_assert(eq(u32, arp->ar_sip, p.a));
	cr_assert(ether_addr_equal(arp->ar_sha, mac_a));
	consume_skb(skb);
}

Test(neigh, reply_makes_reachable_and_flushes_the_queue)
{
	struct sk_buff *skb;

	ping(ADDR_B, 1);
	ping(ADDR_B, 2);
	world_run(&p.w);
	cr_assert(eq(u8, na(ADDR_B)->nud_state, NUD_REACHABLE));
	cr_assert(ether_addr_equal(na(ADDR_B)->ha, mac_b));
	cr_assert(eq(u32, skb_queue_len(&na(ADDR_B)->arp_queue), 0));
	for (int i = 1; i <= 2; i++) {
		skb = ping_recv(&ps);
		cr_assert(not(eq(ptr, skb, NULL)), "echo %d answered", i);
		cr_assert(eq(u16, ntohs(icmp_hdr(skb)->un.echo.sequence), i), "in order");
		consume_skb(skb);
	}
	/* B learned A from the request: STALE, used once for the replies -> DELAY. */
	struct neighbour *nb = neigh_lookup(sb->ipv4.arp_tbl, p.a, p.db);
	cr_assert(not(eq(ptr, nb, NULL)));
	cr_assert(ether_addr_equal(nb->ha, mac_a));
}

Test(neigh, hh_cache_serves_the_second_packet)
{
	struct neighbour *n = resolve_b();
	u64 hits = sa->ipv4.arp_tbl->stats.hh_hits;

	cr_assert(eq(u16, n->hh.hh_len, ETH_HLEN), "filled by the first packet");
	ping(ADDR_B, 2);
	cr_assert(eq(u64, sa->ipv4.arp_tbl->stats.hh_hits, hits + 1));
	world_run(&p.w);
	struct sk_buff *skb = ping_recv(&ps);
	cr_assert(not(eq(ptr, skb, NULL)), "the hh path delivered the echo");
	cr_assert(eq(u16, ntohs(icmp_hdr(skb)->un.echo.sequence), 2));
	consume_skb(skb);
}

Test(neigh, reachable_goes_stale_after_reachable_time)
{
	struct neighbour *n = resolve_b();

	world_advance(&p.w, 30 * SEC - MS);
	cr_assert(eq(u8, n->nud_state, NUD_REACHABLE));
	world_advance(&p.w, 2 * MS);
	cr_assert(eq(u8, n->nud_state, NUD_STALE));
	cr_assert(not(timer_pending(&n->timer)));
}

Test(neigh, stale_send_delays_then_unicast_probes_then_reachable)
{
	struct neighbour *n = resolve_b();

	world_advance(&p.w, 31 * SEC);
	cr_assert(eq(u8, n->nud_state, NUD_STALE));
	count_arp_tx(ARPOP_REQUEST, NULL, 0);
	ping(ADDR_B, 2);
	cr_assert(eq(u8, n->nud_state, NUD_DELAY), "sent at once with the old address");
	world_advance(&p.w, 5 * SEC - MS);
	cr_assert(eq(u8, n->nud_state, NUD_DELAY));
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, NULL, 0), 0));
	/* at 5 s: PROBE, a unicast request; B's unicast reply confirms at once */
	world_advance(&p.w, MS);
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, mac_b, p.b), 1), "unicast probe");
	cr_assert(eq(u8, n->nud_state, NUD_REACHABLE));
	drain_replies();
}

Test(neigh, delay_returns_to_reachable_when_confirmed)
{
	struct neighbour *n = resolve_b();

	world_advance(&p.w, 31 * SEC);
	count_arp_tx(ARPOP_REQUEST, NULL, 0); /* forget the initial resolution */
	ping(ADDR_B, 2);
	cr_assert(eq(u8, n->nud_state, NUD_DELAY));
	world_advance(&p.w, 2 * SEC);
	neigh_confirm(n); /* a transport saw progress (TCP ACK) */
	world_advance(&p.w, 3 * SEC);
	cr_assert(eq(u8, n->nud_state, NUD_REACHABLE));
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, NULL, 0), 0), "no probe needed");
	drain_replies();
}

Test(neigh, probe_fails_after_three_unicast_probes)
{
	struct neighbour *n = resolve_b();

	world_advance(&p.w, 31 * SEC);
	dev_close(p.db); /* B goes silent */
	count_arp_tx(ARPOP_REQUEST, NULL, 0);
	ping(ADDR_B, 2);
	world_advance(&p.w, 5 * SEC);
	cr_assert(eq(u8, n->nud_state, NUD_PROBE));
	world_advance(&p.w, 2 * SEC);
	cr_assert(eq(u8, n->nud_state, NUD_PROBE));
	world_advance(&p.w, 1 * SEC);
	cr_assert(eq(u8, n->nud_state, NUD_FAILED));
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, mac_b, p.b), 3));
	dev_open(p.db);
}

/* The acceptance case: EHOSTUNREACH after Linux's schedule, in virtual time. */
Test(neigh, unresolvable_neighbour_fails_with_ehostunreach_after_3s)
{
	struct neighbour *n;
	int requests;

	ping("10.0.0.99", 1);
	n = na("10.0.0.99");
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, mac_bcast, ip4("10.0.0.99")), 1), "t=0");
	world_advance(&p.w, 1 * SEC);
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, mac_bcast, 0), 1), "t=1s");
	world_advance(&p.w, 1 * SEC);
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, mac_bcast, 0), 1), "t=2s");
	world_advance(&p.w, 1 * SEC - MS);
	cr_assert(eq(u8, n->nud_state, NUD_INCOMPLETE));
	cr_assert(eq(int, ping_sock_error(&ps), 0), "no error before the schedule ends");
	world_advance(&p.w, MS);
	cr_assert(eq(u8, n->nud_state, NUD_FAILED));
	cr_assert(eq(int, ping_sock_error(&ps), EHOSTUNREACH));
	cr_assert(eq(u8, ps.err_type, ICMP_DEST_UNREACH));
	cr_assert(eq(u8, ps.err_code, ICMP_HOST_UNREACH));
	requests = count_arp_tx(ARPOP_REQUEST, NULL, 0);
	cr_assert(eq(int, requests, 0), "exactly three requests in all");
	cr_assert(eq(u64, drops(sa, SKB_DROP_REASON_NEIGH_FAILED), 1));
	cr_assert(eq(u64, mib(sa, LINUX_MIB_NEIGHFAILED), 1));
}

Test(neigh, failed_entry_retries_on_the_next_packet)
{
	ping("10.0.0.99", 1);
	world_advance(&p.w, 3 * SEC);
	cr_assert(eq(u8, na("10.0.0.99")->nud_state, NUD_FAILED));
	count_arp_tx(ARPOP_REQUEST, NULL, 0);
	ping("10.0.0.99", 2);
	cr_assert(eq(u8, na("10.0.0.99")->nud_state, NUD_INCOMPLETE));
	cr_assert(eq(int, count_arp_tx(ARPOP_REQUEST, mac_bcast, 0), 1));
	world_advance(&p.w, 3 * SEC);
}

Test(neigh, unresolved_queue_overflow_drops_the_oldest)
{
	__in_dev_get(p.da)->arp_parms.unres_qlen = 3;
	for (u16 i = 1; i <= 5; i++)
		ping("10.0.0.99", i);
	cr_assert(eq(u32, skb_queue_len(&na("10.0.0.99")->arp_queue), 3));
	cr_assert(eq(u64, drops(sa, SKB_DROP_REASON_NEIGH_QUEUEFULL), 2));
	cr_assert(eq(u64, mib(sa, LINUX_MIB_ARPUNRESQDROPS), 2));
	cr_assert(eq(u64, sa->ipv4.arp_tbl->stats.unres_discards, 2));
	world_advance(&p.w, 3 * SEC);
	cr_assert(eq(u64, drops(sa, SKB_DROP_REASON_NEIGH_FAILED), 3));
}

static unsigned int build_arp(u8 *buf, u16 op, const u8 *sha, const char *sip, const u8 *tha,
			      const char *tip, const u8 *eth_dst)
{
	struct ethhdr *eth = (struct ethhdr *)(void *)buf;
	struct arphdr_eth *arp = (struct arphdr_eth *)(void *)(buf + ETH_HLEN);
	static const u8 zero[ETH_ALEN];

	memcpy(eth->h_dest, eth_dst, ETH_ALEN);
	memcpy(eth->h_source, sha, ETH_ALEN);
	eth->h_proto = htons(ETH_P_ARP);
	arp->ar_hrd = htons(1);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = 6;
	arp->ar_pln = 4;
	arp->ar_op = htons(op);
	memcpy(arp->ar_sha, sha, ETH_ALEN);
	arp->ar_sip = ip4(sip);
	memcpy(arp->ar_tha, tha ? tha : zero, ETH_ALEN);
	arp->ar_tip = ip4(tip);
	return ETH_HLEN + ARP_HDR_LEN;
}

static const u8 mac_x[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x50 };
static const u8 mac_y[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x51 };

Test(neigh, request_for_us_is_answered_and_the_sender_learned)
{
	u8 buf[64];
	struct capture txb;
	struct sk_buff *skb;
	const struct arphdr_eth *arp;
	struct neighbour *n;

	capture_attach(&txb, sb, p.db, CAPTURE_TX);
	inject_frame(p.db, buf, build_arp(buf, ARPOP_REQUEST, mac_x, "10.0.0.50", NULL, ADDR_B, mac_bcast));
	skb = capture_pop(&txb);
	cr_assert(not(eq(ptr, skb, NULL)));
	arp = (const struct arphdr_eth *)(const void *)(skb->data + ETH_HLEN);
	cr_assert(eq(u16, ntohs(arp->ar_op), ARPOP_REPLY));
	cr_assert(ether_addr_equal(arp->ar_sha, mac_b));
	cr_assert(eq(u32, arp->ar_sip, p.b));
	cr_assert(ether_addr_equal(arp->ar_tha, mac_x));
	cr_assert(eq(u32, arp->ar_tip, ip4("10.0.0.50")));
	cr_assert(ether_addr_equal(((const struct ethhdr *)(const void *)skb->data)->h_dest, mac_x),
		  "the reply is unicast");
	consume_skb(skb);
	n = neigh_lookup(sb->ipv4.arp_tbl, ip4("10.0.0.50"), p.db);
	cr_assert(not(eq(ptr, n, NULL)));
	cr_assert(eq(u8, n->nud_state, NUD_STALE));
	cr_assert(ether_addr_equal(n->ha, mac_x));
	capture_detach(&txb);
}

Test(neigh, requests_for_other_addresses_are_not_answered)
{
	u8 buf[64];
	struct capture txb;

	capture_attach(&txb, sb, p.db, CAPTURE_TX);
	inject_frame(p.db, buf, build_arp(buf, ARPOP_REQUEST, mac_x, "10.0.0.50", NULL, "10.0.0.77", mac_bcast));
	inject_frame(p.db, buf, build_arp(buf, ARPOP_REQUEST, mac_x, "10.0.0.50", NULL, "127.0.0.1", mac_bcast));
	cr_assert(eq(u32, capture_len(&txb), 0));
	cr_assert(eq(ptr, neigh_lookup(sb->ipv4.arp_tbl, ip4("10.0.0.50"), p.db), NULL),
		  "a request not for us creates no entry");
	capture_detach(&txb);
}

Test(neigh, probe_with_zero_sender_gets_a_reply)
{
	u8 buf[64];
	struct capture txb;

	capture_attach(&txb, sb, p.db, CAPTURE_TX);
	inject_frame(p.db, buf, build_arp(buf, ARPOP_REQUEST, mac_x, "0.0.0.0", NULL, ADDR_B, mac_bcast));
	cr_assert(eq(u32, capture_len(&txb), 1), "RFC 5227 conflict detection is answered");
	cr_assert(eq(ptr, neigh_lookup(sb->ipv4.arp_tbl, 0, p.db), NULL));
	capture_detach(&txb);
}

Test(neigh, address_setup_sends_a_gratuitous_arp)
{
	struct net_device *d2 = wire_dev(p.wire, 0);
	struct sk_buff *skb;
	const struct arphdr_eth *arp;

	inet_addr_del(d2);
	count_arp_tx(ARPOP_REQUEST, NULL, 0);
	cr_assert(eq(int, inet_addr_add(d2, ip4("10.0.0.3"), 24), 0));
	skb = capture_pop(&txa);
	cr_assert(not(eq(ptr, skb, NULL)));
	arp = (const struct arphdr_eth *)(const void *)(skb->data + ETH_HLEN);
	cr_assert(eq(u16, ntohs(arp->ar_op), ARPOP_REQUEST));
	cr_assert(eq(u32, arp->ar_sip, ip4("10.0.0.3")));
	cr_assert(eq(u32, arp->ar_tip, ip4("10.0.0.3")));
	cr_assert(ether_addr_equal(((const struct ethhdr *)(const void *)skb->data)->h_dest, mac_bcast));
	consume_skb(skb);
}

Test(neigh, locktime_keeps_the_first_answer)
{
	u8 buf[64];
	struct neighbour *n = resolve_b();

	world_advance(&p.w, 500 * MS);
	inject_frame(p.da, buf, build_arp(buf, ARPOP_REPLY, mac_y, ADDR_B, mac_a, ADDR_A, mac_a));
	cr_assert(ether_addr_equal(n->ha, mac_b), "within locktime: ignored");
	world_advance(&p.w, 600 * MS);
	inject_frame(p.da, buf, build_arp(buf, ARPOP_REPLY, mac_y, ADDR_B, mac_a, ADDR_A, mac_a));
	cr_assert(ether_addr_equal(n->ha, mac_y), "after locktime: the new owner");
	cr_assert(ether_addr_equal(n->hh.hh_data, mac_y), "and the hh cache follows");
}

Test(neigh, malformed_arp_is_dropped_and_counted)
{
	u8 buf[64];
	unsigned int len = build_arp(buf, ARPOP_REQUEST, mac_x, "10.0.0.50", NULL, ADDR_B, mac_bcast);

	inject_frame(p.db, buf, len - 10); /* truncated */
	buf[ETH_HLEN + 4] = 8;             /* ar_hln */
	inject_frame(p.db, buf, len);
	build_arp(buf, 9, mac_x, "10.0.0.50", NULL, ADDR_B, mac_bcast); /* opcode 9 */
	inject_frame(p.db, buf, len);
	build_arp(buf, ARPOP_REQUEST, mac_x, "224.0.0.1", NULL, ADDR_B, mac_bcast);
	inject_frame(p.db, buf, len);
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_ARP_INVALID), 4));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_ARPFILTER), 4));
}

Test(neigh, table_stays_bounded_under_an_arp_flood)
{
	struct neigh_table *tbl = sb->ipv4.arp_tbl;
	u8 buf[64], mac[ETH_ALEN] = { 0x02, 0, 0, 0, 1, 0 };
	char ip[32];

	tbl->gc_thresh3 = 16;
	for (int i = 0; i < 200; i++) {
		mac[5] = (u8)i;
		snprintf(ip, sizeof(ip), "10.0.0.%d", 10 + i % 240);
		inject_frame(p.db, buf, build_arp(buf, ARPOP_REQUEST, mac, ip, NULL, ADDR_B, mac_bcast));
	}
	cr_assert(le(u32, tbl->entries, 16));
	cr_assert(gt(u64, tbl->stats.forced_gc_runs, 0));
}

Test(neigh, state_names_for_logs)
{
	cr_assert(eq(str, (char *)neigh_state_name(NUD_REACHABLE), "REACHABLE"));
	cr_assert(eq(str, (char *)neigh_state_name(NUD_NONE), "NONE"));
	cr_assert(eq(str, (char *)neigh_state_name(NUD_PERMANENT), "PERMANENT"));
}
