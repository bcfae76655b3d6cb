/*
 * tseg.c - crafted TCP segments in, parsed TCP segments out (tseg.h).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "frames.h"
#include "checksum.h"
#include "neighbour.h"
#include "socks.h"
#include "tcp.h"

struct capture tseg_cap;

/** tseg_setup - a suite's init: the TCP pair, A silenced, B's output captured. */
void tseg_setup(void)
{
	tcp_pair_setup();
	tseg_silence_a();
	capture_attach(&tseg_cap, sb, p.db, CAPTURE_TX);
}

/** tseg_teardown - a suite's fini: A may answer again (and resets what is left). */
static void tseg_later_cancel(void);

void tseg_teardown(void)
{
	tseg_later_cancel();
	capture_detach(&tseg_cap);
	tseg_unsilence_a();
	tcp_pair_teardown();
}

/** tseg_silence_a - from now on B talks to the test alone (see tseg.h). */
void tseg_silence_a(void)
{
	struct neighbour *n = neigh_create(sb->ipv4.arp_tbl, p.a, p.db);

	cr_assert(not(eq(ptr, n, NULL)));
	cr_assert(eq(int, neigh_update(n, mac_a, NUD_PERMANENT, NEIGH_UPDATE_F_ADMIN), 0));
	wire_set_impair(p.wire, 1, &(struct impair_config){ .drop = { .every_nth = 1 } });
}

/** tseg_unsilence_a - B's frames reach A again (A resets what it does not know). */
void tseg_unsilence_a(void)
{
	wire_set_impair(p.wire, 1, &(struct impair_config){ 0 });
}

static unsigned int tseg_options(const struct tseg *s, u8 *o)
{
	unsigned int n = 0;

	if (s->mss) {
		o[n++] = TCPOPT_MSS;
		o[n++] = 4;
		o[n++] = (u8)(s->mss >> 8);
		o[n++] = (u8)s->mss;
	}
	if (s->sack_perm) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = 2;
	}
	if (s->ts) {
		__be32 v[2] = { htonl(s->tsval), htonl(s->tsecr) };

		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_TIMESTAMP;
		o[n++] = 10;
		memcpy(o + n, v, sizeof(v));
		n += sizeof(v);
	}
	if (s->nsack) {
		cr_assert(le(u32, s->nsack, s->ts ? 3u : 4u));
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK;
		o[n++] = (u8)(2 + 8 * s->nsack);
		for (unsigned int i = 0; i < s->nsack; i++) {
			__be32 e[2] = { htonl(s->sack[i].start), htonl(s->sack[i].end) };

			memcpy(o + n, e, sizeof(e));
			n += sizeof(e);
		}
	}
	if (s->wscale) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WINDOW;
		o[n++] = 3;
		o[n++] = (u8)(s->wscale - 1);
	}
	if (s->tfo) {
		o[n++] = TCPOPT_FASTOPEN;
		o[n++] = (u8)(2 + s->tfo_len);
		if (s->tfo_len) /* 0: a cookie request, and no cookie to copy */
			memcpy(o + n, s->tfo_cookie, s->tfo_len);
		n += s->tfo_len;
		while (n & 3)
			o[n++] = TCPOPT_NOP;
	}
	return n; /* a multiple of 4 by construction */
}

/* B receives @s from A now (the frame runs through B's receive path). */
static void __tseg_inject(const struct tseg *s)
{
	static u8 seg[20 + 40 + 65536];
	struct tcphdr *th = (struct tcphdr *)(void *)seg;
	unsigned int hlen, len;
	u16 win = s->zero_window ? 0 : s->win ? s->win : 65535;

	cr_assert(le(u32, s->len, 65536));
	memset(seg, 0, 60);
	hlen = 20 + tseg_options(s, seg + 20);
	th->source = htons(s->sport);
	th->dest = htons(s->dport);
	th->seq = htonl(s->seq);
	th->ack_seq = htonl(s->ack);
	th->doff = (u16)(hlen / 4);
	seg[13] = s->flags;
	th->window = htons(win);
	if (s->len)
		memcpy(seg + hlen, s->data, s->len);
	len = hlen + s->len;
	th->check = csum_tcpudp_magic(p.a, p.b, len, IPPROTO_TCP, csum_partial(seg, len, 0));
	if (s->bad_csum)
		th->check ^= 0x0101; /* never the other zero (0 <-> 0xffff) */
	inject_ip(p.db, &(struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_TCP,
					   .tos = s->tos,
					   .payload = seg, .len = len });
}

/** tseg_inject - B receives @s from A now; the world runs until it settles. */
void tseg_inject(const struct tseg *s)
{
	__tseg_inject(s);
	world_run(&p.w);
}

