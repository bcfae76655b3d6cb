/*
 * test_ipv6.c - IPv6 input, extension headers, ICMPv6 (suite ipv6) and
 * Neighbour Discovery with DAD (suite ndisc) of one stack (B, fd00::2 on the wire), fed crafted frames from
 * "A" (fd00::1, mac_a) and checked by what it sends back: every reply and
 * error field by field, and nothing sent when RFC 8200 / RFC 4443 say
 * nothing must be.
 */
#include <arpa/inet.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "capture.h"
#include "frames.h"
#include "addrconf.h"
#include "checksum.h"
#include "eth.h"
#include "icmpv6.h"
#include "ipv6.h"
#include "ip6_route.h"
#include "ndisc.h"
#include "neighbour.h"

#define SEC NSEC_PER_SEC

static struct inet_pair p;
static struct capture txb;
static struct stack *sb;
static struct in6_addr a6, b6, all_nodes, any6;

static struct in6_addr in6(const char *s)
{
	struct in6_addr a;

	cr_assert(eq(int, inet_pton(AF_INET6, s, &a), 1));
	return a;
}

static void setup(void)
{
	struct neighbour *n;

	inet_pair_setup(&p);
	sb = p.w.st[1];
	a6 = in6("fd00::1");
	b6 = in6("fd00::2");
	all_nodes = in6("ff02::1");
	cr_assert(eq(int, ipv6_addr_add(p.db, &b6, 64, IFA_F_NODAD), 0));
	/* B knows A already, so a reply goes out at once (ND has its own tests) */
	n = neigh_create_key(sb->ipv6.nd_tbl, &a6, p.db);
	cr_assert(not(IS_ERR(n)));
	neigh_update(n, mac_a, NUD_REACHABLE, NEIGH_UPDATE_F_OVERRIDE);
	capture_attach(&txb, sb, p.db, CAPTURE_TX);
}

static void teardown(void)
{
	capture_detach(&txb);
	world_run(&p.w);
	inet_pair_teardown(&p);
}

TestSuite(ipv6, .init = setup, .fini = teardown);

/* ---- building frames from A ---------------------------------------------- */

/* buf sits 2 bytes into a 4-aligned struct: the IPv6 header after the
 * 14-byte Ethernet header is 4-aligned, as a device's NET_IP_ALIGN makes it */
struct frame6 {
	u8 pad[2];
	u8 buf[4096];
	unsigned int len; /* bytes after the IPv6 header so far */
} __attribute__((aligned(4)));

static struct ipv6hdr *f6_ip(struct frame6 *f)
{
	return (struct ipv6hdr *)(void *)(f->buf + ETH_HLEN);
}

static void f6_start(struct frame6 *f, const struct in6_addr *src, const struct in6_addr *dst,
		     u8 nexthdr, u8 hop_limit)
{
	struct ethhdr *eth = (struct ethhdr *)(void *)f->buf;
	struct ipv6hdr *h = f6_ip(f);

	memset(f, 0, sizeof(*f));
	if (ipv6_addr_is_multicast(dst))
		ipv6_eth_mc_map(dst, eth->h_dest);
	else
		memcpy(eth->h_dest, p.db->dev_addr, ETH_ALEN);
	memcpy(eth->h_source, mac_a, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);
	h->version = 6;
	h->nexthdr = nexthdr;
	h->hop_limit = hop_limit;
	h->saddr = *src;
	h->daddr = *dst;
}

static u8 *f6_put(struct frame6 *f, const void *data, unsigned int len)
{
	u8 *at = f->buf + ETH_HLEN + sizeof(struct ipv6hdr) + f->len;

	if (data)
		memcpy(at, data, len);
	f->len += len;
	return at;
}

/* An ICMPv6 message at the end, checksummed; then send the frame to B. */
static void f6_icmp_send(struct frame6 *f, u8 *icmp, unsigned int icmp_len)
{
	struct ipv6hdr *h = f6_ip(f);
	struct icmp6hdr *ih = (struct icmp6hdr *)(void *)icmp;

	ih->icmp6_cksum = 0;
	ih->icmp6_cksum = csum_ipv6_magic(&h->saddr, &h->daddr, icmp_len, NEXTHDR_ICMP,
					  csum_partial(icmp, icmp_len, 0));
	h->payload_len = htons((u16)f->len);
	inject_frame(p.db, f->buf, ETH_HLEN + (unsigned int)sizeof(*h) + f->len);
	world_run(&p.w);
}

static u8 *f6_echo(struct frame6 *f, u16 seq, unsigned int datalen)
{
	u8 *e = f6_put(f, NULL, 8 + datalen);

	e[0] = ICMPV6_ECHO_REQUEST;
	e[5] = 0x42; /* identifier 0x0042 */
	e[6] = (u8)(seq >> 8);
	e[7] = (u8)seq;
	for (unsigned int i = 0; i < datalen; i++)
		e[8 + i] = (u8)(i * 7 + seq);
	return e;
}

/* An options header (hop-by-hop or destination) of 8 bytes: one option + padding. */
static void f6_opts(struct frame6 *f, u8 next, u8 opt_type, u8 opt_len)
{
	u8 *o = f6_put(f, NULL, 8);

	o[0] = next;
	o[1] = 0;
	o[2] = opt_type;
	o[3] = opt_len;
	/* the rest of the 6 option bytes: Pad1 or PadN */
	if (opt_len == 3)
		o[7] = IPV6_TLV_PAD1;
	else if (opt_len < 3)
		o[4 + opt_len] = IPV6_TLV_PADN, o[5 + opt_len] = (u8)(6 - 2 - opt_len - 2);
}

/* ---- what B sent ----------------------------------------------------------- */

