/*
 * tcp_cong.c - congestion control algorithms behind tcp_congestion_ops
 * (net/ipv4/tcp_cong.c, tcp_cubic.c); TCP_CONGESTION selects one.
 *
 * Reno: RFC 5681 §3.1 (slow start, congestion avoidance, halve on loss).
 * CUBIC: RFC 9438 (Linux's default): the window grows as a cubic function
 * of the time since the last reduction, centred on the window before it
 * (W_max), with a Reno-friendly floor (§4.3) and fast convergence (§4.7).
 * Windows are in segments, as Linux counts them.
 */
#include <math.h>

#include "tcp.h"
#include "stack.h"

/* ---- Reno ---------------------------------------------------------------------- */

static void reno_init(struct tcp_sock *tp)
{
	tp->snd_cwnd_cnt = 0;
}

/* RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2*SMSS). */
static u32 reno_ssthresh(struct tcp_sock *tp)
{
	return tp->snd_cwnd / 2 > 2 ? tp->snd_cwnd / 2 : 2;
}

static void reno_cong_avoid(struct tcp_sock *tp, u32 acked)
{
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		/* slow start: one segment per segment acknowledged (RFC 5681 eq. 2) */
		tp->snd_cwnd += acked;
		if (tp->snd_cwnd > tp->snd_ssthresh)
			tp->snd_cwnd = tp->snd_ssthresh;
		return;
	}
	/* congestion avoidance: one segment per window (RFC 5681 eq. 3) */
	tp->snd_cwnd_cnt += acked;
	if (tp->snd_cwnd_cnt >= tp->snd_cwnd) {
		tp->snd_cwnd_cnt -= tp->snd_cwnd;
		tp->snd_cwnd++;
	}
}

const struct tcp_congestion_ops tcp_reno = {
	.name = "reno",
	.init = reno_init,
	.ssthresh = reno_ssthresh,
	.cong_avoid = reno_cong_avoid,
};

/* ---- CUBIC (RFC 9438) ---------------------------------------------------------------- */

#define CUBIC_C 0.4    /* §5.1 */
#define CUBIC_BETA 0.7 /* §4.6 */

struct cubic {
	double w_max;    /* window before the last reduction */
	double k;        /* seconds to climb back to w_max (§4.2 eq. 2) */
	double w_est;    /* the Reno-friendly estimate (§4.3) */
	double frac;     /* fractional growth carried between ACKs */
	ktime_t epoch;   /* start of the current congestion-avoidance epoch, 0: none */
};

static struct cubic *cubic_of(struct tcp_sock *tp)
{
	_Static_assert(sizeof(struct cubic) <= sizeof(tp->ca_priv), "ca_priv too small");
	return (struct cubic *)(void *)tp->ca_priv;
}

static void cubic_init(struct tcp_sock *tp)
{
	struct cubic *c = cubic_of(tp);

	c->w_max = 0;
	c->k = 0;
	c->w_est = 0;
	c->frac = 0;
	c->epoch = 0;
}

static u32 cubic_ssthresh(struct tcp_sock *tp)
{
	struct cubic *c = cubic_of(tp);
	double cwnd = tp->snd_cwnd, ss;

	/* §4.7 fast convergence: give up more bandwidth while others grow */
	c->w_max = cwnd < c->w_max ? cwnd * (1.0 + CUBIC_BETA) / 2.0 : cwnd;
	c->epoch = 0;
	ss = cwnd * CUBIC_BETA;
	return ss > 2 ? (u32)ss : 2;
}

static void cubic_cong_avoid(struct tcp_sock *tp, u32 acked)
{
	struct cubic *c = cubic_of(tp);
	struct stack *st = tp->inet.sk.sk_stack;
	double cwnd = tp->snd_cwnd, t, target, alpha;

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		reno_cong_avoid(tp, acked); /* slow start is Reno's (§4.10) */
		return;
	}
	if (!c->epoch) {
		c->epoch = stack_now(st);
		if (c->w_max <= cwnd) {
			c->k = 0;
			c->w_max = cwnd;
		} else {
			c->k = cbrt((c->w_max - cwnd) / CUBIC_C);
		}
		c->w_est = cwnd;
	}
	/* §4.2: W_cubic(t + RTT) */
	t = (double)(stack_now(st) - c->epoch + tp->srtt) / 1e9;
	target = CUBIC_C * (t - c->k) * (t - c->k) * (t - c->k) + c->w_max;
	/* §4.3: never slower than Reno would be */
	alpha = 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
	c->w_est += alpha * acked / cwnd;
	if (c->w_est > target)
		target = c->w_est;
	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd; /* §4.4: at most cwnd/2 more per RTT */
	c->frac += target > cwnd ? acked * (target - cwnd) / cwnd : acked / (100.0 * cwnd);
	while (c->frac >= 1.0) {
		tp->snd_cwnd++;
		c->frac -= 1.0;
	}
}

const struct tcp_congestion_ops tcp_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
};
