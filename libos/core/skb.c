/*
 * skb.c - sk_buff allocation, freeing, cloning and copying (net/core/skbuff.c).
 *
 * Read first: skbuff.h (the layout) and ../shared/seeds/000 (clone vs copy,
 * dataref).  Everything here runs under the stack lock.
 *
 * Memory: sk_buff structs and data buffers come from per-stack free lists,
 * data in a few size classes, so steady-state traffic never calls malloc.
 * Each list is capped, so a burst does not pin memory forever.  A buffer on a
 * free list is poisoned for ASan/valgrind (poison.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "skbuff.h"
#include "stack.h"
#include "netdevice.h"
#include "dst.h"
#include "log.h"
#include "poison.h"

/*
 * Size classes: a small control packet; an MTU frame or an MSS segment with
 * MAX_TCP_HEADER headroom; a jumbo; a large datagram; a 64 KiB GSO super-frame
 * plus headers.  Each is the whole buffer, skb_shared_info included.
 */
static const u32 skb_pool_size[SKB_POOL_CLASSES] = { 512, 2048, 4096, 16384, 69632 };
static const u32 skb_pool_max_free[SKB_POOL_CLASSES] = { 4096, 4096, 1024, 256, 64 };

#define SHINFO_SIZE SKB_DATA_ALIGN(sizeof(struct skb_shared_info))

void skb_pools_init(struct stack *st)
{
	for (int i = 0; i < SKB_POOL_CLASSES; i++) {
		st->pools[i].free = NULL;
		st->pools[i].nfree = 0;
		st->pools[i].size = skb_pool_size[i];
		st->pools[i].max_free = skb_pool_max_free[i];
	}
}

void skb_pools_destroy(struct stack *st)
{
	for (int i = 0; i < SKB_POOL_CLASSES; i++) {
		struct skb_pool *p = &st->pools[i];

		while (p->free) {
			void *buf = p->free;

			p->free = *(void **)buf; /* the link, before unpoison undefines it */
			skb_unpoison(buf, p->size);
			kfree(st->failslab, buf);
		}
		p->nfree = 0;
	}
	while (st->skb_free) {
		struct sk_buff *skb = st->skb_free;

		st->skb_free = skb->next;
		skb_unpoison(skb, sizeof(*skb));
		kfree(st->failslab, skb);
	}
	st->skb_nfree = 0;
}

/* A free-list entry keeps its first word (the link) readable. */
static void pool_park(void *buf, size_t size)
{
	skb_poison((char *)buf + sizeof(void *), size - sizeof(void *));
}

static void *skb_data_get(struct stack *st, u32 size, u8 *pool, u32 *bufsize)
{
	for (u8 i = 0; i < SKB_POOL_CLASSES; i++) {
		struct skb_pool *p = &st->pools[i];
		void *buf;

		if (size > p->size)
			continue;
		*pool = i;
		*bufsize = p->size;
		/* A cached buffer is an allocation too, for fault injection. */
		if (p->free && should_failslab(st->failslab))
			return NULL;
		if (p->free) {
			buf = p->free;
			p->free = *(void **)buf;
			p->nfree--;
			skb_unpoison(buf, p->size);
			return buf;
		}
		return kmalloc(st->failslab, p->size);
	}
	*pool = SKB_POOL_NONE;
	*bufsize = (u32)ALIGN(size, 64u);
	return kmalloc(st->failslab, *bufsize);
}

static void skb_data_put(struct stack *st, void *buf, u8 pool)
{
	struct skb_pool *p;

	if (pool == SKB_POOL_NONE) {
		kfree(st->failslab, buf);
		return;
	}
	p = &st->pools[pool];
	if (p->nfree >= p->max_free) {
		kfree(st->failslab, buf);
		return;
	}
	*(void **)buf = p->free;
	p->free = buf;
	p->nfree++;
	pool_park(buf, p->size);
}

static struct sk_buff *skb_struct_get(struct stack *st)
{
	struct sk_buff *skb = st->skb_free;

