/*
 * test_afpacket.c - the AF_PACKET/io_uring device (netdev/afpacket/afpacket_uring.c)
 * against the real kernel: skbos's device on one end of a veth pair in
 * namespace A, the kernel (its AF_PACKET and UDP sockets) on the other end
 * in namespace B.  Root only: without it the tests skip, under CI=true they
 * fail.  Every wait is bounded (POLL_MS); nothing asserts on timing.
 *
 * Every test runs twice: suite "afpacket" with the default multishot-recv
 * receive, suite "afpacket_tpv3" with the TPACKET_V3 ring (AFP_TEST defines
 * both).  Teardown checks in both that every buffer or block came back.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "netns.h"
#include "frames.h"
#include "under_valgrind.h"
#include "capture.h"
#include "afpacket_uring.h"
#include "eth.h"
#include "stack.h"
#include "ip.h"

#define POLL_MS 3000
#define PEER_IP "10.77.0.1"
#define SKBOS_IP "10.77.0.2"
#define UDP_PORT 7777

static struct netns_pair np;
static struct stack *st;
static struct net_device *dev;
static u8 peer_mac[ETH_ALEN];
static unsigned int rx_mode; /* the suite's AFP_RX_* */

/* One test body, run in both receive modes. */
#define AFP_TEST(name)                                              \
	static void name##_body(void);                              \
	Test(afpacket, name) { name##_body(); }                     \
	Test(afpacket_tpv3, name) { name##_body(); }                \
	static void name##_body(void)

/* Frames of ETH_P_TEST the device handed up, kept (so their ring buffers
 * stay lent) until the test frees them. */
static struct packet_type test_pt;
static struct sk_buff_head rxq;
static u64 rx_seen;

static int test_rcv(struct sk_buff *skb, struct net_device *d, struct packet_type *pt)
{
	(void)d;
	(void)pt;
	skb_push(skb, ETH_HLEN);
	rx_seen++;
	skb_queue_tail(&rxq, skb);
	return 0;
}

static struct net_device *create_dev(const char *ifname, const struct afpacket_config *cfg)
{
	struct afpacket_config c = cfg ? *cfg : (struct afpacket_config){ 0 };
	struct net_device *d;

	if (!c.rx_mode)
		c.rx_mode = rx_mode;
	cr_assert(eq(int, netns_enter(np.ns_a), 0));
	d = afpacket_create(st, ifname, &c);
	netns_return();
	return d;
}

static void setup(void)
{
	netns_pair_create(&np);
	cr_assert(eq(int, netns_ifmac(np.ns_b, np.if_b, peer_mac), 0));
	st = stack_new(&(struct stack_params){ .families = inet_families });
	cr_assert(not(eq(ptr, st, NULL)));
	skb_queue_head_init(&rxq);
	rx_seen = 0;
	dev = create_dev(np.if_a, NULL);
	cr_assert(not(IS_ERR(dev)), "afpacket_create: %ld", PTR_ERR(dev));
	test_pt.type = ETH_P_TEST;
	test_pt.dev = dev;
	test_pt.func = test_rcv;
	dev_add_pack(st, &test_pt);
}

static void setup_multishot(void)
{
	rx_mode = AFP_RX_MULTISHOT;
	setup();
}

static void setup_tpv3(void)
{
	rx_mode = AFP_RX_TPACKET_V3;
	setup();
}

/* Replace the suite's device by one made with @cfg. */
static void recreate_dev(const struct afpacket_config *cfg)
{
	dev_remove_pack(st, &test_pt);
	unregister_netdev(dev);
	free_netdev(dev);
	dev = create_dev(np.if_a, cfg);
	cr_assert(not(IS_ERR(dev)), "afpacket_create: %ld", PTR_ERR(dev));
	test_pt.dev = dev;
	dev_add_pack(st, &test_pt);
}

/*
 * Every receive buffer (multishot) or block (TPACKET_V3) is back with the
 * kernel once the test's skbs are freed; the one block being read may still
 * be ours.  Then the device goes, and nothing may be left: no skb, no buffer.
 */
static void teardown(void)
{
	if (st) {
		skb_queue_purge(&rxq);
		if (!IS_ERR_OR_NULL(dev)) {
			struct afpacket_stats s;

			afpacket_get_stats(dev, &s);
			cr_expect(eq(u32, s.rx_bufs_lent, 0), "buffers or blocks still lent");
			cr_expect(ge(u32, s.rx_bufs_in_ring, s.rx_bufs_total - (rx_mode ? 1 : 0)),
				  "only %u of %u buffers or blocks came back", s.rx_bufs_in_ring,
				  s.rx_bufs_total);
			unregister_netdev(dev);
			free_netdev(dev);
		}
		dev = NULL;
		cr_expect(eq(long, st->skb_in_use, 0), "skbs leaked");
		cr_expect(eq(long, st->data_in_use, 0), "data buffers leaked");
		cr_expect(eq(long, stack_free(st), 0), "leaked when freed");
		st = NULL;
	}
	netns_pair_destroy(&np);
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

/* Drive the stack like the driver loop would until @cond or POLL_MS. */
static bool run_until(bool (*cond)(void))
{
	u64 deadline = now_ms() + POLL_MS;

	while (!cond()) {
		if (now_ms() > deadline)
			return false;
		afpacket_wait(dev, 10);
		stack_poll(st, 64);
		stack_xmit_flush(st);
	}
	return true;
}

static unsigned int payload_of(u32 id)
{
	return 46 + (id * 97) % 1455;
}

/* A frame as the kernel peer would send it to skbos. */
static void peer_send_test_frame(int fd, u32 id, unsigned int payload)
{
	struct sk_buff *skb = test_frame(dev, dev->dev_addr, ETH_P_TEST, id, payload);

	memcpy(skb->data + ETH_ALEN, peer_mac, ETH_ALEN);
	cr_assert(eq(long, (long)send(fd, skb->data, skb->len, 0), (long)skb->len));
	consume_skb(skb);
}

static struct afpacket_stats stats(void)
{
	struct afpacket_stats s;

	afpacket_get_stats(dev, &s);
	return s;
}

TestSuite(afpacket, .init = setup_multishot, .fini = teardown, .timeout = 30);
TestSuite(afpacket_tpv3, .init = setup_tpv3, .fini = teardown, .timeout = 30);

AFP_TEST(device_takes_the_interface_address_and_mtu)
{
	u8 mac[ETH_ALEN];
	struct afpacket_stats s = stats();

	cr_assert(eq(int, netns_ifmac(np.ns_a, np.if_a, mac), 0));
	cr_assert(eq(int, memcmp(dev->dev_addr, mac, ETH_ALEN), 0));
	cr_assert(eq(u32, dev->mtu, 1500));
	cr_assert(ne(u32, dev->flags & IFF_UP, 0));
	cr_assert(ge(int, afpacket_event_fd(dev), 0));
	cr_assert(eq(u32, s.rx_bufs_in_ring, s.rx_bufs_total));
	cr_assert(eq(u32, s.rx_bufs_total, rx_mode == AFP_RX_TPACKET_V3 ? 16 : 256));
	cr_log_info("io_uring setup flags %#x, registered file %d, registered ring %d",
		    s.setup_flags, s.reg_file, s.reg_ring);
}

AFP_TEST(nonexistent_interface_is_enodev)
{
	struct net_device *d = create_dev("skt-nosuchif", NULL);

	cr_assert(IS_ERR(d));
	cr_assert(eq(long, PTR_ERR(d), -ENODEV));
}

static int peer_fd = -1;
static u32 frames_wanted;

static bool tx_done(void)
{
	return dev->stats.tx_packets >= frames_wanted;
}

AFP_TEST(frames_sent_arrive_intact_at_the_kernel)
{
	const u32 n = 64;
	bool got[65] = { false };
	u8 buf[2048];

	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	for (u32 id = 1; id <= n; id++)
		cr_assert(eq(int, send_test_frame(dev, peer_mac, id, payload_of(id)), 0));
	stack_xmit_flush(st);
	for (u32 i = 0; i < n; i++) {
		ssize_t len = recv(peer_fd, buf, sizeof(buf), 0);
		struct sk_buff *want;
		u32 id;

		cr_assert(gt(long, (long)len, 0), "frame %u of %u did not arrive", i + 1, n);
		memcpy(&id, buf + ETH_HLEN, sizeof(id));
		id = ntohl(id);
		cr_assert(id >= 1 && id <= n && !got[id], "unexpected id %u", id);
		got[id] = true;
		want = test_frame(dev, peer_mac, ETH_P_TEST, id, payload_of(id));
		cr_assert(eq(long, (long)len, (long)want->len));
		cr_assert(eq(int, memcmp(buf, want->data, want->len), 0), "frame %u differs", id);
		consume_skb(want);
	}
	frames_wanted = n;
	cr_assert(run_until(tx_done), "send completions");
	cr_assert(eq(u64, dev->stats.tx_errors, 0));
	cr_assert(eq(u32, stats().tx_inflight, 0));
	close(peer_fd);
}

static bool rx_all(void)
{
	return rx_seen >= frames_wanted;
}

AFP_TEST(frames_from_the_kernel_arrive_intact_through_poll)
{
	const u32 n = 50;
	struct sk_buff *skb;
	bool got[51] = { false };

	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	for (u32 id = 1; id <= n; id++)
		peer_send_test_frame(peer_fd, id, payload_of(id));
	frames_wanted = n;
	cr_assert(run_until(rx_all), "received %lu of %u", (unsigned long)rx_seen, n);
	while ((skb = skb_dequeue(&rxq)) != NULL) {
		u32 id = test_frame_id(skb);

		cr_assert(id >= 1 && id <= n && !got[id], "unexpected id %u", id);
		got[id] = true;
		cr_assert(test_frame_intact(skb, payload_of(id)), "frame %u damaged", id);
		cr_assert(eq(u32, skb->pkt_type, PACKET_HOST));
		/* veth marks a finished frame from a raw socket checksum-valid. */
		cr_assert(ne(u32, skb->ip_summed, CHECKSUM_PARTIAL));
		cr_assert(eq(u32, skb_shinfo(skb)->gso_size, 0));
		consume_skb(skb);
	}
	cr_assert(eq(u64, dev->stats.rx_packets, n));
	cr_assert(eq(u32, stats().rx_bufs_lent, 0));
	/* A block retired by its timer has room after its last frame. */
	cr_assert(eq(u64, stats().rx_copied, 0), "zero copy");
	close(peer_fd);
}

AFP_TEST(event_fd_wakes_a_sleeper_on_arrival)
{
	struct pollfd pfd = { .fd = afpacket_event_fd(dev), .events = POLLIN };
	u64 v;

	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	/* Nothing pending: drain, so the next wake-up is the frame's. */
	stack_poll(st, 64);
	while (read(pfd.fd, &v, sizeof(v)) > 0)
		;
	peer_send_test_frame(peer_fd, 1, 100);
	cr_assert(eq(int, poll(&pfd, 1, POLL_MS), 1), "no wake-up");
	frames_wanted = 1;
	cr_assert(run_until(rx_all));
	close(peer_fd);
}

AFP_TEST(batch_of_frames_leaves_with_one_submit)
{
	const u32 n = 100;
	struct afpacket_stats before = stats(), after;
	u8 buf[2048];
	u32 arrived = 0;

	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	for (u32 id = 1; id <= n; id++)
		cr_assert(eq(int, send_test_frame(dev, peer_mac, id, 60), 0));
	cr_assert(eq(u64, stats().tx_submits, before.tx_submits), "nothing leaves before the flush");
	stack_xmit_flush(st);
	after = stats();
	cr_assert(eq(u64, after.tx_submits - before.tx_submits, 1));
	cr_assert(eq(u64, after.tx_enters - before.tx_enters, 1));
	while (arrived < n && recv(peer_fd, buf, sizeof(buf), 0) > 0)
		arrived++;
	cr_assert(eq(u32, arrived, n));
	frames_wanted = n;
	cr_assert(run_until(tx_done));
	close(peer_fd);
}

/* ---- the ring running dry ------------------------------------------------ */

static bool ring_dry(void)
{
	return stats().rx_ring_dry > 0 && rx_seen >= 8;
}

static bool all_or_ring_lent(void)
{
	return rx_all() || stats().rx_bufs_lent == 8;
}

Test(afpacket, dry_ring_recovers_and_every_buffer_comes_back)
{
	const struct afpacket_config cfg = { .rx_buffers = 8 };
	const u32 n = 40;
	bool got[41] = { false };
	struct afpacket_stats s;
	struct sk_buff *skb;

	recreate_dev(&cfg);
	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	for (u32 id = 1; id <= n; id++)
		peer_send_test_frame(peer_fd, id, 200);
	/* The test holds every skb: 8 buffers lent, then the ring is dry. */
	cr_assert(run_until(ring_dry), "ring never ran dry (seen %lu)", (unsigned long)rx_seen);
	s = stats();
	cr_assert(eq(u64, rx_seen, 8));
	cr_assert(eq(u32, s.rx_bufs_lent, 8));
	cr_assert(eq(u32, s.rx_bufs_in_ring, 0));
	/* Freeing gives the buffers back and re-arms; the rest waited in the
	 * socket, so nothing is lost. */
	frames_wanted = n;
	while (!rx_all()) {
		u64 before = rx_seen;

		while ((skb = skb_dequeue(&rxq)) != NULL) {
			u32 id = test_frame_id(skb);

			cr_assert(id >= 1 && id <= n && !got[id], "unexpected id %u", id);
			got[id] = true;
			consume_skb(skb);
		}
		cr_assert(run_until(all_or_ring_lent), "reception did not resume");
		cr_assert(gt(u64, rx_seen, before), "nothing after the re-arm");
	}
	while ((skb = skb_dequeue(&rxq)) != NULL) {
		got[test_frame_id(skb)] = true;
		consume_skb(skb);
	}
	for (u32 id = 1; id <= n; id++)
		cr_assert(got[id], "frame %u lost", id);
	s = stats();
	cr_assert(ge(u64, s.rx_rearms, 1));
	cr_assert(eq(u32, s.rx_bufs_lent, 0));
	cr_assert(eq(u32, s.rx_bufs_in_ring, 8), "a buffer went missing");
	close(peer_fd);
}

/*
 * TPACKET_V3's version: the kernel cannot leave frames in the socket when it
 * has no block, it drops them.  So skbs may hold only half the blocks; frames
 * of blocks read beyond that are copied, and their blocks go straight back.
 */
Test(afpacket_tpv3, held_blocks_are_capped_and_every_block_comes_back)
{
	const struct afpacket_config cfg = {
		.rx_mode = AFP_RX_TPACKET_V3, .rx_block_size = 8192, .rx_blocks = 4,
		.rx_frame_max = 1600,
	};
	const u32 n = 60;
	bool got[61] = { false };
	struct afpacket_stats s;
	struct sk_buff *skb;

	/* Its premise is speed: 60 frames land in three blocks only if the
	 * reader keeps ahead of the kernel's block retire timeout.  Under
	 * valgrind it cannot, blocks retire half-empty and the kernel drops. */
	if (RUNNING_ON_VALGRIND)
		cr_skip_test("ring timing: too slow under valgrind for the retire timeout");
	recreate_dev(&cfg);
	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	for (u32 id = 1; id <= n; id++)
		peer_send_test_frame(peer_fd, id, 200);
	frames_wanted = n;
	cr_assert(run_until(rx_all), "received %lu of %u", (unsigned long)rx_seen, n);
	s = stats();
	cr_assert(eq(u64, s.rx_ring_drops, 0));
	cr_assert(ge(u64, s.rx_blocks_read, 3), "60 frames fill three 8 KB blocks");
	cr_assert(le(u32, s.rx_bufs_lent, 2), "at most half the blocks held");
	cr_assert(gt(u64, s.rx_copied, 0), "frames beyond the cap are copied");
	cr_assert(lt(u64, s.rx_copied, n), "the others are lent");
	while ((skb = skb_dequeue(&rxq)) != NULL) {
		u32 id = test_frame_id(skb);

		cr_assert(id >= 1 && id <= n && !got[id], "unexpected id %u", id);
		got[id] = true;
		cr_assert(test_frame_intact(skb, 200), "frame %u damaged", id);
		consume_skb(skb);
	}
	for (u32 id = 1; id <= n; id++)
		cr_assert(got[id], "frame %u lost", id);
	s = stats();
	cr_assert(eq(u32, s.rx_bufs_lent, 0));
	cr_assert(eq(u32, s.rx_bufs_in_ring, 4), "a block went missing");
	close(peer_fd);
}

/*
 * A block whose skbs are still alive stays TP_STATUS_USER, and the kernel
 * stops at it; the reader, once round the ring, stops there too and does not
 * take it for a new one.  Two blocks, one frame each (the retire timer hands
 * each over): frame 1's block is held, frame 2's is copied and goes back.
 */
static bool rx_two(void)
{
	return rx_seen >= 2;
}

Test(afpacket_tpv3, a_held_block_is_not_read_again_when_the_reader_comes_round)
{
	const struct afpacket_config cfg = {
		.rx_mode = AFP_RX_TPACKET_V3, .rx_block_size = 4096, .rx_blocks = 2,
		.rx_frame_max = 1600,
	};
	struct afpacket_stats s;
	struct sk_buff *skb;
	u64 deadline;

	recreate_dev(&cfg);
	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	peer_send_test_frame(peer_fd, 1, 200);
	frames_wanted = 1;
	cr_assert(run_until(rx_all), "frame 1 never arrived");
	cr_assert(eq(u32, stats().rx_bufs_lent, 1), "frame 1 is lent, its block held");
	peer_send_test_frame(peer_fd, 2, 200);
	cr_assert(run_until(rx_two), "frame 2 never arrived");
	/* Both blocks read; the cursor is back at the held one.  Keep polling
	 * a while: nothing more may come up. */
	deadline = now_ms() + 50;
	while (now_ms() < deadline) {
		afpacket_wait(dev, 5);
		stack_poll(st, 64);
	}
	cr_assert(eq(u64, rx_seen, 2), "%lu frames handed up for 2 sent", (unsigned long)rx_seen);
	s = stats();
	cr_assert(eq(u32, s.rx_bufs_lent, 1));
	cr_assert(eq(u32, s.rx_bufs_in_ring, 1), "the held block is ours, the other the kernel's");
	for (u32 id = 1; id <= 2; id++) {
		skb = skb_dequeue(&rxq);
		cr_assert(not(eq(ptr, skb, NULL)));
		cr_assert(eq(u32, test_frame_id(skb), id));
		cr_assert(test_frame_intact(skb, 200), "frame %u damaged", id);
		consume_skb(skb);
	}
	/* Freed: the block goes back, and the kernel fills it again. */
	s = stats();
	cr_assert(eq(u32, s.rx_bufs_lent, 0));
	cr_assert(eq(u32, s.rx_bufs_in_ring, 2));
	peer_send_test_frame(peer_fd, 3, 200);
	frames_wanted = 3;
	cr_assert(run_until(rx_all), "frame 3 never arrived");
	skb = skb_dequeue(&rxq);
	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(u32, test_frame_id(skb), 3));
	cr_assert(test_frame_intact(skb, 200));
	consume_skb(skb);
	cr_assert(eq(u64, stats().rx_ring_drops, 0));
	close(peer_fd);
}

static bool rx_quiet(void)
{
	struct afpacket_stats s = stats();

	return rx_seen + s.rx_ring_drops >= frames_wanted;
}

/* A reader that falls behind loses frames, and the device counts them. */
Test(afpacket_tpv3, frames_dropped_for_want_of_a_block_are_counted)
{
	const struct afpacket_config cfg = {
		.rx_mode = AFP_RX_TPACKET_V3, .rx_block_size = 4096, .rx_blocks = 2,
		.rx_frame_max = 1600,
	};
	const u32 n = 100;
	bool got[101] = { false };
	struct sk_buff *skb;

	recreate_dev(&cfg);
	peer_fd = netns_packet_socket(np.ns_b, np.if_b, ETH_P_TEST);
	cr_assert(ge(int, peer_fd, 0));
	/* Nobody reads while the peer sends: two 4 KB blocks hold ~20. */
	for (u32 id = 1; id <= n; id++)
		peer_send_test_frame(peer_fd, id, 200);
	usleep(20 * 1000);
	frames_wanted = n;
	cr_assert(run_until(rx_quiet), "seen %lu, dropped %lu", (unsigned long)rx_seen,
		  (unsigned long)stats().rx_ring_drops);
	cr_assert(gt(u64, stats().rx_ring_drops, 0));
	cr_assert(lt(u64, rx_seen, n));
	/* The reader came round to the block its skbs hold: read once only. */
	while ((skb = skb_dequeue(&rxq)) != NULL) {
		u32 id = test_frame_id(skb);

		cr_assert(id >= 1 && id <= n && !got[id], "unexpected id %u", id);
		got[id] = true;
		cr_assert(test_frame_intact(skb, 200));
		consume_skb(skb);
	}
	close(peer_fd);
}

/* ---- checksums and super-frames: what the virtio_net_hdr carries --------- */

/* The peer owns PEER_IP and believes SKBOS_IP is at skbos's address. */
static void peer_ip_setup(void)
{
	cr_assert(eq(int, netns_sh(np.ns_b, "ip addr add %s/24 dev %s && "
				   "ip neigh add %s lladdr %02x:%02x:%02x:%02x:%02x:%02x dev %s nud permanent",
				   PEER_IP, np.if_b, SKBOS_IP, dev->dev_addr[0], dev->dev_addr[1],
				   dev->dev_addr[2], dev->dev_addr[3], dev->dev_addr[4],
				   dev->dev_addr[5], np.if_b), 0));
}

static struct sockaddr_in sin_of(const char *ip, u16 port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}

static struct capture cap;

static bool captured_ip_frames(void)
{
	struct sk_buff *skb;

	skb_queue_walk(&cap.q, skb)
		if (skb->len > ETH_HLEN && skb->data[12] == 0x08 && skb->data[13] == 0x00)
			frames_wanted--;
	return (s64)frames_wanted <= 0;
}

/* Wait until @n IPv4 frames have been captured; they stay on cap.q. */
static void capture_ip(u32 n)
{
	bool ok;

	for (;;) {
		frames_wanted = n;
		ok = captured_ip_frames();
		if (ok)
			return;
		cr_assert(run_until(captured_ip_frames), "only %u IPv4 frames captured", n - frames_wanted);
	}
}

static struct sk_buff *next_ip_frame(void)
{
	struct sk_buff *skb;

	while ((skb = capture_pop(&cap)) != NULL) {
		if (skb->data[12] == 0x08 && skb->data[13] == 0x00)
			return skb;
		consume_skb(skb);
	}
	return NULL;
}

AFP_TEST(kernel_udp_with_offloaded_checksum_arrives_partial)
{
	struct sockaddr_in to = sin_of(SKBOS_IP, UDP_PORT);
	char msg[100] = "partial";
	struct sk_buff *skb;
	int fd;

	peer_ip_setup();
	capture_attach(&cap, st, dev, CAPTURE_RX);
	fd = netns_socket(np.ns_b, AF_INET, SOCK_DGRAM, 0);
	cr_assert(ge(int, fd, 0));
	cr_assert(eq(long, (long)sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)),
		     (long)sizeof(msg)));
	capture_ip(1);
	skb = next_ip_frame();
	/* veth offloads the checksum: only the vnet header says it is partial,
	 * and where the kernel would have put it. */
	cr_assert(eq(u32, skb->ip_summed, CHECKSUM_PARTIAL));
	cr_assert(eq(u32, skb->csum_start - skb_headroom(skb), ETH_HLEN + 20));
	cr_assert(eq(u32, skb->csum_offset, 6));
	cr_assert(eq(u32, skb_shinfo(skb)->gso_size, 0));
	cr_assert(eq(u32, skb->len, ETH_HLEN + 20 + 8 + sizeof(msg)));
	cr_assert(ge(u64, stats().rx_csum_partial, 1));
	consume_skb(skb);
	capture_detach(&cap);
	close(fd);
}

