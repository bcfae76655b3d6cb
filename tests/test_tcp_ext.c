/*
 * test_tcp_ext.c - TCP's extensions and offloads between two stacks on
 * virtual time: super-packets (GSO) cut for a device without TSO, a lost
 * segment of one retransmitted alone; SACK and D-SACK blocks; Nagle
 * (Minshall) and cwnd validation; timestamps and PAWS; SYN cookies.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tcp_pair.h"
#include "socks.h"
#include "capture.h"
#include "checksum.h"
#include "tcp.h"
#include "sockopt_linux.h"
#include "sockopt_replay.h"

#define MS NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

TestSuite(tcp_ext, .init = tcp_pair_setup, .fini = tcp_pair_teardown, .timeout = 300);

/* ---- super-packets (GSO): the wire has no TSO, dev_queue_xmit cuts them ---- */

/* Send @len bytes c -> s, let the wire run, read and check them all. */
static void send_and_check(struct socket *c, struct socket *s, size_t len)
{
	static u8 out[1 << 20], in[1 << 20], ref[1 << 20];
	size_t got = 0;

	size_t sent = 0;

	cr_assert(le(sz, len, sizeof(out)));
	fill(out, len, 5);
	for (int i = 0; i < 20000 && got < len; i++) {
		int rc = sent < len ? t_send(c, out + sent, len - sent, MSG_DONTWAIT) : 0;

		if (rc > 0)
			sent += (size_t)rc;
		else
			cr_assert(eq(int, rc, sent < len ? -EAGAIN : 0));
		world_advance(&p.w, MS);
		while ((rc = t_recv(s, in + got, len - got, MSG_DONTWAIT)) > 0)
			got += (size_t)rc;
	}
	fill(ref, len, 5);
	cr_assert(eq(sz, got, len));
	cr_assert(eq(int, memcmp(in, ref, len), 0), "bytes differ");
}

static bool tcp_csum_ok(const struct iphdr *iph, const struct tcphdr *th, unsigned int tlen)
{
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, tlen, IPPROTO_TCP, csum_partial(th, tlen, 0));
}

/* Every captured TCP data frame is at most one MSS with a valid checksum. */
static unsigned int check_frames(struct capture *cap, u32 mss, u32 *max_seen)
{
	struct sk_buff *f;
	unsigned int n = 0;

	*max_seen = 0;
	while ((f = capture_pop(cap)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)(const void *)(f->data + 14);
		const struct tcphdr *th = (const struct tcphdr *)(const void *)(f->data + 14 + iph->ihl * 4);
		u32 tlen = ntohs(iph->tot_len) - iph->ihl * 4u, plen = tlen - th->doff * 4u;

		if (iph->protocol == IPPROTO_TCP && plen) {
			cr_assert(le(u32, plen, mss), "a frame of %u bytes left a device without TSO", plen);
			cr_assert(tcp_csum_ok(iph, th, tlen), "checksum of a cut segment");
			if (plen > *max_seen)
				*max_seen = plen;
			n++;
		}
		kfree_skb(f);
	}
	return n;
}

