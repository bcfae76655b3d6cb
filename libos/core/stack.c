/*
 * stack.c - creating and destroying a stack instance, and the receive pass
 * that polls its devices.  See stack.h.
 */
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "alloc.h"
#include "stack.h"
#include "skbuff.h"
#include "netdevice.h"
#include "log.h"

static void stack_families_exit(struct stack *st, unsigned int n)
{
	while (n--)
		st->families[n]->pernet.exit(st);
}

/*
 * Every family of the table, in order (Linux's init calls, per stack).  One
 * that fails is taken down with those before it, newest first.
 */
static int stack_families_init(struct stack *st)
{
	for (unsigned int i = 0; st->families && st->families[i]; i++) {
		int err = st->families[i]->pernet.init(st);

		if (err) {
			stack_families_exit(st, i + 1);
			return err;
		}
	}
	return 0;
}

/** stack_family - the family @family of @st's table (sock_create), or NULL. */
const struct net_proto_family *stack_family(const struct stack *st, int family)
{
	for (unsigned int i = 0; st->families && st->families[i]; i++)
		if (st->families[i]->family == family)
			return st->families[i];
	return NULL;
}

/**
 * stack_new - a stack with the families of @p, no devices, Linux's default
 * tunables and a real clock (tests switch to a manual one).
 * Return: the stack or NULL.
 */
struct stack *stack_new(const struct stack_params *p)
{
	struct stack *st = kzalloc(p->failslab, sizeof(*st));

	if (!st)
		return NULL;
	st->families = p->families;
	st->failslab = p->failslab;
	st->log_level = p->log_level;
	sysctl_init(&st->sysctl);
	INIT_LIST_HEAD(&st->dev_list);
	INIT_LIST_HEAD(&st->ptype_all);
	INIT_LIST_HEAD(&st->ptype_base);
	INIT_LIST_HEAD(&st->netdev_chain);
	skb_pools_init(st);
	if (getrandom(&st->rand_state, sizeof(st->rand_state), GRND_NONBLOCK) != sizeof(st->rand_state))
		st->rand_state = (u64)time(NULL) ^ (u64)(uintptr_t)st;
	if (stack_families_init(st)) {
		skb_pools_destroy(st);
		kfree(p->failslab, st);
		return NULL;
	}
	return st;
}

/**
 * stack_free - unregister and free every device, then the stack.  Every skb
 * must have been freed first: a leak is reported, not hidden.
 * Return: the skbs plus data buffers still in use once the devices and the
 * protocols have let go of theirs: 0, or the leak (a test asserts it).
 */
long stack_free(struct stack *st)
{
	struct net_device *dev, *tmp;
	unsigned int n;
	long leaked;

	if (!st)
		return 0;
	list_for_each_entry_safe(dev, tmp, &st->dev_list, dev_list) {
		unregister_netdev(dev);
		free_netdev(dev);
	}
	for (n = 0; st->families && st->families[n]; n++)
		;
	stack_families_exit(st, n);
	leaked = st->skb_in_use + st->data_in_use;
	if (leaked)
		skb_log(st, LOG_ERROR, "stack freed with %ld skbs and %ld data buffers in use",
			st->skb_in_use, st->data_in_use);
	skb_pools_destroy(st);
	kfree(st->failslab, st);
	return leaked;
}

/**
 * stack_poll - one receive pass: let every device hand up to @budget frames
 * to the stack.  Return: the number of frames handled.
 */
int stack_poll(struct stack *st, int budget)
{
	struct net_device *dev, *tmp;
	int done = 0;

	list_for_each_entry_safe(dev, tmp, &st->dev_list, dev_list) {
		if (!(dev->flags & IFF_UP) || !dev->netdev_ops->ndo_poll)
			continue;
		done += dev->netdev_ops->ndo_poll(dev, budget);
	}
	return done;
}

/**
 * stack_rx_pending - busy polling: whether a device has completions to hand
 * up (ndo_rx_pending).  Safe without the stack lock: the device list only
 * changes at setup and teardown, and the op reads only the kernel's ring.
 */
bool stack_rx_pending(const struct stack *st)
{
	const struct net_device *dev;

	list_for_each_entry(dev, &st->dev_list, dev_list)
		if (dev->netdev_ops->ndo_rx_pending && dev->netdev_ops->ndo_rx_pending(dev))
			return true;
	return false;
}

/**
 * stack_xmit_flush - the end of a stack pass: every device that batches
 * transmits submits what it holds.
 */
void stack_xmit_flush(struct stack *st)
{
	struct net_device *dev;

	list_for_each_entry(dev, &st->dev_list, dev_list)
		if ((dev->flags & IFF_UP) && dev->netdev_ops->ndo_xmit_flush)
			dev->netdev_ops->ndo_xmit_flush(dev);
}

/**
 * stack_rand - the stack's pseudo-random numbers (splitmix64), seeded from
 * getrandom() at creation; tests may set rand_state for repeatable runs.
 * Not for secrets that must resist prediction (the ISN key uses its own).
 */
u32 stack_rand(struct stack *st)
{
	u64 z = (st->rand_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (u32)((z ^ (z >> 31)) >> 16);
}