	if (skb && should_failslab(st->failslab))
		return NULL;
	if (skb) {
		st->skb_free = skb->next;
		skb_unpoison(skb, sizeof(*skb));
		st->skb_nfree--;
	} else {
		skb = kmalloc(st->failslab, sizeof(*skb));
		if (!skb)
			return NULL;
	}
	st->skb_in_use++;
	return skb;
}

static void skb_struct_put(struct stack *st, struct sk_buff *skb)
{
	st->skb_in_use--;
	if (st->skb_nfree >= st->sysctl.skb_cache_max) {
		kfree(st->failslab, skb);
		return;
	}
	skb->next = st->skb_free;
	st->skb_free = skb;
	st->skb_nfree++;
	pool_park(skb, sizeof(*skb));
}

/* Fill a fresh sk_buff around a data buffer of @bufsize bytes at @data. */
static void skb_init_head(struct stack *st, struct sk_buff *skb, u8 *data, u32 bufsize)
{
	struct skb_shared_info *shinfo;

	memset(skb, 0, sizeof(*skb));
	skb->stack = st;
	skb->users = 1;
	skb->head = data;
	skb->data = data;
	skb->tail = 0;
	skb->end = bufsize - (u32)SHINFO_SIZE;
	skb->truesize = bufsize + (unsigned int)sizeof(*skb);
	skb->mac_header = SKB_HEADER_UNSET;
	skb->network_header = SKB_HEADER_UNSET;
	skb->transport_header = SKB_HEADER_UNSET;

	shinfo = skb_shinfo(skb);
	memset(shinfo, 0, sizeof(*shinfo));
	shinfo->dataref = 1;
}

/**
 * alloc_skb - allocate an skb with at least @size bytes of data room.
 * @st: the stack whose pools to use
 * @size: bytes of headroom + data + tailroom the caller needs
 *
 * The skb is empty (data == tail == head); the caller reserves headroom with
 * skb_reserve() and fills with skb_put().  The room may exceed @size (the
 * rest of the size class), exactly as Linux uses the whole slab object.
 * Return: the skb, or NULL when memory (or fault injection) says no.
 */
struct sk_buff *alloc_skb(struct stack *st, unsigned int size)
{
	struct sk_buff *skb;
	u32 bufsize;
	u8 pool;
	u8 *data;

	if (unlikely(size > 0x7fff0000u))
		return NULL;
	skb = skb_struct_get(st);
	if (!skb)
		return NULL;
	data = skb_data_get(st, (u32)SKB_DATA_ALIGN(size) + (u32)SHINFO_SIZE, &pool, &bufsize);
	if (!data) {
		skb_struct_put(st, skb);
		return NULL;
	}
	st->data_in_use++;
	skb_init_head(st, skb, data, bufsize);
	skb_shinfo(skb)->pool = pool;
	return skb;
}

/**
 * build_skb - wrap a buffer the caller owns (a device's receive buffer).
 * @data: start of the buffer; must be 8-byte aligned
 * @frag_size: the whole buffer, including SKB_DATA_ALIGN(sizeof(skb_shared_info))
 *	bytes at its end, where the shared info is placed
 * @destructor: called with @arg and @data when the last reference goes, so the
 *	device gets its buffer back (zero-copy receive)
 *
 * Return: an empty skb over @data, or NULL (the buffer stays the caller's).
 */
struct sk_buff *build_skb(struct stack *st, void *data, unsigned int frag_size,
			  void (*destructor)(void *arg, u8 *head), void *arg)
{
	struct sk_buff *skb;

	if (frag_size <= SHINFO_SIZE)
		return NULL;
	skb = skb_struct_get(st);
	if (!skb)
		return NULL;
	st->data_in_use++;
	skb_init_head(st, skb, data, frag_size);
	skb_shinfo(skb)->pool = SKB_POOL_NONE;
	skb_shinfo(skb)->destructor = destructor;
	skb_shinfo(skb)->destructor_arg = arg;
	return skb;
}

/**
 * netdev_alloc_skb - an skb for a received frame of @length bytes, with
 * NET_SKB_PAD + NET_IP_ALIGN headroom so the IP header lands aligned.
 */
