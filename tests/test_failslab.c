/*
 * test_failslab.c - every allocation of a scenario made to fail, one at a
 * time (picoTCP's pico_set_mm_failure, Linux's failslab; alloc.h).
 *
 * Each scenario runs first with fault injection counting only: it must
 * complete and free everything, and the count is its N.  Then for
 * n = 1 .. N it runs again with the n-th allocation failing, once and then
 * persistently (it and every later one).  Each time:
 *  - nothing crashes and no loop runs away (the world's bounds);
 *  - a call that fails, fails only because an allocation did, with Linux's
 *    errno for that call;
 *  - a frame lost to a failed allocation is counted as a drop;
 *  - with a single failure, TCP still delivers every byte exactly (it is
 *    one lost segment: retransmission repairs it);
 *  - at teardown every allocated object is freed (fs.live == 0, counted on
 *    the scenarios' own switch; under the ASan build LeakSanitizer checks
 *    the same from outside).
 */
#include <dlfcn.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <stdio.h>

#include "alloc.h"
#include "inet.h"
#include "socks.h"
#include "tcp.h"

/* The scenarios' stacks share this switch, so its count covers both. */
static struct failslab fs;

/* One run of a scenario under one fault-injection setting. */
struct run {
	u64 nth;        /* 0: counting run */
	bool persist;
};

/* Where the failed allocation was, as an offset addr2line -e takes. */
static void *site(void)
{
	Dl_info info;

	if (fs.site && dladdr(fs.site, &info))
		return (void *)((char *)fs.site - (char *)info.dli_fbase);
	return fs.site;
}

static u64 drop_total(const struct inet_pair *net)
{
	u64 sum = 0;

	for (int i = 0; i < net->w.n; i++)
		for (int r = 0; r < SKB_DROP_REASON_MAX; r++)
			sum += net->w.st[i]->drops[r];
	return sum;
}

/*
 * check_call - @rc of @what: success, or (only after an injected failure)
 * one of the errnos Linux gives for that call.  Return: true to go on.
 */
static bool check_call(struct run *r, long rc, const char *what, int e1, int e2, int e3)
{
	if (rc >= 0)
		return true;
	cr_assert(fs.failed > 0, "nth %llu: %s failed (%ld) with no allocation failed",
		  (unsigned long long)r->nth, what, rc);
	cr_assert(rc == -e1 || rc == -e2 || rc == -e3,
		  "nth %llu%s (at %p): %s returned %ld, Linux returns %d, %d or %d",
		  (unsigned long long)r->nth, r->persist ? "+" : "", site(), what, rc, e1, e2, e3);
	return false;
}

static struct socket *open_socket(struct run *r, struct stack *st, int type)
{
	struct socket *s = NULL;

	/* Linux: sock_alloc() failing is ENFILE, sk_alloc() ENOBUFS. */
	if (!check_call(r, sock_create(st, AF_INET, type, 0, &s), "socket", ENFILE, ENOBUFS, ENOBUFS))
		return NULL;
	return s;
}

/* The end of every scenario: let timers run out, then free it all. */
static void finish(struct inet_pair *net)
{
	if (net->w.n)
		world_advance(&net->w, 121 * NSEC_PER_SEC); /* TIME_WAIT, orphans, ARP */
	inet_pair_teardown(net);
}

/* ---- scenarios ------------------------------------------------------------ */

/* Two stacks, a wire, two addresses: everything a stack allocates to exist. */
static void sc_stack_init(struct run *r)
{
	struct inet_pair net;

	check_call(r, inet_pair_build(&net, &fs), "stack setup", ENOMEM, ENOBUFS, ENOBUFS);
	finish(&net);
}

/*
 * UDP: a small datagram, one of 4000 bytes (three fragments, reassembled
 * on B) and another small one, A to B.  The first needs ARP.  Each datagram
 * sendto accepted either arrives intact or a drop is counted.
 */
