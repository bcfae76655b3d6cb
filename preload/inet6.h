/*
 * inet6.h - the address and option rules of an IPv6 facade: an AF_INET6
 * socket of an unmodified program that skbos serves as IPv4 through
 * IPv4-mapped addresses (ipv6(7), RFC 4291 §2.5.5.2, RFC 4038 §4.2).
 * Pure functions, no state: the shim's calls decide what to do with the answers.
 */
#ifndef SKBOS_PRELOAD_INET6_H
#define SKBOS_PRELOAD_INET6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

/* Linux's SIN6_LEN_RFC2133: a sockaddr_in6 without sin6_scope_id, the
 * shortest one bind/connect/sendto accept. */
#define SIN6_LEN_RFC2133 24

/* What a sockaddr_in6 from the program means to a facade. */
enum inet6_kind {
	INET6_ANY,    /* ::, the wildcard: INADDR_ANY */
	INET6_MAPPED, /* ::ffff:a.b.c.d: IPv4 a.b.c.d */
	INET6_OTHER,  /* a real IPv6 address: the kernel's */
};

enum inet6_kind inet6_to_inet(const struct sockaddr_in6 *s6, struct sockaddr_in *sin);
socklen_t inet6_from_inet(const struct sockaddr_in *sin, void *out, socklen_t outlen);
int facade_addr(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin);

/* IPPROTO_IPV6 options (do_ipv6_setsockopt / do_ipv6_getsockopt) */
int inet6_opt_check(int type, int name, const void *val, socklen_t len);
int inet6_opt_get(int type, int name, const int *stored, int *val);

#endif /* SKBOS_PRELOAD_INET6_H */
