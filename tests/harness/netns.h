/*
 * netns.h - network namespaces joined by veth, for tests against the real
 * kernel (root only).
 *
 *   ns_a [if_a] <-- veth --> [if_b] ns_b
 *
 * Names carry the test process's pid ("skt<pid>a"), so tests may run in
 * parallel and never touch an interface they did not make.  The pair is
 * removed by netns_pair_destroy (the suite's .fini) and, if the test dies
 * another way, by an atexit handler.  The test process itself stays in its
 * namespace: it enters one only for the moment it takes to open a socket
 * (sockets keep the namespace they were made in).
 */
#ifndef SKBOS_TEST_NETNS_H
#define SKBOS_TEST_NETNS_H

#include <stdbool.h>
#include <stdint.h>

struct netns_pair {
	char ns_a[24];
	char ns_b[24];
	char if_a[16];
	char if_b[16];
	bool created;
};

bool netns_ci(void);
void netns_require_root(void);
void netns_pair_create(struct netns_pair *np);
void netns_pair_destroy(struct netns_pair *np);
int netns_enter(const char *ns);
void netns_return(void);
int netns_sh(const char *ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int netns_socket(const char *ns, int domain, int type, int proto);
int netns_packet_socket(const char *ns, const char *ifname, uint16_t proto);
int netns_ifindex(const char *ns, const char *ifname);
int netns_ifmac(const char *ns, const char *ifname, uint8_t *mac);

#endif /* SKBOS_TEST_NETNS_H */
