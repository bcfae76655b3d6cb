/*
 * fuzz_skb.c - libFuzzer target: the skb API driven by a byte script.
 *
 * Each step takes an opcode byte and its argument bytes (missing bytes read
 * as 0) and does one operation on a few skb slots and two queues: alloc,
 * build_skb, reserve, put, push, pull, trim, clone, copy, copy_expand,
 * copy_compact, pskb_expand_head, skb_cow, skb_realloc_headroom,
 * skb_copy_bits, header marks, get/free, the queue operations, and fault
 * injection (the n-th allocation fails).  A shadow model keeps each skb's
 * expected bytes and network-header position and each queue's expected order;
 * after every step the invariants of skbuff.h are checked on every skb,
 *   head <= data, data - head + len == tail <= end, data_len == 0,
 * with the bytes and header marks of the model, and every queue is walked
 * both ways against the model.  At the end everything is freed and the
 * stack's skb and data counts must be back to zero.
 *
 * The script only makes legal calls (a put that fits, a push within the
 * headroom, writes only to private data): misuse is the panics' business.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "alloc.h"
#include "skbuff.h"
#include "stack.h"
#include "ip.h"

#define NSLOTS 8
#define NQUEUES 2
#define QMAX 32
#define MAX_ALLOC 16384
#define MAX_GROW 4096
#define MAX_TAIL 60000 /* header marks are u16 offsets from head: keep them small */
#define NET_UNSET (-100000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/* What an skb should hold: its bytes and its network header, from data. */
struct shadow {
	struct sk_buff *skb;
	u8 *bytes;
	unsigned int len;
	int net_off;
};

static struct stack *st;
static struct failslab fs; /* OP_FAIL_ALLOC arms it */
static struct shadow slot[NSLOTS];
static struct sk_buff_head q[NQUEUES];
static struct shadow qm[NQUEUES][QMAX];
static unsigned int qn[NQUEUES];

static const u8 *in;
static size_t in_left;
static bool trace; /* FUZZ_SKB_TRACE=1: print each step (replaying a crash) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	st = stack_new(&(struct stack_params){ .families = inet_families, .failslab = &fs });
	cr_assert(st != NULL);
	trace = getenv("FUZZ_SKB_TRACE") != NULL;
	for (int i = 0; i < NQUEUES; i++)
		skb_queue_head_init(&q[i]);
	return 0;
}

static u8 arg8(void)
{
	if (!in_left)
		return 0;
	in_left--;
	return *in++;
}

static unsigned int arg16(void)
{
	unsigned int hi = arg8();

	return hi << 8 | arg8();
}

/* ---- the model ------------------------------------------------------------ */

static void check_skb(const struct shadow *s)
{
	const struct sk_buff *skb = s->skb;

	cr_assert(skb->stack == st && skb->users >= 1 && skb->data_len == 0);
	cr_assert(skb->head <= skb->data, "data before head");
	cr_assert(skb_headroom(skb) + skb->len == skb->tail, "len and tail disagree");
	cr_assert(skb->tail <= skb->end, "tail past end");
	cr_assert(skb_shinfo(skb)->dataref >= 1);
	cr_assert(skb->cloned || skb_shinfo(skb)->dataref == 1, "shared data not marked cloned");
	cr_assert(skb->len == s->len, "len %u, model %u", skb->len, s->len);
	cr_assert(memcmp(skb->data, s->bytes, s->len) == 0, "bytes differ from the model");
	if (s->net_off == NET_UNSET)
		cr_assert(!skb_network_header_was_set(skb), "network header appeared");
	else
		cr_assert(skb_network_header_was_set(skb) &&
			  (int)skb->network_header - (int)skb_headroom(skb) == s->net_off,
			  "network header moved");
}