Test(tcp_ext, tcp_queues_super_packets_and_the_device_gets_segments)
{
	struct socket *c, *s, *l;
	struct capture cap;
	struct sk_buff *head;
	u32 mss, biggest, frames;
	static u8 buf[65536];
	u64 outsegs;

	connect_pair(90, &c, &s, &l);
	mss = tcp_sk(c->sk)->mss_cache;
	cr_assert(ne(u64, tcp_sk(c->sk)->route_caps & NETIF_F_GSO, 0), "GSO on every route");
	/* one write of 13 segments: the initial window (10) leaves as one
	 * super-packet, split off the skb; the other 3 wait for ACKs */
	cr_assert(eq(int, t_send(c, buf, 13 * mss, 0), (int)(13 * mss)));
	cr_assert(eq(u32, skb_queue_len(&c->sk->sk_write_queue), 2));
	head = skb_peek(&c->sk->sk_write_queue);
	cr_assert(eq(u32, head->len, TCP_INIT_CWND * mss), "one skb, ten segments: %u", head->len);
	cr_assert(eq(u32, skb_peek_next(head, &c->sk->sk_write_queue)->len, 3 * mss));
	cr_assert(eq(ptr, tcp_sk(c->sk)->send_head, skb_peek_next(head, &c->sk->sk_write_queue)));
	world_advance(&p.w, 100 * MS);
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0, 1));
	while (t_recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;

	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	outsegs = mib(sa, TCP_MIB_OUTSEGS);
	send_and_check(c, s, 1 << 20);
	frames = check_frames(&cap, mss, &biggest);
	cr_assert(gt(u32, frames, (1u << 20) / mss));
	/* OutSegs counts segments on the wire (data frames plus pure ACKs) */
	cr_assert(ge(u64, mib(sa, TCP_MIB_OUTSEGS) - outsegs, frames));
	cr_assert(eq(u32, biggest, mss), "full-sized segments");
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* Lose the 5th data frame of A -> B once: the 5th segment of a super-packet. */
static bool lose_fifth_data_frame(void *arg, const u8 *frame, u32 len, u64 index)
{
	unsigned int *data_frames = arg;

	(void)index;
	if (len < 14 + 20 + 20 || frame[23] != IPPROTO_TCP || len <= 14 + 20 + (frame[46] >> 4) * 4u)
		return false;
	return ++*data_frames == 5;
}

Test(tcp_ext, a_lost_segment_of_a_super_packet_is_sent_again_alone)
{
	struct impair_config cfg = { 0 };
	unsigned int data_frames = 0;
	struct socket *c, *s, *l;
	struct capture cap;
	u32 mss, biggest;

	connect_pair(91, &c, &s, &l);
	mss = tcp_sk(c->sk)->mss_cache;
	cfg.filter = lose_fifth_data_frame;
	cfg.filter_arg = &data_frames;
	wire_set_impair(p.wire, 0, &cfg);
	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	send_and_check(c, s, 256 << 10);
	check_frames(&cap, mss, &biggest);
	cr_assert(eq(u32, tcp_sk(c->sk)->total_retrans, 1), "one segment again, not the super-packet");
	cr_assert(eq(u64, mib(sa, TCP_MIB_RETRANSSEGS), 1));
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp_ext, without_gso_tcp_queues_one_segment_per_skb)
{
	struct socket *c, *s, *l;
	struct capture cap;
	struct sk_buff *skb;
	u32 mss, biggest;
	static u8 buf[65536];
	u64 off;

	cr_assert(eq(int, netdev_offload_off("none", &off), 0));
	p.da->features &= ~off;
	connect_pair(92, &c, &s, &l);
	mss = tcp_sk(c->sk)->mss_cache;
	cr_assert(eq(int, t_send(c, buf, 13 * mss, 0), (int)(13 * mss)));
	skb_queue_walk(&c->sk->sk_write_queue, skb)
		cr_assert(le(u32, skb->len, mss));
	world_advance(&p.w, 100 * MS);
	while (t_recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	send_and_check(c, s, 256 << 10);
	check_frames(&cap, mss, &biggest);
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* ---- SACK (RFC 2018) and D-SACK (RFC 2883), the receiver's blocks ---------- */

struct sack_ack {
	u32 ack;
	unsigned int n;
	struct tcp_sack_block b[TCP_NUM_SACKS];
};

/* The ACK number and SACK blocks of a captured TCP frame. */
static void parse_sack(const struct sk_buff *f, struct sack_ack *a)
{
	const u8 *th = f->data + 14 + 20, *o = th + 20, *end = th + (th[12] >> 4) * 4;

	memset(a, 0, sizeof(*a));
	a->ack = (u32)th[8] << 24 | (u32)th[9] << 16 | (u32)th[10] << 8 | th[11];
	while (o < end && *o != TCPOPT_EOL) {
		if (*o == TCPOPT_NOP) {
			o++;
			continue;
		}
		if (o[0] == TCPOPT_SACK)
			for (a->n = 0; a->n < (o[1] - 2u) / 8; a->n++) {
				const u8 *p8 = o + 2 + 8 * a->n;

				a->b[a->n].start_seq = (u32)p8[0] << 24 | (u32)p8[1] << 16 | (u32)p8[2] << 8 | p8[3];
				a->b[a->n].end_seq = (u32)p8[4] << 24 | (u32)p8[5] << 16 | (u32)p8[6] << 8 | p8[7];
			}
		o += o[1];
	}
}

static bool lose_second_data_frame(void *arg, const u8 *frame, u32 len, u64 index)
{
	return lose_fifth_data_frame(arg, frame, len, index + 3);
}

Test(tcp_ext, sack_blocks_describe_the_out_of_order_queue)
{
	struct impair_config cfg = { 0 };
	unsigned int data_frames = 3, i;
	struct socket *c, *s, *l;
	struct capture cap;
	struct sack_ack a;
	struct sk_buff *f;
	static u8 buf[8192];
	u32 iss, mss;

	connect_pair(93, &c, &s, &l);
	cr_assert(tcp_sk(c->sk)->rx_opt.sack_ok && tcp_sk(s->sk)->rx_opt.sack_ok, "negotiated");
	mss = tcp_sk(c->sk)->mss_cache;
	iss = tcp_sk(c->sk)->snd_nxt;
	cfg.filter = lose_second_data_frame; /* counts from 3: the 2nd data frame is "5th" */
	cfg.filter_arg = &data_frames;
	wire_set_impair(p.wire, 0, &cfg);
	cr_assert(eq(int, t_setint(c, IPPROTO_TCP, TCP_NODELAY, 1), 0));
	capture_attach(&cap, sb, p.db, CAPTURE_TX);
	for (i = 0; i < 4; i++)
		cr_assert(eq(int, t_send(c, buf, mss, 0), (int)mss));
	world_advance(&p.w, 10 * MS); /* less than an RTO: the hole stays */
	/* B's ACKs for segments 3 and 4: ack at the hole, one growing block */
	for (i = 0; (f = capture_pop(&cap)) != NULL; kfree_skb(f)) {
		parse_sack(f, &a);
		if (!a.n)
			continue;
		cr_assert(eq(u32, a.ack, iss + mss), "the cumulative ACK stops at the hole");
		cr_assert(eq(u32, a.n, 1));
		cr_assert(eq(u32, a.b[0].start_seq, iss + 2 * mss));
		cr_assert(eq(u32, a.b[0].end_seq, iss + (3 + i) * mss), "block %u", i);
		i++;
	}
	cr_assert(eq(u32, i, 2), "two ACKs with SACK blocks");
	world_advance(&p.w, 2 * SEC);
	cr_assert(eq(int, t_recv(s, buf, 4 * mss, MSG_WAITALL), (int)(4 * mss)));
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp_ext, a_duplicate_segment_is_reported_by_dsack)
{
	struct impair_config cfg = { 0 };
	struct socket *c, *s, *l;
	struct capture cap;
	struct sack_ack a;
	struct sk_buff *f;
	static u8 buf[1448];
	unsigned int dsacks = 0;

	connect_pair(94, &c, &s, &l);
	cfg.dup.every_nth = 1; /* every frame A sends arrives twice */
	wire_set_impair(p.wire, 0, &cfg);
	capture_attach(&cap, sb, p.db, CAPTURE_TX);
	cr_assert(eq(int, t_send(c, buf, 1000, 0), 1000));
	world_advance(&p.w, 100 * MS);
	while ((f = capture_pop(&cap)) != NULL) {
		parse_sack(f, &a);
		/* RFC 2883 §4: the first block, below the cumulative ACK */
		if (a.n == 1 && !after(a.b[0].end_seq, a.ack) &&
		    a.b[0].end_seq - a.b[0].start_seq == 1000)
			dsacks++;
		kfree_skb(f);
	}
	cr_assert(eq(u32, dsacks, 1), "one D-SACK for the one duplicate");
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 1000));
	capture_detach(&cap);
	wire_set_impair(p.wire, 0, &(struct impair_config){ 0 });
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* Nagle as Linux (Minshall's variant): a small segment waits only for an
 * unacknowledged small one, never for full segments in flight. */
Test(tcp_ext, nagle_holds_a_small_segment_only_behind_another_small_one)
{
	struct socket *c, *s, *l;
	static u8 buf[8192];
	struct tcp_sock *tp;
	u32 mss;

	connect_pair(97, &c, &s, &l);
	tp = tcp_sk(c->sk);
	mss = tp->mss_cache;
	cr_assert(eq(int, t_send(c, buf, 3 * mss + 100, 0), (int)(3 * mss + 100)));
	cr_assert(eq(u32, tp->snd_nxt, tp->write_seq), "full segments and the small tail all left");
	cr_assert(eq(int, t_send(c, buf, 100, 0), 100));
	cr_assert(eq(u32, tp->write_seq - tp->snd_nxt, 100), "behind an unacked small one: held");
	world_advance(&p.w, 100 * MS);
	cr_assert(eq(u32, tp->snd_nxt, tp->write_seq), "sent once that was acknowledged");
	cr_assert(eq(int, t_recv(s, buf, 3 * mss + 200, MSG_WAITALL), (int)(3 * mss + 200)));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* RFC 7661: an application that sends little does not grow cwnd. */
Test(tcp_ext, cwnd_grows_only_while_it_limits)
{
	struct socket *c, *s, *l;
	static u8 buf[2048];

	connect_pair(98, &c, &s, &l);
	for (int i = 0; i < 500; i++) {
		cr_assert(eq(int, t_send(c, buf, 1000, 0), 1000));
		world_advance(&p.w, 50 * MS); /* past the delayed ACK Nagle waits for */
		cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 1000));
	}
	cr_assert(le(u32, tcp_sk(c->sk)->snd_cwnd, 2 * TCP_INIT_CWND), "cwnd %u",
		  tcp_sk(c->sk)->snd_cwnd);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* ---- timestamps (RFC 7323) ------------------------------------------------ */

/* A segment A -> B on the connection c -> s, carrying TSopt @tsval. */
static void inject_ts_segment(struct socket *c, u32 seq, u32 ack, u32 tsval, const char *data)
{
	u8 seg[64];
	unsigned int dlen = (unsigned int)strlen(data), len = 32 + dlen;
	struct tcphdr *th = (struct tcphdr *)(void *)seg;
	u32 v = htonl(tsval), e = 0;

	memset(seg, 0, sizeof(seg));
	th->source = inet_sk(c->sk)->inet_sport;
	th->dest = c->sk->sk_dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = 8;
	seg[13] = TCPHDR_ACK | TCPHDR_PSH;
	th->window = htons(1000);
	seg[20] = TCPOPT_NOP;
	seg[21] = TCPOPT_NOP;
	seg[22] = TCPOPT_TIMESTAMP;
	seg[23] = 10;
	memcpy(seg + 24, &v, 4);
	memcpy(seg + 28, &e, 4);
	memcpy(seg + 32, data, dlen);
	th->check = csum_tcpudp_magic(p.a, p.b, len, IPPROTO_TCP, csum_partial(seg, len, 0));
	inject_ip(p.db, &(struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_TCP,
					   .payload = seg, .len = len });
}

Test(tcp_ext, timestamps_are_negotiated_echoed_and_guard_against_old_segments)
{
	struct socket *c, *s, *l;
	struct tcp_sock *ct, *st;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[16];
	u64 paws;

	connect_pair(99, &c, &s, &l);
	ct = tcp_sk(c->sk);
	st = tcp_sk(s->sk);
	cr_assert(ct->rx_opt.tstamp_ok && st->rx_opt.tstamp_ok, "both SYNs carried TSopt");
	cr_assert(eq(u32, ct->mss_cache, ct->advmss - TCPOLEN_TSTAMP_ALIGNED), "TSopt comes out of the MSS");
	cr_assert(eq(int, t_send(c, "ping", 4, 0), 4));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 4));
	/* B's TS.Recent is A's latest TSval (RFC 7323 §4.3) */
	cr_assert(le(u32, tcp_time_stamp(ct) - st->rx_opt.ts_recent, 1000));
	/* PAWS (§5.3): in-window data with an older TSval is an old duplicate */
	paws = mib(sb, LINUX_MIB_PAWSESTABREJECTED);
	inject_ts_segment(c, st->rcv_nxt, st->snd_nxt, st->rx_opt.ts_recent - 100, "evil");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_PAWSESTABREJECTED), paws + 1));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN), "not delivered");
	/* a newer TSval at the same place is data */
	inject_ts_segment(c, st->rcv_nxt, st->snd_nxt, st->rx_opt.ts_recent + 1, "good");
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 4));
	cr_assert(eq(int, memcmp(buf, "good", 4), 0));
	/* A never sent those bytes: both ends abort (SO_LINGER 0: a RST) */
	cr_assert(eq(int, s->ops->setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0));
	cr_assert(eq(int, c->ops->setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* ---- SYN cookies (RFC 4987 §3.6) ------------------------------------------ */

/* A SYN from a spoofed host that will never answer: it holds a SYN_RECV slot. */
static void inject_spoofed_syn(u16 sport, u16 dport)
{
	u8 seg[24];
	struct tcphdr *th = (struct tcphdr *)(void *)seg;
	__be32 spoof = ip4("10.0.0.77");

	memset(seg, 0, sizeof(seg));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(1000u * sport);
	th->doff = 6;
	seg[13] = TCPHDR_SYN;
	th->window = htons(65535);
	seg[20] = TCPOPT_MSS;
	seg[21] = 4;
	seg[22] = 1460 >> 8;
	seg[23] = 1460 & 0xff;
	th->check = csum_tcpudp_magic(spoof, p.b, sizeof(seg), IPPROTO_TCP, csum_partial(seg, sizeof(seg), 0));
	inject_ip(p.db, &(struct ipspec){ .saddr = spoof, .daddr = p.b, .proto = IPPROTO_TCP,
					   .payload = seg, .len = sizeof(seg) });
}

Test(tcp_ext, a_syn_flood_does_not_stop_real_clients)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *c, *s;
	char buf[8];

	cr_assert(eq(int, t_bind(l, 0, 100), 0));
	cr_assert(eq(int, l->ops->listen(l, 8), 0));
	for (u16 i = 0; i < 200; i++)
		inject_spoofed_syn((u16)(20000 + i), 100);
	cr_assert(eq(int, tcp_sk(l->sk)->syn_len, 8), "the SYN queue holds its 8, no more");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESSENT), 192));
	/* a real client gets a cookie too, and its ACK makes the connection */
	c = t_socket(sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(c, p.b, 100), 0));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESRECV), 1));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(eq(int, tcp_sk(s->sk)->rx_opt.mss_clamp, 1460), "the MSS came back in the cookie");
	cr_assert(eq(int, t_send(c, "cookie", 6, 0), 6));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 6));
	cr_assert(eq(int, t_send(s, "ok", 2, 0), 2));
	cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), 2));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/*
 * With timestamps, a cookie keeps window scaling and SACK: they ride in the
 * low bits of the SYN-ACK's TSval and come back in the ACK's TSecr (Linux's
 * cookie_init_timestamp); both ends then agree on every shift, the server's
 * TSval clock runs on from the SYN-ACK's, and 4 MB crosses byte-exact.
 */
