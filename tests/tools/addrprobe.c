/*
 * addrprobe - what a program learns about its own addresses (libc only):
 * getaddrinfo for each name given, with and without AI_ADDRCONFIG, for
 * AF_UNSPEC, AF_INET and AF_INET6; then getifaddrs's AF_INET entries.
 * tests/test_preload_addrs.sh runs it under skbos and on a kernel that owns
 * the same address, and compares.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *fam_name(int f)
{
	return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : "unspec";
}

static void addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
						  : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

	if (!inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void gai(const char *node, int family, int flags)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = flags };
	struct addrinfo *res, *r;
	char a[INET6_ADDRSTRLEN];
	int rc = getaddrinfo(node, "80", &hints, &res);

	printf("getaddrinfo %s %s%s:", node, fam_name(family), flags ? " AI_ADDRCONFIG" : "");
	if (rc) {
		printf(" %s\n", gai_strerror(rc));
		return;
	}
	for (r = res; r; r = r->ai_next) {
		addr_str(r->ai_addr, a, sizeof(a));
		printf(" %s", a);
	}
	printf("\n");
	freeaddrinfo(res);
}

int main(int argc, char **argv)
{
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	struct ifaddrs *list, *i;
	char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	for (int n = 1; n < argc; n++)
		for (int f = 0; f < 3; f++) {
			gai(argv[n], fams[f], AI_ADDRCONFIG);
			gai(argv[n], fams[f], 0);
		}
	if (getifaddrs(&list)) {
		perror("getifaddrs");
		return 1;
	}
	for (i = list; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		addr_str(i->ifa_addr, a, sizeof(a));
		addr_str(i->ifa_netmask, m, sizeof(m));
		strcpy(b, "-");
		if (i->ifa_broadaddr)
			addr_str(i->ifa_broadaddr, b, sizeof(b));
		printf("getifaddrs %s inet %s mask %s brd %s flags 0x%x\n", i->ifa_name, a, m, b,
		       i->ifa_flags);
	}
	freeifaddrs(list);
	return 0;
}
