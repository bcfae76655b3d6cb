/*
 * test_fuzz_regress.c - what the fuzzers found stays fixed.
 *
 * Every input in fuzz/regress/fuzz_input/ once crashed, hung or leaked in
 * fuzz/fuzz_input.c; each is replayed here through the same scenario
 * (fuzz/netfeed.h), which asserts that nothing is left at the end.  So are
 * the seeds of fuzz/corpus/fuzz_input/, which keeps the scenario and the
 * seeds in step with the stack.  Focused tests name the behaviour each
 * finding was about.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "netfeed.h"
#include "capture.h"
#include "eth.h"
#include "socks.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC

static char *read_input(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert(buf != NULL);
	cr_assert(eq(sz, fread(buf, 1, (size_t)n, fp), (size_t)n));
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/*
 * Every datagram B sent: its IP header (hence TCP's, UDP's) is 4-byte aligned,
 * as the header structs need (UBSan flags a misaligned access; the plain
 * build would not notice).
 */
static void check_tx_alignment(struct capture *cap)
{
	struct sk_buff *skb;

	while ((skb = capture_pop(cap)) != NULL) {
		const struct ethhdr *eth = (const struct ethhdr *)(const void *)skb->data;

		if (eth->h_proto == htons(ETH_P_IP))
			cr_assert(eq(u64, ((uintptr_t)skb->data + ETH_HLEN) % 4, 0),
				  "misaligned datagram of %u bytes", skb->len);
		consume_skb(skb);
	}
}

/* Like netfeed_run(), watching what B sends. */
static void replay(const char *dir, const char *name)
{
	static struct netfeed f;
	const char *srcdir = getenv("srcdir");
	struct capture cap;
	char path[1024];
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/fuzz/%s/%s", srcdir ? srcdir : "..", dir, name);
	buf = read_input(path, &len);
	cr_log_info("replaying %s (%zu bytes)", path, len);
	netfeed_setup(&f);
	capture_attach(&cap, f.sb, f.p.db, CAPTURE_TX);
	netfeed_input(&f, (const u8 *)buf, len);
	check_tx_alignment(&cap);
	capture_detach(&cap);
	netfeed_teardown(&f);
	free(buf);
}

static void replay_dir(const char *dir)
{
	const char *srcdir = getenv("srcdir");
	char path[1024];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/fuzz/%s", srcdir ? srcdir : "..", dir);
	d = opendir(path);
	cr_assert(d != NULL, "cannot open %s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		replay(dir, de->d_name);
		n++;
	}
	closedir(d);
	cr_assert(gt(int, n, 0), "no inputs in %s", path);
}

TestSuite(fuzz_regress, .timeout = 120);

Test(fuzz_regress, seed_corpus_replays_clean)
{
	replay_dir("corpus/fuzz_input");
}

Test(fuzz_regress, every_past_finding_replays_clean)
{
	replay_dir("regress/fuzz_input");
}

/*
 * Forged data on a live connection: the receiver is ahead of the real
 * sender, each answers the other's ACK with an ACK (out of window / acking
 * unsent data).  Rate limiting (RFC 5961 §7) ends the exchange.
 */
Test(fuzz_regress, forged_data_does_not_start_an_ack_war)
{
	replay("regress/fuzz_input", "ack-war-after-forged-data");
}

/*
 * The peer offers a window smaller than one segment and never answers: the
 * persist timer fires forever without sending.  A closed socket must give
 * up (tcp_orphan_retries) instead of living on.
 */
Test(fuzz_regress, orphan_facing_a_window_below_one_segment_dies)
{
	replay("regress/fuzz_input", "orphan-with-window-below-mss-never-dies");
}

/*
 * send() in CLOSE_WAIT with a full send buffer: the wait for buffer space
 * woke at once on "state is not ESTABLISHED" and the loop never ended.
 */
Test(fuzz_regress, send_in_close_wait_with_a_full_buffer_returns_eagain)
{
	struct inet_pair p;
	struct socket *l, *c, *s;
	static u8 buf[65536];
	int rc = 0;

	inet_pair_setup(&p);
	l = t_socket(p.w.st[1], SOCK_STREAM, 0);
	cr_assert(eq(int, t_bind(l, 0, 80), 0));
	cr_assert(eq(int, l->ops->listen(l, 4), 0));
	c = t_socket(p.w.st[0], SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(c, p.b, 80), 0));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(eq(int, c->ops->shutdown(c, SHUT_WR), 0));
	world_run(&p.w);
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE_WAIT));
	/* c never reads: its window closes, then s's send buffer fills */
	for (int i = 0; i < 1000 && rc != -EAGAIN; i++) {
		rc = t_send(s, buf, sizeof(buf), MSG_DONTWAIT);
		cr_assert(rc > 0 || rc == -EAGAIN, "send: %d", rc);
		world_advance(&p.w, 10 * MS);
	}
	cr_assert(eq(int, rc, -EAGAIN));
	sock_release(s);
	sock_release(c);
	sock_release(l);
	world_advance(&p.w, 1800 * NSEC_PER_SEC);
	cr_assert(eq(u32, tcp_socket_count(p.w.st[0]) + tcp_socket_count(p.w.st[1]), 0));
	world_assert_no_leaks(&p.w);
	inet_pair_teardown(&p);
}

/*
 * A retransmission after the peer acknowledged an odd number of its bytes:
 * the acknowledged head was pulled off, the data started at an odd address
 * and the TCP and IP headers pushed in front of it were misaligned.
 */
Test(fuzz_regress, retransmission_after_an_odd_partial_ack_is_aligned)
{
	replay("regress/fuzz_input", "retransmit-after-odd-partial-ack-misaligns-headers");
}
