/*
 * test_tcp_ipv6.c - TCP over IPv6 between two real stacks on the test
 * wire (A fd00::1, B fd00::2; the IPv4 fixture of tcp_pair.h with IPv6
 * addresses added): the handshake and the names it sets, data both ways
 * checked byte by byte, the MSS from the IPv6 MTU, a RST from a closed
 * port, the FIN close, and crafted segments: a bad checksum is dropped and
 * counted, a Packet Too Big lowers the MSS (RFC 8201 §4).
 */
#include <arpa/inet.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tcp_pair.h"
#include "frames.h"
#include "addrconf.h"
#include "checksum.h"
#include "eth.h"
#include "icmpv6.h"
#include "ipv6.h"
#include "tcp.h"

static struct in6_addr a6, b6, any6;

static struct in6_addr in6(const char *s)
{
	struct in6_addr a;

	cr_assert(eq(int, inet_pton(AF_INET6, s, &a), 1));
	return a;
}

static void setup(void)
{
	tcp_pair_setup();
	a6 = in6("fd00::1");
	b6 = in6("fd00::2");
	memset(&any6, 0, sizeof(any6));
	cr_assert(eq(int, ipv6_addr_add(p.da, &a6, 64, IFA_F_NODAD), 0));
	cr_assert(eq(int, ipv6_addr_add(p.db, &b6, 64, IFA_F_NODAD), 0));
}

TestSuite(tcp_ipv6, .init = setup, .fini = tcp_pair_teardown);

static struct socket *s6(struct stack *st)
{
	struct socket *s = NULL;

	cr_assert(eq(int, sock_create(st, AF_INET6, SOCK_STREAM, 0, &s), 0));
	return s;
}

static struct socket *listener6(const struct in6_addr *a, u16 port)
{
	struct socket *l = s6(sb);

	cr_assert(eq(int, t_bind6(l, a, port), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	return l;
}

/* A connected pair over IPv6: client on A, the accepted socket on B. */
static void pair6(u16 port, struct socket **c, struct socket **s, struct socket **l)
{
	*l = listener6(&any6, port);
	*c = s6(sa);
	cr_assert(eq(int, t_connect6(*c, &b6, port, 0), 0), "blocking connect");
	cr_assert(eq(int, (*c)->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, sock_accept(*l, s, 0), 0));
	cr_assert(eq(int, (*s)->sk->sk_state, TCP_ESTABLISHED));
}

static void release(struct socket *c, struct socket *s, struct socket *l)
{
	sock_release(c);
	sock_release(s);
	if (l)
		sock_release(l);
	world_run(&p.w);
}

Test(tcp_ipv6, handshake_sets_both_names_and_an_mss_from_the_ipv6_mtu)
{
	struct socket *c, *s, *l;
	struct sockaddr_in6 got;

	pair6(8080, &c, &s, &l);
	cr_assert(eq(int, c->ops->getname(c, (struct sockaddr *)&got, 1), (int)sizeof(got)));
	cr_assert(eq(u16, got.sin6_family, AF_INET6));
	cr_assert(ipv6_addr_equal(&got.sin6_addr, &b6));
	cr_assert(eq(u16, ntohs(got.sin6_port), 8080));
	cr_assert(eq(int, c->ops->getname(c, (struct sockaddr *)&got, 0), (int)sizeof(got)));
	cr_assert(ipv6_addr_equal(&got.sin6_addr, &a6), "the source the route chose");
	cr_assert(eq(int, s->ops->getname(s, (struct sockaddr *)&got, 1), (int)sizeof(got)));
	cr_assert(ipv6_addr_equal(&got.sin6_addr, &a6));
	cr_assert(eq(u16, ntohs(got.sin6_port), t_port(c)));
	cr_assert(eq(int, s->ops->getname(s, (struct sockaddr *)&got, 0), (int)sizeof(got)));
	cr_assert(ipv6_addr_equal(&got.sin6_addr, &b6));
	/* RFC 8200 §8.3: MTU 1500 less 40 (IPv6) and 20 (TCP); then 12 of timestamps */
	cr_assert(eq(u16, tcp_sk(c->sk)->advmss, 1440));
	cr_assert(eq(u16, tcp_sk(s->sk)->advmss, 1440));
	cr_assert(eq(u16, tcp_sk(c->sk)->mss_cache, 1428));
	cr_assert(eq(int, l->ops->getname(l, (struct sockaddr *)&got, 1), -ENOTCONN));
	/* it all went over IPv6: B's IPv4 saw no TCP, its IPv6 did */
	cr_assert(eq(u64, mib(sb, TCP_MIB_PASSIVEOPENS) + mib(sa, TCP_MIB_ACTIVEOPENS), 2));
	cr_assert(gt(u64, mib(sa, IPSTATS6_MIB_OUTREQUESTS), 2));
	cr_assert(eq(u64, mib(sb, IPSTATS_MIB_INRECEIVES), 0));
	release(c, s, l);
}

Test(tcp_ipv6, data_both_ways_arrives_intact)
{
	struct socket *c, *s, *l;

	pair6(8081, &c, &s, &l);
	tcp_bulk(c, s, 2u << 20);
	tcp_bulk(s, c, 2u << 20);
	cr_assert(eq(u64, mib(sa, TCP_MIB_INCSUMERRORS) + mib(sb, TCP_MIB_INCSUMERRORS), 0));
	/* super-packets (SKB_GSO_TCPV6, cut by skb_gso_segment for the wire), never fragments */
	cr_assert(gt(u32, tcp_xmit_size_goal(c->sk), tcp_sk(c->sk)->mss_cache));
	cr_assert(eq(u64, mib(sa, IPSTATS6_MIB_FRAGCREATES) + mib(sb, IPSTATS6_MIB_FRAGCREATES), 0));
	release(c, s, l);
}

Test(tcp_ipv6, data_survives_loss_and_reordering)
{
	struct socket *c, *s, *l;

	pair6(8082, &c, &s, &l);
	impair_both("drop=2%,reorder=2%,delay=1ms,seed=7");
	tcp_bulk(c, s, 1u << 20);
	tcp_bulk(s, c, 1u << 20);
	cr_assert(gt(u64, mib(sa, TCP_MIB_RETRANSSEGS) + mib(sb, TCP_MIB_RETRANSSEGS), 0));
	impair_both("seed=1");
	release(c, s, l);
}

Test(tcp_ipv6, a_closed_port_answers_rst_and_connect_is_refused)
{
	struct socket *c = s6(sa);

	cr_assert(eq(int, t_connect6(c, &b6, 9, 0), -ECONNREFUSED));
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTRSTS), 1));
	cr_assert(eq(int, c->sk->sk_state, TCP_CLOSE));
	sock_release(c);
}

