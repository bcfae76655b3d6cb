/*
 * test_route.c - the FIB (longest-prefix match, default route, removal),
 * output route decisions (source address, next hop, local, broadcast, no
 * route), dst staleness after route and PMTU changes, input route martians.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "frames.h"
#include "inetdevice.h"
#include "route.h"
#include "loopback.h"

static struct world w;
static struct stack *st;
static struct wire *wire;
static struct net_device *eth0, *eth1;

/* eth1 only needs to exist and be up: it swallows what it is given. */
static netdev_tx_t sink_xmit(struct sk_buff *skb, struct net_device *dev)
{
	(void)dev;
	consume_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops sink_ops = { .ndo_start_xmit = sink_xmit };

static void setup(void)
{
	world_init(&w, 2);
	st = w.st[0];
	wire = wire_create(st, "eth0", mac_a, w.st[1], "peer", mac_b);
	eth0 = wire_dev(wire, 0);
	eth1 = alloc_netdev(st, 0, "eth1", ether_setup);
	eth1->netdev_ops = &sink_ops;
	cr_assert(eq(int, register_netdev(eth1), 0));
	dev_open(eth1);
	cr_assert(eq(int, inet_addr_add(eth0, ip4("10.0.0.1"), 24), 0));
	cr_assert(eq(int, inet_addr_add(eth1, ip4("192.168.7.1"), 16), 0));
	world_run(&w);
}

static void teardown(void)
{
	wire_destroy(wire);
	unregister_netdev(eth1);
	free_netdev(eth1);
	world_fini(&w);
}

TestSuite(route, .init = setup, .fini = teardown);

static const struct fib_entry *lookup(const char *a)
{
	return fib_lookup(st, ip4(a), 0);
}

Test(route, connected_routes_come_from_addresses)
{
	cr_assert(eq(u32, fib_count(st), 2));
	cr_assert(eq(ptr, lookup("10.0.0.77")->dev, eth0));
	cr_assert(eq(ptr, lookup("192.168.200.3")->dev, eth1));
	cr_assert(eq(ptr, (void *)lookup("172.16.0.1"), NULL));
}

Test(route, longest_prefix_wins_over_shorter_overlaps)
{
	cr_assert(eq(int, fib_add(st, ip4("10.0.0.0"), 8, ip4("10.0.0.254"), NULL, 0), 0));
	cr_assert(eq(int, fib_add(st, ip4("10.0.0.128"), 25, ip4("192.168.0.9"), NULL, 0), 0));
	cr_assert(eq(int, fib_add(st, ip4("10.0.0.200"), 32, ip4("10.0.0.253"), NULL, 0), 0));
	cr_assert(eq(u8, lookup("10.0.0.5")->prefixlen, 24));
	cr_assert(eq(u8, lookup("10.0.0.130")->prefixlen, 25));
	cr_assert(eq(ptr, lookup("10.0.0.130")->dev, eth1));
	cr_assert(eq(u8, lookup("10.0.0.200")->prefixlen, 32));
	cr_assert(eq(u8, lookup("10.9.9.9")->prefixlen, 8));
	cr_assert(eq(u32, lookup("10.9.9.9")->gw, ip4("10.0.0.254")));
}

Test(route, default_route_catches_everything_else)
{
	cr_assert(eq(int, fib_add(st, 0, 0, ip4("10.0.0.254"), NULL, 0), 0));
	cr_assert(eq(u8, lookup("8.8.8.8")->prefixlen, 0));
	cr_assert(eq(ptr, lookup("8.8.8.8")->dev, eth0));
	cr_assert(eq(u8, lookup("10.0.0.9")->prefixlen, 24), "more specific still wins");
}

Test(route, removal_falls_back_to_the_next_best)
{
	fib_add(st, 0, 0, ip4("10.0.0.254"), NULL, 0);
	fib_add(st, ip4("8.8.0.0"), 16, ip4("192.168.0.1"), NULL, 0);
	cr_assert(eq(u8, lookup("8.8.8.8")->prefixlen, 16));
	cr_assert(eq(int, fib_del(st, ip4("8.8.0.0"), 16, 0), 0));
	cr_assert(eq(u8, lookup("8.8.8.8")->prefixlen, 0));
	cr_assert(eq(int, fib_del(st, 0, 0, 0), 0));
	cr_assert(eq(ptr, (void *)lookup("8.8.8.8"), NULL));
	cr_assert(eq(int, fib_del(st, 0, 0, 0), -ESRCH));
}

Test(route, bad_routes_are_refused)
{
	cr_assert(eq(int, fib_add(st, 0, 0, ip4("172.16.0.1"), NULL, 0), -ENETUNREACH),
		  "gateway must be on a connected network");
	cr_assert(eq(int, fib_add(st, 0, 33, 0, eth0, 0), -EINVAL));
	cr_assert(eq(int, fib_add(st, ip4("10.0.0.0"), 24, 0, eth0, 0), -EEXIST));
	cr_assert(eq(int, fib_add(st, ip4("10.0.0.0"), 24, 0, eth0, 10), 0), "another metric");
	cr_assert(eq(int, fib_add(st, 0, 0, 0, NULL, 0), -ENODEV));
}

Test(route, metric_orders_equal_prefixes)
{
	fib_add(st, 0, 0, ip4("192.168.0.1"), NULL, 100);
	fib_add(st, 0, 0, ip4("10.0.0.254"), NULL, 10);
	cr_assert(eq(u32, lookup("1.1.1.1")->gw, ip4("10.0.0.254")));
}

Test(route, routes_through_a_down_device_are_skipped)
{
	fib_add(st, 0, 0, ip4("192.168.0.1"), NULL, 100);
	fib_add(st, 0, 0, ip4("10.0.0.254"), NULL, 10);
	dev_close(eth0);
	cr_assert(eq(u32, lookup("1.1.1.1")->gw, ip4("192.168.0.1")));
	dev_open(eth0);
}

Test(route, output_route_picks_source_and_next_hop)
{
	struct flowi4 fl = { .daddr = ip4("10.0.0.9") };
	struct rtable *rt;

	fib_add(st, 0, 0, ip4("10.0.0.254"), NULL, 0);
	rt = ip_route_output_flow(st, &fl);
	cr_assert(not(IS_ERR(rt)));
	cr_assert(eq(u32, fl.saddr, ip4("10.0.0.1")));
	cr_assert(eq(ptr, rt->dst.dev, eth0));
	cr_assert(eq(u32, rt_nexthop(rt, fl.daddr), ip4("10.0.0.9")), "on-link: the destination");
	cr_assert(eq(u32, dst_mtu(&rt->dst), 1500));
	dst_release(&rt->dst);

	fl = (struct flowi4){ .daddr = ip4("1.2.3.4") };
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(u32, rt_nexthop(rt, fl.daddr), ip4("10.0.0.254")), "via the gateway");
	cr_assert(rt->rt_uses_gateway);
	dst_release(&rt->dst);
}

