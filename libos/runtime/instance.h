/*
 * instance.h - one running skbos in a process: the stack, its devices and
 * the stack thread, built from a struct skbos_config.  The native API
 * (skbos_init) and the commands in preload/ both start skbos through here.
 */
#ifndef SKBOS_INSTANCE_H
#define SKBOS_INSTANCE_H

#include <stdbool.h>
#include <stdio.h>
#include "skbos_config.h"
#include "ctl.h"
#include "timer.h"
#include "alloc.h"

struct stack;
struct skbos_loop;
struct net_device;
struct skb_pcap;
struct portown;
struct portown_view;

struct skbos_instance {
	struct skbos_config cfg;
	struct stack *st;
	struct skbos_loop *loop;
	struct net_device *dev; /* the AF_PACKET device, or NULL */
	struct net_device *lo;  /* the in-process loopback, or NULL */
	struct skb_pcap *pcap;
	struct skbos_ctl ctl;    /* skbos-stat's control socket */
	struct portown *po;      /* the address's port table (instance_share.c), or NULL */
	struct timer_list share_tick;
	int chan_epfd;           /* the shim's inherited-connection channels, or -1 */
	struct failslab failslab; /* SKBOS_FAILNTH: its stack's fault injection (alloc.h) */
};

/* Called on the stack thread (stack lock not held) when a channel the shim
 * put in chan_epfd is ready; set once, before the first instance starts. */
void skbos_instance_set_channel(void (*cb)(struct skbos_instance *in));

int skbos_instance_create(struct skbos_instance **out, const struct skbos_config *cfg,
			  char *err, size_t errlen);
void skbos_instance_destroy(struct skbos_instance *inst);
void skbos_instance_drain(struct skbos_instance *inst, int max_ms);

/* How long an ending process waits for TCP to deliver what it was given. */
#define SKBOS_EXIT_DRAIN_MS 10000
void skbos_instance_dump_stats(struct skbos_instance *inst, FILE *out);
void skbos_instance_exiting(struct skbos_instance *inst);
void skbos_instance_leave(struct skbos_instance *inst);
void skbos_instance_forget_after_fork(struct skbos_instance *inst);
void skbos_instance_fork_parent(struct skbos_instance *inst);
bool skbos_instance_dormant(const struct skbos_instance *inst);

/* instance_share.c */
int instance_share_open(struct skbos_instance *in, struct portown_view *view, char *err,
			size_t errlen);
void instance_share_start(struct skbos_instance *in);
void instance_share_leave(struct skbos_instance *in);
void instance_share_close(struct skbos_instance *in);
int instance_fd_still(bool have, int fd, unsigned long ino);
void instance_preopen_after_fork(const struct skbos_instance *old, struct skbos_config *cfg);

#endif /* SKBOS_INSTANCE_H */
