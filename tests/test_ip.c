/*
 * test_ip.c - IPv4 receive validation (one test per malformed-header class,
 * each counted under the MIB name Linux uses and dropped with its reason),
 * what a host accepts (padding, options, low TTL), protocol unreachable,
 * and the netfilter hook points.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "inet.h"
#include "capture.h"
#include "frames.h"
#include "checksum.h"
#include "icmp.h"
#include "netfilter.h"
#include "ping.h"

static struct inet_pair p;
static struct stack *sa, *sb;
static struct ping_sock ps;

static void setup(void)
{
	inet_pair_setup(&p);
	sa = p.w.st[0];
	sb = p.w.st[1];
	cr_assert(eq(int, ping_open(sa, &ps, 9), 0));
}

static void teardown(void)
{
	ping_close(&ps);
	world_run(&p.w);
	inet_pair_teardown(&p);
}

TestSuite(ip, .init = setup, .fini = teardown);

/* An echo request from A to B as crafted bytes: the template tests override. */
static u8 echo[64];
static struct ipspec echo_spec(u16 seq)
{
	unsigned int len = build_icmp_echo(echo, ICMP_ECHO, 9, seq, "payload!", 8);

	return (struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP,
				.payload = echo, .len = len, .id = seq };
}

static unsigned int replies(void)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	world_run(&p.w);
	while ((skb = ping_recv(&ps)) != NULL) {
		n++;
		consume_skb(skb);
	}
	return n;
}

#define EXPECT_DROP(reason, m)                                                         \
	do {                                                                           \
		cr_assert(eq(u64, drops(sb, reason), 1), "dropped as " #reason);        \
		cr_assert(eq(u64, mib(sb, m), 1), "counted in " #m);                    \
		cr_assert(eq(u32, replies(), 0), "and not answered");                   \
	} while (0)

Test(ip, valid_echo_is_answered)
{
	struct ipspec s = echo_spec(1);

	inject_ip(p.db, &s);
	cr_assert(eq(u32, replies(), 1));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_INRECEIVES), 1));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_INDELIVERS), 1));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_INECHOS), 1));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTECHOREPS), 1));
}

Test(ip, header_shorter_than_20_bytes)
{
	u8 buf[64];
	struct ipspec s = echo_spec(1);

	build_ip_frame(buf, &s, mac_a, mac_b);
	inject_frame(p.db, buf, ETH_HLEN + 19);
	EXPECT_DROP(SKB_DROP_REASON_IP_INHDR, IPSTATS_MIB_INHDRERRORS);
}

Test(ip, wrong_version)
{
	struct ipspec s = echo_spec(1);

	s.version = 6;
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_INHDR, IPSTATS_MIB_INHDRERRORS);
}

Test(ip, ihl_below_five)
{
	struct ipspec s = echo_spec(1);

	s.ihl = 4;
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_INHDR, IPSTATS_MIB_INHDRERRORS);
}

Test(ip, ihl_beyond_the_packet)
{
	u8 buf[128];
	struct ipspec s = { .saddr = p.a, .daddr = p.b, .proto = IPPROTO_ICMP, .ihl = 15 };

	build_ip_frame(buf, &s, mac_a, mac_b);
	inject_frame(p.db, buf, ETH_HLEN + 40); /* IHL says 60 */
	EXPECT_DROP(SKB_DROP_REASON_IP_INHDR, IPSTATS_MIB_INHDRERRORS);
}

Test(ip, bad_header_checksum)
{
	struct ipspec s = echo_spec(1);

	s.bad_csum = true;
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_CSUM, IPSTATS_MIB_INCSUMERRORS);
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_INHDRERRORS), 1), "also a header error");
}

Test(ip, total_length_beyond_the_frame)
{
	struct ipspec s = echo_spec(1);

	s.tot_len_adj = 1;
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_PKT_TOO_SMALL, IPSTATS_MIB_INTRUNCATEDPKTS);
}

Test(ip, total_length_shorter_than_the_header)
{
	struct ipspec s = echo_spec(1);

	s.tot_len_adj = -(int)s.len - 1; /* 19 */
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_INHDR, IPSTATS_MIB_INHDRERRORS);
}

/*
 * RFC 1812 §5.3.7 martian sources, as Linux's ip_route_input_slow and
 * fib_validate_source (accept_local = 0) see them: loopback and broadcast,
 * multicast, and one of our own addresses (the LAND attack: source =
 * destination) or our subnet's broadcast arriving from the wire.
 */
struct martian {
	char saddr[16]; /* by value: Criterion copies parameters into the test process */
};