AFP_TEST(kernel_udp_gso_super_frame_arrives_whole)
{
	struct sockaddr_in to = sin_of(SKBOS_IP, UDP_PORT);
	static char msg[8000];
	int gso = 1000, fd;
	struct sk_buff *skb;

	peer_ip_setup();
	capture_attach(&cap, st, dev, CAPTURE_RX);
	fd = netns_socket(np.ns_b, AF_INET, SOCK_DGRAM, 0);
	cr_assert(ge(int, fd, 0));
	cr_assert(eq(int, setsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)), 0));
	cr_assert(eq(long, (long)sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)),
		     (long)sizeof(msg)));
	capture_ip(1);
	skb = next_ip_frame();
	cr_assert(eq(u32, skb->len, ETH_HLEN + 20 + 8 + sizeof(msg)), "one frame of 8 datagrams");
	cr_assert(eq(u32, skb->ip_summed, CHECKSUM_PARTIAL));
	cr_assert(eq(u32, skb_shinfo(skb)->gso_size, 1000));
	cr_assert(eq(u32, skb_shinfo(skb)->gso_type, SKB_GSO_UDP_L4));
	cr_assert(eq(u32, skb_shinfo(skb)->gso_segs, 8));
	cr_assert(ge(u64, stats().rx_gso, 1));
	consume_skb(skb);
	capture_detach(&cap);
	close(fd);
}

