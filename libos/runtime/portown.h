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
struct portown_view {
	const u8 *owner[2]; /* [0] TCP, [1] UDP */
	bool sel[256]; /* by owner value, PO_GROUP (255) included */
	bool responder;
};

struct portown *portown_open(const char *dir, int ifindex, __be32 addr, int fd, int log_level,
			     char *err, size_t errlen);
int portown_reopen(const struct portown *po);
void portown_dir(const struct portown *po, char *buf, size_t len);
void portown_set_notify(struct portown *po, void (*fn)(void *arg), void *arg);
const struct port_share *portown_share(struct portown *po);
void portown_view(struct portown *po, struct portown_view *v);
void portown_tick(struct portown *po);
bool portown_is_responder(const struct portown *po);
void portown_close(struct portown *po);
void portown_leave(struct portown *po);
void portown_fork_parent(struct portown *po);
bool portown_dormant(const struct portown *po);
void portown_forget_after_fork(struct portown *po);
int portown_report(const char *dir, int ifindex, __be32 addr, FILE *out);

#endif /* SKBOS_PORTOWN_H */