static void check_queue(int k)
{
	struct sk_buff *skb;
	unsigned int i = 0;

	cr_assert(skb_queue_len(&q[k]) == qn[k] && skb_queue_empty(&q[k]) == (qn[k] == 0));
	skb_queue_walk(&q[k], skb) {
		cr_assert(i < qn[k] && skb == qm[k][i].skb, "queue %d: wrong skb at %u", k, i);
		check_skb(&qm[k][i++]);
	}
	cr_assert(i == qn[k]);
	skb_queue_reverse_walk(&q[k], skb)
		cr_assert(i > 0 && skb == qm[k][--i].skb, "queue %d: backward walk differs", k);
	cr_assert(skb_peek(&q[k]) == (qn[k] ? qm[k][0].skb : NULL));
	cr_assert(skb_peek_tail(&q[k]) == (qn[k] ? qm[k][qn[k] - 1].skb : NULL));
}

static void check_all(void)
{
	for (int i = 0; i < NSLOTS; i++)
		if (slot[i].skb)
			check_skb(&slot[i]);
	for (int k = 0; k < NQUEUES; k++)
		check_queue(k);
}

static void shadow_set(struct shadow *s, struct sk_buff *skb, const u8 *bytes, unsigned int len,
		       int net_off)
{
	s->skb = skb;
	s->len = len;
	s->net_off = net_off;
	s->bytes = malloc(len ? len : 1);
	cr_assert(s->bytes != NULL);
	if (len)
		memcpy(s->bytes, bytes, len);
}

static void shadow_drop(struct shadow *s)
{
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

static void fill(u8 *p, unsigned int len, u8 seed)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = (u8)(seed + i * 13);
}

/* Would the tail stay below MAX_TAIL if it moved by @extra? */
static bool fits(const struct sk_buff *skb, unsigned int extra)
{
	return skb->tail + extra + NET_SKB_PAD <= MAX_TAIL;
}

static struct shadow *free_slot(void)
{
	for (int i = 0; i < NSLOTS; i++)
		if (!slot[i].skb)
			return &slot[i];
	return NULL;
}

static struct shadow *pick_slot(void)
{
	struct shadow *s = &slot[arg8() % NSLOTS];

	return s->skb ? s : NULL;
}

/* Data may be written only when it is this skb's alone: copy it first if not. */
static bool make_private(struct shadow *s)
{
	return !skb_cloned(s->skb) || skb_cow(s->skb, 0) == 0;
}

/* ---- data operations ------------------------------------------------------- */

static void op_alloc(void)
{
	struct shadow *s = free_slot();
	unsigned int size = arg16() % (MAX_ALLOC + 1);
	struct sk_buff *skb;

	if (!s)
		return;
	skb = alloc_skb(st, size);
	if (!skb)
		return;
	cr_assert(skb->len == 0 && skb_headroom(skb) == 0 && skb_tailroom(skb) >= (int)size);
	shadow_set(s, skb, NULL, 0, NET_UNSET);
}

static void free_external(void *arg, u8 *head)
{
	cr_assert(arg == head);
	free(head);
}

static void op_build(void)
{
	struct shadow *s = free_slot();
	unsigned int size = 64 * (1 + arg8() % 64) + (unsigned int)SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	u8 *buf;
	struct sk_buff *skb;

	if (!s)
		return;
	buf = malloc(size);
	cr_assert(buf != NULL);
	skb = build_skb(st, buf, size, free_external, buf);
	if (!skb) {
		free(buf);
		return;
	}
	cr_assert(skb_has_external_data(skb));
	shadow_set(s, skb, NULL, 0, NET_UNSET);
}

static void op_reserve(struct shadow *s)
{
	unsigned int n = arg16();

	if (s->skb->len || (int)n > skb_tailroom(s->skb) || !fits(s->skb, n))
		return;
	skb_reserve(s->skb, (int)n);
	if (s->net_off != NET_UNSET)
		s->net_off -= (int)n; /* the mark stays where it was in the buffer */
}

static void op_put(struct shadow *s)
{
	unsigned int n = arg16(), old = s->len;
	u8 seed = arg8();
	u8 *p;

	if ((int)n > skb_tailroom(s->skb) || !fits(s->skb, n) || !make_private(s))
		return;
	p = skb_put(s->skb, n);
	cr_assert(p == s->skb->data + old);
	fill(p, n, seed);
	s->bytes = realloc(s->bytes, old + n + 1);
	cr_assert(s->bytes != NULL);
	fill(s->bytes + old, n, seed);
	s->len += n;
}