/*
 * A kernel TCP sender's TSO super-frames: the kernel in namespace A owns
 * SKBOS_IP for this test and accepts the connection; skbos's device on the
 * same interface sees the frames on their way in, as they came off the wire.
 */
AFP_TEST(kernel_tcp_tso_super_frames_arrive_with_partial_checksums)
{
	struct sockaddr_in sin = sin_of(SKBOS_IP, UDP_PORT);
	static char chunk[65536];
	struct sk_buff *skb;
	int lfd, cfd, one = 1;
	bool big = false;
	u64 deadline;

	peer_ip_setup();
	cr_assert(eq(int, netns_sh(np.ns_a, "ip addr add %s/24 dev %s", SKBOS_IP, np.if_a), 0));
	capture_attach(&cap, st, dev, CAPTURE_RX);
	lfd = netns_socket(np.ns_a, AF_INET, SOCK_STREAM, 0);
	cr_assert(ge(int, lfd, 0));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert(eq(int, bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0));
	cr_assert(eq(int, listen(lfd, 1), 0));
	cfd = netns_socket(np.ns_b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert(ge(int, cfd, 0));
	connect(cfd, (struct sockaddr *)&sin, sizeof(sin));
	deadline = now_ms() + POLL_MS;
	while (!big && now_ms() < deadline) {
		if (send(cfd, chunk, sizeof(chunk), MSG_NOSIGNAL) < 0)
			usleep(1000);
		afpacket_wait(dev, 5);
		stack_poll(st, 64);
		while ((skb = next_ip_frame()) != NULL) {
			if (skb->len > ETH_HLEN + 1500) {
				big = true;
				cr_assert(eq(u32, skb->ip_summed, CHECKSUM_PARTIAL));
				cr_assert(eq(u32, skb_shinfo(skb)->gso_type, SKB_GSO_TCPV4));
				cr_assert(gt(u32, skb_shinfo(skb)->gso_segs, 1));
				cr_assert(eq(u32, skb->csum_offset, 16));
			}
			consume_skb(skb);
		}
	}
	cr_assert(big, "no TSO super-frame seen");
	capture_detach(&cap);
	close(cfd);
	close(lfd);
}

/* ---- transmit offloads: the kernel finishes what skbos leaves ------------ */

static u32 csum_add(u32 sum, const void *data, size_t len)
{
	const u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (u32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (u32)p[len - 1] << 8;
	return sum;
}

static u16 csum_fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)sum;
}

