/*
 * sockaux.c - what the shim keeps per skbos socket beside the core's
 * struct socket: the setsockopts that succeeded (replayed on the kernel
 * socket of a handover, and on a listener a forked child makes again) and
 * the IPv6 facade mark.  A hash by socket address: most sockets have no
 * entry, and with no facade at all no call looks one up.  Stack lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "call.h"

#define AUX_BUCKETS 256
static struct sockaux *aux_table[AUX_BUCKETS];
static unsigned int nr_facades; /* none: no call looks a socket up */

static struct sockaux **aux_slot(const struct socket *sock)
{
	uintptr_t h = (uintptr_t)sock;

	return &aux_table[(h >> 4 ^ h >> 12) % AUX_BUCKETS];
}

struct sockaux *aux_find(const struct socket *sock, bool create)
{
	struct sockaux **slot = aux_slot(sock), *a;

	for (a = *slot; a; a = a->next)
		if (a->sock == sock)
			return a;
	if (!create || !(a = calloc(1, sizeof(*a))))
		return NULL;
	a->sock = (struct socket *)sock;
	a->tail = &a->opts;
	a->next = *slot;
	*slot = a;
	return a;
}

void aux_free(const struct socket *sock)
{
	struct sockaux **p = aux_slot(sock), *a;

	for (; *p; p = &(*p)->next) {
		if ((*p)->sock != sock)
			continue;
		a = *p;
		*p = a->next;
		nr_facades -= a->inet6;
		while (a->opts) {
			struct optrec *o = a->opts;

			a->opts = o->next;
			free(o);
		}
		free(a);
		return;
	}
}

void aux_record_opt(struct socket *sock, int level, int name, const void *val, socklen_t len)
{
	struct sockaux *a = aux_find(sock, true);
	struct optrec *o;

	if (!a || len > 4096 || !(o = malloc(sizeof(*o) + len)))
		return;
	o->next = NULL;
	o->level = level;
	o->name = name;
	o->len = len;
	if (len)
		memcpy(o->val, val, len);
	*a->tail = o;
	a->tail = &o->next;
}

/* Mark @sock an IPv6 facade.  Return: 0 or -ENOMEM. */
int sock_set_inet6(struct socket *sock)
{
	struct sockaux *a = aux_find(sock, true);

	if (!a)
		return -ENOMEM;
	nr_facades += !a->inet6;
	a->inet6 = true;
	return 0;
}

bool sock_is_inet6(const struct socket *sock)
{
	const struct sockaux *a;

	if (likely(!nr_facades))
		return false;
	a = aux_find(sock, false);
	return a && a->inet6;
}

/*
 * The int value of the last successful setsockopt(@level, @name), or NULL.
 * A shorter value reads as 0, as do_ipv6_setsockopt reads it.
 */
const int *aux_last_opt(const struct socket *sock, int level, int name)
{
	static const int zero;
	const struct sockaux *a = aux_find(sock, false);
	const int *v = NULL;

	for (const struct optrec *o = a ? a->opts : NULL; o; o = o->next)
		if (o->level == level && o->name == name)
			v = o->len >= sizeof(int) ? (const int *)(const void *)o->val : &zero;
	return v;
}
