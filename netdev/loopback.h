/*
 * loopback.h - the in-process loopback device (loopback.c).
 */
#ifndef SKBOS_LOOPBACK_H
#define SKBOS_LOOPBACK_H

struct stack;
struct net_device;

struct net_device *loopback_create(struct stack *st);
unsigned int loopback_backlog_len(const struct net_device *dev);

#endif /* SKBOS_LOOPBACK_H */
