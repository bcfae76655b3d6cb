/*
 * test_queue.c - sk_buff_head rings: order, peek, unlink, splice, purge.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "skbuff.h"
#include "stack.h"
#include "ip.h"

static struct stack *st;
static struct sk_buff_head q;

static void setup(void)
{
	st = stack_new(&(struct stack_params){ .families = inet_families });
	skb_queue_head_init(&q);
}

static void teardown(void)
{
	skb_queue_purge(&q);
	cr_assert(eq(long, st->skb_in_use, 0), "skb leaked");
	cr_assert(eq(long, stack_free(st), 0), "leaked when freed");
}

TestSuite(queue, .init = setup, .fini = teardown);

/* An skb whose mark says which one it is. */
static struct sk_buff *mk(u32 id)
{
	struct sk_buff *skb = alloc_skb(st, 64);

	skb->mark = id;
	return skb;
}

static void expect_order(struct sk_buff_head *list, const u32 *ids, unsigned int n)
{
	struct sk_buff *skb;
	unsigned int i = 0;

	cr_assert(eq(u32, skb_queue_len(list), n));
	skb_queue_walk(list, skb) {
		cr_assert(lt(u32, i, n));
		cr_assert(eq(u32, skb->mark, ids[i]), "position %u", i);
		i++;
	}
	cr_assert(eq(u32, i, n));
	/* and the ring is consistent backwards */
	skb_queue_reverse_walk(list, skb)
		cr_assert(eq(u32, skb->mark, ids[--i]));
}

Test(queue, new_queue_is_empty)
{
	cr_assert(skb_queue_empty(&q));
	cr_assert(eq(u32, skb_queue_len(&q), 0));
	cr_assert(eq(ptr, skb_peek(&q), NULL));
	cr_assert(eq(ptr, skb_peek_tail(&q), NULL));
	cr_assert(eq(ptr, skb_dequeue(&q), NULL));
	cr_assert(eq(ptr, skb_dequeue_tail(&q), NULL));
}

Test(queue, tail_enqueue_is_fifo)
{
	for (u32 i = 1; i <= 5; i++)
		skb_queue_tail(&q, mk(i));
	expect_order(&q, (u32[]){ 1, 2, 3, 4, 5 }, 5);
	for (u32 i = 1; i <= 5; i++) {
		struct sk_buff *skb = skb_dequeue(&q);

		cr_assert(eq(u32, skb->mark, i));
		consume_skb(skb);
	}
	cr_assert(skb_queue_empty(&q));
}

Test(queue, head_enqueue_is_lifo)
{
	for (u32 i = 1; i <= 4; i++)
		skb_queue_head(&q, mk(i));
	expect_order(&q, (u32[]){ 4, 3, 2, 1 }, 4);
}

Test(queue, dequeue_tail_takes_the_last)
{
	struct sk_buff *skb;

	skb_queue_tail(&q, mk(1));
	skb_queue_tail(&q, mk(2));
	skb = skb_dequeue_tail(&q);
	cr_assert(eq(u32, skb->mark, 2));
	consume_skb(skb);
	expect_order(&q, (u32[]){ 1 }, 1);
}

Test(queue, peek_does_not_remove)
{
	skb_queue_tail(&q, mk(7));
	skb_queue_tail(&q, mk(8));
	cr_assert(eq(u32, skb_peek(&q)->mark, 7));
	cr_assert(eq(u32, skb_peek_tail(&q)->mark, 8));
	cr_assert(eq(u32, skb_peek_next(skb_peek(&q), &q)->mark, 8));
	cr_assert(eq(ptr, skb_peek_next(skb_peek_tail(&q), &q), NULL));
	cr_assert(eq(u32, skb_queue_len(&q), 2));
	cr_assert(skb_queue_is_first(&q, skb_peek(&q)));
	cr_assert(skb_queue_is_last(&q, skb_peek_tail(&q)));
}

Test(queue, unlink_from_the_middle)
{
	struct sk_buff *mid;

	skb_queue_tail(&q, mk(1));
	skb_queue_tail(&q, mid = mk(2));
	skb_queue_tail(&q, mk(3));
	skb_unlink(mid, &q);
	consume_skb(mid);
	expect_order(&q, (u32[]){ 1, 3 }, 2);
}

Test(queue, insert_before_and_after_keeps_order)
{
	struct sk_buff *two, *four;

	skb_queue_tail(&q, two = mk(2));
	skb_queue_tail(&q, four = mk(4));
	skb_queue_before(&q, two, mk(1));
	skb_queue_after(&q, two, mk(3));
	skb_queue_after(&q, four, mk(5));
	expect_order(&q, (u32[]){ 1, 2, 3, 4, 5 }, 5);
}

Test(queue, splice_tail_appends_and_empties_source)
{
	struct sk_buff_head other;

	skb_queue_head_init(&other);
	skb_queue_tail(&q, mk(1));
	skb_queue_tail(&other, mk(2));
	skb_queue_tail(&other, mk(3));
	skb_queue_splice_tail_init(&other, &q);
	cr_assert(skb_queue_empty(&other));
	cr_assert(eq(u32, skb_queue_len(&other), 0));
	expect_order(&q, (u32[]){ 1, 2, 3 }, 3);
}

Test(queue, splice_prepends_and_empties_source)
{
	struct sk_buff_head other;

	skb_queue_head_init(&other);
	skb_queue_tail(&q, mk(3));
	skb_queue_tail(&other, mk(1));
	skb_queue_tail(&other, mk(2));
	skb_queue_splice(&other, &q);
	cr_assert(skb_queue_empty(&other));
	expect_order(&q, (u32[]){ 1, 2, 3 }, 3);
}

Test(queue, splice_of_empty_queue_changes_nothing)
{
	struct sk_buff_head other;

	skb_queue_head_init(&other);
	skb_queue_tail(&q, mk(1));
	skb_queue_splice_tail_init(&other, &q);
	skb_queue_splice_init(&other, &q);
	expect_order(&q, (u32[]){ 1 }, 1);
}

Test(queue, walk_safe_allows_unlinking)
{
	struct sk_buff *skb, *tmp;

	for (u32 i = 1; i <= 6; i++)
		skb_queue_tail(&q, mk(i));
	skb_queue_walk_safe(&q, skb, tmp) {
		if (skb->mark % 2 == 0) {
			skb_unlink(skb, &q);
			consume_skb(skb);
		}
	}
	expect_order(&q, (u32[]){ 1, 3, 5 }, 3);
}

Test(queue, purge_frees_all_and_counts_reason)
{
	for (u32 i = 0; i < 10; i++)
		skb_queue_tail(&q, mk(i));
	cr_assert(eq(long, st->skb_in_use, 10));
	skb_queue_purge_reason(&q, SKB_DROP_REASON_SOCKET_RCVBUFF);
	cr_assert(skb_queue_empty(&q));
	cr_assert(eq(long, st->skb_in_use, 0));
	cr_assert(eq(u64, st->drops[SKB_DROP_REASON_SOCKET_RCVBUFF], 10));
	skb_queue_tail(&q, mk(1));
	skb_queue_purge(&q);
	cr_assert(eq(u64, st->drops[SKB_DROP_REASON_QUEUE_PURGE], 1));
}