Test(route, no_route_is_enetunreach)
{
	struct flowi4 fl = { .daddr = ip4("172.16.1.1") };

	cr_assert(eq(long, PTR_ERR(ip_route_output_flow(st, &fl)), -ENETUNREACH));
}

Test(route, foreign_or_invalid_source_is_refused)
{
	struct flowi4 fl = { .daddr = ip4("10.0.0.9"), .saddr = ip4("10.0.0.77") };

	cr_assert(eq(long, PTR_ERR(ip_route_output_flow(st, &fl)), -ENETUNREACH));
	fl.saddr = ip4("224.0.0.1");
	cr_assert(eq(long, PTR_ERR(ip_route_output_flow(st, &fl)), -EINVAL));
	fl.saddr = ip4("192.168.7.1"); /* ours, on another device: allowed (weak host) */
	struct rtable *rt = ip_route_output_flow(st, &fl);
	cr_assert(not(IS_ERR(rt)));
	dst_release(&rt->dst);
}

Test(route, broadcast_destinations_get_broadcast_routes)
{
	struct flowi4 fl = { .daddr = ip4("10.0.0.255") };
	struct rtable *rt = ip_route_output_flow(st, &fl);

	cr_assert(eq(u32, rt->rt_type, RTN_BROADCAST));
	dst_release(&rt->dst);
	fl = (struct flowi4){ .daddr = ip4("255.255.255.255"), .oif = eth0->ifindex };
	rt = ip_route_output_flow(st, &fl);
	cr_assert(not(IS_ERR(rt)));
	cr_assert(eq(u32, rt->rt_type, RTN_BROADCAST));
	cr_assert(eq(u32, fl.saddr, ip4("10.0.0.1")));
	dst_release(&rt->dst);
}

Test(route, local_destination_goes_through_loopback)
{
	struct flowi4 fl = { .daddr = ip4("10.0.0.1") };
	struct net_device *lo;
	struct rtable *rt;

	cr_assert(eq(long, PTR_ERR(ip_route_output_flow(st, &fl)), -ENETUNREACH), "no lo yet");
	lo = loopback_create(st);
	cr_assert(eq(int, inet_addr_add(lo, ip4("127.0.0.1"), 8), 0));
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(ptr, rt->dst.dev, lo));
	cr_assert(eq(u32, rt->rt_type, RTN_LOCAL));
	cr_assert(eq(u32, fl.saddr, ip4("10.0.0.1")));
	dst_release(&rt->dst);
	fl = (struct flowi4){ .daddr = ip4("127.3.4.5") };
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(ptr, rt->dst.dev, lo), "all of 127/8 is local");
	dst_release(&rt->dst);
	fl = (struct flowi4){ .daddr = 0 };
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(u32, fl.daddr, ip4("127.0.0.1")), "0.0.0.0 means this host");
	dst_release(&rt->dst);
}

