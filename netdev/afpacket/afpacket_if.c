/*
 * afpacket_if.c - interface facts for the AF_PACKET device (afpacket_if.h),
 * through the classic SIOCGIF* ioctls on the device's own socket, so they
 * are read in the network namespace the socket lives in.
 */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>

#include "afpacket_if.h"

/**
 * afp_if_query - index, hardware address and MTU of interface @ifname.
 * @fd: any socket in the interface's network namespace
 * Return: 0; -ENODEV when there is no such interface; -EINVAL for a name
 * that cannot be one, or an interface that is not Ethernet.
 */
int afp_if_query(int fd, const char *ifname, struct afp_ifinfo *ifi)
{
	struct ifreq ifr;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	ifi->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	ifi->mtu = (unsigned int)ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	/* A 14-byte Ethernet header is what eth_rx expects on every frame. */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EINVAL;
	memcpy(ifi->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}