Test(tcp_ipv6, an_ipv4_listener_does_not_take_ipv6_nor_the_reverse)
{
	struct socket *l4 = listener(7000), *c = s6(sa), *c4 = t_socket(sa, SOCK_STREAM, 0);
	struct socket *l6 = listener6(&any6, 7001);

	/* AF_INET6 sockets are IPV6_V6ONLY ones: the same port is free for both */
	struct socket *l6b = listener6(&any6, 7000);

	cr_assert(eq(int, t_connect6(c, &b6, 7001, 0), 0));
	cr_assert(eq(int, t_connect(c4, p.b, 7001), -ECONNREFUSED));
	sock_release(l4);
	sock_release(l6);
	sock_release(l6b);
	sock_release(c);
	sock_release(c4);
	world_run(&p.w);
}

Test(tcp_ipv6, fin_close_both_ways_ends_in_time_wait)
{
	struct socket *c, *s, *l;
	char buf[16];

	pair6(8083, &c, &s, &l);
	cr_assert(eq(int, t_send(c, "bye", 3, 0), 3));
	cr_assert(eq(int, c->ops->shutdown(c, SHUT_WR), 0));
	world_run(&p.w);
	cr_assert(eq(int, c->sk->sk_state, TCP_FIN_WAIT2));
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE_WAIT));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 3));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 0), "EOF after the FIN");
	sock_release(s);
	world_run(&p.w);
	cr_assert(eq(int, c->sk->sk_state, TCP_TIME_WAIT));
	sock_release(c);
	sock_release(l);
	world_run(&p.w);
}

/* ---- crafted segments from A to B ------------------------------------------------ */

struct frame6 {
	u8 pad[2];
	u8 buf[2048];
} __attribute__((aligned(4)));

/* Ethernet + IPv6 + @tlen bytes of transport @nexthdr from A to B; returns the transport. */
static u8 *f6_build(struct frame6 *f, u8 nexthdr, unsigned int tlen)
{
	struct ethhdr *eth = (struct ethhdr *)(void *)f->buf;
	struct ipv6hdr *h = (struct ipv6hdr *)(void *)(f->buf + ETH_HLEN);

	memset(f, 0, sizeof(*f));
	memcpy(eth->h_dest, p.db->dev_addr, ETH_ALEN);
	memcpy(eth->h_source, p.da->dev_addr, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);
	h->version = 6;
	h->nexthdr = nexthdr;
	h->hop_limit = 64;
	h->saddr = a6;
	h->daddr = b6;
	h->payload_len = htons((u16)tlen);
	return (u8 *)(h + 1);
}

