/*
 * test_skb.c - the sk_buff API (libos/core/skb.c, skbuff.h): pointer arithmetic,
 * the seeds' header diagrams, clone vs copy, refcounts, headroom growth,
 * drop accounting, pools, fault injection and the panics.
 */
#include <signal.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "alloc.h"
#include "skbuff.h"
#include "stack.h"
#include "ip.h"
#include "netdevice.h"
#include "dst.h"

#define MSS 1460
#define TCP_HLEN 20
#define IP_HLEN 20

static struct stack *st;

static void setup(void)
{
	st = stack_new(&(struct stack_params){ .families = inet_families });
	cr_assert(not(eq(ptr, st, NULL)));
}

static void teardown(void)
{
	cr_assert(eq(long, st->skb_in_use, 0), "skb leaked");
	cr_assert(eq(long, st->data_in_use, 0), "data buffer leaked");
	cr_assert(eq(long, stack_free(st), 0), "leaked when freed");
}

TestSuite(skb, .init = setup, .fini = teardown);

static void fill(u8 *p, unsigned int n, u8 seed)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (u8)(seed + i * 7);
}

Test(skb, alloc_is_empty_with_room_and_unset_headers)
{
	struct sk_buff *skb = alloc_skb(st, 1000);

	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(u32, skb->len, 0));
	cr_assert(eq(u32, skb_headroom(skb), 0));
	cr_assert(ge(int, skb_tailroom(skb), 1000));
	cr_assert(eq(ptr, skb->data, skb->head));
	cr_assert(eq(int, skb->users, 1));
	cr_assert(not(skb_mac_header_was_set(skb)));
	cr_assert(not(skb_network_header_was_set(skb)));
	cr_assert(not(skb_transport_header_was_set(skb)));
	cr_assert(eq(int, skb_shinfo(skb)->dataref, 1));
	cr_assert(eq(long, st->skb_in_use, 1));
	consume_skb(skb);
}

Test(skb, reserve_moves_data_and_tail_together)
{
	struct sk_buff *skb = alloc_skb(st, 512);
	int room = skb_tailroom(skb);

	skb_reserve(skb, 100);
	cr_assert(eq(u32, skb_headroom(skb), 100));
	cr_assert(eq(int, skb_tailroom(skb), room - 100));
	cr_assert(eq(ptr, skb->data, skb_tail_pointer(skb)));
	cr_assert(eq(u32, skb->len, 0));
	consume_skb(skb);
}

Test(skb, put_extends_tail_and_returns_old_tail)
{
	struct sk_buff *skb = alloc_skb(st, 256);
	unsigned char *p;

	skb_reserve(skb, 16);
	p = skb_put(skb, 40);
	cr_assert(eq(ptr, p, skb->data));
	p = skb_put(skb, 10);
	cr_assert(eq(ptr, p, skb->data + 40));
	cr_assert(eq(u32, skb->len, 50));
	cr_assert(eq(ptr, skb_tail_pointer(skb), skb->data + 50));
	consume_skb(skb);
}

Test(skb, put_data_copies_bytes)
{
	struct sk_buff *skb = alloc_skb(st, 256);
	u8 src[64];

	fill(src, sizeof(src), 3);
	skb_put_data(skb, src, sizeof(src));
	cr_assert(eq(int, memcmp(skb->data, src, sizeof(src)), 0));
	skb_put_zero(skb, 8);
	cr_assert(eq(u8, skb->data[64], 0));
	cr_assert(eq(u8, skb->data[71], 0));
	consume_skb(skb);
}

Test(skb, push_prepends_and_pull_strips)
{
	struct sk_buff *skb = alloc_skb(st, 256);
	unsigned char *p;

	skb_reserve(skb, 64);
	skb_put(skb, 10);
	p = skb_push(skb, 20);
	cr_assert(eq(ptr, p, skb->head + 44));
	cr_assert(eq(u32, skb->len, 30));
	p = skb_pull(skb, 20);
	cr_assert(eq(ptr, p, skb->head + 64));
	cr_assert(eq(u32, skb->len, 10));
	consume_skb(skb);
}