/* Pop B's next frame: an IPv6 packet carrying ICMPv6 @type; returns the ICMPv6 header. */
static const u8 *expect_icmp6(struct sk_buff **keep, u8 type)
{
	struct sk_buff *skb = capture_pop(&txb);
	const struct ipv6hdr *h;
	const u8 *icmp;

	cr_assert(not(eq(ptr, skb, NULL)), "B sent nothing (wanted ICMPv6 type %u)", type);
	cr_assert(eq(u16, ntohs(((struct ethhdr *)(void *)skb->data)->h_proto), ETH_P_IPV6));
	h = (const struct ipv6hdr *)(void *)(skb->data + ETH_HLEN);
	cr_assert(eq(u8, h->nexthdr, NEXTHDR_ICMP));
	icmp = (const u8 *)(h + 1);
	cr_assert(eq(u8, icmp[0], type));
	cr_assert(eq(u16, csum_ipv6_magic(&h->saddr, &h->daddr, ntohs(h->payload_len), NEXTHDR_ICMP,
					  csum_partial(icmp, ntohs(h->payload_len), 0)), 0),
		  "ICMPv6 checksum");
	*keep = skb;
	return icmp;
}

static void expect_nothing(void)
{
	struct sk_buff *skb = capture_pop(&txb);

	const struct ipv6hdr *h = skb ? (const struct ipv6hdr *)(void *)(skb->data + ETH_HLEN) : NULL;

	cr_assert(eq(ptr, skb, NULL), "B sent a frame (next header %u, ICMPv6 type %u)",
		  h ? h->nexthdr : 0, h ? ((const u8 *)(h + 1))[0] : 0);
}

/* The Parameter Problem B sent: its code and pointer. */
static void expect_param_prob(u8 code, u32 pointer)
{
	struct sk_buff *skb;
	const u8 *icmp = expect_icmp6(&skb, ICMPV6_PARAMPROB);
	__be32 ptr;

	memcpy(&ptr, icmp + 4, 4);
	cr_assert(eq(u8, icmp[1], code));
	cr_assert(eq(u32, ntohl(ptr), pointer));
	consume_skb(skb);
	expect_nothing();
}

static void expect_echo_reply(u16 seq, unsigned int datalen)
{
	struct sk_buff *skb;
	const u8 *e = expect_icmp6(&skb, ICMPV6_ECHO_REPLY);
	const struct ipv6hdr *h = (const struct ipv6hdr *)(void *)(skb->data + ETH_HLEN);

	cr_assert(ipv6_addr_equal(&h->saddr, &b6) && ipv6_addr_equal(&h->daddr, &a6));
	cr_assert(eq(u16, ntohs(h->payload_len), 8 + datalen));
	cr_assert(eq(u8, e[5], 0x42));
	cr_assert(eq(u16, (u16)(e[6] << 8 | e[7]), seq));
	for (unsigned int i = 0; i < datalen; i++)
		cr_assert(eq(u8, e[8 + i], (u8)(i * 7 + seq)), "data byte %u", i);
	consume_skb(skb);
	expect_nothing();
}

/* ---- echo and the header walk ---------------------------------------------- */

Test(ipv6, echo_request_is_answered)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_ICMP, 64);
	f6_icmp_send(&f, f6_echo(&f, 1, 32), 40);
	expect_echo_reply(1, 32);
	cr_assert(eq(u64, mib(sb, ICMP6_MIB_INECHOS), 1));
}

Test(ipv6, bad_icmpv6_checksum_is_dropped)
{
	struct frame6 f;
	u8 *e;

	f6_start(&f, &a6, &b6, NEXTHDR_ICMP, 64);
	e = f6_echo(&f, 1, 8);
	f6_ip(&f)->payload_len = htons((u16)f.len);
	e[2] = 0x12; /* a checksum that is not the sum */
	inject_frame(p.db, f.buf, ETH_HLEN + 40 + f.len);
	world_run(&p.w);
	expect_nothing();
	cr_assert(eq(u64, mib(sb, ICMP6_MIB_INCSUMERRORS), 1));
}

Test(ipv6, hop_by_hop_router_alert_and_padding_are_walked)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_HOP, 64);
	f6_opts(&f, NEXTHDR_ICMP, IPV6_TLV_ROUTERALERT, 2);
	f6_icmp_send(&f, f6_echo(&f, 2, 8), 16);
	expect_echo_reply(2, 8);
}

Test(ipv6, unknown_option_00_is_skipped)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_ICMP, 0x1e, 4);
	f6_icmp_send(&f, f6_echo(&f, 3, 8), 16);
	expect_echo_reply(3, 8);
}

Test(ipv6, unknown_option_01_discards_silently)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_ICMP, 0x5e, 4);
	f6_icmp_send(&f, f6_echo(&f, 4, 8), 16);
	expect_nothing();
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_UNKNOWN_OPTION), 1));
}

Test(ipv6, unknown_option_10_discards_and_points_at_it)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_ICMP, 0x9e, 4);
	f6_icmp_send(&f, f6_echo(&f, 5, 8), 16);
	expect_param_prob(ICMPV6_UNK_OPTION, 40 + 2);
}

Test(ipv6, unknown_option_11_to_multicast_discards_silently)
{
	struct frame6 f;

	f6_start(&f, &a6, &all_nodes, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_ICMP, 0xde, 4);
	f6_icmp_send(&f, f6_echo(&f, 6, 8), 16);
	expect_nothing();
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_UNKNOWN_OPTION), 1));
}

Test(ipv6, unknown_option_11_to_unicast_is_reported)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_ICMP, 0xde, 4);
	f6_icmp_send(&f, f6_echo(&f, 7, 8), 16);
	expect_param_prob(ICMPV6_UNK_OPTION, 40 + 2);
}

Test(ipv6, nonzero_padding_is_malformed)
{
	struct frame6 f;
	u8 *o;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	o = f6_put(&f, NULL, 8);
	o[0] = NEXTHDR_ICMP;
	o[2] = IPV6_TLV_PADN;
	o[3] = 4;
	o[5] = 0xaa; /* RFC 4942: PadN carries zeros */
	f6_icmp_send(&f, f6_echo(&f, 8, 8), 16);
	expect_nothing();
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_BAD_EXTHDR), 1));
}

