/*
 * pcap.c - the pcap tap (pcap.h), through libpcap's dump API so that the
 * file format is libpcap's own: pcap_open_dead(DLT_EN10MB) gives a handle
 * that only describes the link type; pcap_dump_open/pcap_dump write.
 *
 * Timestamps: wall-clock time, as tcpdump shows, when the stack runs on the
 * real clock; the stack's own clock when a test drives time by hand, so that
 * a capture of a simulated run is the same file every run.
 */
#include <stdio_ext.h>
#include <stdlib.h>
#include <time.h>
#include <pcap/pcap.h>

#include "alloc.h"
#include "pcap.h"
#include "netdevice.h"
#include "skbuff.h"
#include "stack.h"
#include "log.h"

#define SKB_PCAP_SNAPLEN 65535

/**
 * struct skb_pcap - an open capture.
 * @pt: the ETH_P_ALL tap
 * @frames: frames written so far
 */
struct skb_pcap {
	struct packet_type pt;
	struct stack *st;
	pcap_t *pd;
	pcap_dumper_t *dumper;
	u64 frames;
};

static void skb_pcap_stamp(const struct stack *st, struct timeval *tv)
{
	struct timespec ts;
	ktime_t t;

	if (st->clock_manual) {
		t = stack_now(st);
		ts.tv_sec = (time_t)(t / NSEC_PER_SEC);
		ts.tv_nsec = (long)(t % NSEC_PER_SEC);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
	}
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}

/* The tap: consumes @skb, whose data starts at the Ethernet header. */
static int skb_pcap_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct skb_pcap *pc = container_of(pt, struct skb_pcap, pt);
	struct pcap_pkthdr h;

	(void)dev;
	skb_pcap_stamp(pc->st, &h.ts);
	h.len = skb->len;
	h.caplen = min_t(u32, skb->len, SKB_PCAP_SNAPLEN);
	pcap_dump((u_char *)pc->dumper, &h, skb->data);
	pc->frames++;
	consume_skb(skb);
	return 0;
}

/**
 * skb_pcap_open_dev - start writing every frame of @dev (NULL: of every
 * device of @st) to a new pcap file at @path (truncated if it exists).
 * Return: the capture, or ERR_PTR(-ENOMEM / -EIO: libpcap could not open
 * the file; the reason is logged).
 */
struct skb_pcap *skb_pcap_open_dev(struct stack *st, struct net_device *dev, const char *path)
{
	struct skb_pcap *pc = kzalloc(st->failslab, sizeof(*pc));

	if (!pc)
		return ERR_PTR(-ENOMEM);
	pc->st = st;
	pc->pd = pcap_open_dead(DLT_EN10MB, SKB_PCAP_SNAPLEN);
	if (!pc->pd) {
		kfree(st->failslab, pc);
		return ERR_PTR(-ENOMEM);
	}
	pc->dumper = pcap_dump_open(pc->pd, path);
	if (!pc->dumper) {
		skb_log(st, LOG_ERROR, "pcap: %s: %s", path, pcap_geterr(pc->pd));
		pcap_close(pc->pd);
		kfree(st->failslab, pc);
		return ERR_PTR(-EIO);
	}
	pc->pt.type = ETH_P_ALL;
	pc->pt.dev = dev;
	pc->pt.func = skb_pcap_rcv;
	dev_add_pack(st, &pc->pt);
	return pc;
}

/**
 * skb_pcap_open - skb_pcap_open_dev() for every device of @st: the
 * SKBOS_PCAP capture.  Return: the capture or ERR_PTR.
 */
struct skb_pcap *skb_pcap_open(struct stack *st, const char *path)
{
	return skb_pcap_open_dev(st, NULL, path);
}

/** skb_pcap_flush - push buffered frames to the file (for a live reader). */
void skb_pcap_flush(struct skb_pcap *pc)
{
	pcap_dump_flush(pc->dumper);
}

/** skb_pcap_frames - how many frames the capture has written. */
u64 skb_pcap_frames(const struct skb_pcap *pc)
{
	return pc->frames;
}

/** skb_pcap_close - remove the tap, flush and close the file.  NULL is a no-op. */
void skb_pcap_close(struct skb_pcap *pc)
{
	if (IS_ERR_OR_NULL(pc))
		return;
	dev_remove_pack(pc->st, &pc->pt);
	pcap_dump_close(pc->dumper);
	pcap_close(pc->pd);
	kfree(pc->st->failslab, pc);
}

/**
 * skb_pcap_forget_after_fork - in a child of fork: what the parent had
 * buffered is the parent's to write; drop the child's copy so that its
 * exit(3) does not write it a second time.
 */
void skb_pcap_forget_after_fork(struct skb_pcap *pc)
{
	if (!IS_ERR_OR_NULL(pc))
		__fpurge(pcap_dump_file(pc->dumper));
}