Test(skb, pull_more_than_len_fails_without_change)
{
	struct sk_buff *skb = alloc_skb(st, 256);

	skb_put(skb, 10);
	cr_assert(eq(ptr, skb_pull(skb, 11), NULL));
	cr_assert(eq(u32, skb->len, 10));
	cr_assert(eq(ptr, skb->data, skb->head));
	cr_assert(not(eq(ptr, skb_pull(skb, 10), NULL)));
	cr_assert(eq(u32, skb->len, 0));
	consume_skb(skb);
}

Test(skb, trim_shortens_but_never_lengthens)
{
	struct sk_buff *skb = alloc_skb(st, 256);

	skb_put(skb, 100);
	skb_trim(skb, 40);
	cr_assert(eq(u32, skb->len, 40));
	cr_assert(eq(ptr, skb_tail_pointer(skb), skb->data + 40));
	skb_trim(skb, 80);
	cr_assert(eq(u32, skb->len, 40));
	consume_skb(skb);
}

/*
 * The seeds' transmit diagram: tcp_sendmsg allocates MAX_TCP_HEADER + MSS,
 * reserves the headroom, puts the payload; tcp_transmit_skb, ip_queue_xmit
 * and the neighbour layer each push their header in front.
 */
Test(skb, seed_tx_diagram_reserve_put_push_headers)
{
	struct sk_buff *skb = alloc_skb(st, MAX_TCP_HEADER + MSS);
	u8 payload[MSS];

	fill(payload, MSS, 1);
	skb_reserve(skb, MAX_TCP_HEADER);
	cr_assert(eq(u32, skb_headroom(skb), MAX_TCP_HEADER));
	skb_put_data(skb, payload, MSS);

	skb_push(skb, TCP_HLEN);
	skb_reset_transport_header(skb);
	cr_assert(eq(u32, skb->transport_header, MAX_TCP_HEADER - TCP_HLEN));

	skb_push(skb, IP_HLEN);
	skb_reset_network_header(skb);
	cr_assert(eq(u32, skb->network_header, MAX_TCP_HEADER - TCP_HLEN - IP_HLEN));

	skb_push(skb, ETH_HLEN);
	skb_reset_mac_header(skb);
	cr_assert(eq(u32, skb->len, ETH_HLEN + IP_HLEN + TCP_HLEN + MSS));
	cr_assert(eq(u32, skb_headroom(skb), MAX_TCP_HEADER - TCP_HLEN - IP_HLEN - ETH_HLEN));
	cr_assert(eq(int, skb_network_offset(skb), ETH_HLEN));
	cr_assert(eq(int, skb_transport_offset(skb), ETH_HLEN + IP_HLEN));
	cr_assert(eq(u32, skb_network_header_len(skb), IP_HLEN));
	cr_assert(eq(u32, skb_mac_header_len(skb), ETH_HLEN));
	cr_assert(eq(int, memcmp(skb_transport_header(skb) + TCP_HLEN, payload, MSS), 0));
	consume_skb(skb);
}

