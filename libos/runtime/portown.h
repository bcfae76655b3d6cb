/*
 * portown.h - the port-ownership table shared by the skbos processes on one
 * interface address (portown.c; DESIGN.md "fork/exec and many processes").
 */
#ifndef SKBOS_PORTOWN_H
#define SKBOS_PORTOWN_H

#include <stdio.h>
#include "types.h"
#include "portshare.h"

#define PORTOWN_SLOTS 254 /* processes on one address */

struct portown;

/**
 * struct portown_view - what a packet filter needs: owner[proto][port] is
 * 0 (nobody) or a slot + 1; sel[v] says whether ports of owner value v are
 * listed (the caller's own slot for an ordinary process; the live other
 * processes' slots for the default responder).
 */
#define PORTOWN_STEER_MAX 4  /* listener groups a process's filter steers */
#define PORTOWN_STEER_EXC 128 /* connections it lists beside the hash */

/**
 * struct portown_steer - the TCP flows of listener group @port this
 * process's filter lets in: every SYN (the stack picks, po_syn_mine), the
 * flows whose hash picks member @k of the @n live ones (-1: none, a
 * dormant parent), and its own connections the hash gives another member
 * now (@exc: made under an older member set).  @all: more of those than
 * a filter lists: the whole port, as without steering.
 */
struct portown_steer {
	u16 port;
	u8 n;
	s16 k;
	bool all;
	u16 nexc;
	struct {
		__be32 saddr;
		__be16 sport;
	} exc[PORTOWN_STEER_EXC];
};

struct portown_view {
	const u8 *owner[2]; /* [0] TCP, [1] UDP */
	bool sel[256]; /* by owner value, PO_GROUP (255) included */
	bool responder;
	int nsteer;
	struct portown_steer steer[PORTOWN_STEER_MAX];
};

struct portown *portown_open(const char *dir, int ifindex, __be32 addr, int fd, int log_level,
			     char *err, size_t errlen);
int portown_reopen(const struct portown *po);
void portown_dir(const struct portown *po, char *buf, size_t len);
void portown_set_notify(struct portown *po, void (*fn)(void *arg), void *arg);
const struct port_share *portown_share(struct portown *po);
void portown_view(struct portown *po, struct portown_view *v);
void portown_view_conn(struct portown *po, struct portown_view *v, u16 port, __be32 saddr,
		       __be16 sport);
u32 portown_hash(__be32 saddr, __be16 sport);
void portown_tick(struct portown *po);
bool portown_is_responder(const struct portown *po);
void portown_close(struct portown *po);
void portown_leave(struct portown *po);
void portown_fork_parent(struct portown *po);
bool portown_dormant(const struct portown *po);
void portown_forget_after_fork(struct portown *po);
int portown_report(const char *dir, int ifindex, __be32 addr, FILE *out);

#endif /* SKBOS_PORTOWN_H */
