/*
 * config.h - the environment a process gives skbos (DESIGN.md
 * "Configuration"): read once at start, every value validated; a bad one
 * stops the start with one line naming the variable.
 */
#ifndef SKBOS_CONFIG_H
#define SKBOS_CONFIG_H

#include <limits.h>
#include "types.h"
#include "netdevice.h"
#include <netinet/in.h>

struct skbos_config {
	bool have_if;
	char ifname[IFNAMSIZ];
	bool have_addr;
	__be32 addr;
	int prefixlen;
	__be32 gw;
	bool have_addr6;    /* SKBOS_ADDR6 */
	struct in6_addr addr6;
	int prefixlen6;
	bool have_gw6;      /* SKBOS_GW6 */
	struct in6_addr gw6;
	bool have_mac;
	u8 mac[ETH_ALEN];
	unsigned int mtu;
	char pcap[PATH_MAX];
	int log_level;      /* -1: not set */
	bool loopback;
	unsigned int spin_us;
	u64 offloads_off;   /* NETIF_F_* the device must not use (SKBOS_OFFLOAD) */
	u64 failnth;        /* SKBOS_FAILNTH: fail this allocation (alloc.h); 0: off */
	bool failnth_persist; /* ... and every one after it */
	/* Opened by a forked child while still privileged, for its stack to
	 * use if it is still there (same inode) when it starts (the packet
	 * socket: devfd.c). */
	bool have_table_fd;  /* table_fd: the address's port table (portown.c) */
	int table_fd;
	unsigned long table_ino;
	char table_dir[128]; /* the parent's port table directory (fork), or "" */
	char netd_socket[108]; /* SKBOS_NETD_SOCKET: skbos-netd's socket; "": the default */
	/* Run first thing in the instance's stack thread, or NULL (the LD_PRELOAD
	 * shim marks the thread as "inside skbos", so that its own libc calls are
	 * never interposed on).  Not from the environment: the embedder sets it. */
	void (*thread_init)(void);
};

int skbos_config_from_env(struct skbos_config *c, char *err, size_t errlen);
struct sysctl;
void sysctl_from_host(struct sysctl *s);

#endif /* SKBOS_CONFIG_H */