/* The receive mirror: a frame arrives whole, each layer pulls its header. */
Test(skb, seed_rx_diagram_pull_headers_back)
{
	struct sk_buff *skb = alloc_skb(st, NET_SKB_PAD + ETH_FRAME_LEN);
	u8 frame[ETH_HLEN + IP_HLEN + TCP_HLEN + 100];

	fill(frame, sizeof(frame), 9);
	skb_reserve(skb, NET_SKB_PAD);
	skb_put_data(skb, frame, sizeof(frame));
	skb_reset_mac_header(skb);
	skb_pull(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	skb_pull(skb, IP_HLEN);
	skb_reset_transport_header(skb);
	skb_pull(skb, TCP_HLEN);

	cr_assert(eq(u32, skb->len, 100));
	cr_assert(eq(ptr, skb_mac_header(skb), skb->head + NET_SKB_PAD));
	cr_assert(eq(ptr, skb_network_header(skb), skb_mac_header(skb) + ETH_HLEN));
	cr_assert(eq(ptr, skb_transport_header(skb), skb_network_header(skb) + IP_HLEN));
	cr_assert(eq(int, memcmp(skb->data, frame + ETH_HLEN + IP_HLEN + TCP_HLEN, 100), 0));
	consume_skb(skb);
}

Test(skb, set_header_is_relative_to_data)
{
	struct sk_buff *skb = alloc_skb(st, 256);

	skb_reserve(skb, 32);
	skb_put(skb, 60);
	skb_set_network_header(skb, 14);
	skb_set_transport_header(skb, 34);
	cr_assert(eq(u32, skb->network_header, 46));
	cr_assert(eq(u32, skb->transport_header, 66));
	cr_assert(eq(ptr, skb_network_header(skb), skb->data + 14));
	consume_skb(skb);
}

Test(skb, clone_shares_data_and_counts_dataref)
{
	struct sk_buff *skb = alloc_skb(st, 256), *c;

	skb_put(skb, 100);
	c = skb_clone(skb);
	cr_assert(not(eq(ptr, c, NULL)));
	cr_assert(not(eq(ptr, c, skb)));
	cr_assert(eq(ptr, c->head, skb->head));
	cr_assert(eq(ptr, c->data, skb->data));
	cr_assert(eq(u32, c->len, 100));
	cr_assert(eq(int, skb_shinfo(skb)->dataref, 2));
	cr_assert(skb_cloned(skb));
	cr_assert(skb_cloned(c));
	cr_assert(eq(long, st->skb_in_use, 2));
	cr_assert(eq(long, st->data_in_use, 1));
	consume_skb(skb);
	cr_assert(eq(int, skb_shinfo(c)->dataref, 1));
	cr_assert(eq(long, st->data_in_use, 1), "data lives while the clone does");
	consume_skb(c);
	cr_assert(eq(long, st->data_in_use, 0));
}

/* tcp_transmit_skb's pattern: clone the queued skb, push a header on the clone. */
Test(skb, clone_then_push_leaves_original_view)
{
	struct sk_buff *skb = alloc_skb(st, MAX_TCP_HEADER + 100), *c;

	skb_reserve(skb, MAX_TCP_HEADER);
	skb_put(skb, 100);
	c = skb_clone(skb);
	skb_push(c, TCP_HLEN);
	skb_reset_transport_header(c);
	cr_assert(eq(u32, c->len, 120));
	cr_assert(eq(u32, skb->len, 100));
	cr_assert(eq(u32, skb_headroom(skb), MAX_TCP_HEADER));
	cr_assert(not(skb_transport_header_was_set(skb)));
	consume_skb(c);
	consume_skb(skb);
}

Test(skb, cow_after_clone_makes_header_writes_independent)
{
	struct sk_buff *skb = alloc_skb(st, 256), *c;

	skb_reserve(skb, 64);
	memset(skb_put(skb, 40), 0xaa, 40);
	c = skb_clone(skb);
	cr_assert(skb_header_cloned(c));
	cr_assert(eq(int, skb_cow_head(c, 64), 0));
	cr_assert(not(skb_cloned(c)));
	cr_assert(not(eq(ptr, c->head, skb->head)));
	c->data[0] = 0x55;
	cr_assert(eq(u8, skb->data[0], 0xaa), "original unchanged");
	cr_assert(eq(u8, c->data[1], 0xaa), "copy kept the bytes");
	cr_assert(eq(int, skb_shinfo(skb)->dataref, 1));
	consume_skb(c);
	consume_skb(skb);
}

Test(skb, copy_is_independent_with_same_offsets)
{
	struct sk_buff *skb = alloc_skb(st, 512), *c;

	skb_reserve(skb, 80);
	fill(skb_put(skb, 200), 200, 5);
	skb_set_network_header(skb, 0);
	skb_set_transport_header(skb, 20);
	skb->protocol = 0x0008;
	skb->mark = 42;
	c = skb_copy(skb);
	cr_assert(not(eq(ptr, c, NULL)));
	cr_assert(not(eq(ptr, c->head, skb->head)));
	cr_assert(eq(u32, skb_headroom(c), 80));
	cr_assert(eq(u32, c->len, 200));
	cr_assert(eq(u32, c->network_header, skb->network_header));
	cr_assert(eq(u32, c->transport_header, skb->transport_header));
	cr_assert(eq(u16, c->protocol, skb->protocol));
	cr_assert(eq(u32, c->mark, 42));
	cr_assert(eq(int, memcmp(c->data, skb->data, 200), 0));
	c->data[0] ^= 0xff;
	cr_assert(not(eq(u8, c->data[0], skb->data[0])));
	cr_assert(not(skb_cloned(c)));
	consume_skb(c);
	consume_skb(skb);
}

Test(skb, copy_expand_shifts_headers_with_data)
{
	struct sk_buff *skb = alloc_skb(st, 256), *c;

	skb_reserve(skb, 16);
	fill(skb_put(skb, 50), 50, 2);
	skb_set_network_header(skb, 10);
	c = skb_copy_expand(skb, 200, 30);
	cr_assert(eq(u32, skb_headroom(c), 200));
	cr_assert(ge(int, skb_tailroom(c), 30));
	cr_assert(eq(ptr, skb_network_header(c), c->data + 10));
	cr_assert(eq(int, memcmp(c->data, skb->data, 50), 0));
	consume_skb(c);
	consume_skb(skb);
}

Test(skb, realloc_headroom_returns_new_private_skb)
{
	struct sk_buff *skb = alloc_skb(st, 128), *n;

	skb_reserve(skb, 8);
	fill(skb_put(skb, 60), 60, 4);
	skb_set_network_header(skb, 0);
	n = skb_realloc_headroom(skb, 100);
	cr_assert(not(eq(ptr, n, NULL)));
	cr_assert(ge(u32, skb_headroom(n), 100));
	cr_assert(eq(u32, skb_headroom(skb), 8), "original untouched");
	cr_assert(not(skb_cloned(skb)));
	cr_assert(eq(int, memcmp(n->data, skb->data, 60), 0));
	cr_assert(eq(ptr, skb_network_header(n), n->data));
	skb_push(n, 100);
	consume_skb(n);
	consume_skb(skb);
}

Test(skb, cow_grows_headroom_in_place)
{
	struct sk_buff *skb = alloc_skb(st, 100);

	fill(skb_put(skb, 50), 50, 8);
	skb_set_transport_header(skb, 20);
	cr_assert(eq(int, skb_cow(skb, 40), 0));
	cr_assert(ge(u32, skb_headroom(skb), 40));
	cr_assert(eq(ptr, skb_transport_header(skb), skb->data + 20));
	cr_assert(eq(u8, skb->data[1], (u8)(8 + 7)));
	skb_push(skb, 40);
	consume_skb(skb);
}

Test(skb, cow_on_private_skb_with_room_is_a_noop)
{
	struct sk_buff *skb = alloc_skb(st, 256);
	unsigned char *head;

	skb_reserve(skb, 64);
	skb_put(skb, 10);
	head = skb->head;
	cr_assert(eq(int, skb_cow(skb, 32), 0));
	cr_assert(eq(ptr, skb->head, head));
	consume_skb(skb);
}

Test(skb, get_keeps_skb_until_last_reference)
{
	struct sk_buff *skb = alloc_skb(st, 64);

	skb_get(skb);
	cr_assert(skb_shared(skb));
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_CSUM);
	cr_assert(eq(long, st->skb_in_use, 1));
	cr_assert(eq(u64, st->drops[SKB_DROP_REASON_IP_CSUM], 0), "not freed, not counted");
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_CSUM);
	cr_assert(eq(long, st->skb_in_use, 0));
	cr_assert(eq(u64, st->drops[SKB_DROP_REASON_IP_CSUM], 1));
}

