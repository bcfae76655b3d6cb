/*
 * skbuff.h - struct sk_buff, skb_shared_info and sk_buff_head.
 *
 * Read first: ../shared/seeds/001 (the Linux struct sk_buff) and 003 (Table
 * 12-1, header offsets on 64-bit).  The layout is the kernel's:
 *
 *     head ---> +-----------------+
 *               |    headroom     |   skb_headroom() = data - head
 *     data ---> +-----------------+
 *               |   packet data   |   len = tail - data
 *     tail ---> +-----------------+
 *               |    tailroom     |   skb_tailroom() = end - tail
 *     end  ---> +-----------------+
 *               | skb_shared_info |   dataref, GSO fields, data destructor
 *               +-----------------+
 *
 * head and data are pointers; tail, end and the three header positions are
 * offsets from head (sk_buff_data_t as an integer on 64-bit Linux), the
 * header positions u16 with ~0 meaning "not set".
 *
 * Ownership: a function that takes an skb says whether it *consumes* it (the
 * caller must not touch it afterwards) or *borrows* it.  kfree_skb_reason() is
 * a drop and is counted; consume_skb() is the normal end of a packet's life.
 *
 * There is no per-queue spinlock: the whole core runs under the stack lock
 * (DESIGN.md "The two halves"), so the queue API is the kernel's unlocked one
 * under the plain names.
 */
#ifndef SKBOS_SKBUFF_H
#define SKBOS_SKBUFF_H

#include <string.h>
#include "types.h"
#include "snmp.h"

struct stack;
struct sock;
struct net_device;
struct dst_entry;

/* Headroom every TCP skb reserves: Ethernet + IPv4 + TCP, all with options. */
#define MAX_HEADER 128
#define MAX_TCP_HEADER (MAX_HEADER + 128)
/* Reserved by drivers so that a received frame's IP header is aligned. */
#define NET_SKB_PAD 64
#define NET_IP_ALIGN 2

/* skb->pkt_type, from the link-layer destination (if_packet.h). */
#define PACKET_HOST 0
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define PACKET_OTHERHOST 3
#define PACKET_OUTGOING 4
#define PACKET_LOOPBACK 5

/* skb->ip_summed: what is known about the transport checksum. */
#define CHECKSUM_NONE 0        /* nothing known: verify in software */
#define CHECKSUM_UNNECESSARY 1 /* already verified (device said so) */
#define CHECKSUM_COMPLETE 2    /* csum holds the sum over the packet */
#define CHECKSUM_PARTIAL 3     /* TX: to be filled at csum_start+csum_offset */

/* skb_shared_info->gso_type */
#define SKB_GSO_TCPV4 (1u << 0)
#define SKB_GSO_UDP (1u << 1)    /* UDP fragmentation offload (UFO, IP fragments) */
#define SKB_GSO_UDP_L4 (1u << 2) /* UDP segmentation: a train of datagrams (USO) */
#define SKB_GSO_TCPV6 (1u << 3)

/**
 * struct skb_shared_info - the part of an skb's data area that clones share.
 * @dataref: how many sk_buffs point at this data; freed when it drops to 0
 * @gso_size: payload bytes per segment when the skb is a GSO super-packet
 * @gso_segs: number of segments it becomes
 * @gso_type: SKB_GSO_* flags
 * @destructor: if set, called instead of returning the buffer to the pool,
 *	with @destructor_arg and the buffer's head; a device that lends its own
 *	memory (zero-copy receive) gets it back this way
 * @pool: size class the buffer came from (skb.c's allocator), or SKB_POOL_NONE
 *
 * Lives at skb_end_pointer(), immediately after the data area, as in Linux.
 */
struct skb_shared_info {
	int dataref;
	u16 gso_size;
	u16 gso_segs;
	u32 gso_type;
	u8 pool;
	void (*destructor)(void *arg, u8 *head);
	void *destructor_arg;
};

/**
 * struct sk_buff - a packet and what the stack knows about it.
 *
 * Invariants (checked by the operations that could break them):
 *   head <= data <= head + tail <= head + end;  len == tail - (data - head)
 *   (data_len is 0: skbos's skbs are linear).
 * @next/@prev: ring linkage while on an sk_buff_head
 * @stack: the stack whose pools the skb and its data return to
 * @cb: per-layer scratch (TCP_SKB_CB, IPCB, ...), 48 bytes as in Linux
 */
