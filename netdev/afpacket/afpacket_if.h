/*
 * afpacket_if.h - what the AF_PACKET device asks the kernel about its
 * interface (index, address, MTU).  Private to afpacket_uring.c.
 *
 * Kept in its own file because <net/if.h> defines IFF_* and IFNAMSIZ, which
 * the core's netdevice.h defines too; the two headers cannot meet.
 */
#ifndef SKBOS_AFPACKET_IF_H
#define SKBOS_AFPACKET_IF_H

struct afp_ifinfo {
	int ifindex;
	unsigned int mtu;
	unsigned char mac[6];
};

int afp_if_query(int fd, const char *ifname, struct afp_ifinfo *ifi);

#endif /* SKBOS_AFPACKET_IF_H */
