/*
 * notifier.h - notifier chains (include/linux/notifier.h): a layer that
 * keeps state about another layer's objects subscribes to its events instead
 * of being called by name, so the dependency points one way.
 *
 * Chains in skbos: netdev_chain (struct stack: device up, down, going away)
 * and inetaddr_chain (struct netns_ipv4: an IPv4 address added or removed;
 * routing and ARP subscribe, devinet.c only announces).
 *
 * Unlike Linux's NOTIFY_* codes, a callback returns 0 or -errno; the first
 * error stops the chain.  Subscribers run in the order they registered.
 */
#ifndef SKBOS_NOTIFIER_H
#define SKBOS_NOTIFIER_H

#include "list.h"

struct notifier_block {
	struct list_head list;
	int (*notifier_call)(struct notifier_block *nb, unsigned long action, void *data);
};

static inline void notifier_chain_register(struct list_head *chain, struct notifier_block *nb)
{
	list_add_tail(&nb->list, chain);
}

static inline void notifier_chain_unregister(struct notifier_block *nb)
{
	list_del_init(&nb->list);
}

/**
 * notifier_call_chain - tell every subscriber of @chain about @action on
 * @data, in registration order.  Return: 0, or the first error (the
 * subscribers after it are not called).
 */
static inline int notifier_call_chain(struct list_head *chain, unsigned long action, void *data)
{
	struct notifier_block *nb, *tmp;
	int err;

	list_for_each_entry_safe(nb, tmp, chain, list)
		if ((err = nb->notifier_call(nb, action, data)))
			return err;
	return 0;
}

/**
 * notifier_call_chain_robust - @val_up to every subscriber; if one fails,
 * @val_down to those that had already taken it, newest first, so nothing is
 * left half-done (Linux's notifier_call_chain_robust).  Return: 0 or the
 * error of the subscriber that failed.
 */
static inline int notifier_call_chain_robust(struct list_head *chain, unsigned long val_up,
					     unsigned long val_down, void *data)
{
	struct notifier_block *nb, *failed = NULL;
	int err = 0;

	list_for_each_entry(nb, chain, list) {
		if ((err = nb->notifier_call(nb, val_up, data))) {
			failed = nb;
			break;
		}
	}
	if (!failed)
		return 0;
	for (nb = list_prev_entry(failed, list); &nb->list != chain; nb = list_prev_entry(nb, list))
		nb->notifier_call(nb, val_down, data);
	return err;
}

#endif /* SKBOS_NOTIFIER_H */