/* The ring linkage shared by sk_buff and sk_buff_head (Linux's sk_buff_list). */
struct skb_node {
	struct skb_node *next;
	struct skb_node *prev;
};

struct sk_buff {
	union {
		struct {
			struct sk_buff *next;
			struct sk_buff *prev;
		};
		struct skb_node node;
	};
	struct stack *stack;
	struct sock *sk;
	struct net_device *dev;
	struct dst_entry *_dst;
	void (*destructor)(struct sk_buff *skb);
	ktime_t tstamp;
	char cb[48] __attribute__((aligned(8)));

	unsigned int len;
	unsigned int data_len;
	unsigned int truesize;
	int users;

	u16 mac_len;
	u16 transport_header;
	u16 network_header;
	u16 mac_header;
	u16 csum_start;
	u16 csum_offset;
	__wsum csum;
	__be16 protocol;
	u8 pkt_type : 3;
	u8 cloned : 1;
	u8 ip_summed : 2;
	u32 mark;
	u32 hash;

	unsigned char *head;
	unsigned char *data;
	u32 tail;
	u32 end;
};

#define SKB_HEADER_UNSET ((u16)~0U)

/* Size of the buffer needed for @size bytes of data plus the shared info. */
#define SKB_DATA_ALIGN(x) ALIGN((x), 64)
#define SKB_TRUESIZE(x) (SKB_DATA_ALIGN(x) + SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))
#define SKB_POOL_NONE 0xff

/**
 * struct sk_buff_head - a queue of skbs: a ring through the head itself.
 * The head's node is a ring element like every skb's; the ring is only ever
 * written through skb_node pointers, so the head is never accessed as an skb.
 */
struct sk_buff_head {
	union {
		struct {
			struct sk_buff *next;
			struct sk_buff *prev;
		};
		struct skb_node node;
	};
	u32 qlen;
};

/* ---- pointers and room -------------------------------------------------- */

static inline unsigned char *skb_tail_pointer(const struct sk_buff *skb)
{
	return skb->head + skb->tail;
}

static inline unsigned char *skb_end_pointer(const struct sk_buff *skb)
{
	return skb->head + skb->end;
}

static inline unsigned int skb_end_offset(const struct sk_buff *skb)
{
	return skb->end;
}

static inline struct skb_shared_info *skb_shinfo(const struct sk_buff *skb)
{
	return (struct skb_shared_info *)(void *)skb_end_pointer(skb);
}

static inline unsigned int skb_headroom(const struct sk_buff *skb)
{
	return (unsigned int)(skb->data - skb->head);
}

static inline int skb_tailroom(const struct sk_buff *skb)
{
	return (int)(skb->end - skb->tail);
}

static inline unsigned int skb_headlen(const struct sk_buff *skb)
{
	return skb->len - skb->data_len;
}

/** skb_has_external_data - the data lives in a buffer lent by a device. */
static inline bool skb_has_external_data(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->destructor != NULL;
}

static inline bool skb_is_gso(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_size != 0;
}

/* ---- the data operations: unchecked __ variants, checked plain names ------ */

void skb_under_panic(struct sk_buff *skb, unsigned int len, const char *op) __noreturn;
void skb_over_panic(struct sk_buff *skb, unsigned int len, const char *op) __noreturn;

/** skb_reserve - make headroom in an empty skb by moving data and tail down. */
static inline void skb_reserve(struct sk_buff *skb, int len)
{
	if (unlikely(skb->len || (long)skb->tail + len > (long)skb->end || (long)skb->tail + len < 0))
		skb_over_panic(skb, (unsigned int)len, "skb_reserve");
	skb->data += len;
	skb->tail += (u32)len;
}

static inline unsigned char *__skb_put(struct sk_buff *skb, unsigned int len)
{
	unsigned char *tmp = skb_tail_pointer(skb);

	skb->tail += len;
	skb->len += len;
	return tmp;
}

/**
 * skb_put - extend the data area at the tail.
 * Return: a pointer to the first byte added.  Panics past the end.
 */