static struct martian martian_sources[] = { { "127.0.0.1" }, { "255.255.255.255" },
					    { "224.0.0.1" },  { ADDR_B },
					    { "10.0.0.255" } };

ParameterizedTestParameters(ip, martian_source_is_dropped)
{
	return cr_make_param_array(struct martian, martian_sources,
				   sizeof(martian_sources) / sizeof(martian_sources[0]));
}

ParameterizedTest(struct martian *m, ip, martian_source_is_dropped)
{
	struct ipspec s = echo_spec(1);

	s.saddr = ip4(m->saddr);
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_INVALID_SOURCE, IPSTATS_MIB_INMARTIANS);
}

Test(ip, martian_destination)
{
	struct ipspec s = echo_spec(1);

	s.daddr = ip4("0.1.2.3");
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_INVALID_DEST, IPSTATS_MIB_INADDRERRORS);
}

Test(ip, datagram_for_another_host_is_not_forwarded)
{
	struct ipspec s = echo_spec(1);

	s.daddr = ip4("10.0.0.44");
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_IP_INADDRERRORS, IPSTATS_MIB_INADDRERRORS);
}

Test(ip, unknown_protocol_gets_protocol_unreachable)
{
	struct capture rx;
	struct sk_buff *skb;
	struct ipspec s = echo_spec(1);
	const struct icmphdr *icmph;
	const struct iphdr *quoted;

	s.proto = 253; /* RFC 3692 experimental */
	capture_attach(&rx, sa, p.da, CAPTURE_RX);
	inject_ip(p.db, &s);
	world_run(&p.w);
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_INUNKNOWNPROTOS), 1));
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_IP_NOPROTO), 1));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_OUTDESTUNREACHS), 1));
	/* A got it: type 3 code 2, quoting our datagram */
	while ((skb = capture_pop(&rx)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)(const void *)(skb->data + ETH_HLEN);

		if (skb->data[12] == 0x08 && skb->data[13] == 0 && iph->protocol == IPPROTO_ICMP) {
			icmph = (const struct icmphdr *)(const void *)((const u8 *)iph + iph->ihl * 4);
			quoted = (const struct iphdr *)(const void *)(icmph + 1);
			cr_assert(eq(u8, icmph->type, ICMP_DEST_UNREACH));
			cr_assert(eq(u8, icmph->code, ICMP_PROT_UNREACH));
			cr_assert(eq(u8, quoted->protocol, 253));
			cr_assert(eq(u32, iph->saddr, p.b));
			cr_assert(eq(u16, ip_fast_csum(iph, iph->ihl), 0));
		}
		consume_skb(skb);
	}
	capture_detach(&rx);
}

Test(ip, ethernet_padding_is_trimmed)
{
	struct ipspec s = echo_spec(1);
	struct sk_buff *skb;

	s.pad = 60 - ETH_HLEN - 20 - (int)s.len; /* a minimum-size frame */
	inject_ip(p.db, &s);
	world_run(&p.w);
	skb = ping_recv(&ps);
	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(u32, skb->len, 16), "echo of 8 bytes, not of the padding");
	cr_assert(eq(int, memcmp(skb->data + 8, "payload!", 8), 0));
	consume_skb(skb);
}

Test(ip, options_are_skipped_safely)
{
	struct ipspec s = echo_spec(1);

	s.ihl = 7; /* 8 bytes of NOP options */
	inject_ip(p.db, &s);
	cr_assert(eq(u32, replies(), 1));
}

Test(ip, low_ttl_is_accepted_by_a_host)
{
	struct ipspec s = echo_spec(1);

	s.ttl = 1; /* RFC 1122 §3.2.1.7 */
	inject_ip(p.db, &s);
	cr_assert(eq(u32, replies(), 1));
}

Test(ip, bad_icmp_checksum)
{
	struct ipspec s = echo_spec(1);

	echo[4] ^= 0xff;
	inject_ip(p.db, &s);
	EXPECT_DROP(SKB_DROP_REASON_ICMP_CSUM, ICMP_MIB_INCSUMERRORS);
}

Test(ip, ip_ids_differ_per_datagram_on_a_flow)
{
	struct capture tx;
	struct sk_buff *a, *b;

	capture_attach(&tx, sa, p.da, CAPTURE_TX);
	ping_send(&ps, p.b, 1, NULL, 0);
	world_run(&p.w);
	ping_send(&ps, p.b, 2, NULL, 0);
	while ((a = capture_pop(&tx)) && a->data[12] != 0x08)
		consume_skb(a);
	while ((b = capture_pop(&tx)) && b->data[12] != 0x08)
		consume_skb(b);
	cr_assert(not(eq(ptr, a, NULL)));
	cr_assert(not(eq(ptr, b, NULL)));
	cr_assert(not(eq(u16, ((struct iphdr *)(void *)(a->data + ETH_HLEN))->id,
			 ((struct iphdr *)(void *)(b->data + ETH_HLEN))->id)));
	consume_skb(a);
	consume_skb(b);
	capture_detach(&tx);
	replies();
}