/*
 * A UDP datagram from SKBOS_IP to the peer with its checksum left to the
 * device (CHECKSUM_PARTIAL: the field holds the pseudo-header sum, as Linux
 * does), optionally a GSO train of @gso-byte datagrams.
 */
static struct sk_buff *udp_frame(const u8 *payload, u16 len, u16 gso)
{
	struct sk_buff *skb = alloc_skb(st, MAX_HEADER + 28 + len);
	u8 *ip, *udp;
	u32 saddr, daddr, pseudo;
	u16 ulen = (u16)(8 + len), tot = (u16)(20 + ulen);

	cr_assert(not(eq(ptr, skb, NULL)));
	inet_pton(AF_INET, SKBOS_IP, &saddr);
	inet_pton(AF_INET, PEER_IP, &daddr);
	skb_reserve(skb, MAX_HEADER + 28);
	skb_put_data(skb, payload, len);
	udp = skb_push(skb, 8);
	udp[0] = 5555 >> 8, udp[1] = 5555 & 0xff;
	udp[2] = UDP_PORT >> 8, udp[3] = UDP_PORT & 0xff;
	udp[4] = (u8)(ulen >> 8), udp[5] = (u8)ulen;
	pseudo = csum_add(0, &saddr, 4);
	pseudo = csum_add(pseudo, &daddr, 4);
	pseudo += 17 + ulen;
	udp[6] = (u8)(csum_fold(pseudo) >> 8), udp[7] = (u8)csum_fold(pseudo);
	skb_reset_transport_header(skb);
	ip = skb_push(skb, 20);
	memset(ip, 0, 20);
	ip[0] = 0x45, ip[2] = (u8)(tot >> 8), ip[3] = (u8)tot, ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	{
		u16 c = (u16)~csum_fold(csum_add(0, ip, 20));

		ip[10] = (u8)(c >> 8), ip[11] = (u8)c;
	}
	skb_reset_network_header(skb);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb->transport_header;
	skb->csum_offset = 6;
	if (gso) {
		skb_shinfo(skb)->gso_size = gso;
		skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
		skb_shinfo(skb)->gso_segs = (u16)((len + gso - 1) / gso);
	}
	eth_header(skb, dev, ETH_P_IP, peer_mac, NULL);
	skb->dev = dev;
	return skb;
}