static inline unsigned char *skb_put(struct sk_buff *skb, unsigned int len)
{
	if (unlikely(len > (unsigned int)skb_tailroom(skb)))
		skb_over_panic(skb, len, "skb_put");
	return __skb_put(skb, len);
}

static inline void *skb_put_data(struct sk_buff *skb, const void *data, unsigned int len)
{
	void *tmp = skb_put(skb, len);

	memcpy(tmp, data, len);
	return tmp;
}

static inline void *skb_put_zero(struct sk_buff *skb, unsigned int len)
{
	void *tmp = skb_put(skb, len);

	memset(tmp, 0, len);
	return tmp;
}

static inline unsigned char *__skb_push(struct sk_buff *skb, unsigned int len)
{
	skb->data -= len;
	skb->len += len;
	return skb->data;
}

/**
 * skb_push - extend the data area at the head (add a lower-layer header).
 * Return: the new data pointer.  Panics past head.
 */
static inline unsigned char *skb_push(struct sk_buff *skb, unsigned int len)
{
	if (unlikely(len > skb_headroom(skb)))
		skb_under_panic(skb, len, "skb_push");
	return __skb_push(skb, len);
}

static inline unsigned char *__skb_pull(struct sk_buff *skb, unsigned int len)
{
	skb->len -= len;
	return skb->data += len;
}

/**
 * skb_pull - remove data from the start of a buffer (strip a header).
 * Return: the new data pointer, or NULL (and nothing changed) when the skb
 * holds fewer than @len bytes: a short packet is input, not a bug.
 */
static inline unsigned char *skb_pull(struct sk_buff *skb, unsigned int len)
{
	if (unlikely(len > skb->len))
		return NULL;
	return __skb_pull(skb, len);
}

/** pskb_may_pull - true if the first @len bytes are in the linear area. */
static inline bool pskb_may_pull(const struct sk_buff *skb, unsigned int len)
{
	return len <= skb_headlen(skb);
}

static inline void __skb_trim(struct sk_buff *skb, unsigned int len)
{
	skb->len = len;
	skb->tail = (u32)(skb->data - skb->head) + len;
}

/** skb_trim - cut the data to @len bytes; a no-op if it is already shorter. */
static inline void skb_trim(struct sk_buff *skb, unsigned int len)
{
	if (skb->len > len)
		__skb_trim(skb, len);
}

/* ---- header offsets: u16 from head, ~0 = unset ---------------------------- */

#define SKB_HEADER_HELPERS(name)                                                   \
	static inline unsigned char *skb_##name##_header(const struct sk_buff *skb) \
	{                                                                          \
		return skb->head + skb->name##_header;                             \
	}                                                                          \
	static inline void skb_reset_##name##_header(struct sk_buff *skb)          \
	{                                                                          \
		skb->name##_header = (u16)(skb->data - skb->head);                 \
	}                                                                          \
	static inline void skb_set_##name##_header(struct sk_buff *skb, int off)   \
	{                                                                          \
		skb->name##_header = (u16)((skb->data - skb->head) + off);         \
	}                                                                          \
	static inline bool skb_##name##_header_was_set(const struct sk_buff *skb)  \
	{                                                                          \
		return skb->name##_header != SKB_HEADER_UNSET;                     \
	}

SKB_HEADER_HELPERS(mac)
SKB_HEADER_HELPERS(network)
SKB_HEADER_HELPERS(transport)
#undef SKB_HEADER_HELPERS

static inline int skb_network_offset(const struct sk_buff *skb)
{
	return (int)(skb_network_header(skb) - skb->data);
}

static inline int skb_transport_offset(const struct sk_buff *skb)
{
	return (int)(skb_transport_header(skb) - skb->data);
}

static inline unsigned int skb_network_header_len(const struct sk_buff *skb)
{
	return (unsigned int)(skb->transport_header - skb->network_header);
}

static inline unsigned int skb_mac_header_len(const struct sk_buff *skb)
{
	return (unsigned int)(skb->network_header - skb->mac_header);
}

/* ---- references, clones, copies ------------------------------------------ */

/** skb_get - take another reference to the sk_buff (not its data). */
static inline struct sk_buff *skb_get(struct sk_buff *skb)
{
	skb->users++;
	return skb;
}

