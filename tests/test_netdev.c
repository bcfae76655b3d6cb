/*
 * test_netdev.c - the device layer: registry, eth_type_trans, protocol
 * dispatch in netif_receive_skb, the drops on the way (runt, VLAN, other
 * host, unknown protocol, device down), taps, loopback, counters' names and
 * the SKBOS_LOG variable.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "world.h"
#include "capture.h"
#include "frames.h"
#include "wire.h"
#include "loopback.h"
#include "eth.h"
#include "log.h"
#include "ip.h"

static struct world w;
static struct wire *wire;
static struct net_device *da, *db;

/* A handler for ETH_P_TEST on B that keeps what it gets. */
static struct sk_buff_head got;
static struct packet_type test_pt;

static int test_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	(void)dev;
	(void)pt;
	skb_queue_tail(&got, skb);
	return 0;
}

static void setup(void)
{
	world_init(&w, 2);
	wire = wire_create(w.st[0], "wa", mac_a, w.st[1], "wb", mac_b);
	da = wire_dev(wire, 0);
	db = wire_dev(wire, 1);
	skb_queue_head_init(&got);
	memset(&test_pt, 0, sizeof(test_pt));
	test_pt.type = ETH_P_TEST;
	test_pt.func = test_rcv;
	dev_add_pack(w.st[1], &test_pt);
}

static void teardown(void)
{
	skb_queue_purge(&got);
	dev_remove_pack(w.st[1], &test_pt);
	wire_destroy(wire);
	world_assert_no_leaks(&w);
	world_fini(&w);
}

TestSuite(netdev, .init = setup, .fini = teardown);

Test(netdev, register_assigns_ifindex_and_rejects_duplicate_names)
{
	struct net_device *dup = alloc_netdev(w.st[0], 0, "wa", ether_setup);

	cr_assert(gt(int, da->ifindex, 0));
	cr_assert(eq(ptr, dev_get_by_name(w.st[0], "wa"), da));
	cr_assert(eq(ptr, dev_get_by_index(w.st[0], da->ifindex), da));
	cr_assert(eq(ptr, dev_get_by_name(w.st[0], "nope"), NULL));
	cr_assert(eq(int, register_netdev(dup), -EEXIST));
	free_netdev(dup);
}

Test(netdev, frame_for_us_reaches_the_ethertype_handler)
{
	struct sk_buff *skb;

	send_test_frame(da, mac_b, 5, 100);
	world_run(&w);
	skb = skb_dequeue(&got);
	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(u32, skb->pkt_type, PACKET_HOST));
	cr_assert(eq(u16, ntohs(skb->protocol), ETH_P_TEST));
	cr_assert(eq(u32, skb->len, 100), "Ethernet header pulled");
	cr_assert(eq(ptr, skb_network_header(skb), skb->data));
	cr_assert(eq(ptr, skb_mac_header(skb) + ETH_HLEN, skb->data));
	cr_assert(eq(ptr, skb->dev, db));
	consume_skb(skb);
}

Test(netdev, broadcast_and_multicast_are_classified)
{
	static const u8 mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	struct sk_buff *skb;

	send_test_frame(da, mac_bcast, 1, 60);
	send_test_frame(da, mcast, 2, 60);
	world_run(&w);
	skb = skb_dequeue(&got);
	cr_assert(eq(u32, skb->pkt_type, PACKET_BROADCAST));
	consume_skb(skb);
	skb = skb_dequeue(&got);
	cr_assert(eq(u32, skb->pkt_type, PACKET_MULTICAST));
	consume_skb(skb);
}

Test(netdev, frame_for_another_host_is_dropped_not_delivered)
{
	static const u8 other[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };

	send_test_frame(da, other, 1, 60);
	world_run(&w);
	cr_assert(skb_queue_empty(&got));
	cr_assert(eq(u64, w.st[1]->drops[SKB_DROP_REASON_OTHERHOST], 1));
}