Test(ipv6, hop_by_hop_after_another_header_is_refused)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_HOP, 0x1e, 4);
	f6_opts(&f, NEXTHDR_ICMP, 0x1e, 4);
	f6_icmp_send(&f, f6_echo(&f, 9, 8), 24);
	expect_param_prob(ICMPV6_UNK_NEXTHDR, 40); /* the dest header's Next Header byte */
}

Test(ipv6, routing_type_0_with_segments_left_is_refused)
{
	struct frame6 f;
	u8 *r;

	f6_start(&f, &a6, &b6, NEXTHDR_ROUTING, 64);
	r = f6_put(&f, NULL, 24); /* RH0 with one address */
	r[0] = NEXTHDR_ICMP;
	r[1] = 2;
	r[2] = 0;
	r[3] = 1;
	f6_icmp_send(&f, f6_echo(&f, 10, 8), 16);
	expect_param_prob(ICMPV6_HDR_FIELD, 40 + 2); /* RFC 5095: the Routing Type */
}

Test(ipv6, routing_header_with_no_segments_left_is_ignored)
{
	struct frame6 f;
	u8 *r;

	f6_start(&f, &a6, &b6, NEXTHDR_ROUTING, 64);
	r = f6_put(&f, NULL, 8);
	r[0] = NEXTHDR_ICMP;
	r[2] = 4; /* segment routing, nothing left to visit */
	f6_icmp_send(&f, f6_echo(&f, 11, 8), 16);
	expect_echo_reply(11, 8);
}

Test(ipv6, unknown_next_header_points_at_it)
{
	struct frame6 f;

	f6_start(&f, &a6, &b6, 253, 64);
	f6_put(&f, "abcdefgh", 8);
	f6_ip(&f)->payload_len = htons((u16)f.len);
	inject_frame(p.db, f.buf, ETH_HLEN + 40 + f.len);
	world_run(&p.w);
	expect_param_prob(ICMPV6_UNK_NEXTHDR, 6);
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_INUNKNOWNPROTOS), 1));
}

Test(ipv6, no_error_about_an_error)
{
	struct frame6 f;
	u8 *e;

	f6_start(&f, &a6, &b6, NEXTHDR_DEST, 64);
	f6_opts(&f, NEXTHDR_ICMP, 0x9e, 4);
	e = f6_put(&f, NULL, 8);
	e[0] = ICMPV6_DEST_UNREACH;
	f6_icmp_send(&f, e, 8);
	expect_nothing();
}

/* ---- fragments ------------------------------------------------------------ */

static void send_frag(const u8 *payload, unsigned int off, unsigned int len, bool more, u32 id)
{
	struct frame6 f;
	u8 *fh;

	f6_start(&f, &a6, &b6, NEXTHDR_FRAGMENT, 64);
	fh = f6_put(&f, NULL, 8);
	fh[0] = NEXTHDR_ICMP;
	fh[2] = (u8)(off >> 8);
	fh[3] = (u8)((off & 0xf8) | (more ? 1 : 0));
	fh[4] = (u8)(id >> 24);
	fh[7] = (u8)id;
	f6_put(&f, payload + off, len);
	f6_ip(&f)->payload_len = htons((u16)f.len);
	inject_frame(p.db, f.buf, ETH_HLEN + 40 + f.len);
	world_run(&p.w);
}

/* A checksummed echo request of 8 + @datalen bytes, as one upper-layer packet. */
static void build_echo(u8 *buf, u16 seq, unsigned int datalen)
{
	struct frame6 f;
	u8 *e;
	struct icmp6hdr *ih;

	f6_start(&f, &a6, &b6, NEXTHDR_ICMP, 64);
	e = f6_echo(&f, seq, datalen);
	ih = (struct icmp6hdr *)(void *)e;
	ih->icmp6_cksum = csum_ipv6_magic(&a6, &b6, 8 + datalen, NEXTHDR_ICMP,
					  csum_partial(e, 8 + datalen, 0));
	memcpy(buf, e, 8 + datalen);
}

Test(ipv6, fragments_in_any_order_are_reassembled)
{
	static u8 echo[1208];

	/* a reply that fits the MTU, so it comes back whole */
	build_echo(echo, 20, 1200);
	send_frag(echo, 600, 608, false, 7);
	expect_nothing();
	send_frag(echo, 0, 600, true, 7);
	expect_echo_reply(20, 1200);
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_REASMOKS), 1));
	cr_assert(eq(u32, ip6frag_queue_count(sb), 0));
}

Test(ipv6, atomic_fragment_is_processed_alone)
{
	static u8 echo[40];

	build_echo(echo, 21, 32);
	send_frag(echo, 0, 40, false, 9);
	expect_echo_reply(21, 32);
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_REASMREQDS), 0), "RFC 6946: no reassembly");
}

Test(ipv6, overlapping_fragments_discard_the_datagram)
{
	static u8 echo[2008];

	build_echo(echo, 22, 2000);
	send_frag(echo, 0, 1000, true, 11);
	send_frag(echo, 992, 1016, false, 11); /* overlaps the first by 8 bytes */
	expect_nothing();
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_REASMFAILS), 1));
	cr_assert(eq(u32, ip6frag_queue_count(sb), 0));
}

Test(ipv6, fragment_not_a_multiple_of_8_points_at_payload_length)
{
	static u8 echo[2008];

	build_echo(echo, 23, 2000);
	send_frag(echo, 0, 1001, true, 12);
	expect_param_prob(ICMPV6_HDR_FIELD, 4);
}