/* Segments A sends later, while the test is inside a blocking call on B. */
static struct tseg_later {
	struct timer_list timer;
	struct tseg seg;
	bool armed;
} tseg_later[16];

static void tseg_later_fire(struct timer_list *t)
{
	struct tseg_later *l = (struct tseg_later *)(void *)t;

	l->armed = false;
	__tseg_inject(&l->seg);
}

/**
 * tseg_inject_at - B receives @s from A @delay from now, by B's own timer
 * (so a blocking call on B, driven by the world, sees it arrive).  @s's
 * payload must stay valid until then.
 */
void tseg_inject_at(ktime_t delay, const struct tseg *s)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(tseg_later); i++) {
		struct tseg_later *l = &tseg_later[i];

		if (l->armed)
			continue;
		l->seg = *s;
		l->armed = true;
		timer_setup(sb, &l->timer, tseg_later_fire);
		mod_timer(&l->timer, p.w.now + delay);
		return;
	}
	cr_fatal("tseg_inject_at: more than %zu segments scheduled", ARRAY_SIZE(tseg_later));
}

/* No scheduled segment may outlive its test (the timers are B's). */
static void tseg_later_cancel(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(tseg_later); i++) {
		if (tseg_later[i].armed)
			del_timer(&tseg_later[i].timer);
		tseg_later[i].armed = false;
	}
}