static void sc_udp(struct run *r)
{
	static const unsigned int sizes[] = { 100, 4000, 100 };
	struct socket *a = NULL, *b = NULL;
	struct inet_pair net;
	u8 out[4000], in[4100];
	unsigned int sent = 0, got = 0;
	u64 drops0;

	if (!check_call(r, inet_pair_build(&net, &fs), "stack setup", ENOMEM, ENOBUFS, ENOBUFS))
		goto out;
	drops0 = drop_total(&net);
	if (!(a = open_socket(r, net.w.st[0], SOCK_DGRAM)) || !(b = open_socket(r, net.w.st[1], SOCK_DGRAM)))
		goto out;
	cr_assert(eq(int, t_bind(b, 0, 7), 0));
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		int rc;

		fill(out, sizes[i], 0);
		rc = t_sendto(a, out, sizes[i], 0, net.b, 7);
		/* Linux: an skb or route that cannot be had is ENOBUFS; a
		 * neighbour that cannot be created EINVAL (ip_finish_output2);
		 * a fragment ENOMEM (ip_do_fragment); later losses are
		 * counted, not reported (no IP_RECVERR). */
		if (check_call(r, rc, "sendto", ENOBUFS, EINVAL, ENOMEM)) {
			cr_assert(eq(int, rc, (int)sizes[i]));
			sent++;
		}
		world_advance_ms(&net.w, 2000); /* ARP retries if its request was lost */
		while ((rc = t_recvfrom(b, in, sizeof(in), MSG_DONTWAIT, NULL, NULL)) > 0) {
			fill(out, (size_t)rc, 0);
			cr_assert(rc == 100 || rc == 4000, "datagram of %d bytes", rc);
			cr_assert(eq(int, memcmp(in, out, (size_t)rc), 0), "datagram altered");
			got++;
		}
		cr_assert(eq(int, rc, -EAGAIN));
	}
	if (!r->nth)
		cr_assert(eq(u32, got, ARRAY_SIZE(sizes)), "counting run lost a datagram");
	if (got < sent)
		cr_assert(gt(u64, drop_total(&net), drops0),
			  "nth %llu: %u datagrams lost, no drop counted", (unsigned long long)r->nth,
			  sent - got);
out:
	sock_release(a);
	sock_release(b);
	finish(&net);
}

#define TCP_BYTES (96 * 1024)

/* Nonblocking connect; the world turns until it is decided. */
static bool tcp_connect_nb(struct run *r, struct inet_pair *net, struct socket *c)
{
	int rc = t_connect_flags(c, net->b, 80, O_NONBLOCK);

	/* Linux: no skb for the SYN (tcp_connect) or no route is ENOBUFS. */
	if (rc != -EINPROGRESS && !check_call(r, rc, "connect", ENOBUFS, ENOBUFS, ENOBUFS))
		return false;
	for (int i = 0; i < 400 && c->sk->sk_state == TCP_SYN_SENT; i++)
		world_advance_ms(&net->w, 500);
	if (c->sk->sk_state == TCP_ESTABLISHED)
		return true;
	cr_assert(r->persist, "nth %llu (at %p): a single failed allocation broke the handshake (state %d)",
		  (unsigned long long)r->nth, site(), c->sk->sk_state);
	return false;
}

static bool tcp_accept_retry(struct run *r, struct inet_pair *net, struct socket *l,
			     struct socket **srv)
{
	for (int i = 0; i < 20; i++) {
		int rc = sock_accept(l, srv, O_NONBLOCK);

		if (!rc)
			return true;
		/* Linux: accept's sock_alloc() failing is ENFILE; the connection stays queued. */
		if (rc != -EAGAIN) {
			check_call(r, rc, "accept", ENFILE, ENFILE, ENFILE);
			if (r->persist)
				return false;
		}
		world_advance_ms(&net->w, 500);
	}
	cr_assert(r->persist, "nth %llu: accept never got the connection", (unsigned long long)r->nth);
	return false;
}

/*
 * TCP: listen on B, connect from A, accept, TCP_BYTES from A to B with
 * nonblocking calls while time runs, close both.  With one failed
 * allocation every byte must arrive, in order, and both ends must close.
 */
