/*
 * impair.c - the impairment rules (impair.h).  Pure: given the state, a
 * frame and the time, it decides; moving frames is the caller's job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair.h"

#define ETH_HEADER_BYTES 14

/* splitmix64: small, fast, and every seed (0 included) gives a good stream. */
static u64 impair_rand(struct impair_state *s)
{
	u64 z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool impair_fires(struct impair_state *s, const struct impair_kind *k)
{
	if (k->every_nth && s->stats.frames % k->every_nth == 0)
		return true;
	return k->rate_ppm && impair_rand(s) % 1000000 < k->rate_ppm;
}

/* An Ethernet frame with an IPv4 header whose ECN field is ECT(0) or ECT(1). */
static bool impair_ect(const u8 *frame, u32 len)
{
	if (len < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00)
		return false;
	return (frame[15] & 3) == 1 || (frame[15] & 3) == 2;
}

/**
 * impair_mark_ce - set CE in @frame's IPv4 ECN field and recompute the
 * header checksum (a router's mark, RFC 3168 §5); @frame is one
 * impair_decide gave a ce verdict, so it is ECT IPv4 of @len bytes.
 */
void impair_mark_ce(u8 *frame, u32 len)
{
	u8 *ip = frame + 14;
	u32 ihl = (ip[0] & 0xfu) * 4, sum = 0, i;

	if (ihl < 20 || 14 + ihl > len)
		return;
	ip[1] |= 3;
	ip[10] = ip[11] = 0;
	for (i = 0; i < ihl; i += 2)
		sum += (u32)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (u8)(~sum >> 8);
	ip[11] = (u8)~sum;
}

/** impair_init - start a direction with @cfg (NULL: a perfect link). */
void impair_init(struct impair_state *s, const struct impair_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg)
		s->cfg = *cfg;
	if (!s->cfg.corrupt_from)
		s->cfg.corrupt_from = ETH_HEADER_BYTES;
	if (!s->cfg.reorder_hold)
		s->cfg.reorder_hold = NSEC_PER_MSEC;
	s->rng = s->cfg.seed;
}

/**
 * impair_decide - the fate of the next frame sent in this direction at @now.
 * Borrows @frame (read only, for the filter and the corruption range).
 */
void impair_decide(struct impair_state *s, const u8 *frame, u32 len, ktime_t now,
		   struct impair_verdict *v)
{
	const struct impair_config *c = &s->cfg;
	ktime_t start, tx_time = 0;

	memset(v, 0, sizeof(*v));
	v->copies = 1;
	s->stats.frames++;

	if ((c->filter && c->filter(c->filter_arg, frame, len, s->stats.frames)) ||
	    impair_fires(s, &c->drop)) {
		v->drop = true;
		s->stats.dropped++;
		return;
	}
	if (impair_fires(s, &c->corrupt) && len > c->corrupt_from) {
		v->corrupt = true;
		v->corrupt_at = c->corrupt_from + (u32)(impair_rand(s) % (len - c->corrupt_from));
		v->corrupt_mask = (u8)(1u << (impair_rand(s) % 8));
		s->stats.corrupted++;
	}
	if (impair_ect(frame, len) && impair_fires(s, &c->ce)) {
		v->ce = true;
		s->stats.ce_marked++;
	}
	if (impair_fires(s, &c->dup)) {
		v->copies = 2;
		s->stats.duplicated++;
	}
	if (impair_fires(s, &c->reorder)) {
		v->hold = true;
		s->stats.reordered++;
	}

	/* Serialisation: a frame starts when the link is free, takes len*8/rate. */
	start = now > s->busy_until ? now : s->busy_until;
	if (c->rate_bps) {
		tx_time = (ktime_t)len * 8 * NSEC_PER_SEC / c->rate_bps;
		s->busy_until = start + tx_time;
	}
	v->deliver_at = start + tx_time + c->delay;
	if (c->jitter)
		v->deliver_at += impair_rand(s) % c->jitter;
}

static int parse_kind(struct impair_kind *k, const char *val)
{
	char *end;
	double pct;

	if (val[0] == '/') {
		unsigned long n = strtoul(val + 1, &end, 10);

		if (*end || !n || n > UINT32_MAX)
			return -EINVAL;
		k->every_nth = (u32)n;
		return 0;
	}
	pct = strtod(val, &end);
	if (end == val || strcmp(end, "%") || pct < 0 || pct > 100)
		return -EINVAL;
	k->rate_ppm = (u32)(pct * 10000.0 + 0.5);
	return 0;
}

static int parse_time(ktime_t *t, const char *val)
{
	char *end;
	double v = strtod(val, &end);

	if (end == val || v < 0)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		*t = (ktime_t)(v * NSEC_PER_MSEC);
	else if (!strcmp(end, "us"))
		*t = (ktime_t)(v * NSEC_PER_USEC);
	else if (!strcmp(end, "s"))
		*t = (ktime_t)(v * NSEC_PER_SEC);
	else
		return -EINVAL;
	return 0;
}

static int parse_one(struct impair_config *cfg, const char *key, const char *val)
{
	char *end;

	if (!strcmp(key, "drop"))
		return parse_kind(&cfg->drop, val);
	if (!strcmp(key, "dup"))
		return parse_kind(&cfg->dup, val);
	if (!strcmp(key, "reorder"))
		return parse_kind(&cfg->reorder, val);
	if (!strcmp(key, "corrupt"))
		return parse_kind(&cfg->corrupt, val);
	if (!strcmp(key, "ce"))
		return parse_kind(&cfg->ce, val);
	if (!strcmp(key, "delay"))
		return parse_time(&cfg->delay, val);
	if (!strcmp(key, "jitter"))
		return parse_time(&cfg->jitter, val);
	if (!strcmp(key, "hold"))
		return parse_time(&cfg->reorder_hold, val);
	if (!strcmp(key, "seed")) {
		cfg->seed = strtoull(val, &end, 0);
		return *end ? -EINVAL : 0;
	}
	if (!strcmp(key, "rate")) {
		double v = strtod(val, &end);

		if (end == val || v <= 0)
			return -EINVAL;
		if (!strcmp(end, "gbit"))
			v *= 1e9;
		else if (!strcmp(end, "mbit"))
			v *= 1e6;
		else if (!strcmp(end, "kbit"))
			v *= 1e3;
		else if (strcmp(end, "bit"))
			return -EINVAL;
		cfg->rate_bps = (u64)v;
		return 0;
	}
	return -EINVAL;
}

/**
 * impair_parse - read rules from "drop=1%,dup=/50,reorder=2%,corrupt=0.1%,ce=5%,
 * delay=5ms,jitter=1ms,rate=100mbit,seed=7".  A rate is a percentage; "/N"
 * means every Nth frame.  Return: 0, or -EINVAL at the first bad item (and
 * @cfg is left partly filled).
 */
int impair_parse(struct impair_config *cfg, const char *spec)
{
	char buf[512], *save = NULL, *item;

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		if (parse_one(cfg, item, eq + 1))
			return -EINVAL;
	}
	return 0;
}