static inline bool skb_shared(const struct sk_buff *skb)
{
	return skb->users != 1;
}

/** skb_cloned - true if the data is shared with another sk_buff. */
static inline bool skb_cloned(const struct sk_buff *skb)
{
	return skb->cloned && skb_shinfo(skb)->dataref != 1;
}

/** skb_header_cloned - true if writing the headers would affect a clone. */
static inline bool skb_header_cloned(const struct sk_buff *skb)
{
	return skb_cloned(skb);
}

struct sk_buff *alloc_skb(struct stack *st, unsigned int size);
struct sk_buff *build_skb(struct stack *st, void *data, unsigned int frag_size,
			  void (*destructor)(void *arg, u8 *head), void *arg);
struct sk_buff *netdev_alloc_skb(struct net_device *dev, unsigned int length);
void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);
void consume_skb(struct sk_buff *skb);
struct sk_buff *skb_clone(struct sk_buff *skb);
struct sk_buff *skb_copy(const struct sk_buff *skb);
struct sk_buff *skb_copy_compact(const struct sk_buff *skb);
struct sk_buff *skb_copy_expand(const struct sk_buff *skb, int newheadroom, int newtailroom);
int pskb_expand_head(struct sk_buff *skb, int nhead, int ntail);
struct sk_buff *skb_realloc_headroom(struct sk_buff *skb, unsigned int headroom);
int skb_cow(struct sk_buff *skb, unsigned int headroom);
int skb_cow_head(struct sk_buff *skb, unsigned int headroom);
int skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len);
void skb_set_owner_destructor(struct sk_buff *skb, void (*fn)(struct sk_buff *));

/** kfree_skb - drop an skb without a specific reason (prefer the _reason form). */
static inline void kfree_skb(struct sk_buff *skb)
{
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
}

static inline void skb_copy_to_linear_data(struct sk_buff *skb, const void *from, unsigned int len)
{
	memcpy(skb->data, from, len);
}

/* ---- sk_buff_head: a ring through the head -------------------------------- */

static inline struct sk_buff *skb_of_node(struct skb_node *n)
{
	return container_of(n, struct sk_buff, node);
}

static inline void skb_queue_head_init(struct sk_buff_head *list)
{
	list->node.prev = list->node.next = &list->node;
	list->qlen = 0;
}

static inline u32 skb_queue_len(const struct sk_buff_head *list)
{
	return list->qlen;
}

static inline bool skb_queue_empty(const struct sk_buff_head *list)
{
	return list->node.next == &list->node;
}

static inline bool skb_queue_is_last(const struct sk_buff_head *list, const struct sk_buff *skb)
{
	return skb->node.next == &list->node;
}

static inline bool skb_queue_is_first(const struct sk_buff_head *list, const struct sk_buff *skb)
{
	return skb->node.prev == &list->node;
}

/** skb_peek - the first skb without dequeuing it, or NULL. */
static inline struct sk_buff *skb_peek(const struct sk_buff_head *list)
{
	struct skb_node *n = list->node.next;

	return n == &list->node ? NULL : skb_of_node(n);
}

static inline struct sk_buff *skb_peek_tail(const struct sk_buff_head *list)
{
	struct skb_node *n = list->node.prev;

	return n == &list->node ? NULL : skb_of_node(n);
}

static inline struct sk_buff *skb_peek_next(const struct sk_buff *skb, const struct sk_buff_head *list)
{
	struct skb_node *n = skb->node.next;

	return n == &list->node ? NULL : skb_of_node(n);
}

static inline void __skb_insert(struct sk_buff *newsk, struct skb_node *prev,
				struct skb_node *next, struct sk_buff_head *list)
{
	newsk->node.next = next;
	newsk->node.prev = prev;
	next->prev = &newsk->node;
	prev->next = &newsk->node;
	list->qlen++;
}

/** skb_queue_head - put @newsk at the front of @list; the queue holds the
 * reference the caller had. */
static inline void skb_queue_head(struct sk_buff_head *list, struct sk_buff *newsk)
{
	__skb_insert(newsk, &list->node, list->node.next, list);
}

/** skb_queue_tail - put @newsk at the back of @list. */
static inline void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *newsk)
{
	__skb_insert(newsk, list->node.prev, &list->node, list);
}