Test(ipv6, reassembly_timeout_reports_time_exceeded)
{
	static u8 echo[2008];
	struct sk_buff *skb;
	const u8 *icmp;

	build_echo(echo, 24, 2000);
	send_frag(echo, 0, 1000, true, 13);
	world_advance(&p.w, 59 * SEC);
	expect_nothing();
	world_advance(&p.w, 2 * SEC);
	icmp = expect_icmp6(&skb, ICMPV6_TIME_EXCEED);
	cr_assert(eq(u8, icmp[1], ICMPV6_EXC_FRAGTIME));
	consume_skb(skb);
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_REASMTIMEOUT), 1));
	cr_assert(eq(u32, ip6frag_queue_count(sb), 0));
}

Test(ipv6, errors_are_rate_limited_per_destination)
{
	unsigned int sent = 0;

	for (int i = 0; i < 20; i++) {
		struct frame6 f;
		struct sk_buff *skb;

		f6_start(&f, &a6, &b6, 253, 64);
		f6_put(&f, "abcdefgh", 8);
		f6_ip(&f)->payload_len = htons((u16)f.len);
		inject_frame(p.db, f.buf, ETH_HLEN + 40 + f.len);
		world_run(&p.w);
		while ((skb = capture_pop(&txb)) != NULL) {
			sent++;
			consume_skb(skb);
		}
	}
	/* a burst of 6, then one per second of net.ipv6.icmp.ratelimit */
	cr_assert(eq(u32, sent, 6));
	cr_assert(eq(u64, mib(sb, ICMP6_MIB_OUTRATELIMITHOST), 14));
}

/* ---- Neighbour Discovery ------------------------------------------------- */

static const u8 mac_x[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };

/* An NS or NA from @src (link address @mac) to @dst about @target, with an
 * optional link-layer option of @opt_type. */
static void send_nd(u8 type, const u8 *mac, const struct in6_addr *src, const struct in6_addr *dst,
		    const struct in6_addr *target, u8 flags, u8 opt_type, u8 hop_limit)
{
	struct frame6 f;
	struct nd_msg *m;
	unsigned int len = sizeof(*m);

	f6_start(&f, src, dst, NEXTHDR_ICMP, hop_limit);
	memcpy(((struct ethhdr *)(void *)f.buf)->h_source, mac, ETH_ALEN);
	m = (struct nd_msg *)(void *)f6_put(&f, NULL, sizeof(*m));
	m->type = type;
	m->flags = flags;
	m->target = *target;
	if (opt_type) {
		u8 *o = f6_put(&f, NULL, 8);

		o[0] = opt_type;
		o[1] = 1;
		memcpy(o + 2, mac, ETH_ALEN);
		len += 8;
	}
	f6_icmp_send(&f, (u8 *)m, len);
}

static const struct nd_msg *expect_nd(struct sk_buff **keep, u8 type, const struct in6_addr *src,
				      const struct in6_addr *dst)
{
	const struct nd_msg *m = (const struct nd_msg *)(const void *)expect_icmp6(keep, type);
	const struct ipv6hdr *h = (const struct ipv6hdr *)(void *)((*keep)->data + ETH_HLEN);
	const struct ethhdr *eth = (const struct ethhdr *)(void *)(*keep)->data;
	u8 mc[ETH_ALEN];

	cr_assert(eq(u8, h->hop_limit, 255), "RFC 4861 §7.1: hop limit 255");
	cr_assert(ipv6_addr_equal(&h->saddr, src), "source address");
	cr_assert(ipv6_addr_equal(&h->daddr, dst), "destination address");
	if (ipv6_addr_is_multicast(dst)) {
		ipv6_eth_mc_map(dst, mc);
		cr_assert(eq(int, memcmp(eth->h_dest, mc, ETH_ALEN), 0), "33:33 group address");
	}
	return m;
}

static const struct ipv6hdr *ipv6_hdr_of(const struct sk_buff *skb)
{
	return (const struct ipv6hdr *)(void *)(skb->data + ETH_HLEN);
}

static struct neighbour *nb(const struct in6_addr *a)
{
	return neigh_lookup_key(sb->ipv6.nd_tbl, a, p.db);
}

TestSuite(ndisc, .init = setup, .fini = teardown);

Test(ndisc, ns_for_our_address_gets_a_solicited_na_and_the_sender_is_learned)
{
	struct in6_addr x = in6("fd00::9"), sn;
	const struct nd_msg *m;
	struct sk_buff *skb;

	addrconf_addr_solict_mult(&b6, &sn);
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &x, &sn, &b6, 0, ND_OPT_SOURCE_LL_ADDR, 255);
	m = expect_nd(&skb, NDISC_NEIGHBOUR_ADVERTISEMENT, &b6, &x);
	cr_assert(ipv6_addr_equal(&m->target, &b6));
	cr_assert(eq(u8, m->flags, NDISC_NA_SOLICITED | NDISC_NA_OVERRIDE));
	cr_assert(eq(u8, m->opt[0], ND_OPT_TARGET_LL_ADDR));
	cr_assert(eq(int, memcmp(m->opt + 2, p.db->dev_addr, ETH_ALEN), 0));
	cr_assert(eq(int, memcmp(((struct ethhdr *)(void *)skb->data)->h_dest, mac_x, ETH_ALEN), 0));
	consume_skb(skb);
	expect_nothing();
	/* §7.2.3: the sender's entry is created STALE (the NA's send moved it on) */
	cr_assert(not(eq(ptr, nb(&x), NULL)));
	cr_assert(eq(int, memcmp(nb(&x)->ha, mac_x, ETH_ALEN), 0));
	cr_assert(ne(int, nb(&x)->nud_state & (NUD_STALE | NUD_DELAY), 0), "state %s",
		  neigh_state_name(nb(&x)->nud_state));
}