static void f6_inject(struct frame6 *f, unsigned int tlen)
{
	inject_frame(p.db, f->buf, ETH_HLEN + (unsigned int)sizeof(struct ipv6hdr) + tlen);
	world_run(&p.w);
}

/* A SYN from [fd00::1]:40000 to B's @port, checksummed (and then broken if @bad). */
static void inject_syn(u16 port, bool bad)
{
	struct frame6 f;
	struct tcphdr *th = (struct tcphdr *)(void *)f6_build(&f, IPPROTO_TCP, sizeof(*th));

	th->source = htons(40000);
	th->dest = htons(port);
	th->seq = htonl(1000);
	th->doff = 5;
	th->syn = 1;
	th->window = htons(65535);
	th->check = csum_ipv6_magic(&a6, &b6, sizeof(*th), IPPROTO_TCP, csum_partial(th, sizeof(*th), 0));
	if (bad)
		th->check ^= htons(0x0101);
	f6_inject(&f, sizeof(*th));
}

Test(tcp_ipv6, a_bad_checksum_is_dropped_and_counted)
{
	struct socket *l = listener6(&b6, 8084);

	inject_syn(8084, true);
	cr_assert(eq(u64, mib(sb, TCP_MIB_INCSUMERRORS), 1));
	cr_assert(eq(u64, mib(sb, TCP_MIB_INERRS), 1));
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_TCP_CSUM), 1));
	cr_assert(eq(int, tcp_sk(l->sk)->syn_len, 0), "no child for it");
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTSEGS), 0), "nothing answered");
	/* the same SYN intact opens a connection (A, which never sent it, resets it) */
	inject_syn(8084, false);
	cr_assert(eq(u64, mib(sb, TCP_MIB_INCSUMERRORS), 1));
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTSEGS), 1), "its SYN-ACK (the RST from A gets no answer)");
	cr_assert(eq(u64, mib(sa, TCP_MIB_OUTRSTS), 1), "A reset the SYN-ACK it did not expect");
	sock_release(l);
}

Test(tcp_ipv6, packet_too_big_lowers_the_mss)
{
	struct socket *c, *s, *l;
	struct frame6 f;
	u8 *icmp;
	struct icmp6hdr *ih;
	struct ipv6hdr *q;
	struct tcphdr *qt;
	unsigned int qlen = sizeof(*q) + sizeof(*qt);

	pair6(8085, &s, &c, &l); /* here B's accepted socket is the sender "c" */
	cr_assert(eq(u16, tcp_sk(c->sk)->mss_cache, 1428));
	icmp = f6_build(&f, NEXTHDR_ICMP, sizeof(*ih) + qlen);
	ih = (struct icmp6hdr *)(void *)icmp;
	ih->icmp6_type = ICMPV6_PKT_TOOBIG;
	ih->icmp6_dataun.un_data32[0] = htonl(1280);
	/* the quoted segment: B -> A, from the connection, at SND.UNA */
	q = (struct ipv6hdr *)(void *)(ih + 1);
	q->version = 6;
	q->nexthdr = IPPROTO_TCP;
	q->hop_limit = 64;
	q->saddr = b6;
	q->daddr = a6;
	q->payload_len = htons(1440);
	qt = (struct tcphdr *)(void *)(q + 1);
	qt->source = htons(8085);
	qt->dest = htons(t_port(s));
	qt->seq = htonl(tcp_sk(c->sk)->snd_una);
	ih->icmp6_cksum = csum_ipv6_magic(&a6, &b6, sizeof(*ih) + qlen, NEXTHDR_ICMP,
					  csum_partial(ih, sizeof(*ih) + qlen, 0));
	f6_inject(&f, sizeof(*ih) + qlen);
	/* RFC 8201 §4: 1280 less 40, 20 and the 12 of timestamps */
	cr_assert(eq(u16, tcp_sk(c->sk)->mss_cache, 1208));
	tcp_bulk(c, s, 256u << 10);
	cr_assert(eq(u64, mib(sb, IPSTATS6_MIB_FRAGCREATES), 0), "segments fit, no fragments");
	release(c, s, l);
}