static void sc_tcp(struct run *r)
{
	static u8 out[TCP_BYTES], in[TCP_BYTES + 1];
	struct socket *l = NULL, *c = NULL, *s = NULL;
	struct inet_pair net;
	size_t sent = 0, got = 0;
	bool eof = false;

	if (!check_call(r, inet_pair_build(&net, &fs), "stack setup", ENOMEM, ENOBUFS, ENOBUFS))
		goto out;
	if (!(l = open_socket(r, net.w.st[1], SOCK_STREAM)))
		goto out;
	cr_assert(eq(int, t_bind(l, 0, 80), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	if (!(c = open_socket(r, net.w.st[0], SOCK_STREAM)) || !tcp_connect_nb(r, &net, c) ||
	    !tcp_accept_retry(r, &net, l, &s))
		goto out;
	fill(out, sizeof(out), 0);
	for (int i = 0; i < 2000 && !eof; i++) {
		int rc;

		if (sent < sizeof(out)) {
			rc = t_send(c, out + sent, sizeof(out) - sent, MSG_DONTWAIT);
			/* Linux: no memory for a segment waits for it: EAGAIN when nonblocking. */
			if (rc != -EAGAIN && !check_call(r, rc, "send", EAGAIN, EAGAIN, EAGAIN))
				break;
			if (rc > 0 && (sent += (size_t)rc) == sizeof(out))
				c->ops->shutdown(c, SHUT_WR);
		}
		world_advance_ms(&net.w, 50);
		while ((rc = t_recv(s, in + got, sizeof(in) - got, MSG_DONTWAIT)) > 0)
			got += (size_t)rc;
		eof = rc == 0;
		if (rc < 0 && rc != -EAGAIN)
			break;
	}
	if (!r->persist) {
		cr_assert(eof, "nth %llu: the stream did not end (%zu of %zu bytes sent, %zu received)",
			  (unsigned long long)r->nth, sent, sizeof(out), got);
		cr_assert(eq(sz, got, sizeof(out)));
		cr_assert(eq(int, memcmp(in, out, sizeof(out)), 0), "stream altered");
	}
out:
	sock_release(s);
	sock_release(c);
	sock_release(l);
	if (net.w.n == 2 && !r->persist) {
		world_advance(&net.w, 121 * NSEC_PER_SEC);
		cr_assert(eq(u32, tcp_socket_count(net.w.st[0]) + tcp_socket_count(net.w.st[1]), 0),
			  "nth %llu: connections left", (unsigned long long)r->nth);
	}
	finish(&net);
}

/* ---- the driver ----------------------------------------------------------- */

/* The distinct code addresses whose allocation was made to fail (report). */
static void *sites[512];
static unsigned int nsites;

static void note_site(void *at)
{
	for (unsigned int i = 0; i < nsites; i++)
		if (sites[i] == at)
			return;
	if (nsites < ARRAY_SIZE(sites))
		sites[nsites++] = at;
}

static void run_once(void (*scenario)(struct run *), u64 nth, bool persist)
{
	struct run r = { .nth = nth, .persist = persist };

	failslab_arm(&fs, nth, persist);
	scenario(&r);
	failslab_disarm(&fs);
	if (fs.site)
		note_site(fs.site);
	cr_assert(eq(long, fs.live, 0), "nth %llu%s: %ld objects not freed",
		  (unsigned long long)nth, persist ? "+" : "", fs.live);
	if (nth && nth <= fs.count)
		cr_assert(ge(u64, fs.failed, 1));
}

/*
 * Every allocation once, then every allocation persistently.  A scenario
 * whose N is large is sampled with a stride, always including the first
 * and last allocations; the count is printed for the record.
 */
static void fail_each(const char *name, void (*scenario)(struct run *))
{
	u64 n, stride;

	run_once(scenario, 0, false);
	n = fs.count;
	cr_assert(gt(u64, n, 0));
	stride = n > 3000 ? n / 3000 + 1 : 1;
	fprintf(stderr, "failslab: %s: N = %llu allocations, stride %llu\n", name,
		(unsigned long long)n, (unsigned long long)stride);
	nsites = 0;
	for (u64 i = 1; i <= n; i += stride) {
		run_once(scenario, i, false);
		run_once(scenario, i, true);
	}
	run_once(scenario, n, false);
	fprintf(stderr, "failslab: %s: failures injected at %u distinct call sites\n", name, nsites);
}

Test(failslab, stack_init)
{
	fail_each("stack_init", sc_stack_init);
}

Test(failslab, udp_fragments_and_arp)
{
	fail_each("udp", sc_udp);
}

Test(failslab, tcp_connect_transfer_close)
{
	fail_each("tcp", sc_tcp);
}
