/*
 * dst.c - dst_entry reference counting (net/core/dst.c).  Route lookups
 * (route.c) create entries; every holder (an skb, a socket's cache, the
 * route cache) owns one reference, and the last release destroys it.
 */
#include "dst.h"

/** dst_release - drop a reference; the last one destroys the entry. */
void dst_release(struct dst_entry *dst)
{
	if (!dst)
		return;
	if (--dst->__refcnt == 0 && dst->ops && dst->ops->destroy)
		dst->ops->destroy(dst);
}