static void op_push(struct shadow *s)
{
	unsigned int n = arg16();
	u8 seed = arg8();
	u8 *nb;

	if (n > skb_headroom(s->skb) || !make_private(s))
		return;
	cr_assert(skb_push(s->skb, n) == s->skb->data);
	fill(s->skb->data, n, seed);
	nb = malloc(s->len + n + 1);
	cr_assert(nb != NULL);
	fill(nb, n, seed);
	memcpy(nb + n, s->bytes, s->len);
	free(s->bytes);
	s->bytes = nb;
	s->len += n;
	if (s->net_off != NET_UNSET)
		s->net_off += (int)n;
}

static void op_pull(struct shadow *s)
{
	unsigned int n = arg16() % (s->len + 2);
	unsigned char *old = s->skb->data, *r = skb_pull(s->skb, n);

	if (n > s->len) {
		cr_assert(r == NULL && s->skb->data == old, "a failed pull changed the skb");
		return;
	}
	cr_assert(r == old + n);
	memmove(s->bytes, s->bytes + n, s->len - n);
	s->len -= n;
	if (s->net_off != NET_UNSET)
		s->net_off -= (int)n;
}

static void op_trim(struct shadow *s)
{
	unsigned int n = arg16() % (s->len + 2);

	skb_trim(s->skb, n);
	if (n < s->len)
		s->len = n;
}

static void op_set_network(struct shadow *s)
{
	int off = (int)(arg16() % (skb_headroom(s->skb) + s->len + 1)) - (int)skb_headroom(s->skb);

	skb_set_network_header(s->skb, off);
	s->net_off = off;
}

static void op_clone(struct shadow *s)
{
	struct shadow *d = free_slot();
	struct sk_buff *n;

	if (!d || !(n = skb_clone(s->skb)))
		return;
	cr_assert(n->head == s->skb->head && n->data == s->skb->data && skb_cloned(n) && skb_cloned(s->skb));
	shadow_set(d, n, s->bytes, s->len, s->net_off);
}

static void op_copy(struct shadow *s, int kind)
{
	struct shadow *d = free_slot();
	unsigned int h = arg16() % (MAX_GROW + 1), t = arg16() % (MAX_GROW + 1);
	struct sk_buff *n;

	/* a copy with less headroom than a header below data needs is misuse */
	if (!d || !fits(s->skb, h + t) || (kind == 1 && s->net_off < 0 && (int)h < -s->net_off))
		return;
	if (kind == 0)
		n = skb_copy(s->skb);
	else if (kind == 1)
		n = skb_copy_expand(s->skb, (int)h, (int)t);
	else if (kind == 2)
		n = skb_copy_compact(s->skb);
	else
		n = skb_realloc_headroom(s->skb, h);
	if (!n)
		return;
	cr_assert(!skb_cloned(n) && n->head != s->skb->head);
	if (kind == 0)
		cr_assert(skb_headroom(n) == skb_headroom(s->skb) && skb_tailroom(n) >= skb_tailroom(s->skb));
	if (kind == 1)
		cr_assert(skb_headroom(n) == h && skb_tailroom(n) >= (int)t);
	if (kind == 3)
		cr_assert(skb_headroom(n) >= h);
	shadow_set(d, n, s->bytes, s->len, s->net_off);
}

static void op_expand(struct shadow *s)
{
	struct sk_buff *skb = s->skb;
	unsigned int nh = arg16() % (MAX_GROW + 1), nt = arg16() % (MAX_GROW + 1);
	unsigned int room = skb_headroom(skb);
	int troom = skb_tailroom(skb);
	unsigned char *data = skb->data;

	if (!fits(skb, nh + nt))
		return;
	if (pskb_expand_head(skb, (int)nh, (int)nt)) {
		cr_assert(skb->data == data, "a failed expand changed the skb");
		return;
	}
	cr_assert(skb_headroom(skb) == room + nh && skb_tailroom(skb) >= troom + (int)nt);
	cr_assert(!skb_cloned(skb) && !skb_has_external_data(skb));
}

static void op_cow(struct shadow *s)
{
	unsigned int h = arg16() % (MAX_GROW + 1);

	if (!fits(s->skb, h) || skb_cow(s->skb, h))
		return;
	cr_assert(skb_headroom(s->skb) >= h && !skb_cloned(s->skb));
}

