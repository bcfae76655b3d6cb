/*
 * impair - a userspace cable with loss, duplication, reordering, corruption,
 * delay and rate limits, for tests against the real kernel (this kernel has
 * no netem).  It runs in a middle network namespace between two veth pairs:
 *
 *   ns A [a0] <--veth--> [m0] impair [m1] <--veth--> [b0] ns B
 *
 * and forwards every frame between m0 and m1 through tests/devices/impair.c's rules,
 * the same code the in-memory wire uses, so "drop=1%,seed=7" means the same
 * thing in a two-stack test and here.  Deterministic for a given seed and
 * traffic.  tests/tools/impair-net.sh builds the topology.
 *
 *   impair --a m0 --b m1 [--ab SPEC] [--ba SPEC] [--seed N] [--duration S]
 *          [--ready FILE] [--queue N]
 *
 * SPEC is impair_parse()'s syntax ("drop=10%,dup=/50,reorder=2%,corrupt=1%,ce=5%,
 * delay=5ms,jitter=1ms,rate=100mbit,hold=1ms,seed=7").  The cable stops
 * after --duration seconds (default 60) or on SIGTERM/SIGINT, and prints its
 * counters per direction on stdout.
 *
 * Frames are forwarded as they are: offloads must be off on the end veths
 * (impair-net.sh does it) so that frames are MTU-sized and carry finished
 * checksums, or corruption could not be detected at the far end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "impair.h"

#define FRAME_MAX 65536
#define RX_BATCH 64

/* A frame waiting for its time to arrive at the far end. */
struct qframe {
	struct qframe *next;
	ktime_t at;
	u32 len;
	u8 data[];
};

/**
 * struct direction - one way through the cable.
 * @in/@out: the sockets frames come from and go to
 * @q: frames in flight, sorted by arrival time (FIFO among equal times)
 * @held: a frame held back to be overtaken (reorder), and until when
 */
struct direction {
	const char *name;
	int in, out;
	struct impair_state rules;
	struct qframe *q;
	u32 qlen;
	struct qframe *held;
	ktime_t held_until;
	u64 delivered;
	u64 send_errors;
	u64 overflow;
};

static volatile sig_atomic_t stop;
static u32 queue_max = 100000;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static ktime_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ktime_t)ts.tv_sec * NSEC_PER_SEC + (ktime_t)ts.tv_nsec;
}

