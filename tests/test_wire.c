/*
 * test_wire.c - the in-memory cable (tests/devices/wire.c) and its impairment rules
 * (tests/devices/impair.c): delivery, loss, duplication, reordering, corruption,
 * delay and rate, all deterministic on virtual time.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "world.h"
#include "capture.h"
#include "frames.h"
#include "wire.h"
#include "eth.h"

#define MS NSEC_PER_MSEC

static struct world w;
static struct wire *wire;
static struct net_device *da, *db;
static struct capture rx_b, rx_a;

static void setup(void)
{
	world_init(&w, 2);
	wire = wire_create(w.st[0], "wa", mac_a, w.st[1], "wb", mac_b);
	cr_assert(not(eq(ptr, wire, NULL)));
	da = wire_dev(wire, 0);
	db = wire_dev(wire, 1);
	capture_attach(&rx_b, w.st[1], db, CAPTURE_RX);
	capture_attach(&rx_a, w.st[0], da, CAPTURE_RX);
}

static void teardown(void)
{
	capture_detach(&rx_b);
	capture_detach(&rx_a);
	wire_destroy(wire);
	world_assert_no_leaks(&w);
	world_fini(&w);
}

TestSuite(wire, .init = setup, .fini = teardown);

static void impair(int from, const char *spec)
{
	struct impair_config cfg = { 0 };

	cr_assert(eq(int, impair_parse(&cfg, spec), 0), "spec %s", spec);
	wire_set_impair(wire, from, &cfg);
}

/* Pop every frame captured at B and write their ids into @ids. */
static unsigned int received_ids(struct capture *c, u32 *ids, unsigned int max)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	while ((skb = capture_pop(c)) != NULL) {
		if (n < max)
			ids[n] = test_frame_id(skb);
		n++;
		consume_skb(skb);
	}
	return n;
}

static void send_n(unsigned int n, unsigned int payload)
{
	for (u32 i = 1; i <= n; i++)
		cr_assert(eq(int, send_test_frame(da, mac_b, i, payload), 0));
}

Test(wire, frame_arrives_intact_but_only_when_polled)
{
	struct sk_buff *skb;

	send_test_frame(da, mac_b, 7, 200);
	cr_assert(eq(u32, capture_len(&rx_b), 0), "no delivery inside transmit");
	cr_assert(eq(u32, wire_in_flight(wire, 1), 1));
	world_run(&w);
	skb = capture_pop(&rx_b);
	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(u32, test_frame_id(skb), 7));
	cr_assert(test_frame_intact(skb, 200));
	cr_assert(eq(ptr, skb->stack, w.st[1]), "the receiver's stack owns the copy");
	consume_skb(skb);
}

Test(wire, both_directions_and_device_counters)
{
	u32 ids[4];

	send_n(3, 100);
	send_test_frame(db, mac_a, 42, 60);
	world_run(&w);
	cr_assert(eq(u32, received_ids(&rx_b, ids, 4), 3));
	cr_assert(eq(u32, received_ids(&rx_a, ids, 4), 1));
	cr_assert(eq(u32, ids[0], 42));
	cr_assert(eq(u64, da->stats.tx_packets, 3));
	cr_assert(eq(u64, da->stats.tx_bytes, 3 * (ETH_HLEN + 100)));
	cr_assert(eq(u64, db->stats.rx_packets, 3));
	cr_assert(eq(u64, db->stats.rx_bytes, 3 * (ETH_HLEN + 100)));
	cr_assert(eq(u64, da->stats.rx_packets, 1));
}

Test(wire, drop_every_third_frame)
{
	u32 ids[16];

	impair(0, "drop=/3");
	send_n(9, 64);
	world_run(&w);
	cr_assert(eq(u32, received_ids(&rx_b, ids, 16), 6));
	const u32 expect[6] = { 1, 2, 4, 5, 7, 8 };
	for (int i = 0; i < 6; i++)
		cr_assert(eq(u32, ids[i], expect[i]));
	cr_assert(eq(u64, w.st[0]->drops[SKB_DROP_REASON_WIRE_LOSS], 3));
	cr_assert(eq(u64, wire_impair_stats(wire, 0)->dropped, 3));
}

static u32 loss_pattern(u64 seed, u32 *ids, unsigned int n)
{
	struct impair_config cfg = { .seed = seed, .drop = { .rate_ppm = 100000 } };

	wire_set_impair(wire, 0, &cfg);
	send_n(n, 64);
	world_run(&w);
	return received_ids(&rx_b, ids, n);
}

Test(wire, seeded_random_loss_is_reproducible_and_near_its_rate)
{
	static u32 first[10000], second[10000];
	u32 n1 = loss_pattern(7, first, 10000);
	u32 n2 = loss_pattern(7, second, 10000);

	cr_assert(eq(u32, n1, n2));
	cr_assert(eq(int, memcmp(first, second, n1 * sizeof(u32)), 0), "same seed, same losses");
	cr_assert(gt(u32, n1, 8800));
	cr_assert(lt(u32, n1, 9200), "10%% loss of 10000 frames: %u arrived", n1);
	cr_assert(not(eq(u32, loss_pattern(8, second, 10000), 0)));
	cr_assert(not(eq(int, memcmp(first, second, 100 * sizeof(u32)), 0)), "another seed differs");
}

Test(wire, duplicate_every_second_frame)
{
	u32 ids[16];

	impair(0, "dup=/2");
	send_n(4, 64);
	world_run(&w);
	cr_assert(eq(u32, received_ids(&rx_b, ids, 16), 6));
	const u32 expect[6] = { 1, 2, 2, 3, 4, 4 };
	for (int i = 0; i < 6; i++)
		cr_assert(eq(u32, ids[i], expect[i]));
}