static void op_copy_bits(struct shadow *s)
{
	int off = (int)(arg16() % (s->len + 2)), len = (int)(arg16() % (s->len + 2));
	u8 *buf = malloc((size_t)len + 1);
	int rc;

	cr_assert(buf != NULL);
	rc = skb_copy_bits(s->skb, off, buf, len);
	if ((unsigned int)off + (unsigned int)len > s->len)
		cr_assert(rc == -EFAULT);
	else
		cr_assert(rc == 0 && memcmp(buf, s->bytes + off, (size_t)len) == 0);
	free(buf);
}

static void op_free(struct shadow *s, bool consume)
{
	if (consume)
		consume_skb(s->skb);
	else
		kfree_skb(s->skb);
	shadow_drop(s);
}

static void op_get_put(struct shadow *s)
{
	cr_assert(skb_get(s->skb) == s->skb && skb_shared(s->skb) && s->skb->users == 2);
	kfree_skb(s->skb);
	cr_assert(s->skb->users == 1 && !skb_shared(s->skb));
}

/* ---- queue operations ------------------------------------------------------ */

static void qm_insert(int k, unsigned int at, struct shadow *s)
{
	memmove(&qm[k][at + 1], &qm[k][at], (qn[k] - at) * sizeof(qm[k][0]));
	qm[k][at] = *s;
	qn[k]++;
	memset(s, 0, sizeof(*s));
}

static void qm_remove(int k, unsigned int at, struct shadow *to)
{
	*to = qm[k][at];
	memmove(&qm[k][at], &qm[k][at + 1], (qn[k] - at - 1) * sizeof(qm[k][0]));
	qn[k]--;
}

static void op_enqueue(struct shadow *s, int how)
{
	int k = arg8() % NQUEUES;
	unsigned int at = qn[k] ? arg8() % qn[k] : 0;

	if (qn[k] >= QMAX)
		return;
	if (how == 0 || !qn[k]) {
		skb_queue_tail(&q[k], s->skb);
		qm_insert(k, qn[k], s);
	} else if (how == 1) {
		skb_queue_head(&q[k], s->skb);
		qm_insert(k, 0, s);
	} else if (how == 2) {
		skb_queue_after(&q[k], qm[k][at].skb, s->skb);
		qm_insert(k, at + 1, s);
	} else {
		skb_queue_before(&q[k], qm[k][at].skb, s->skb);
		qm_insert(k, at, s);
	}
}

static void op_dequeue(int how)
{
	int k = arg8() % NQUEUES;
	unsigned int at = qn[k] ? arg8() % qn[k] : 0;
	struct shadow *d = free_slot();
	struct sk_buff *skb;

	if (!d)
		return;
	if (!qn[k]) {
		cr_assert(skb_dequeue(&q[k]) == NULL && skb_dequeue_tail(&q[k]) == NULL);
		return;
	}
	if (how == 0) {
		skb = skb_dequeue(&q[k]);
		at = 0;
	} else if (how == 1) {
		skb = skb_dequeue_tail(&q[k]);
		at = qn[k] - 1;
	} else {
		skb = qm[k][at].skb;
		skb_unlink(skb, &q[k]);
	}
	cr_assert(skb == qm[k][at].skb, "dequeued the wrong skb");
	qm_remove(k, at, d);
}

static void op_splice(bool tail)
{
	int from = arg8() % NQUEUES, to = (from + 1) % NQUEUES;

	if (qn[from] + qn[to] > QMAX)
		return;
	if (tail) {
		skb_queue_splice_tail_init(&q[from], &q[to]);
		memcpy(&qm[to][qn[to]], qm[from], qn[from] * sizeof(qm[0][0]));
	} else {
		skb_queue_splice_init(&q[from], &q[to]);
		memmove(&qm[to][qn[from]], qm[to], qn[to] * sizeof(qm[0][0]));
		memcpy(qm[to], qm[from], qn[from] * sizeof(qm[0][0]));
	}
	qn[to] += qn[from];
	qn[from] = 0;
}