static int open_port(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int buf = 8 << 20;

	if (fd < 0)
		return -1;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	mr.mr_ifindex = sll.sll_ifindex;
	/* Our own transmissions would otherwise come back as input. */
	if (!sll.sll_ifindex ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		fprintf(stderr, "impair: %s: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	return fd;
}

static void enqueue(struct direction *d, struct qframe *f)
{
	struct qframe **pp = &d->q;

	while (*pp && (*pp)->at <= f->at)
		pp = &(*pp)->next;
	f->next = *pp;
	*pp = f;
	d->qlen++;
}

static void send_frame(struct direction *d, struct qframe *f)
{
	if (send(d->out, f->data, f->len, 0) == (ssize_t)f->len)
		d->delivered++;
	else
		d->send_errors++;
	free(f);
}

/* Deliver what is due; release a held frame whose wait is over. */
static void deliver_due(struct direction *d, ktime_t now)
{
	if (d->held && d->held_until <= now) {
		d->held->at = now;
		enqueue(d, d->held);
		d->held = NULL;
	}
	while (d->q && d->q->at <= now) {
		struct qframe *f = d->q;

		d->q = f->next;
		d->qlen--;
		send_frame(d, f);
	}
}

static struct qframe *frame_copy(const u8 *data, u32 len, ktime_t at)
{
	struct qframe *f = malloc(sizeof(*f) + len);

	if (f) {
		memcpy(f->data, data, len);
		f->len = len;
		f->at = at;
		f->next = NULL;
	}
	return f;
}

/* The rules decide one frame's fate, as tests/devices/wire.c applies them. */
static void forward(struct direction *d, const u8 *data, u32 len, ktime_t now)
{
	struct impair_verdict v;

	impair_decide(&d->rules, data, len, now, &v);
	if (v.drop)
		return;
	for (int i = 0; i < v.copies; i++) {
		struct qframe *f;

		if (d->qlen >= queue_max) {
			d->overflow++;
			break;
		}
		f = frame_copy(data, len, v.deliver_at);
		if (!f)
			break;
		if (v.corrupt && i == 0)
			f->data[v.corrupt_at] ^= v.corrupt_mask;
		if (v.ce)
			impair_mark_ce(f->data, f->len);
		if (v.hold && i == 0 && !d->held) {
			d->held = f;
			d->held_until = v.deliver_at + d->rules.cfg.reorder_hold;
			continue;
		}
		enqueue(d, f);
	}
	/* A held frame goes right after the first frame that overtakes it. */
	if (d->held && !v.hold) {
		d->held->at = v.deliver_at;
		enqueue(d, d->held);
		d->held = NULL;
	}
}

static void receive(struct direction *d, u8 *buf)
{
	for (int i = 0; i < RX_BATCH; i++) {
		ssize_t n = recv(d->in, buf, FRAME_MAX, MSG_DONTWAIT);

		if (n <= 0)
			return;
		forward(d, buf, (u32)n, mono_now());
	}
}

static ktime_t next_event(const struct direction *d, ktime_t next)
{
	if (d->q && d->q->at < next)
		next = d->q->at;
	if (d->held && d->held_until < next)
		next = d->held_until;
	return next;
}

static void print_counters(const struct direction *d)
{
	const struct impair_stats *s = &d->rules.stats;

	printf("%s: frames=%llu dropped=%llu duplicated=%llu reordered=%llu corrupted=%llu "
	       "ce_marked=%llu delivered=%llu overflow=%llu send_errors=%llu\n",
	       d->name, (unsigned long long)s->frames, (unsigned long long)s->dropped,
	       (unsigned long long)s->duplicated, (unsigned long long)s->reordered,
	       (unsigned long long)s->corrupted, (unsigned long long)s->ce_marked,
	       (unsigned long long)d->delivered,
	       (unsigned long long)d->overflow, (unsigned long long)d->send_errors);
}

static void flush_all(struct direction *d)
{
	/* Frames still in flight at the end are delivered now, not lost. */
	if (d->held) {
		enqueue(d, d->held);
		d->held = NULL;
	}
	deliver_due(d, KTIME_MAX);
}

static int run(struct direction dir[2], ktime_t end)
{
	static u8 buf[FRAME_MAX];
	struct pollfd pfd[2] = {
		{ .fd = dir[0].in, .events = POLLIN },
		{ .fd = dir[1].in, .events = POLLIN },
	};

	while (!stop) {
		ktime_t now = mono_now(), next = end;
		int timeout;

		if (now >= end)
			break;
		for (int i = 0; i < 2; i++) {
			deliver_due(&dir[i], now);
			next = next_event(&dir[i], next);
		}
		/* poll() counts in ms: round up, so a due frame is never early. */
		timeout = next <= now ? 0 : (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		if (timeout > 100)
			timeout = 100;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < 2; i++)
			if (pfd[i].revents & POLLIN)
				receive(&dir[i], buf);
	}
	for (int i = 0; i < 2; i++)
		flush_all(&dir[i]);
	return 0;
}

static int parse_dir(struct direction *d, const char *spec, u64 seed)
{
	struct impair_config cfg = { .seed = seed };

	if (spec && impair_parse(&cfg, spec)) {
		fprintf(stderr, "impair: bad rule spec for %s: %s\n", d->name, spec);
		return -1;
	}
	impair_init(&d->rules, &cfg);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: impair --a IF --b IF [--ab SPEC] [--ba SPEC] [--seed N] "
			"[--duration SECONDS] [--ready FILE] [--queue FRAMES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "a", required_argument, NULL, 'a' },   { "b", required_argument, NULL, 'b' },
		{ "ab", required_argument, NULL, 'x' },  { "ba", required_argument, NULL, 'y' },
		{ "seed", required_argument, NULL, 's' }, { "duration", required_argument, NULL, 'd' },
		{ "ready", required_argument, NULL, 'r' }, { "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *if_a = NULL, *if_b = NULL, *ab = NULL, *ba = NULL, *ready = NULL;
	struct direction dir[2] = { { .name = "ab" }, { .name = "ba" } };
	double duration = 60;
	u64 seed = 1;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': if_a = optarg; break;
		case 'b': if_b = optarg; break;
		case 'x': ab = optarg; break;
		case 'y': ba = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'd': duration = strtod(optarg, NULL); break;
		case 'r': ready = optarg; break;
		case 'q': queue_max = (u32)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!if_a || !if_b || duration <= 0)
		usage();
	/* Each direction its own stream: the default seeds differ. */
	if (parse_dir(&dir[0], ab, seed) || parse_dir(&dir[1], ba, seed + 1))
		return 2;
	dir[0].in = dir[1].out = open_port(if_a);
	dir[1].in = dir[0].out = open_port(if_b);
	if (dir[0].in < 0 || dir[1].in < 0)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	ret = run(dir, mono_now() + (ktime_t)(duration * (double)NSEC_PER_SEC));
	print_counters(&dir[0]);
	print_counters(&dir[1]);
	close(dir[0].in);
	close(dir[1].in);
	return ret;
}