Test(tcp_ext, a_cookie_keeps_wscale_and_sack_with_timestamps)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *c, *s;
	struct tcp_sock *ct, *stp;

	cr_assert(eq(int, t_bind(l, 0, 102), 0));
	cr_assert(eq(int, l->ops->listen(l, 8), 0));
	for (u16 i = 0; i < 20; i++)
		inject_spoofed_syn((u16)(21000 + i), 102);
	c = t_socket(sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(c, p.b, 102), 0));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESRECV), 1));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	ct = tcp_sk(c->sk);
	stp = tcp_sk(s->sk);
	cr_assert(stp->rx_opt.tstamp_ok && ct->rx_opt.tstamp_ok);
	cr_assert(stp->rx_opt.sack_ok && ct->rx_opt.sack_ok, "SACK came back in the TSecr");
	cr_assert(stp->rx_opt.wscale_ok && ct->rx_opt.wscale_ok, "window scaling came back");
	cr_assert(gt(int, ct->rx_opt.rcv_wscale, 0));
	cr_assert(eq(int, stp->rx_opt.snd_wscale, ct->rx_opt.rcv_wscale));
	cr_assert(eq(int, ct->rx_opt.snd_wscale, stp->rx_opt.rcv_wscale));
	/* the client took the SYN-ACK's TSval as TS.Recent: later ones must not be older (PAWS) */
	cr_assert(ge(int, (s32)(tcp_time_stamp(stp) - ct->rx_opt.ts_recent), 0));
	tcp_bulk(s, c, 4 << 20);
	cr_assert(eq(u64, mib(sa, LINUX_MIB_PAWSESTABREJECTED), 0));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* Without timestamps a cookie can say the MSS only (RFC 4987 §3.6). */