Test(ndisc, dad_probe_for_our_address_is_answered_to_all_nodes)
{
	struct in6_addr sn;
	const struct nd_msg *m;
	struct sk_buff *skb;

	addrconf_addr_solict_mult(&b6, &sn);
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &any6, &sn, &b6, 0, 0, 255);
	m = expect_nd(&skb, NDISC_NEIGHBOUR_ADVERTISEMENT, &b6, &all_nodes);
	cr_assert(eq(u8, m->flags, NDISC_NA_OVERRIDE), "§7.2.4: unsolicited, override");
	consume_skb(skb);
	expect_nothing();
}

Test(ndisc, ns_that_was_routed_or_is_not_for_us_is_ignored)
{
	struct in6_addr x = in6("fd00::9"), other = in6("fd00::77"), sn;

	addrconf_addr_solict_mult(&b6, &sn);
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &x, &sn, &b6, 0, ND_OPT_SOURCE_LL_ADDR, 254);
	expect_nothing();
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_NDISC_BAD), 1));
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &x, &b6, &other, 0, ND_OPT_SOURCE_LL_ADDR, 255);
	expect_nothing();
	/* from :: with a source link-layer option: invalid (§7.1.1) */
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &any6, &sn, &b6, 0, ND_OPT_SOURCE_LL_ADDR, 255);
	expect_nothing();
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_NDISC_BAD), 2));
}

Test(ndisc, resolution_by_ns_then_the_queued_packet_goes_to_the_answer)
{
	struct in6_addr y = in6("fd00::7"), sn;
	const struct nd_msg *m;
	struct sk_buff *skb;
	struct frame6 f;

	/* an echo from y, whose link address B does not know */
	f6_start(&f, &y, &b6, NEXTHDR_ICMP, 64);
	f6_icmp_send(&f, f6_echo(&f, 30, 8), 16);
	addrconf_addr_solict_mult(&y, &sn);
	m = expect_nd(&skb, NDISC_NEIGHBOUR_SOLICITATION, &b6, &sn);
	cr_assert(ipv6_addr_equal(&m->target, &y));
	cr_assert(eq(u8, m->opt[0], ND_OPT_SOURCE_LL_ADDR));
	cr_assert(eq(int, memcmp(m->opt + 2, p.db->dev_addr, ETH_ALEN), 0));
	consume_skb(skb);
	expect_nothing();
	cr_assert(eq(u8, nb(&y)->nud_state, NUD_INCOMPLETE));
	send_nd(NDISC_NEIGHBOUR_ADVERTISEMENT, mac_x, &y, &b6, &y, NDISC_NA_SOLICITED | NDISC_NA_OVERRIDE,
		ND_OPT_TARGET_LL_ADDR, 255);
	cr_assert(eq(u8, nb(&y)->nud_state, NUD_REACHABLE));
	skb = capture_pop(&txb);
	cr_assert(not(eq(ptr, skb, NULL)), "the queued reply");
	cr_assert(eq(int, memcmp(((struct ethhdr *)(void *)skb->data)->h_dest, mac_x, ETH_ALEN), 0));
	consume_skb(skb);
}

Test(ndisc, unanswered_resolution_fails_after_three_solicitations)
{
	struct in6_addr y = in6("fd00::7");
	unsigned int ns = 0;
	struct sk_buff *skb;
	struct frame6 f;

	f6_start(&f, &y, &b6, NEXTHDR_ICMP, 64);
	f6_icmp_send(&f, f6_echo(&f, 31, 8), 16);
	world_advance(&p.w, 5 * SEC);
	while ((skb = capture_pop(&txb)) != NULL) {
		ns++;
		consume_skb(skb);
	}
	cr_assert(eq(u32, ns, 3), "net.ipv6.neigh.default.mcast_solicit = 3");
	cr_assert(eq(u8, nb(&y)->nud_state, NUD_FAILED));
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_NEIGH_FAILED), 1));
}

Test(ndisc, na_without_override_demotes_reachable_and_keeps_the_address)
{
	struct neighbour *n = nb(&a6);

	cr_assert(eq(u8, n->nud_state, NUD_REACHABLE));
	send_nd(NDISC_NEIGHBOUR_ADVERTISEMENT, mac_x, &a6, &b6, &a6, NDISC_NA_SOLICITED,
		ND_OPT_TARGET_LL_ADDR, 255);
	cr_assert(eq(u8, n->nud_state, NUD_STALE), "§7.2.5: O clear, address differs");
	cr_assert(eq(int, memcmp(n->ha, mac_a, ETH_ALEN), 0));
	send_nd(NDISC_NEIGHBOUR_ADVERTISEMENT, mac_x, &a6, &b6, &a6,
		NDISC_NA_SOLICITED | NDISC_NA_OVERRIDE, ND_OPT_TARGET_LL_ADDR, 255);
	cr_assert(eq(u8, n->nud_state, NUD_REACHABLE));
	cr_assert(eq(int, memcmp(n->ha, mac_x, ETH_ALEN), 0));
}

Test(ndisc, solicited_na_to_multicast_is_invalid)
{
	send_nd(NDISC_NEIGHBOUR_ADVERTISEMENT, mac_x, &a6, &all_nodes, &a6, NDISC_NA_SOLICITED,
		ND_OPT_TARGET_LL_ADDR, 255);
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_NDISC_BAD), 1));
	cr_assert(eq(int, memcmp(nb(&a6)->ha, mac_a, ETH_ALEN), 0));
}

/* ---- DAD (RFC 4862 §5.4) -------------------------------------------------- */

static const struct nd_msg *expect_dad_probe(struct sk_buff **skb, const struct in6_addr *t)
{
	struct in6_addr sn;
	const struct nd_msg *m;

	addrconf_addr_solict_mult(t, &sn);
	m = expect_nd(skb, NDISC_NEIGHBOUR_SOLICITATION, &any6, &sn);
	cr_assert(ipv6_addr_equal(&m->target, t));
	cr_assert(eq(u16, ntohs(ipv6_hdr_of(*skb)->payload_len), sizeof(struct nd_msg)),
		  "§4.3: no source link-layer option from ::");
	return m;
}