Test(route, cached_dst_goes_stale_when_routes_change)
{
	struct flowi4 fl = { .daddr = ip4("8.8.8.8") };
	struct rtable *rt;

	fib_add(st, 0, 0, ip4("10.0.0.254"), NULL, 0);
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(ptr, dst_check(&rt->dst), &rt->dst));
	fib_add(st, ip4("8.8.8.0"), 24, ip4("192.168.0.1"), NULL, 0);
	cr_assert(eq(ptr, dst_check(&rt->dst), NULL), "a new, better route exists");
	dst_release(&rt->dst);
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(ptr, rt->dst.dev, eth1), "a fresh lookup sees it");
	cr_assert(eq(ptr, dst_check(&rt->dst), &rt->dst));
	fib_del(st, ip4("8.8.8.0"), 24, 0);
	cr_assert(eq(ptr, dst_check(&rt->dst), NULL), "removal makes it stale too");
	dst_release(&rt->dst);
}

Test(route, lookups_share_one_cached_route_per_entry)
{
	struct flowi4 f1 = { .daddr = ip4("10.0.0.5") }, f2 = { .daddr = ip4("10.0.0.6") };
	struct rtable *r1 = ip_route_output_flow(st, &f1), *r2 = ip_route_output_flow(st, &f2);
	u64 before = st->ipv4.route_output_lookups;

	cr_assert(eq(ptr, r1, r2), "no allocation per destination");
	cr_assert(eq(int, r1->dst.__refcnt, 3), "fib + two holders");
	dst_release(&r1->dst);
	dst_release(&r2->dst);
	cr_assert(eq(u64, st->ipv4.route_output_lookups, before));
}

Test(route, pmtu_lowers_route_mtu_for_one_destination_then_expires)
{
	struct flowi4 fl = { .daddr = ip4("10.0.0.9") }, other = { .daddr = ip4("10.0.0.10") };
	struct rtable *rt = ip_route_output_flow(st, &fl), *rt2;

	ipv4_update_pmtu(st, fl.daddr, 1200);
	cr_assert(eq(ptr, dst_check(&rt->dst), NULL), "holders must look up again");
	dst_release(&rt->dst);
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(u32, dst_mtu(&rt->dst), 1200));
	rt2 = ip_route_output_flow(st, &other);
	cr_assert(eq(u32, dst_mtu(&rt2->dst), 1500), "other destinations unaffected");
	dst_release(&rt2->dst);

	ipv4_update_pmtu(st, fl.daddr, 1400);
	cr_assert(eq(u32, ipv4_pmtu_lookup(st, fl.daddr), 1200), "never raised by ICMP");
	ipv4_update_pmtu(st, fl.daddr, 100);
	cr_assert(eq(u32, ipv4_pmtu_lookup(st, fl.daddr), 552), "clamped to min_pmtu");

	world_advance(&w, 601 * NSEC_PER_SEC);
	cr_assert(eq(ptr, dst_check(&rt->dst), NULL), "expired after mtu_expires");
	dst_release(&rt->dst);
	rt = ip_route_output_flow(st, &fl);
	cr_assert(eq(u32, dst_mtu(&rt->dst), 1500));
	dst_release(&rt->dst);
}

static int input(const char *saddr, const char *daddr, struct net_device *dev, u8 *type)
{
	struct sk_buff *skb = alloc_skb(st, 64);
	int err = ip_route_input(skb, ip4(daddr), ip4(saddr), 0, dev);

	*type = err ? 0xff : skb_rtable(skb)->rt_type;
	kfree_skb(skb);
	return err;
}

Test(route, input_routes_and_martians)
{
	u8 type;

	cr_assert(eq(int, input("10.0.0.9", "10.0.0.1", eth0, &type), 0));
	cr_assert(eq(u8, type, RTN_LOCAL));
	cr_assert(eq(int, input("10.0.0.9", "192.168.7.1", eth0, &type), 0));
	cr_assert(eq(u8, type, RTN_LOCAL), "weak host model");
	cr_assert(eq(int, input("10.0.0.9", "10.0.0.255", eth0, &type), 0));
	cr_assert(eq(u8, type, RTN_BROADCAST));
	cr_assert(eq(int, input("0.0.0.0", "255.255.255.255", eth0, &type), 0), "DHCP");
	cr_assert(eq(int, input("10.0.0.9", "10.0.0.44", eth0, &type), 0));
	cr_assert(eq(u8, type, RTN_UNICAST), "not ours: forward path");
	cr_assert(eq(int, input("224.0.0.5", "10.0.0.1", eth0, &type), -EINVAL));
	cr_assert(eq(int, input("127.0.0.1", "10.0.0.1", eth0, &type), -EINVAL));
	cr_assert(eq(int, input("0.0.0.0", "10.0.0.1", eth0, &type), -EINVAL));
	cr_assert(eq(int, input("255.255.255.255", "10.0.0.1", eth0, &type), -EINVAL));
	cr_assert(eq(int, input("10.0.0.9", "127.0.0.1", eth0, &type), -EADDRNOTAVAIL));
	cr_assert(eq(int, input("10.0.0.9", "0.1.2.3", eth0, &type), -EADDRNOTAVAIL));
}