Test(tcp_ext, a_cookie_without_timestamps_carries_mss_only)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *c, *s;

	sa->sysctl.tcp_timestamps = false;
	cr_assert(eq(int, t_bind(l, 0, 103), 0));
	cr_assert(eq(int, l->ops->listen(l, 8), 0));
	for (u16 i = 0; i < 20; i++)
		inject_spoofed_syn((u16)(22000 + i), 103);
	c = t_socket(sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(c, p.b, 103), 0));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESRECV), 1));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(not(tcp_sk(s->sk)->rx_opt.wscale_ok || tcp_sk(c->sk)->rx_opt.wscale_ok));
	cr_assert(not(tcp_sk(s->sk)->rx_opt.sack_ok || tcp_sk(s->sk)->rx_opt.tstamp_ok));
	cr_assert(eq(int, tcp_sk(c->sk)->rx_opt.snd_wscale, 0));
	tcp_bulk(s, c, 1 << 20);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/*
 * A good cookie whose connection finds the accept queue full is dropped and
 * counted, never reset (Linux: tcp_v4_syn_recv_sock, then a discard): the
 * client thinks it is connected, and its first data, carrying the same ACK,
 * makes the connection once the application has accepted.
 */
Test(tcp_ext, a_cookie_on_a_full_accept_queue_waits_for_room)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(104), .sin_addr.s_addr = p.b };
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *c[3], *s[3];
	char buf[8];

	cr_assert(eq(int, t_bind(l, 0, 104), 0));
	cr_assert(eq(int, l->ops->listen(l, 1), 0));
	for (u16 i = 0; i < 20; i++)
		inject_spoofed_syn((u16)(32000 + i), 104);
	for (int i = 0; i < 3; i++) { /* three SYNs at once: three cookies */
		c[i] = t_socket(sa, SOCK_STREAM, 0);
		cr_assert(eq(int, c[i]->ops->connect(c[i], (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
			     -EINPROGRESS));
	}
	world_run(&p.w);
	/* backlog 1 holds two (sk_acceptq_is_full: more than the backlog) */
	cr_assert(eq(int, tcp_sk(l->sk)->accept_len, 2));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESRECV), 2));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_LISTENOVERFLOWS), 1));
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTRSTS), 0), "a good cookie got a RST");
	for (int i = 0; i < 3; i++)
		cr_assert(eq(int, c[i]->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, sock_accept(l, &s[0], 0), 0));
	cr_assert(eq(int, sock_accept(l, &s[1], 0), 0));
	cr_assert(eq(int, t_send(c[2], "late", 4, 0), 4));
	world_run(&p.w);
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESRECV), 3));
	cr_assert(eq(int, sock_accept(l, &s[2], 0), 0));
	cr_assert(eq(int, t_recv(s[2], buf, sizeof(buf), 0), 4));
	cr_assert(eq(int, memcmp(buf, "late", 4), 0));
	for (int i = 0; i < 3; i++) {
		sock_release(c[i]);
		sock_release(s[i]);
	}
	sock_release(l);
}