Test(netdev, unknown_ethertype_is_dropped_and_counted)
{
	dev_queue_xmit(test_frame(da, mac_b, 0x1234, 1, 60));
	world_run(&w);
	cr_assert(skb_queue_empty(&got));
	cr_assert(eq(u64, w.st[1]->drops[SKB_DROP_REASON_UNHANDLED_PROTO], 1));
	cr_assert(eq(u64, db->stats.rx_dropped, 1));
}

Test(netdev, vlan_tagged_frame_is_dropped_not_misparsed)
{
	struct packet_type ip_pt = { .type = ETH_P_IP, .func = test_rcv };

	dev_add_pack(w.st[1], &ip_pt);
	dev_queue_xmit(test_frame(da, mac_b, ETH_P_8021Q, 1, 60));
	dev_queue_xmit(test_frame(da, mac_b, ETH_P_8021AD, 2, 60));
	world_run(&w);
	dev_remove_pack(w.st[1], &ip_pt);
	cr_assert(skb_queue_empty(&got));
	cr_assert(eq(u64, w.st[1]->drops[SKB_DROP_REASON_VLAN_TAG], 2));
}

Test(netdev, runt_frame_is_dropped_as_too_small)
{
	struct sk_buff *skb = alloc_skb(w.st[0], 64);

	skb_put_zero(skb, ETH_HLEN - 1);
	skb->dev = da;
	dev_queue_xmit(skb);
	world_run(&w);
	cr_assert(eq(u64, w.st[1]->drops[SKB_DROP_REASON_PKT_TOO_SMALL], 1));
	cr_assert(eq(u64, db->stats.rx_errors, 1));
}

Test(netdev, device_specific_handler_ignores_other_devices)
{
	struct packet_type only_a = { .type = 0x4242, .dev = da, .func = test_rcv };

	dev_add_pack(w.st[1], &only_a); /* bound to a device of the other stack */
	dev_queue_xmit(test_frame(da, mac_b, 0x4242, 1, 60));
	world_run(&w);
	dev_remove_pack(w.st[1], &only_a);
	cr_assert(skb_queue_empty(&got));
	cr_assert(eq(u64, w.st[1]->drops[SKB_DROP_REASON_UNHANDLED_PROTO], 1));
}

Test(netdev, transmit_on_a_down_device_fails_with_enetdown)
{
	dev_close(da);
	cr_assert(eq(int, send_test_frame(da, mac_b, 1, 60), -ENETDOWN));
	cr_assert(eq(u64, w.st[0]->drops[SKB_DROP_REASON_DEV_DOWN], 1));
	cr_assert(eq(u64, da->stats.tx_dropped, 1));
}

Test(netdev, taps_see_outgoing_and_incoming_whole_frames)
{
	struct capture tx, rx;
	struct sk_buff *skb;

	capture_attach(&tx, w.st[0], da, CAPTURE_TX);
	capture_attach(&rx, w.st[1], db, CAPTURE_RX);
	send_test_frame(da, mac_b, 9, 80);
	world_run(&w);
	skb = capture_pop(&tx);
	cr_assert(eq(u32, skb->pkt_type, PACKET_OUTGOING));
	cr_assert(test_frame_intact(skb, 80));
	consume_skb(skb);
	skb = capture_pop(&rx);
	cr_assert(eq(u32, skb->pkt_type, PACKET_HOST));
	cr_assert(test_frame_intact(skb, 80), "tap gets the frame from its MAC header");
	consume_skb(skb);
	cr_assert(eq(u32, skb_queue_len(&got), 1), "the handler still got it");
	capture_detach(&tx);
	capture_detach(&rx);
}