static u32 get32(const u8 *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

/* RFC 9293 §3.2 option list; a malformed one fails the test. */
static void tseg_parse_options(const u8 *o, unsigned int len, struct tseg_seen *s)
{
	while (len && o[0] != TCPOPT_EOL) {
		if (o[0] == TCPOPT_NOP) {
			o++;
			len--;
			continue;
		}
		cr_assert(ge(u32, len, 2), "option %u truncated", o[0]);
		cr_assert(ge(u8, o[1], 2), "option %u length %u", o[0], o[1]);
		cr_assert(le(u32, o[1], len), "option %u runs past the header", o[0]);
		switch (o[0]) {
		case TCPOPT_MSS:
			cr_assert(eq(u8, o[1], 4));
			s->mss = (u16)(o[2] << 8 | o[3]);
			break;
		case TCPOPT_WINDOW:
			cr_assert(eq(u8, o[1], 3));
			s->wscale = o[2];
			break;
		case TCPOPT_SACK_PERM:
			cr_assert(eq(u8, o[1], 2));
			s->sack_perm = true;
			break;
		case TCPOPT_TIMESTAMP:
			cr_assert(eq(u8, o[1], 10));
			s->ts = true;
			s->tsval = get32(o + 2);
			s->tsecr = get32(o + 6);
			break;
		case TCPOPT_SACK:
			cr_assert(eq(u32, (o[1] - 2u) % 8, 0));
			s->nsack = (o[1] - 2u) / 8;
			break;
		case TCPOPT_FASTOPEN:
			cr_assert(le(u8, o[1], 18));
			s->tfo_len = o[1] - 2;
			memcpy(s->tfo_cookie, o + 2, o[1] - 2u);
			break;
		}
		s->tfo_last = o[0] == TCPOPT_FASTOPEN;
		len -= o[1];
		o += o[1];
	}
}

/* Where B's payload is copied as it is seen (tseg_record). */
static struct {
	u8 *buf;
	u32 size, base;
} tseg_rec;

/**
 * tseg_record - from now on, every payload byte B sends with sequence
 * number base + i (i < @size) is copied to @buf[i], so a test can compare
 * what went on the wire with what was written, byte for byte (@buf NULL:
 * stop).
 */
void tseg_record(u8 *buf, u32 size, u32 base)
{
	tseg_rec.buf = buf;
	tseg_rec.size = size;
	tseg_rec.base = base;
}

static void tseg_record_payload(const struct tseg_seen *s, const u8 *data)
{
	for (u32 i = 0; tseg_rec.buf && i < s->len; i++) {
		u32 off = s->seq + (s->flags & TCPHDR_SYN ? 1 : 0) + i - tseg_rec.base;

		if (off < tseg_rec.size)
			tseg_rec.buf[off] = data[i];
	}
}

static bool tseg_parse(const struct sk_buff *f, struct tseg_seen *s)
{
	const u8 *ip = f->data + ETH_HLEN, *th;
	unsigned int ihl, tot, doff;

	if (f->len < ETH_HLEN + 20 || ip[9] != IPPROTO_TCP)
		return false;
	ihl = (ip[0] & 0xfu) * 4;
	tot = (unsigned int)(ip[2] << 8 | ip[3]);
	th = ip + ihl;
	doff = (th[12] >> 4) * 4u;
	cr_assert(le(u32, ETH_HLEN + tot, f->len), "IP length within the frame");
	cr_assert(ge(u32, doff, 20));
	cr_assert(le(u32, ihl + doff, tot));
	memset(s, 0, sizeof(*s));
	s->wscale = -1;
	s->tfo_len = -1;
	s->sport = (u16)(th[0] << 8 | th[1]);
	s->dport = (u16)(th[2] << 8 | th[3]);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	s->win = (u16)(th[14] << 8 | th[15]);
	s->len = tot - ihl - doff;
	s->ip_len = tot;
	s->tos = ip[1];
	s->frame_len = f->len - ETH_HLEN;
	tseg_parse_options(th + 20, doff - 20, s);
	tseg_record_payload(s, th + doff);
	return true;
}

/**
 * tseg_pop - the TCP segments B sent since the last call, oldest first,
 * at most @max of them into @out (the rest are counted, not kept); other
 * frames are dropped.  Return: how many TCP segments there were.
 */
unsigned int tseg_pop(struct tseg_seen *out, unsigned int max)
{
	struct tseg_seen s;
	struct sk_buff *f;
	unsigned int n = 0;

	while ((f = capture_pop(&tseg_cap)) != NULL) {
		if (tseg_parse(f, &s)) {
			if (n < max)
				out[n] = s;
			n++;
		}
		consume_skb(f); /* read, not dropped: no NOT_SPECIFIED drop */
	}
	return n;
}

/** tseg_expect_one - the one segment B answered with (fails on none or several). */
struct tseg_seen tseg_expect_one(void)
{
	struct tseg_seen s = { 0 };
	unsigned int n = tseg_pop(&s, 1);

	cr_assert(eq(u32, n, 1), "one segment in answer, not %u", n);
	return s;
}

/** tseg_expect_none - B sent no segment since the last look. */
void tseg_expect_none(void)
{
	struct tseg_seen s;
	unsigned int n = tseg_pop(&s, 1);

	cr_assert(eq(u32, n, 0), "no answer, but %u segment(s), the first flags %#x seq %u", n,
		  n ? s.flags : 0, n ? s.seq : 0);
}

struct tseg_find {
	u16 lport, rport;
	int state;
};

static void tseg_match(struct sock *sk, void *arg)
{
	struct tseg_find *f = arg;

	if (sk->sk_state != TCP_LISTEN && sk->sk_num == f->lport && ntohs(sk->sk_dport) == f->rport)
		f->state = sk->sk_state;
}

/**
 * tseg_state - the state of @st's connection from local port @lport to
 * @rport, or -1 once it is gone.  Safe for orphans (closed by their user,
 * freed when done), whose struct sock a test must not touch.
 */
int tseg_state(struct stack *st, u16 lport, u16 rport)
{
	struct tseg_find f = { lport, rport, -1 };

	tcp_for_each_sock(st, tseg_match, &f);
	return f.state;
}

/**
 * tseg_connect - B connects to A:@aport without blocking; @syn is the SYN
 * it sent (checked to be one).  Return: B's socket, in SYN_SENT.
 */
struct socket *tseg_connect(u16 aport, struct tseg_seen *syn)
{
	struct socket *s = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(aport) };

	sin.sin_addr.s_addr = p.a;
	cr_assert(eq(int, s->ops->connect(s, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
		     -EINPROGRESS));
	cr_assert(eq(int, s->sk->sk_state, TCP_SYN_SENT));
	*syn = tseg_expect_one();
	cr_assert(eq(u8, syn->flags, TCPHDR_SYN));
	return s;
}

/**
 * tseg_open - an active open of B to A:@aport, 10 ms of round trip, A's
 * SYN-ACK offering an MSS of 1460 and nothing else (no window scaling, so
 * windows read as they are; no SACK; no timestamps).  Fills @c, ESTABLISHED.
 */
void tseg_open(struct tseg_conn *c, u16 aport)
{
	struct tseg_seen syn, ack;

	c->s = tseg_connect(aport, &syn);
	c->aport = aport;
	c->bport = syn.sport;
	world_advance(&p.w, 10 * NSEC_PER_MSEC);
	tseg_inject(&(struct tseg){ .sport = aport, .dport = c->bport, .seq = TSEG_A_ISS,
				    .ack = syn.seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK,
				    .mss = 1460 });
	ack = tseg_expect_one();
	cr_assert(eq(u8, ack.flags, TCPHDR_ACK));
	cr_assert(eq(int, c->s->sk->sk_state, TCP_ESTABLISHED));
	c->snd = syn.seq + 1;
	c->rcv = TSEG_A_ISS + 1;
}

/** tseg_abort - close @s with SO_LINGER 0: a RST, and the connection is gone. */
void tseg_abort(struct socket *s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	cr_assert(eq(int, s->ops->setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0));
	sock_release(s);
}