Test(tcp_ext, a_forged_ack_is_no_cookie)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0);
	u8 seg[20];
	struct tcphdr *th = (struct tcphdr *)(void *)seg;

	cr_assert(eq(int, t_bind(l, 0, 101), 0));
	cr_assert(eq(int, l->ops->listen(l, 1), 0));
	for (u16 i = 0; i < 20; i++)
		inject_spoofed_syn((u16)(30000 + i), 101);
	memset(seg, 0, sizeof(seg));
	th->source = htons(31000);
	th->dest = htons(101);
	th->seq = htonl(5);
	th->ack_seq = htonl(123456789);
	th->doff = 5;
	seg[13] = TCPHDR_ACK;
	th->window = htons(1000);
	th->check = csum_tcpudp_magic(p.a, p.b, sizeof(seg), IPPROTO_TCP, csum_partial(seg, sizeof(seg), 0));
	inject_ip(p.db, &(struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_TCP,
					   .payload = seg, .len = sizeof(seg) });
	cr_assert(eq(u64, mib(sb, LINUX_MIB_SYNCOOKIESFAILED), 1));
	cr_assert(eq(int, tcp_sk(l->sk)->accept_len, 0));
	sock_release(l);
}

/* Whether the first @len bytes of the name @v start one of skbos's algorithms. */
static bool cc_skbos_has(const unsigned char *v, unsigned int len)
{
	static const char names[][16] = { "reno", "cubic" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!memcmp(v, names[i], len < 16 ? len : 16))
			return true;
	return false;
}