Test(skb, kfree_counts_drop_reason_consume_does_not)
{
	kfree_skb_reason(alloc_skb(st, 64), SKB_DROP_REASON_TCP_CSUM);
	kfree_skb(alloc_skb(st, 64));
	consume_skb(alloc_skb(st, 64));
	cr_assert(eq(u64, st->drops[SKB_DROP_REASON_TCP_CSUM], 1));
	cr_assert(eq(u64, st->drops[SKB_DROP_REASON_NOT_SPECIFIED], 1));
	u64 total = 0;
	for (int i = 0; i < SKB_DROP_REASON_MAX; i++)
		total += st->drops[i];
	cr_assert(eq(u64, total, 2));
	kfree_skb(NULL);
	consume_skb(NULL);
}

static int destructor_calls;
static void count_destructor(struct sk_buff *skb)
{
	(void)skb;
	destructor_calls++;
}

Test(skb, owner_destructor_runs_once_at_final_free)
{
	struct sk_buff *skb = alloc_skb(st, 64), *c;

	destructor_calls = 0;
	skb_set_owner_destructor(skb, count_destructor);
	c = skb_clone(skb);
	cr_assert(eq(ptr, c->destructor, NULL), "a clone has no owner");
	consume_skb(c);
	cr_assert(eq(int, destructor_calls, 0));
	consume_skb(skb);
	cr_assert(eq(int, destructor_calls, 1));
}

