/*
 * skbos-node - bring an skbos stack up on an interface and serve ARP and
 * ICMP, so the kernel (or anyone) can ping it; optionally ping from it.
 *
 *   skbos-node --if veth0 --addr 10.1.0.2/24 [--gw G] [--mac M] [--mtu N]
 *              [--pcap FILE] [--log LEVEL] [--duration SEC]
 *              [--ping A.B.C.D [--count N] [--size N] [--interval MS] [--timeout MS]]
 *              [--stats]
 *
 * Options become the SKBOS_* variables and go through the same checks as
 * the environment (config.c).  Exit status: 0; 1 if pings were lost; 2 on
 * a bad option, a failed start, or a wrong reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checksum.h"
#include "icmp.h"
#include "instance.h"
#include "inetdevice.h"
#include "loop.h"
#include "ping.h"
#include "skbuff.h"
#include "stack.h"

struct ping_opts {
	const char *target;
	unsigned int count, size, interval_ms, timeout_ms;
};

static void usage(FILE *f)
{
	fputs("usage: skbos-node --if IF --addr A.B.C.D/N [--gw A.B.C.D] [--addr6 ADDR6/N]\n"
	      "                  [--gw6 ADDR6] [--mac MAC] [--mtu N]\n"
	      "                  [--pcap FILE] [--log error|warn|info|debug] [--duration SEC]\n"
	      "                  [--ping A.B.C.D [--count N] [--size N] [--interval MS] [--timeout MS]]\n"
	      "                  [--stats]\n",
	      f);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static u8 pattern(unsigned int seq, unsigned int i)
{
	return (u8)(seq * 7 + i * 13 + 1);
}

/* Wait for the reply to @seq.  Return: 1 good, 0 none in time, -1 wrong, -2 error. */
static int await_reply(struct skbos_instance *in, struct ping_sock *ps, unsigned int seq,
		       const struct ping_opts *o, int *err)
{
	double deadline = now_ms() + o->timeout_ms;

	while (now_ms() < deadline) {
		struct sk_buff *skb;

		loop_lock(in->loop);
		*err = ping_sock_error(ps);
		skb = ping_recv(ps);
		loop_unlock(in->loop);
		if (*err)
			return -2;
		if (!skb) {
			sleep_ms(1);
			continue;
		}
		bool ok = skb->len == o->size + 8 && ip_compute_csum(skb->data, skb->len) == 0;

		for (unsigned int i = 0; ok && i < o->size; i++)
			ok = skb->data[8 + i] == pattern(seq, i);
		unsigned int got = ntohs(icmp_hdr(skb)->un.echo.sequence);
		loop_lock(in->loop);
		consume_skb(skb);
		loop_unlock(in->loop);
		if (got != (seq & 0xffff))
			continue; /* a late reply to an earlier request */
		return ok ? 1 : -1;
	}
	return 0;
}

static int run_pings(struct skbos_instance *in, const struct ping_opts *o)
{
	static u8 data[65507];
	struct ping_sock ps;
	unsigned int received = 0, wrong = 0, errors = 0;
	__be32 daddr;
	int rc;

	if (inet_pton4(o->target, &daddr, NULL)) {
		fprintf(stderr, "skbos-node: --ping %s: expected A.B.C.D\n", o->target);
		return 2;
	}
	loop_lock(in->loop);
	rc = ping_open(in->st, &ps, (u16)(getpid() & 0xffff));
	loop_unlock(in->loop);
	if (rc) {
		fprintf(stderr, "skbos-node: ping: %s\n", strerror(-rc));
		return 2;
	}
	printf("PING %s %u data bytes\n", o->target, o->size);
	for (unsigned int seq = 1; seq <= o->count; seq++) {
		double t0 = now_ms();
		int err = 0;

		for (unsigned int i = 0; i < o->size; i++)
			data[i] = pattern(seq, i);
		loop_lock(in->loop);
		rc = ping_send(&ps, daddr, (u16)seq, data, o->size);
		loop_unlock(in->loop);
		loop_kick(in->loop); /* flush the batched transmit now */
		if (rc) {
			printf("ping: sendmsg: %s\n", strerror(-rc));
			errors++;
		} else {
			rc = await_reply(in, &ps, seq, o, &err);
			if (rc == 1) {
				received++;
				printf("%u bytes from %s: icmp_seq=%u time=%.3f ms\n", o->size + 8, o->target,
				       seq, now_ms() - t0);
			} else if (rc == -1) {
				wrong++;
				printf("icmp_seq=%u: WRONG reply data\n", seq);
			} else if (rc == -2) {
				errors++;
				printf("From %s icmp_seq=%u %s\n", o->target, seq, strerror(err));
			}
		}
		if (o->interval_ms && seq < o->count)
			sleep_ms(o->interval_ms);
	}
	printf("--- %s ping statistics ---\n%u packets transmitted, %u received, %u wrong, %u errors, "
	       "%.1f%% packet loss\n",
	       o->target, o->count, received, wrong, errors,
	       o->count ? 100.0 * (o->count - received) / o->count : 0.0);
	loop_lock(in->loop);
	ping_close(&ps);
	loop_unlock(in->loop);
	return wrong ? 2 : received == o->count ? 0 : 1;
}