struct sk_buff *netdev_alloc_skb(struct net_device *dev, unsigned int length)
{
	struct sk_buff *skb = alloc_skb(dev->stack, length + NET_SKB_PAD + NET_IP_ALIGN);

	if (skb) {
		skb_reserve(skb, NET_SKB_PAD + NET_IP_ALIGN);
		skb->dev = dev;
	}
	return skb;
}

static void skb_release_data(struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	struct stack *st = skb->stack;

	if (--shinfo->dataref > 0)
		return;
	st->data_in_use--;
	if (shinfo->destructor)
		shinfo->destructor(shinfo->destructor_arg, skb->head);
	else
		skb_data_put(st, skb->head, shinfo->pool);
}

/* What the packet holds besides its data: route, owner accounting. */
static void skb_release_head_state(struct sk_buff *skb)
{
	skb_dst_drop(skb);
	if (skb->destructor) {
		skb->destructor(skb);
		skb->destructor = NULL;
	}
}

static void __kfree_skb(struct sk_buff *skb)
{
	skb_release_head_state(skb);
	skb_release_data(skb);
	skb_struct_put(skb->stack, skb);
}

/**
 * kfree_skb_reason - drop a reference; if it was the last, free the skb and
 * count the drop under @reason.  Consumes the caller's reference.  NULL is a
 * no-op.
 */
void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	if (!skb)
		return;
	if (--skb->users > 0)
		return;
	if ((unsigned int)reason >= SKB_DROP_REASON_MAX)
		reason = SKB_DROP_REASON_NOT_SPECIFIED;
	skb->stack->drops[reason]++;
	skb_log(skb->stack, LOG_DEBUG, "drop skb len %u dev %s reason %s", skb->len,
		skb->dev ? skb->dev->name : "-", skb_drop_reason_name(reason));
	__kfree_skb(skb);
}

/**
 * consume_skb - drop a reference to an skb that did its job (not a drop).
 * Consumes the caller's reference.  NULL is a no-op.
 */
void consume_skb(struct sk_buff *skb)
{
	if (!skb || --skb->users > 0)
		return;
	__kfree_skb(skb);
}

/**
 * skb_set_owner_destructor - run @fn when the skb is finally freed (socket
 * memory accounting uses it, like sock_wfree/sock_rfree).
 */
void skb_set_owner_destructor(struct sk_buff *skb, void (*fn)(struct sk_buff *))
{
	skb->destructor = fn;
}

/* Metadata a clone or copy inherits (__copy_skb_header). */
static void copy_skb_header(struct sk_buff *n, const struct sk_buff *old)
{
	n->dev = old->dev;
	n->tstamp = old->tstamp;
	memcpy(n->cb, old->cb, sizeof(n->cb));
	n->mac_len = old->mac_len;
	n->transport_header = old->transport_header;
	n->network_header = old->network_header;
	n->mac_header = old->mac_header;
	n->csum_start = old->csum_start;
	n->csum_offset = old->csum_offset;
	n->csum = old->csum;
	n->protocol = old->protocol;
	n->pkt_type = old->pkt_type;
	n->ip_summed = old->ip_summed;
	n->mark = old->mark;
	n->hash = old->hash;
	skb_dst_copy(n, old);
}

static void copy_gso_fields(struct sk_buff *n, const struct sk_buff *old)
{
	struct skb_shared_info *ns = skb_shinfo(n);
	const struct skb_shared_info *os = skb_shinfo(old);

	ns->gso_size = os->gso_size;
	ns->gso_segs = os->gso_segs;
	ns->gso_type = os->gso_type;
}

/**
 * skb_clone - a second sk_buff over the same data (borrows @skb).
 *
 * Both are marked cloned and the data's dataref counts them; the data is
 * freed when the last one goes.  Headers must not be written through either
 * one without skb_cow()/skb_header_cloned() first.  The clone has no owner
 * socket and no destructor.  Return: the clone or NULL.
 */