static int data_returned;
static void give_back(void *arg, u8 *head)
{
	cr_assert(eq(ptr, arg, (void *)head));
	data_returned++;
}

/* Zero-copy receive: the device's buffer comes back through the destructor. */
Test(skb, build_skb_returns_buffer_to_its_owner)
{
	static u8 buf[2048] __attribute__((aligned(64)));
	struct sk_buff *skb, *c;

	data_returned = 0;
	skb = build_skb(st, buf, sizeof(buf), give_back, buf);
	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(ptr, skb->head, buf));
	cr_assert(lt(ptr, (void *)skb_shinfo(skb), (void *)(buf + sizeof(buf))));
	skb_put(skb, 100);
	c = skb_clone(skb);
	consume_skb(skb);
	cr_assert(eq(int, data_returned, 0));
	consume_skb(c);
	cr_assert(eq(int, data_returned, 1));
}

Test(skb, dst_reference_released_with_skb)
{
	struct dst_entry dst = { .__refcnt = 1 };
	struct sk_buff *skb = alloc_skb(st, 64), *c;

	skb_dst_set(skb, dst_clone(&dst));
	cr_assert(eq(int, dst.__refcnt, 2));
	c = skb_clone(skb);
	cr_assert(eq(int, dst.__refcnt, 3));
	consume_skb(c);
	consume_skb(skb);
	cr_assert(eq(int, dst.__refcnt, 1));
}

Test(skb, buffers_are_recycled_through_the_pool)
{
	struct sk_buff *a = alloc_skb(st, 1500);
	unsigned char *head = a->head;
	struct sk_buff *b;

	consume_skb(a);
	b = alloc_skb(st, 1500);
	cr_assert(eq(ptr, b->head, head), "same size class reuses the freed buffer");
	consume_skb(b);
}

Test(skb, large_allocation_beyond_pools_works)
{
	struct sk_buff *skb = alloc_skb(st, 200000);

	cr_assert(not(eq(ptr, skb, NULL)));
	memset(skb_put(skb, 200000), 1, 200000);
	consume_skb(skb);
}