/* Serve until SIGINT/SIGTERM or @duration seconds (0: until a signal). */
static void serve(unsigned int duration)
{
	sigset_t set;
	struct timespec ts = { duration ? (time_t)duration : 365L * 86400, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	while (sigtimedwait(&set, NULL, &ts) < 0 && errno == EINTR)
		;
}

static int parse_uint_opt(const char *name, const char *v, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || n > max) {
		fprintf(stderr, "skbos-node: --%s %s: expected a number up to %u\n", name, v, max);
		return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "if", 1, 0, 'i' },     { "addr", 1, 0, 'a' },     { "gw", 1, 0, 'g' },
		{ "mac", 1, 0, 'm' },    { "mtu", 1, 0, 'M' },      { "pcap", 1, 0, 'p' },
		{ "log", 1, 0, 'l' },    { "duration", 1, 0, 'd' }, { "ping", 1, 0, 'P' },
		{ "count", 1, 0, 'c' },  { "size", 1, 0, 's' },     { "interval", 1, 0, 'I' },
		{ "timeout", 1, 0, 't' }, { "stats", 0, 0, 'S' },   { "help", 0, 0, 'h' },
		{ "addr6", 1, 0, 'A' },  { "gw6", 1, 0, 'G' },
		{ 0, 0, 0, 0 },
	};
	static const char *const envs[] = { ['i'] = "SKBOS_IF", ['a'] = "SKBOS_ADDR", ['g'] = "SKBOS_GW",
					    ['m'] = "SKBOS_MAC", ['M'] = "SKBOS_MTU", ['p'] = "SKBOS_PCAP",
					    ['l'] = "SKBOS_LOG", ['A'] = "SKBOS_ADDR6", ['G'] = "SKBOS_GW6" };
	struct ping_opts po = { .count = 5, .size = 56, .interval_ms = 200, .timeout_ms = 1000 };
	unsigned int duration = 0;
	bool stats = false;
	struct skbos_config cfg;
	struct skbos_instance *in;
	char err[256];
	sigset_t set;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': case 'a': case 'g': case 'm': case 'M': case 'p': case 'l': case 'A': case 'G':
			setenv(envs[c], optarg, 1);
			break;
		case 'd': rc = parse_uint_opt("duration", optarg, 86400, &duration); break;
		case 'P': po.target = optarg; break;
		case 'c': rc = parse_uint_opt("count", optarg, 1000000, &po.count); break;
		case 's': rc = parse_uint_opt("size", optarg, 65507, &po.size); break;
		case 'I': rc = parse_uint_opt("interval", optarg, 60000, &po.interval_ms); break;
		case 't': rc = parse_uint_opt("timeout", optarg, 60000, &po.timeout_ms); break;
		case 'S': stats = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (rc)
			return 2;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (skbos_config_from_env(&cfg, err, sizeof(err))) {
		fprintf(stderr, "skbos-node: %s\n", err);
		return 2;
	}
	if (!cfg.have_if) {
		fprintf(stderr, "skbos-node: --if (or SKBOS_IF) is required\n");
		return 2;
	}
	/* Signals go to sigtimedwait in this thread, never to the stack thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (skbos_instance_create(&in, &cfg, err, sizeof(err))) {
		fprintf(stderr, "skbos-node: %s\n", err);
		return 2;
	}
	printf("skbos-node: %s up on %s\n", getenv("SKBOS_ADDR"), cfg.ifname);
	if (po.target)
		rc = run_pings(in, &po);
	if (!po.target || duration)
		serve(duration);
	if (stats)
		skbos_instance_dump_stats(in, stdout);
	skbos_instance_destroy(in);
	return rc;
}