/*
 * Every SOCK_STREAM case the kernel answered (tests/sockopt_linux.h, recorded
 * on this machine by tests/tools/sockopt_probe.c), replayed on a fresh skbos
 * TCP socket.  TCP_INFO's bytes are not recorded: its errno and length are.
 */
Test(tcp_ext, options_match_the_kernel_case_by_case)
{
	struct stack *st = sa;
	int checked = 0;

	/* The sysctls the table was recorded with (its header comment). */
	st->sysctl.rmem_max = 4194304;
	st->sysctl.wmem_max = 4194304;
	for (size_t i = 0; i < SOCKOPT_LINUX_COUNT; i++) {
		const struct sockopt_case *c = &sockopt_linux[i];
		const unsigned char *want = c->got_val;
		bool tcp = c->level == IPPROTO_TCP;
		struct sockopt_case cc;
		struct socket *s;

		if (c->type != SOCK_STREAM)
			continue; /* test_udp replays those */
		/* The host's default algorithm was bbr (the table's header), which
		 * skbos lacks: its default is cubic, as a kernel whose
		 * net.ipv4.tcp_congestion_control says cubic. */
		if (tcp && c->optname == TCP_CONGESTION && !cc_skbos_has(want, c->got_len))
			want = (const unsigned char *)"cubic\0\0\0\0\0\0\0\0\0\0";
		/* ... and TCP_CC_INFO: bbr's get_info fills a struct tcp_bbr_info
		 * (20 bytes, or the length asked if less: what the table holds);
		 * cubic has no get_info and answers no bytes
		 * (tests/tcpopt_linux.txt, "CC_INFO cubic") */
		if (tcp && c->optname == TCP_CC_INFO && !c->get_errno && c->got_len) {
			cc = *c;
			cc.got_len = 0;
			c = &cc;
		}
		if (tcp && c->optname == TCP_INFO)
			want = NULL; /* its bytes are not recorded */
		s = t_socket(st, SOCK_STREAM, 0);
		sockopt_replay(s, c, want);
		sock_release(s);
		checked++;
	}
	cr_assert(gt(int, checked, 100));
}
