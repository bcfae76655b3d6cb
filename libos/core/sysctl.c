/*
 * sysctl.c - Linux's default values for the stack's tunables (sysctl.h).
 */
#include "sysctl.h"

void sysctl_init(struct sysctl *s)
{
	s->skb_cache_max = 4096;
	s->hz = 250; /* Debian's kernels */

	s->ip_default_ttl = 64;
	s->ip_forward = false;
	s->ipfrag_high_thresh = 4 * 1024 * 1024;
	s->ipfrag_time = 30 * NSEC_PER_SEC;
	s->ipfrag_max_dist = 64;
	s->ip_rt_mtu_expires = 600 * NSEC_PER_SEC;
	s->ip_rt_min_pmtu = 552;

	s->tcp_invalid_ratelimit = 500 * NSEC_PER_MSEC;
	s->icmp_ratelimit = 1000 * NSEC_PER_MSEC;
	/* dest unreachable, source quench, time exceeded, parameter problem */
	s->icmp_ratemask = 0x1818;
	s->icmp_msgs_per_sec = 1000;
	s->icmp_msgs_burst = 50;
	s->icmp_echo_ignore_broadcasts = true;
	s->ip_local_port_min = 32768;
	s->ip_local_port_max = 60999;
	s->rmem_default = 212992;
	s->wmem_default = 212992;
	s->rmem_max = 212992;
	s->wmem_max = 212992;
	s->tcp_rmem[0] = 4096;
	s->tcp_rmem[1] = 131072;
	s->tcp_rmem[2] = 6291456;
	s->tcp_wmem[0] = 4096;
	s->tcp_wmem[1] = 16384;
	s->tcp_wmem[2] = 4194304;
	s->tcp_moderate_rcvbuf = true;
	s->tcp_sack = true;
	s->tcp_timestamps = true;
	s->tcp_dsack = true;
	s->tcp_reordering = 3;
	s->tcp_max_reordering = 300;
	s->tcp_syncookies = 1;
	s->tcp_fastopen = 1; /* Linux: the client side on */
	s->tcp_ecn = 2; /* Linux: accept ECN when asked, never ask */
	s->tcp_notsent_lowat = 0xffffffffu; /* Linux: UINT_MAX, no limit */
	s->tcp_max_tw_buckets = 262144; /* Linux: half its established hash, 262144 with a few GB */

	s->ip6_hop_limit = 64;
	s->ip6frag_time = 60 * NSEC_PER_SEC;
	s->ip6frag_high_thresh = 4 * 1024 * 1024;
	s->icmpv6_ratelimit = 1000 * NSEC_PER_MSEC;
	s->dad_transmits = 1;
	s->accept_ra = true;
	s->rtr_solicit_delay = 1 * NSEC_PER_SEC;

	s->neigh_base_reachable_time = 30 * NSEC_PER_SEC;
	s->neigh_retrans_time = 1 * NSEC_PER_SEC;
	s->neigh_delay_first_probe_time = 5 * NSEC_PER_SEC;
	s->neigh_locktime = 1 * NSEC_PER_SEC;
	s->neigh_gc_stale_time = 60 * NSEC_PER_SEC;
	s->neigh_ucast_probes = 3;
	s->neigh_mcast_probes = 3;
	s->neigh_app_probes = 0;
	s->neigh_mcast_reprobes = 0;
	s->neigh_unres_qlen = 101;
	s->neigh_gc_thresh3 = 1024;
}
