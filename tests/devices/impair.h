/*
 * impair.h - link impairment rules: drop, duplicate, reorder, corrupt, delay,
 * rate.  One implementation, used by tests/devices/wire.c (two stacks in one process)
 * and by tests/tools/impair (a userspace cable between network namespaces),
 * so a scenario means the same thing on both.
 *
 * Each kind fires either on every Nth frame (counting frames in one direction
 * from 1) or at random with a rate in parts per million from a seeded
 * generator: the same seed and traffic give the same verdicts, run after run.
 */
#ifndef SKBOS_IMPAIR_H
#define SKBOS_IMPAIR_H

#include "types.h"

/** struct impair_kind - when one impairment fires: every_nth, or rate_ppm. */
struct impair_kind {
	u32 every_nth;
	u32 rate_ppm;
};

/**
 * struct impair_config - the rules of one direction of a link.
 * @corrupt_from: first byte offset corruption may hit (default: past the
 *	Ethernet header, so the frame still reaches the stack and its
 *	checksums must catch it)
 * @delay/@jitter: one-way delay plus a uniform random extra in [0, jitter)
 * @rate_bps: serialisation rate (0: unlimited); frames queue behind each other
 * @reorder_hold: how long a held-back frame waits for a successor to overtake it
 * @ce: set CE (RFC 3168 §5) on an ECN-capable IPv4 frame, as a router's AQM
 *	would; not-ECT frames never count for it (impair_mark_ce)
 * @filter: optional: return true to drop frame number @index (1-based); for
 *	tests that must lose one precise segment
 */
struct impair_config {
	u64 seed;
	struct impair_kind drop;
	struct impair_kind dup;
	struct impair_kind reorder;
	struct impair_kind corrupt;
	struct impair_kind ce;
	u32 corrupt_from;
	ktime_t delay;
	ktime_t jitter;
	u64 rate_bps;
	ktime_t reorder_hold;
	bool (*filter)(void *arg, const u8 *frame, u32 len, u64 index);
	void *filter_arg;
};

struct impair_stats {
	u64 frames;
	u64 dropped;
	u64 duplicated;
	u64 reordered;
	u64 corrupted;
	u64 ce_marked;
};

struct impair_state {
	struct impair_config cfg;
	struct impair_stats stats;
	u64 rng;
	ktime_t busy_until;
};

/**
 * struct impair_verdict - what happens to one frame.
 * @drop: lose it (nothing else applies)
 * @copies: 1, or 2 when duplicated
 * @hold: deliver it after the next frame in this direction (reordered)
 * @corrupt_at/@corrupt_mask: flip these bits of this byte (when @corrupt)
 * @deliver_at: when it arrives at the far end
 */
struct impair_verdict {
	bool drop;
	bool hold;
	bool corrupt;
	bool ce;           /* mark CE: impair_mark_ce */
	int copies;
	u32 corrupt_at;
	u8 corrupt_mask;
	ktime_t deliver_at;
};

void impair_init(struct impair_state *s, const struct impair_config *cfg);
void impair_decide(struct impair_state *s, const u8 *frame, u32 len, ktime_t now,
		   struct impair_verdict *v);
int impair_parse(struct impair_config *cfg, const char *spec);
void impair_mark_ce(u8 *frame, u32 len);

#endif /* SKBOS_IMPAIR_H */