/*
 * The kernel must compute skbos's checksums and cut its super-frames: with
 * checksum offload off on skbos's veth end, the sending kernel does both in
 * software, and with receive checksumming off on the peer, the receiving
 * kernel verifies every datagram (a wrong one is dropped and counted).
 */
AFP_TEST(kernel_completes_partial_checksums_and_segments_super_frames)
{
	struct sockaddr_in me = sin_of(PEER_IP, UDP_PORT);
	static u8 payload[4000];
	u8 buf[2048];
	int fd;

	if (system("command -v ethtool >/dev/null 2>&1") != 0) {
		if (netns_ci())
			cr_fatal("ethtool is not installed (scripts/deps.sh installs it)");
		cr_skip_test("ethtool is not installed");
	}
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (u8)(i * 13 + 5);
	peer_ip_setup();
	cr_assert(eq(int, netns_sh(np.ns_a, "ethtool -K %s tx off >/dev/null", np.if_a), 0));
	cr_assert(eq(int, netns_sh(np.ns_b, "ethtool -K %s rx off >/dev/null", np.if_b), 0));
	fd = netns_socket(np.ns_b, AF_INET, SOCK_DGRAM, 0);
	cr_assert(ge(int, fd, 0));
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&me, sizeof(me)), 0));

	cr_assert(eq(int, dev_queue_xmit(udp_frame(payload, 300, 0)), 0));
	cr_assert(eq(int, dev_queue_xmit(udp_frame(payload, 4000, 1000)), 0));
	stack_xmit_flush(st);
	cr_assert(eq(long, (long)recv(fd, buf, sizeof(buf), 0), 300L), "checksummed datagram");
	cr_assert(eq(int, memcmp(buf, payload, 300), 0));
	for (int i = 0; i < 4; i++) {
		cr_assert(eq(long, (long)recv(fd, buf, sizeof(buf), 0), 1000L), "segment %d", i);
		cr_assert(eq(int, memcmp(buf, payload + i * 1000, 1000), 0), "segment %d", i);
	}
	frames_wanted = 2;
	cr_assert(run_until(tx_done));
	cr_assert(eq(u64, dev->stats.tx_errors, 0));
	close(fd);
}