Test(ndisc, dad_makes_an_address_usable_after_an_unanswered_probe)
{
	struct in6_addr t = in6("fd00::44");
	struct sk_buff *skb;

	cr_assert(eq(int, ipv6_addr_add(p.db, &t, 64, 0), 0));
	cr_assert(not(ipv6_chk_addr(sb, &t, NULL)), "tentative");
	world_advance(&p.w, 1 * SEC); /* the random delay is below rtr_solicit_delay */
	expect_dad_probe(&skb, &t);
	consume_skb(skb);
	cr_assert(not(ipv6_chk_addr(sb, &t, NULL)));
	world_advance(&p.w, 1 * SEC + 1);
	cr_assert(ipv6_chk_addr(sb, &t, NULL), "RetransTimer passed with no answer");
	expect_nothing();
}

Test(ndisc, dad_fails_on_an_advertisement_for_the_address)
{
	struct in6_addr t = in6("fd00::45"), x = in6("fd00::9"), sn;
	struct sk_buff *skb;

	cr_assert(eq(int, ipv6_addr_add(p.db, &t, 64, 0), 0));
	world_advance(&p.w, 1 * SEC);
	expect_dad_probe(&skb, &t);
	consume_skb(skb);
	send_nd(NDISC_NEIGHBOUR_ADVERTISEMENT, mac_x, &t, &all_nodes, &t, NDISC_NA_OVERRIDE,
		ND_OPT_TARGET_LL_ADDR, 255);
	world_advance(&p.w, 5 * SEC);
	cr_assert(not(ipv6_chk_addr(sb, &t, NULL)), "a duplicate is never usable");
	cr_assert(ipv6_get_ifaddr(sb, &t, p.db, true) == NULL, "DADFAILED counts nowhere");
	/* nor answered for */
	addrconf_addr_solict_mult(&t, &sn);
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &x, &sn, &t, 0, ND_OPT_SOURCE_LL_ADDR, 255);
	expect_nothing();
}

Test(ndisc, dad_fails_on_another_nodes_probe_for_the_address)
{
	struct in6_addr t = in6("fd00::46"), sn;

	cr_assert(eq(int, ipv6_addr_add(p.db, &t, 64, 0), 0));
	addrconf_addr_solict_mult(&t, &sn);
	send_nd(NDISC_NEIGHBOUR_SOLICITATION, mac_x, &any6, &sn, &t, 0, 0, 255);
	expect_nothing(); /* a tentative address is not defended */
	/* the probe that was due is cancelled: DAD has its answer */
	world_advance(&p.w, 5 * SEC);
	expect_nothing();
	cr_assert(not(ipv6_chk_addr(sb, &t, NULL)));
	cr_assert(ipv6_get_ifaddr(sb, &t, p.db, true) == NULL);
}

/* ---- Packet Too Big (RFC 8201) --------------------------------------------- */

static void send_ptb(u32 mtu)
{
	struct frame6 f;
	u8 *e, *q;

	f6_start(&f, &a6, &b6, NEXTHDR_ICMP, 64);
	e = f6_put(&f, NULL, 8 + 48);
	e[0] = ICMPV6_PKT_TOOBIG;
	e[4] = (u8)(mtu >> 24);
	e[5] = (u8)(mtu >> 16);
	e[6] = (u8)(mtu >> 8);
	e[7] = (u8)mtu;
	/* the quoted packet: one B sent to A */
	q = e + 8;
	q[0] = 0x60;
	q[6] = NEXTHDR_ICMP;
	q[7] = 64;
	memcpy(q + 8, &b6, 16);
	memcpy(q + 24, &a6, 16);
	q[40] = ICMPV6_ECHO_REPLY;
	f6_icmp_send(&f, e, 8 + 48);
	expect_nothing();
}

/* The echo reply B sends next, in @n fragments of at most @mtu bytes. */
static void expect_fragmented_reply(unsigned int n, unsigned int mtu)
{
	for (unsigned int i = 0; i < n; i++) {
		struct sk_buff *skb = capture_pop(&txb);
		const struct ipv6hdr *h;

		cr_assert(not(eq(ptr, skb, NULL)), "fragment %u of %u", i + 1, n);
		h = (const struct ipv6hdr *)(void *)(skb->data + ETH_HLEN);
		cr_assert(eq(u8, h->nexthdr, NEXTHDR_FRAGMENT));
		cr_assert(le(u32, skb->len - ETH_HLEN, mtu));
		consume_skb(skb);
	}
	expect_nothing();
}

Test(ipv6, packet_too_big_lowers_the_path_mtu)
{
	struct frame6 f;

	send_ptb(1280);
	cr_assert(eq(u32, rt6_pmtu_lookup(sb, &a6), 1280));
	f6_start(&f, &a6, &b6, NEXTHDR_ICMP, 64);
	f6_icmp_send(&f, f6_echo(&f, 40, 1300), 1308);
	expect_fragmented_reply(2, 1280);
	cr_assert(eq(u64, mib(sb, ICMP6_MIB_INPKTTOOBIGS), 1));
}

Test(ipv6, packet_too_big_below_1280_is_raised_to_1280)
{
	send_ptb(600);
	cr_assert(eq(u32, rt6_pmtu_lookup(sb, &a6), IPV6_MIN_MTU), "RFC 8201 §4");
}

Test(ipv6, learned_path_mtu_expires)
{
	struct frame6 f;

	send_ptb(1400);
	world_advance(&p.w, sb->sysctl.ip_rt_mtu_expires + 1);
	cr_assert(eq(u32, rt6_pmtu_lookup(sb, &a6), 0));
	f6_start(&f, &a6, &b6, NEXTHDR_ICMP, 64);
	f6_icmp_send(&f, f6_echo(&f, 41, 1400), 1408);
	expect_echo_reply(41, 1400);
}

/* ---- UDP over IPv6, A <-> B, both stacks real ------------------------------- */