Test(netdev, loopback_delivers_on_the_next_poll)
{
	struct net_device *lo = loopback_create(w.st[1]);
	struct sk_buff *skb;

	cr_assert(not(IS_ERR(lo)));
	cr_assert(ne(u32, lo->flags & IFF_LOOPBACK, 0));
	cr_assert(ne(u32, lo->flags & IFF_UP, 0));
	cr_assert(eq(int, send_test_frame(lo, lo->dev_addr, 3, 500), 0));
	cr_assert(skb_queue_empty(&got), "not re-entrant");
	cr_assert(eq(u32, loopback_backlog_len(lo), 1));
	world_run(&w);
	skb = skb_dequeue(&got);
	cr_assert(not(eq(ptr, skb, NULL)));
	cr_assert(eq(ptr, skb->dev, lo));
	cr_assert(eq(u32, skb->len, 500));
	consume_skb(skb);
	cr_assert(eq(u64, lo->stats.tx_packets, 1));
	cr_assert(eq(u64, lo->stats.rx_packets, 1));
}

Test(netdev, loopback_unregister_frees_its_backlog)
{
	struct net_device *lo = loopback_create(w.st[1]);

	send_test_frame(lo, lo->dev_addr, 1, 60);
	send_test_frame(lo, lo->dev_addr, 2, 60);
	unregister_netdev(lo);
	free_netdev(lo);
	cr_assert(eq(long, w.st[1]->skb_in_use, 0));
}

Test(netdev, eth_parse_addr_reads_colon_hex)
{
	u8 a[ETH_ALEN];

	cr_assert(eq(int, eth_parse_addr("02:00:5e:0a:FF:01", a), 0));
	cr_assert(eq(u8, a[0], 2));
	cr_assert(eq(u8, a[4], 0xff));
	cr_assert(eq(int, eth_parse_addr("02:00:5e:0a:ff", a), -EINVAL));
	cr_assert(eq(int, eth_parse_addr("02:00:5e:0a:ff:01:", a), -EINVAL));
	cr_assert(eq(int, eth_parse_addr("zz:00:5e:0a:ff:01", a), -EINVAL));
}

Test(netdev, counters_have_nstat_names)
{
	char buf[64];

	cr_assert(eq(str, (char *)snmp_mib_name(IPSTATS_MIB_INHDRERRORS, buf, sizeof(buf)),
		     "IpInHdrErrors"));
	cr_assert(eq(str, (char *)snmp_mib_name(TCP_MIB_INCSUMERRORS, buf, sizeof(buf)),
		     "TcpInCsumErrors"));
	cr_assert(eq(int, snmp_mib_lookup("UdpNoPorts"), UDP_MIB_NOPORTS));
	cr_assert(eq(int, snmp_mib_lookup("NoSuchCounter"), -ENOENT));
	cr_assert(eq(str, (char *)skb_drop_reason_name(SKB_DROP_REASON_VLAN_TAG), "VLAN_TAG"));
	cr_assert(eq(str, (char *)skb_drop_reason_name(SKB_DROP_REASON_MAX), "INVALID"));
}

Test(netdev, skbos_log_variable_is_validated)
{
	cr_assert(eq(int, skb_log_parse_level("debug"), LOG_DEBUG));
	cr_assert(eq(int, skb_log_parse_level("loud"), -EINVAL));
	setenv("SKBOS_LOG", "loud", 1);
	cr_assert(eq(int, skb_log_level_from_env(), -EINVAL));
	setenv("SKBOS_LOG", "warn", 1);
	cr_assert(eq(int, skb_log_level_from_env(), LOG_WARN));
	unsetenv("SKBOS_LOG");
	cr_assert(eq(int, skb_log_level_from_env(), LOG_ERROR));
}

/* The level is a stack's: making a second one does not change the first's. */
Test(netdev, log_level_is_per_stack)
{
	struct stack *a = stack_new(&(struct stack_params){ .families = inet_families,
							    .log_level = LOG_DEBUG });
	struct stack *b = stack_new(&(struct stack_params){ .families = inet_families });

	cr_assert(eq(int, a->log_level, LOG_DEBUG));
	cr_assert(eq(int, b->log_level, LOG_ERROR));
	stack_free(b);
	stack_free(a);
}