struct sk_buff *skb_clone(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	struct sk_buff *n;

	n = skb_struct_get(st);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->stack = st;
	n->users = 1;
	n->head = skb->head;
	n->data = skb->data;
	n->tail = skb->tail;
	n->end = skb->end;
	n->len = skb->len;
	n->data_len = skb->data_len;
	n->truesize = (unsigned int)sizeof(*n);
	copy_skb_header(n, skb);
	n->cloned = 1;
	skb->cloned = 1;
	skb_shinfo(skb)->dataref++;
	return n;
}

/* The data moved by @off bytes relative to head: move the header marks too. */
static void skb_headers_offset_update(struct sk_buff *skb, int off)
{
	if (skb->mac_header != SKB_HEADER_UNSET)
		skb->mac_header = (u16)(skb->mac_header + off);
	if (skb->network_header != SKB_HEADER_UNSET)
		skb->network_header = (u16)(skb->network_header + off);
	if (skb->transport_header != SKB_HEADER_UNSET)
		skb->transport_header = (u16)(skb->transport_header + off);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->csum_start = (u16)(skb->csum_start + off);
}

/**
 * skb_copy_expand - a private copy with chosen head- and tailroom (borrows
 * @skb).  Header offsets follow the data.  Return: the copy or NULL.
 */
struct sk_buff *skb_copy_expand(const struct sk_buff *skb, int newheadroom, int newtailroom)
{
	int oldheadroom = (int)skb_headroom(skb);
	int head_copy_len = oldheadroom < newheadroom ? oldheadroom : newheadroom;
	int off = newheadroom - oldheadroom;
	struct sk_buff *n;

	if (newheadroom < 0 || newtailroom < 0)
		return NULL;
	n = alloc_skb(skb->stack, (unsigned int)newheadroom + skb->len + (unsigned int)newtailroom);
	if (!n)
		return NULL;
	skb_reserve(n, newheadroom);
	skb_put(n, skb->len);
	memcpy(n->data - head_copy_len, skb->data - head_copy_len, (size_t)head_copy_len + skb->len);
	copy_skb_header(n, skb);
	copy_gso_fields(n, skb);
	skb_headers_offset_update(n, off);
	return n;
}

/**
 * skb_copy_compact - a private copy sized to the packet, for a queue that
 * keeps it a long time (reassembly, a socket's receive queue).  A receive
 * skb may live in a 64 KiB device buffer lent by the NIC ring (build_skb):
 * holding it would starve the ring and overstate memory use.  The copy keeps
 * everything from the earliest set header (or data) to the tail, so header
 * offsets stay valid.  Borrows @skb.  Return: the copy or NULL.
 */
struct sk_buff *skb_copy_compact(const struct sk_buff *skb)
{
	unsigned int start = skb_headroom(skb);

	if (skb->mac_header != SKB_HEADER_UNSET && skb->mac_header < start)
		start = skb->mac_header;
	if (skb->network_header != SKB_HEADER_UNSET && skb->network_header < start)
		start = skb->network_header;
	return skb_copy_expand(skb, (int)(skb_headroom(skb) - start), 0);
}

/**
 * skb_copy - a private copy of the skb and all its data (borrows @skb).
 * Same headroom and header offsets.  Return: the copy or NULL.
 */
struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	return skb_copy_expand(skb, (int)skb_headroom(skb), skb_tailroom(skb));
}

/**
 * pskb_expand_head - give @skb a private data area with @nhead more bytes of
 * headroom and @ntail more of tailroom.  The sk_buff itself stays; a shared
 * sk_buff (users > 1) is a bug.  Return: 0 or -ENOMEM (skb unchanged).
 */
