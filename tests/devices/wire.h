/*
 * wire.h - an in-memory Ethernet cable between two devices, usually of two
 * stacks in one process (tests).  Each direction applies impair.h's rules.
 *
 * A frame sent on one end is copied into an skb of the other end's stack
 * (each stack owns its memory), queued with its arrival time, and handed to
 * eth_rx() by that end's poll or by a timer on that end's stack when it is
 * due.  Nothing is delivered re-entrantly from inside a transmit, so a test
 * drives both stacks like a discrete-event simulation.
 */
#ifndef SKBOS_WIRE_H
#define SKBOS_WIRE_H

#include "impair.h"

struct stack;
struct net_device;
struct wire;

struct wire *wire_create(struct stack *a, const char *name_a, const u8 *mac_a,
			 struct stack *b, const char *name_b, const u8 *mac_b);
void wire_destroy(struct wire *w);
struct net_device *wire_dev(struct wire *w, int end);
void wire_set_impair(struct wire *w, int from_end, const struct impair_config *cfg);
const struct impair_stats *wire_impair_stats(const struct wire *w, int from_end);
unsigned int wire_in_flight(const struct wire *w, int to_end);

#endif /* SKBOS_WIRE_H */