#include "sock.h"
#include "socks.h"

static struct socket *u6_socket(struct stack *st)
{
	struct socket *s = NULL;

	cr_assert(eq(int, sock_create(st, AF_INET6, SOCK_DGRAM, 0, &s), 0));
	return s;
}


static int u6_sendto(struct socket *s, const void *buf, size_t len, const struct in6_addr *a,
		     u16 port)
{
	struct sockaddr_in6 sa = t_sin6(a, port);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT };

	return sock_sendmsg(s, &m);
}

static int u6_recvfrom(struct socket *s, void *buf, size_t len, struct sockaddr_in6 *from)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_name = from, .msg_namelen = sizeof(*from), .msg_iov = &iov,
			    .msg_iovlen = 1 };

	return sock_recvmsg(s, &m, MSG_DONTWAIT);
}

static struct stack *sa6;

static void setup_udp(void)
{
	setup();
	sa6 = p.w.st[0];
	cr_assert(eq(int, ipv6_addr_add(p.da, &a6, 64, IFA_F_NODAD), 0));
}

TestSuite(udpv6, .init = setup_udp, .fini = teardown);

Test(udpv6, datagrams_both_ways_intact_with_their_source)
{
	struct socket *sa = u6_socket(sa6), *sb6 = u6_socket(sb);
	static u8 out[1400], in[2000];
	struct sockaddr_in6 from;
	u16 aport;

	cr_assert(eq(int, t_bind6(sb6, &b6, 5353), 0));
	for (u32 i = 0; i < 50; i++) {
		fill(out, sizeof(out), i);
		cr_assert(eq(int, u6_sendto(sa, out, 100 + i * 20, &b6, 5353), (int)(100 + i * 20)));
		world_run(&p.w);
		cr_assert(eq(int, u6_recvfrom(sb6, in, sizeof(in), &from), (int)(100 + i * 20)));
		cr_assert(eq(int, memcmp(in, out, 100 + i * 20), 0), "datagram %u", i);
		cr_assert(eq(u16, from.sin6_family, AF_INET6));
		cr_assert(ipv6_addr_equal(&from.sin6_addr, &a6));
	}
	aport = ntohs(from.sin6_port);
	/* and back to the sender's port */
	cr_assert(eq(int, u6_sendto(sb6, "pong", 4, &a6, aport), 4));
	world_run(&p.w);
	cr_assert(eq(int, u6_recvfrom(sa, in, sizeof(in), &from), 4));
	cr_assert(eq(int, memcmp(in, "pong", 4), 0));
	cr_assert(ipv6_addr_equal(&from.sin6_addr, &b6));
	cr_assert(eq(u16, ntohs(from.sin6_port), 5353));
	cr_assert(eq(u64, mib(sb, UDP_MIB_INDATAGRAMS), 50));
	cr_assert(eq(u64, mib(sb, UDP_MIB_INCSUMERRORS), 0));
	sock_release(sa);
	sock_release(sb6);
}

Test(udpv6, a_datagram_over_the_mtu_is_fragmented_and_reassembled)
{
	struct socket *sa = u6_socket(sa6), *sb6 = u6_socket(sb);
	static u8 out[8000], in[9000];
	struct sockaddr_in6 from;

	cr_assert(eq(int, t_bind6(sb6, &any6, 9000), 0));
	fill(out, sizeof(out), 77);
	cr_assert(eq(int, u6_sendto(sa, out, sizeof(out), &b6, 9000), (int)sizeof(out)));
	world_run(&p.w);
	cr_assert(eq(int, u6_recvfrom(sb6, in, sizeof(in), &from), (int)sizeof(out)));
	cr_assert(eq(int, memcmp(in, out, sizeof(out)), 0));
	cr_assert(eq(u64, mib(sa6, IPSTATS6_MIB_FRAGCREATES), 6));
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_REASMOKS), 1));
	sock_release(sa);
	sock_release(sb6);
}

Test(udpv6, no_socket_means_port_unreachable_and_a_connected_sender_hears_it)
{
	struct socket *sa = u6_socket(sa6);
	struct sockaddr_in6 to = t_sin6(&b6, 4444);
	char buf[8];

	cr_assert(eq(int, sa->ops->connect(sa, (struct sockaddr *)&to, sizeof(to), 0), 0));
	cr_assert(eq(int, t_send(sa, "x", 1, MSG_DONTWAIT), 1));
	world_run(&p.w);
	cr_assert(eq(u64, mib(sb, UDP_MIB_NOPORTS), 1));
	cr_assert(eq(int, t_recv(sa, buf, sizeof(buf), MSG_DONTWAIT), -ECONNREFUSED));
	sock_release(sa);
}