/* ---- netfilter ------------------------------------------------------------ */

struct nf_probe {
	struct nf_hook_ops ops;
	unsigned int verdict;
	int drop_nth; /* drop the nth packet seen (1-based), if nonzero */
	int seen;
	int order[8];
};
static int nf_seq;
static struct sk_buff_head stolen;

static unsigned int probe_hook(void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	struct nf_probe *pr = priv;

	(void)state;
	pr->order[pr->seen % 8] = ++nf_seq;
	pr->seen++;
	if (pr->drop_nth && pr->seen == pr->drop_nth)
		return NF_DROP;
	if (pr->verdict == NF_STOLEN)
		skb_queue_tail(&stolen, skb);
	return pr->verdict;
}

static void probe_register(struct stack *st, struct nf_probe *pr, u8 hook, int prio, unsigned int v)
{
	memset(pr, 0, sizeof(*pr));
	pr->ops.hook = probe_hook;
	pr->ops.priv = pr;
	pr->ops.hooknum = hook;
	pr->ops.priority = prio;
	pr->verdict = v;
	cr_assert(eq(int, nf_register_net_hook(st, &pr->ops), 0));
}

Test(ip, hooks_run_in_priority_order_at_every_point)
{
	struct nf_probe pre, in, out, post, early;

	nf_seq = 0;
	probe_register(sb, &pre, NF_INET_PRE_ROUTING, 0, NF_ACCEPT);
	probe_register(sb, &in, NF_INET_LOCAL_IN, 10, NF_ACCEPT);
	probe_register(sb, &early, NF_INET_LOCAL_IN, -10, NF_ACCEPT);
	probe_register(sb, &out, NF_INET_LOCAL_OUT, 0, NF_ACCEPT);
	probe_register(sb, &post, NF_INET_POST_ROUTING, 0, NF_ACCEPT);
	struct ipspec s = echo_spec(1);
	inject_ip(p.db, &s);
	cr_assert(eq(u32, replies(), 1));
	cr_assert(eq(int, pre.order[0], 1));
	cr_assert(eq(int, early.order[0], 2), "lower priority first");
	cr_assert(eq(int, in.order[0], 3));
	cr_assert(eq(int, out.order[0], 4), "the reply leaves through LOCAL_OUT");
	cr_assert(eq(int, post.order[0], 5));
	nf_unregister_net_hook(sb, &pre.ops);
	nf_unregister_net_hook(sb, &in.ops);
	nf_unregister_net_hook(sb, &early.ops);
	nf_unregister_net_hook(sb, &out.ops);
	nf_unregister_net_hook(sb, &post.ops);
	cr_assert(eq(int, nf_register_net_hook(sb, &(struct nf_hook_ops){ .hooknum = 9, .hook = probe_hook }), -EINVAL));
}

Test(ip, hook_drops_the_nth_packet_and_counts_it)
{
	struct nf_probe post;

	probe_register(sa, &post, NF_INET_POST_ROUTING, 0, NF_ACCEPT);
	post.drop_nth = 3;
	for (u16 i = 1; i <= 5; i++) {
		ping_send(&ps, p.b, i, NULL, 0);
		world_run(&p.w);
	}
	cr_assert(eq(u32, replies(), 4));
	cr_assert(eq(u64, drops(sa, SKB_DROP_REASON_NETFILTER_DROP), 1));
	nf_unregister_net_hook(sa, &post.ops);
}

Test(ip, stolen_packets_belong_to_the_hook)
{
	struct nf_probe in;
	struct ipspec s = echo_spec(1);

	skb_queue_head_init(&stolen);
	probe_register(sb, &in, NF_INET_LOCAL_IN, 0, NF_STOLEN);
	inject_ip(p.db, &s);
	cr_assert(eq(u32, replies(), 0));
	cr_assert(eq(u32, skb_queue_len(&stolen), 1));
	cr_assert(eq(u64, mib(sb, ICMP_MIB_INMSGS), 0), "never reached ICMP");
	nf_unregister_net_hook(sb, &in.ops);
	skb_queue_purge(&stolen);
}