Test(wire, reorder_lets_the_next_frame_overtake)
{
	u32 ids[16];

	impair(0, "reorder=/2");
	send_n(5, 64);
	world_advance_ms(&w, 10);
	cr_assert(eq(u32, received_ids(&rx_b, ids, 16), 5));
	const u32 expect[5] = { 1, 3, 2, 5, 4 };
	for (int i = 0; i < 5; i++)
		cr_assert(eq(u32, ids[i], expect[i]), "position %d", i);
}

Test(wire, held_frame_is_released_after_hold_time)
{
	u32 ids[4];

	impair(0, "reorder=/1,hold=3ms");
	send_n(1, 64);
	world_advance_ms(&w, 2);
	cr_assert(eq(u32, capture_len(&rx_b), 0));
	world_advance_ms(&w, 2);
	cr_assert(eq(u32, received_ids(&rx_b, ids, 4), 1));
}

Test(wire, corruption_flips_exactly_one_bit_past_the_mac_header)
{
	struct sk_buff *skb;

	impair(0, "corrupt=/1,seed=3");
	for (u32 id = 1; id <= 20; id++) {
		struct sk_buff *orig = test_frame(da, mac_b, ETH_P_TEST, id, 300);
		struct sk_buff *ref = skb_copy(orig);
		int bits = 0;

		dev_queue_xmit(orig);
		world_run(&w);
		skb = capture_pop(&rx_b);
		cr_assert(not(eq(ptr, skb, NULL)));
		cr_assert(eq(u32, skb->len, ref->len));
		for (unsigned int i = 0; i < ref->len; i++) {
			u8 x = skb->data[i] ^ ref->data[i];

			bits += __builtin_popcount(x);
			if (x)
				cr_assert(ge(u32, i, ETH_HLEN));
		}
		cr_assert(eq(int, bits, 1), "frame %u", id);
		consume_skb(skb);
		consume_skb(ref);
	}
}

Test(wire, delay_holds_frames_in_flight)
{
	impair(0, "delay=5ms");
	send_n(2, 64);
	world_advance_ms(&w, 4);
	cr_assert(eq(u32, capture_len(&rx_b), 0));
	cr_assert(eq(u32, wire_in_flight(wire, 1), 2));
	world_advance_ms(&w, 1);
	cr_assert(eq(u32, capture_len(&rx_b), 2));
	cr_assert(eq(u64, w.now, WORLD_T0 + 5 * MS));
	capture_detach(&rx_b);
	capture_attach(&rx_b, w.st[1], db, CAPTURE_RX);
}

Test(wire, rate_serialises_frames)
{
	/* 1 Mbit/s: a 1250-byte frame takes 10 ms on the wire. */
	impair(0, "rate=1mbit");
	send_n(10, 1250 - ETH_HLEN);
	world_advance_ms(&w, 55);
	cr_assert(eq(u32, capture_len(&rx_b), 5));
	world_advance_ms(&w, 44);
	cr_assert(eq(u32, capture_len(&rx_b), 9));
	world_advance_ms(&w, 1);
	cr_assert(eq(u32, capture_len(&rx_b), 10));
}

Test(wire, oversize_frame_is_dropped_like_a_real_link)
{
	send_test_frame(da, mac_b, 1, ETH_DATA_LEN + 1);
	send_test_frame(da, mac_b, 2, ETH_DATA_LEN);
	world_run(&w);
	cr_assert(eq(u32, capture_len(&rx_b), 1));
	cr_assert(eq(u64, da->stats.tx_errors, 1));
	cr_assert(eq(u64, w.st[0]->drops[SKB_DROP_REASON_PKT_TOO_BIG], 1));
}

Test(wire, far_end_down_loses_frames)
{
	dev_close(db);
	send_n(2, 64);
	world_run(&w);
	dev_open(db);
	world_run(&w);
	cr_assert(eq(u32, capture_len(&rx_b), 0));
	cr_assert(eq(u64, w.st[0]->drops[SKB_DROP_REASON_WIRE_LOSS], 2));
}

Test(wire, destroy_with_frames_in_flight_frees_them)
{
	impair(0, "delay=100ms,reorder=/1");
	send_n(5, 64);
	cr_assert(eq(u32, wire_in_flight(wire, 1), 5));
	/* teardown destroys the wire and checks nothing leaked */
}

Test(wire, impair_spec_parser_accepts_and_rejects)
{
	struct impair_config c = { 0 };

	cr_assert(eq(int, impair_parse(&c, "drop=1.5%,dup=/50,delay=2ms,jitter=500us,rate=10mbit,seed=9"), 0));
	cr_assert(eq(u32, c.drop.rate_ppm, 15000));
	cr_assert(eq(u32, c.dup.every_nth, 50));
	cr_assert(eq(u64, c.delay, 2 * MS));
	cr_assert(eq(u64, c.jitter, 500 * NSEC_PER_USEC));
	cr_assert(eq(u64, c.rate_bps, 10000000));
	cr_assert(eq(u64, c.seed, 9));
	cr_assert(eq(int, impair_parse(&c, "drop=150%"), -EINVAL));
	cr_assert(eq(int, impair_parse(&c, "drop=/0"), -EINVAL));
	cr_assert(eq(int, impair_parse(&c, "delay=5"), -EINVAL));
	cr_assert(eq(int, impair_parse(&c, "bogus=1"), -EINVAL));
	cr_assert(eq(int, impair_parse(&c, "drop"), -EINVAL));
}