/** skb_queue_after - insert @newsk right after @prev, which is on @list. */
static inline void skb_queue_after(struct sk_buff_head *list, struct sk_buff *prev,
				   struct sk_buff *newsk)
{
	__skb_insert(newsk, &prev->node, prev->node.next, list);
}

/** skb_queue_before - insert @newsk right before @next, which is on @list. */
static inline void skb_queue_before(struct sk_buff_head *list, struct sk_buff *next,
				    struct sk_buff *newsk)
{
	__skb_insert(newsk, next->node.prev, &next->node, list);
}

/** skb_unlink - remove @skb from @list, which it must be on. */
static inline void skb_unlink(struct sk_buff *skb, struct sk_buff_head *list)
{
	struct skb_node *next = skb->node.next, *prev = skb->node.prev;

	list->qlen--;
	skb->node.next = skb->node.prev = NULL;
	next->prev = prev;
	prev->next = next;
}

/** skb_dequeue - remove and return the first skb, or NULL. */
static inline struct sk_buff *skb_dequeue(struct sk_buff_head *list)
{
	struct sk_buff *skb = skb_peek(list);

	if (skb)
		skb_unlink(skb, list);
	return skb;
}

/** skb_dequeue_tail - remove and return the last skb, or NULL. */
static inline struct sk_buff *skb_dequeue_tail(struct sk_buff_head *list)
{
	struct sk_buff *skb = skb_peek_tail(list);

	if (skb)
		skb_unlink(skb, list);
	return skb;
}

void skb_queue_purge_reason(struct sk_buff_head *list, enum skb_drop_reason reason);

/** skb_queue_purge - free every skb on @list (counted as QUEUE_PURGE drops). */
static inline void skb_queue_purge(struct sk_buff_head *list)
{
	skb_queue_purge_reason(list, SKB_DROP_REASON_QUEUE_PURGE);
}

static inline void __skb_queue_splice(const struct sk_buff_head *list,
				      struct skb_node *prev, struct skb_node *next)
{
	struct skb_node *first = list->node.next, *last = list->node.prev;

	first->prev = prev;
	prev->next = first;
	last->next = next;
	next->prev = last;
}

/**
 * skb_queue_splice_init - move all of @list to the front of @head and leave
 * @list empty.
 */
static inline void skb_queue_splice_init(struct sk_buff_head *list, struct sk_buff_head *head)
{
	if (!skb_queue_empty(list)) {
		__skb_queue_splice(list, &head->node, head->node.next);
		head->qlen += list->qlen;
		skb_queue_head_init(list);
	}
}

/** skb_queue_splice_tail_init - move all of @list to the back of @head. */
static inline void skb_queue_splice_tail_init(struct sk_buff_head *list, struct sk_buff_head *head)
{
	if (!skb_queue_empty(list)) {
		__skb_queue_splice(list, head->node.prev, &head->node);
		head->qlen += list->qlen;
		skb_queue_head_init(list);
	}
}

/*
 * skb_queue_splice - the kernel's name: like skb_queue_splice_init but
 * leaves @list's own pointers stale; skbos always reinitialises, because a
 * stale head is a use-after-move waiting to happen.
 */
#define skb_queue_splice(list, head) skb_queue_splice_init(list, head)
#define skb_queue_splice_tail(list, head) skb_queue_splice_tail_init(list, head)

/* Walks compare node addresses, so the head is never dereferenced as an skb. */
#define skb_queue_walk(queue, skb)                                              \
	for (skb = skb_of_node((queue)->node.next); &skb->node != &(queue)->node; \
	     skb = skb_of_node(skb->node.next))

#define skb_queue_walk_safe(queue, skb, tmp)                                    \
	for (skb = skb_of_node((queue)->node.next), tmp = skb_of_node(skb->node.next); \
	     &skb->node != &(queue)->node; skb = tmp, tmp = skb_of_node(skb->node.next))

#define skb_queue_reverse_walk(queue, skb)                                      \
	for (skb = skb_of_node((queue)->node.prev); &skb->node != &(queue)->node; \
	     skb = skb_of_node(skb->node.prev))

#endif /* SKBOS_SKBUFF_H */
