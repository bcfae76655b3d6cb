/*
 * tseg.h - crafted TCP segments, in the spirit of packetdrill scripts: the
 * test plays host A by hand, injecting segments into B's device (as if A had
 * sent them), and reads back, field by field, what B's stack answered.
 *
 * tseg_silence_a() makes that a dialogue between the test and B alone: B
 * knows A's MAC for good (a permanent neighbour entry, so no ARP on the way
 * in any length of virtual time) and the wire drops everything B sends, so
 * A's stack never sees B's segments and never answers them (it would reset
 * connections it does not have).  The tcp_pair fixture (p, sa, sb) is used.
 */
#ifndef SKBOS_TEST_TSEG_H
#define SKBOS_TEST_TSEG_H

#include "tcp_pair.h"
#include "capture.h"

/**
 * struct tseg - a segment from A to B.  Zero fields are left out or get
 * defaults: window 65535 (zero_window for 0), no options, no payload.
 * @sport: A's port; @dport: B's port
 * @mss, @wscale, @sack_perm, @ts: options (a SYN's); @wscale is the shift
 *   plus one (0: no option), so a shift of 0 can be offered too
 * @ts: TSopt with @tsval, @tsecr (on any segment)
 * @sack: @nsack SACK blocks (RFC 2018 §3; with @ts at most 3)
 * @bad_csum: send it with a wrong TCP checksum
 */
struct tseg {
	u16 sport, dport;
	u32 seq, ack;
	u8 flags;
	u16 win;
	bool zero_window;
	u16 mss;
	u8 wscale;
	bool sack_perm;
	bool ts;
	u32 tsval, tsecr;
	unsigned int nsack;
	struct {
		u32 start, end;
	} sack[4];
	const void *data;
	unsigned int len;
	bool bad_csum;
	u8 tos;                 /* the IP TOS byte: its low two bits are ECN (RFC 3168 §5) */
	bool tfo;               /* a Fast Open option (RFC 7413 §4.1.1), last */
	u8 tfo_len;             /* its cookie's length: 0 requests one */
	const u8 *tfo_cookie;
};

/**
 * struct tseg_seen - a TCP segment B sent, parsed on its own (not with the
 * stack's parser, which is under test).
 * @win: the window field as on the wire (unscaled)
 * @mss: 0 if no MSS option; @wscale: -1 if no window scale option
 * @nsack: SACK blocks carried; @len: payload bytes
 */
struct tseg_seen {
	u16 sport, dport;
	u8 flags;
	u32 seq, ack;
	u16 win;
	u16 mss;
	int wscale;
	bool sack_perm;
	bool ts;
	u32 tsval, tsecr;
	unsigned int nsack;
	unsigned int len;
	int tfo_len;            /* Fast Open option's cookie length, -1: none */
	u8 tfo_cookie[16];
	bool tfo_last;          /* it was the last option */
	unsigned int ip_len;    /* the IP total length field */
	u8 tos;                 /* the IP TOS byte: ECT(0) is 2 (RFC 3168 §5) */
	unsigned int frame_len; /* the bytes after the Ethernet header */
};

/**
 * struct tseg_conn - a connection between B (under test) and A (the test):
 * @s: B's socket; @bport, @aport: the ports
 * @snd: the next sequence number B sends (its SND.NXT)
 * @rcv: the next sequence number A sends (B's RCV.NXT)
 */
struct tseg_conn {
	struct socket *s;
	u16 bport, aport;
	u32 snd, rcv;
};

#define TSEG_A_ISS 1000000u /* A's initial sequence number in every script */

/* What B sent, captured on its device (tseg_setup to tseg_teardown). */
extern struct capture tseg_cap;

void tseg_setup(void);
void tseg_teardown(void);
void tseg_silence_a(void);
void tseg_unsilence_a(void);
void tseg_inject(const struct tseg *s);
void tseg_record(u8 *buf, u32 size, u32 base);
void tseg_inject_at(ktime_t delay, const struct tseg *s);
unsigned int tseg_pop(struct tseg_seen *out, unsigned int max);
struct tseg_seen tseg_expect_one(void);
void tseg_expect_none(void);
int tseg_state(struct stack *st, u16 lport, u16 rport);
struct socket *tseg_connect(u16 aport, struct tseg_seen *syn);
void tseg_open(struct tseg_conn *c, u16 aport);
void tseg_abort(struct socket *s);

#endif /* SKBOS_TEST_TSEG_H */