static void purge(int k)
{
	skb_queue_purge(&q[k]);
	for (unsigned int i = 0; i < qn[k]; i++)
		free(qm[k][i].bytes);
	qn[k] = 0;
}

/* ---- the script ------------------------------------------------------------ */

enum {
	OP_ALLOC, OP_BUILD, OP_RESERVE, OP_PUT, OP_PUSH, OP_PULL, OP_TRIM, OP_SETNET, OP_CLONE,
	OP_COPY, OP_COPY_EXPAND, OP_COPY_COMPACT, OP_REALLOC_HEADROOM, OP_EXPAND, OP_COW,
	OP_COPY_BITS, OP_KFREE, OP_CONSUME, OP_GET_PUT, OP_ENQ_TAIL, OP_ENQ_HEAD, OP_ENQ_AFTER,
	OP_ENQ_BEFORE, OP_DEQ, OP_DEQ_TAIL, OP_UNLINK, OP_SPLICE, OP_SPLICE_TAIL, OP_PURGE,
	OP_FAIL_ALLOC, OP_MAX
};

static void step(u8 op)
{
	struct shadow *s = NULL;

	if (op >= OP_RESERVE && op <= OP_ENQ_BEFORE) {
		s = pick_slot();
		if (!s)
			return;
	}
	switch (op) {
	case OP_ALLOC: op_alloc(); break;
	case OP_BUILD: op_build(); break;
	case OP_RESERVE: op_reserve(s); break;
	case OP_PUT: op_put(s); break;
	case OP_PUSH: op_push(s); break;
	case OP_PULL: op_pull(s); break;
	case OP_TRIM: op_trim(s); break;
	case OP_SETNET: op_set_network(s); break;
	case OP_CLONE: op_clone(s); break;
	case OP_COPY: op_copy(s, 0); break;
	case OP_COPY_EXPAND: op_copy(s, 1); break;
	case OP_COPY_COMPACT: op_copy(s, 2); break;
	case OP_REALLOC_HEADROOM: op_copy(s, 3); break;
	case OP_EXPAND: op_expand(s); break;
	case OP_COW: op_cow(s); break;
	case OP_COPY_BITS: op_copy_bits(s); break;
	case OP_KFREE: op_free(s, false); break;
	case OP_CONSUME: op_free(s, true); break;
	case OP_GET_PUT: op_get_put(s); break;
	case OP_ENQ_TAIL: op_enqueue(s, 0); break;
	case OP_ENQ_HEAD: op_enqueue(s, 1); break;
	case OP_ENQ_AFTER: op_enqueue(s, 2); break;
	case OP_ENQ_BEFORE: op_enqueue(s, 3); break;
	case OP_DEQ: op_dequeue(0); break;
	case OP_DEQ_TAIL: op_dequeue(1); break;
	case OP_UNLINK: op_dequeue(2); break;
	case OP_SPLICE: op_splice(false); break;
	case OP_SPLICE_TAIL: op_splice(true); break;
	case OP_PURGE: purge(arg8() % NQUEUES); break;
	case OP_FAIL_ALLOC: failslab_arm(&fs, 1 + arg8() % 4, false); break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	in = data;
	in_left = size;
	while (in_left) {
		u8 op = arg8() % OP_MAX;

		if (trace)
			fprintf(stderr, "op %d, args at +%zu\n", op, size - in_left);
		step(op);
		if (trace)
			for (int i = 0; i < NSLOTS; i++)
				if (slot[i].skb)
					fprintf(stderr, "  slot %d: headroom %u len %u tail %u end %u net %d (model %d)\n",
						i, skb_headroom(slot[i].skb), slot[i].skb->len, slot[i].skb->tail,
						slot[i].skb->end, slot[i].skb->network_header, slot[i].net_off);
		check_all();
	}
	failslab_disarm(&fs);
	for (int i = 0; i < NSLOTS; i++)
		if (slot[i].skb)
			op_free(&slot[i], true);
	for (int k = 0; k < NQUEUES; k++)
		purge(k);
	cr_assert(st->skb_in_use == 0 && st->data_in_use == 0, "skb leak: %ld skbs, %ld buffers",
		  st->skb_in_use, st->data_in_use);
	return 0;
}