Test(udpv6, zero_checksum_is_dropped)
{
	struct socket *sb6 = u6_socket(sb);
	struct frame6 f;
	u8 *u;
	char buf[8];

	cr_assert(eq(int, t_bind6(sb6, &b6, 7000), 0));
	f6_start(&f, &a6, &b6, NEXTHDR_UDP, 64);
	u = f6_put(&f, NULL, 12);
	u[0] = 0x10;
	u[2] = 7000 >> 8;
	u[3] = 7000 & 0xff;
	u[5] = 12; /* length; checksum left 0: RFC 8200 §8.1 forbids that */
	memcpy(u + 8, "abcd", 4);
	f6_ip(&f)->payload_len = htons((u16)f.len);
	inject_frame(p.db, f.buf, ETH_HLEN + 40 + f.len);
	world_run(&p.w);
	cr_assert(eq(u64, mib(sb, UDP_MIB_INCSUMERRORS), 1));
	cr_assert(eq(int, t_recv(sb6, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN));
	sock_release(sb6);
}

Test(udpv6, bind_needs_one_of_our_addresses_and_getsockname_says_it)
{
	struct socket *s = u6_socket(sb);
	struct in6_addr other = in6("fd00::99"), v4m = in6("::ffff:10.0.0.2");
	struct sockaddr_in6 got;

	cr_assert(eq(int, t_bind6(s, &other, 1000), -EADDRNOTAVAIL));
	cr_assert(eq(int, t_bind6(s, &v4m, 1000), -EADDRNOTAVAIL));
	cr_assert(eq(int, t_bind6(s, &b6, 1000), 0));
	cr_assert(eq(int, s->ops->getname(s, (struct sockaddr *)&got, 0), (int)sizeof(got)));
	cr_assert(ipv6_addr_equal(&got.sin6_addr, &b6));
	cr_assert(eq(u16, ntohs(got.sin6_port), 1000));
	cr_assert(eq(int, s->ops->getname(s, (struct sockaddr *)&got, 1), -ENOTCONN));
	sock_release(s);
}

Test(udpv6, an_ipv4_datagram_does_not_reach_an_ipv6_socket)
{
	struct socket *s6 = u6_socket(sb), *s4 = t_socket(sa6, SOCK_DGRAM, 0);
	char buf[8];

	cr_assert(eq(int, t_bind6(s6, &any6, 6000), 0));
	cr_assert(eq(int, t_sendto(s4, "v4", 2, MSG_DONTWAIT, p.b, 6000), 2));
	world_run(&p.w);
	cr_assert(eq(int, t_recv(s6, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN),
		  "IPV6_V6ONLY 0 (dual stack) is not there yet: no IPv4 on it");
	sock_release(s6);
	sock_release(s4);
}

/* ---- Router Advertisements (RFC 4861 §6.3.4) -------------------------------- */

static void send_ra(const char *src, u16 lifetime, u32 mtu, u8 hop_limit)
{
	struct in6_addr s = in6(src);
	struct frame6 f;
	u8 *ra;
	unsigned int len = 16 + (mtu ? 8 : 0) + 8;

	f6_start(&f, &s, &all_nodes, NEXTHDR_ICMP, hop_limit);
	ra = f6_put(&f, NULL, len);
	ra[0] = NDISC_ROUTER_ADVERTISEMENT;
	ra[4] = 64;
	ra[6] = (u8)(lifetime >> 8);
	ra[7] = (u8)lifetime;
	if (mtu) {
		ra[16] = ND_OPT_MTU;
		ra[17] = 1;
		ra[20] = (u8)(mtu >> 24);
		ra[21] = (u8)(mtu >> 16);
		ra[22] = (u8)(mtu >> 8);
		ra[23] = (u8)mtu;
	}
	ra[len - 8] = ND_OPT_SOURCE_LL_ADDR;
	ra[len - 7] = 1;
	memcpy(ra + len - 6, mac_x, ETH_ALEN);
	f6_icmp_send(&f, ra, len);
}

Test(ndisc, router_advertisement_gives_the_default_route_and_mtu)
{
	struct in6_addr far = in6("2001:db8::1"), r = in6("fe80::1");
	struct flowi6 fl6 = { .daddr = far };
	const struct fib6_entry *fe;
	struct rt6_info *rt;

	cr_assert(eq(ptr, (void *)fib6_lookup(sb, &far, 0), NULL));
	send_ra("fe80::1", 1800, 1400, 255);
	fe = fib6_lookup(sb, &far, 0);
	cr_assert(not(eq(ptr, (void *)fe, NULL)));
	cr_assert(ipv6_addr_equal(&fe->gw, &r));
	rt = ip6_route_output(sb, &fl6);
	cr_assert(not(IS_ERR(rt)));
	cr_assert(eq(u32, dst_mtu(&rt->dst), 1400));
	cr_assert(ipv6_addr_equal(rt6_nexthop(rt, &far), &r));
	dst_release(&rt->dst);
	cr_assert(eq(int, memcmp(nb(&r)->ha, mac_x, ETH_ALEN), 0), "the router's link address");
	/* the lifetime runs out */
	world_advance(&p.w, 1801 * SEC);
	cr_assert(eq(ptr, (void *)fib6_lookup(sb, &far, 0), NULL));
}

Test(ndisc, router_lifetime_zero_withdraws_the_route)
{
	struct in6_addr far = in6("2001:db8::1");

	send_ra("fe80::1", 600, 0, 255);
	cr_assert(not(eq(ptr, (void *)fib6_lookup(sb, &far, 0), NULL)));
	send_ra("fe80::1", 0, 0, 255);
	cr_assert(eq(ptr, (void *)fib6_lookup(sb, &far, 0), NULL));
}

Test(ndisc, invalid_or_unwanted_advertisements_change_nothing)
{
	struct in6_addr far = in6("2001:db8::1");

	send_ra("fe80::1", 600, 0, 254); /* routed: not from the link */
	send_ra("fd00::1", 600, 0, 255); /* not link-local (§6.1.2) */
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IPV6_NDISC_BAD), 2));
	sb->sysctl.accept_ra = false;    /* SKBOS_GW6 given */
	send_ra("fe80::1", 600, 0, 255);
	cr_assert(eq(ptr, (void *)fib6_lookup(sb, &far, 0), NULL));
}

Test(ndisc, a_usable_link_local_address_solicits_routers)
{
	struct in6_addr ll = in6("fe80::abc"), all_routers = in6("ff02::2");
	struct sk_buff *skb;
	const u8 *rs;

	cr_assert(eq(int, ipv6_addr_add(p.db, &ll, 64, 0), 0));
	world_advance(&p.w, 1 * SEC);
	expect_dad_probe(&skb, &ll);
	consume_skb(skb);
	expect_nothing(); /* not while tentative */
	world_advance(&p.w, 1 * SEC + 1);
	rs = (const u8 *)expect_nd(&skb, NDISC_ROUTER_SOLICITATION, &ll, &all_routers);
	cr_assert(eq(u8, rs[8], ND_OPT_SOURCE_LL_ADDR));
	consume_skb(skb);
	expect_nothing();
}