Test(skb, nth_allocation_fails_once_on_request)
{
	struct failslab fs = { 0 };
	struct stack *fst = stack_new(&(struct stack_params){ .families = inet_families,
							      .failslab = &fs });
	struct sk_buff *a, *b, *c;

	cr_assert(not(eq(ptr, fst, NULL)));
	failslab_arm(&fs, 3, false); /* alloc_skb takes two: the sk_buff and its data */
	c = alloc_skb(st, 64);
	cr_assert(not(eq(ptr, c, NULL)), "another stack's allocations are not counted");
	a = alloc_skb(fst, 64);
	cr_assert(not(eq(ptr, a, NULL)));
	cr_assert(eq(ptr, skb_clone(a), NULL), "third allocation fails");
	b = alloc_skb(fst, 64);
	cr_assert(not(eq(ptr, b, NULL)), "only once");
	cr_assert(eq(int, skb_cow(b, 1000), 0));
	failslab_arm(&fs, 1, false);
	cr_assert(eq(int, pskb_expand_head(b, 64, 0), -ENOMEM));
	cr_assert(eq(u32, b->len, 0), "unchanged after failure");
	failslab_disarm(&fs);
	cr_assert(eq(u64, fs.failed, 1));
	consume_skb(a);
	consume_skb(b);
	consume_skb(c);
	cr_assert(eq(long, stack_free(fst), 0));
}

Test(skb, copy_bits_checks_bounds)
{
	struct sk_buff *skb = alloc_skb(st, 64);
	u8 out[8];

	fill(skb_put(skb, 20), 20, 0);
	cr_assert(eq(int, skb_copy_bits(skb, 12, out, 8), 0));
	cr_assert(eq(u8, out[0], 12 * 7));
	cr_assert(eq(int, skb_copy_bits(skb, 13, out, 8), -EFAULT));
	cr_assert(eq(int, skb_copy_bits(skb, -1, out, 1), -EFAULT));
	consume_skb(skb);
}

/* Misuse is a bug: the process aborts with a message naming the call.  The
 * victim stays reachable (a static), so a leak checker watching the abort
 * does not count it as lost. */
static struct sk_buff *volatile victim; /* volatile: the store must stay */

Test(skb, push_past_head_panics, .signal = SIGABRT)
{
	victim = alloc_skb(st, 64);
	skb_reserve(victim, 10);
	skb_push(victim, 11);
}

Test(skb, put_past_end_panics, .signal = SIGABRT)
{
	victim = alloc_skb(st, 64);
	skb_put(victim, (unsigned int)skb_tailroom(victim) + 1);
}

Test(skb, reserve_past_end_panics, .signal = SIGABRT)
{
	victim = alloc_skb(st, 64);
	skb_reserve(victim, skb_tailroom(victim) + 1);
}

Test(skb, compact_copy_releases_a_lent_device_buffer)
{
	static u8 ring_buf[16384] __attribute__((aligned(64)));
	struct sk_buff *skb, *c;

	data_returned = 0;
	skb = build_skb(st, ring_buf, sizeof(ring_buf), give_back, ring_buf);
	skb_reserve(skb, 64);
	fill(skb_put(skb, 200), 200, 3);
	skb_reset_mac_header(skb);
	skb_pull(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	skb_pull(skb, IP_HLEN);
	cr_assert(skb_has_external_data(skb));
	c = skb_copy_compact(skb);
	consume_skb(skb);
	cr_assert(eq(int, data_returned, 1), "the device has its buffer back");
	cr_assert(not(skb_has_external_data(c)));
	cr_assert(lt(u32, c->truesize, 2048u + 512u), "sized to the packet, not the ring buffer");
	cr_assert(eq(u32, c->len, 200 - ETH_HLEN - IP_HLEN));
	cr_assert(eq(ptr, skb_network_header(c) + IP_HLEN, c->data));
	cr_assert(eq(ptr, skb_mac_header(c) + ETH_HLEN, skb_network_header(c)));
	cr_assert(eq(u8, skb_mac_header(c)[0], 3), "bytes from the MAC header on are kept");
	consume_skb(c);
}