int pskb_expand_head(struct sk_buff *skb, int nhead, int ntail)
{
	struct stack *st = skb->stack;
	u32 need, bufsize, off;
	struct skb_shared_info old_shinfo;
	u8 pool, *data;

	if (unlikely(nhead < 0 || ntail < 0 || skb_shared(skb)))
		skb_over_panic(skb, (unsigned int)nhead, "pskb_expand_head");
	need = (u32)SKB_DATA_ALIGN(skb->end + (u32)nhead + (u32)ntail) + (u32)SHINFO_SIZE;
	data = skb_data_get(st, need, &pool, &bufsize);
	if (!data)
		return -ENOMEM;
	memcpy(data + nhead, skb->head, skb->tail);
	old_shinfo = *skb_shinfo(skb);
	off = (u32)nhead;

	skb_release_data(skb);
	st->data_in_use++;
	skb->data = data + off + (skb->data - skb->head);
	skb->head = data;
	skb->tail += off;
	skb->end = bufsize - (u32)SHINFO_SIZE;
	skb_headers_offset_update(skb, (int)off);
	skb->cloned = 0;

	memset(skb_shinfo(skb), 0, sizeof(struct skb_shared_info));
	skb_shinfo(skb)->dataref = 1;
	skb_shinfo(skb)->pool = pool;
	skb_shinfo(skb)->gso_size = old_shinfo.gso_size;
	skb_shinfo(skb)->gso_segs = old_shinfo.gso_segs;
	skb_shinfo(skb)->gso_type = old_shinfo.gso_type;
	return 0;
}

/**
 * skb_realloc_headroom - a new skb with at least @headroom bytes of headroom
 * and private data (borrows @skb, which is left untouched).
 * Return: the new skb or NULL.
 */
struct sk_buff *skb_realloc_headroom(struct sk_buff *skb, unsigned int headroom)
{
	int delta = (int)headroom - (int)skb_headroom(skb);
	struct sk_buff *n = skb_clone(skb);

	if (!n)
		return NULL;
	if (pskb_expand_head(n, delta > 0 ? (int)SKB_DATA_ALIGN((u32)delta) : 0, 0)) {
		consume_skb(n);
		return NULL;
	}
	return n;
}

static int __skb_cow(struct sk_buff *skb, unsigned int headroom, bool cloned)
{
	int delta = 0;

	if (headroom > skb_headroom(skb))
		delta = (int)(headroom - skb_headroom(skb));
	if (delta || cloned)
		return pskb_expand_head(skb, (int)ALIGN((unsigned int)delta, NET_SKB_PAD), 0);
	return 0;
}

/**
 * skb_cow - make the data private and give it @headroom bytes of headroom,
 * so headers may be written ("copy on write").  Return: 0 or -ENOMEM.
 */
int skb_cow(struct sk_buff *skb, unsigned int headroom)
{
	return __skb_cow(skb, headroom, skb_cloned(skb));
}

/** skb_cow_head - like skb_cow, when only the headers will be written. */
int skb_cow_head(struct sk_buff *skb, unsigned int headroom)
{
	return __skb_cow(skb, headroom, skb_header_cloned(skb));
}

/**
 * skb_copy_bits - copy @len bytes from @offset (relative to data) to @to.
 * Return: 0, or -EFAULT when the range is outside the packet.
 */
int skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len)
{
	if (offset < 0 || len < 0 || (unsigned int)offset + (unsigned int)len > skb->len)
		return -EFAULT;
	memcpy(to, skb->data + offset, (size_t)len);
	return 0;
}

/** skb_queue_purge_reason - free every skb on @list as a drop for @reason. */
void skb_queue_purge_reason(struct sk_buff_head *list, enum skb_drop_reason reason)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(list)) != NULL)
		kfree_skb_reason(skb, reason);
}

static __noreturn void skb_panic(struct sk_buff *skb, unsigned int len, const char *op,
				  const char *kind)
{
	fprintf(stderr,
		"skbos: %s: %s(len=%u) on skb %p: head %p data %p (headroom %u) tail %u end %u len %u dev %s\n",
		kind, op, len, (void *)skb, (void *)skb->head, (void *)skb->data,
		skb_headroom(skb), skb->tail, skb->end, skb->len,
		skb->dev ? skb->dev->name : "-");
	abort();
}

/** skb_over_panic - a write past the end of the data area: a bug, abort. */
void skb_over_panic(struct sk_buff *skb, unsigned int len, const char *op)
{
	skb_panic(skb, len, op, "skb_over_panic");
}

/** skb_under_panic - a push before the head of the data area: a bug, abort. */
void skb_under_panic(struct sk_buff *skb, unsigned int len, const char *op)
{
	skb_panic(skb, len, op, "skb_under_panic");
}
