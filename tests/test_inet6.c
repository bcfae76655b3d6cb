/*
 * test_inet6.c - the IPv6 facade's rules (preload/inet6.c), each against
 * the kernel's own AF_INET6 sockets: the address translation in and out
 * (getsockname's truncation included) and the IPPROTO_IPV6 options, set
 * and get, value by value.  The kernel is the reference, never a table
 * written here.  Needs IPv6 in the kernel, not root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet6.h"

static struct sockaddr_in6 a6(const char *text, int port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	cr_assert(eq(int, inet_pton(AF_INET6, text, &s6.sin6_addr), 1), "%s", text);
	return s6;
}

Test(inet6, wildcard_is_inaddr_any)
{
	struct sockaddr_in6 s6 = a6("::", 80);
	struct sockaddr_in sin;

	cr_assert(eq(int, inet6_to_inet(&s6, &sin), INET6_ANY));
	cr_assert(eq(int, sin.sin_family, AF_INET));
	cr_assert(eq(u16, ntohs(sin.sin_port), 80));
	cr_assert(eq(u32, sin.sin_addr.s_addr, htonl(INADDR_ANY)));
}

Test(inet6, mapped_is_its_ipv4_address)
{
	struct sockaddr_in6 s6 = a6("::ffff:10.1.2.3", 5201);
	struct sockaddr_in sin;

	cr_assert(eq(int, inet6_to_inet(&s6, &sin), INET6_MAPPED));
	cr_assert(eq(u16, ntohs(sin.sin_port), 5201));
	cr_assert(eq(u32, sin.sin_addr.s_addr, inet_addr("10.1.2.3")));
}

Test(inet6, a_real_ipv6_address_is_other)
{
	static const char *const others[] = {
		"::1", "fe80::1", "2001:db8::7", "ff02::1",
		"::10.1.2.3",      /* IPv4-compatible (RFC 4291 §2.5.5.1): not mapped */
		"::fffe:10.1.2.3", /* one bit from mapped */
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct sockaddr_in6 s6 = a6(others[i], 1);
		struct sockaddr_in sin;

		cr_assert(eq(int, inet6_to_inet(&s6, &sin), INET6_OTHER), "%s", others[i]);
	}
}

/*
 * What a kernel AF_INET6 socket bound to @text answers to getsockname with
 * every buffer length from 0 to 40, against inet6_from_inet of the same
 * IPv4 address: same bytes, same returned length.
 */
static void getsockname_like_linux(const char *text, in_addr_t v4)
{
	struct sockaddr_in6 s6 = a6(text, 0);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = v4 };
	socklen_t l;

	cr_assert(fd >= 0, "no IPv6 in this kernel");
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&s6, sizeof(s6)), 0), "bind %s: %s", text,
		  strerror(errno));
	l = sizeof(s6);
	cr_assert(eq(int, getsockname(fd, (struct sockaddr *)&s6, &l), 0));
	sin.sin_port = s6.sin6_port;
	for (socklen_t want = 0; want <= 40; want++) {
		unsigned char k[40], m[40];
		socklen_t kl = want, ml;

		memset(k, 0xa5, sizeof(k));
		memset(m, 0xa5, sizeof(m));
		cr_assert(eq(int, getsockname(fd, (struct sockaddr *)k, &kl), 0));
		ml = inet6_from_inet(&sin, m, want);
		cr_assert(eq(u32, ml, kl), "%s, buffer %u", text, want);
		cr_assert(eq(int, memcmp(k, m, sizeof(k)), 0), "%s, buffer %u", text, want);
	}
	close(fd);
}

Test(inet6, getsockname_of_a_mapped_address_is_linuxs)
{
	getsockname_like_linux("::ffff:127.0.0.1", htonl(INADDR_LOOPBACK));
}

Test(inet6, getsockname_of_the_wildcard_is_linuxs)
{
	getsockname_like_linux("::", htonl(INADDR_ANY));
}

/* ---- IPPROTO_IPV6 options, against a fresh kernel AF_INET6 socket ---------------- */

static const int opt_names[] = {
	IPV6_V6ONLY, IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_TCLASS,
	IPV6_MTU_DISCOVER, 73 /* IPV6_MINHOPCOUNT */, IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
	IPV6_RECVTCLASS, IPV6_RECVRTHDR, IPV6_RECVHOPOPTS, IPV6_RECVDSTOPTS, IPV6_RECVPATHMTU,
	74 /* IPV6_RECVORIGDSTADDR */, 77 /* IPV6_RECVFRAGSIZE */, IPV6_RECVERR, IPV6_DONTFRAG,
	70 /* IPV6_AUTOFLOWLABEL */, 78 /* IPV6_FREEBIND */, 29 /* IPV6_MULTICAST_ALL */,
};
static const int opt_values[] = { -2, -1, 0, 1, 2, 3, 5, 6, 64, 255, 256, 1280 };
static const socklen_t opt_lens[] = { 0, 1, 2, 4, 8 };

static int kernel_set(int type, int name, int v, socklen_t len)
{
	int fd = socket(AF_INET6, type, 0), rc, buf[2] = { v, 0 };

	cr_assert(fd >= 0);
	rc = setsockopt(fd, IPPROTO_IPV6, name, buf, len) ? -errno : 0;
	close(fd);
	return rc;
}

static void options_like_linux(int type)
{
	for (size_t n = 0; n < sizeof(opt_names) / sizeof(opt_names[0]); n++) {
		int name = opt_names[n];

		for (size_t i = 0; i < sizeof(opt_values) / sizeof(opt_values[0]); i++)
			for (size_t j = 0; j < sizeof(opt_lens) / sizeof(opt_lens[0]); j++) {
				int buf[2] = { opt_values[i], 0 };
				int want = kernel_set(type, name, opt_values[i], opt_lens[j]);

				cr_assert(eq(int, inet6_opt_check(type, name, buf, opt_lens[j]), want),
					  "type %d option %d value %d len %u", type, name,
					  opt_values[i], opt_lens[j]);
			}
	}
}

Test(inet6, stream_options_are_judged_as_linux)
{
	options_like_linux(SOCK_STREAM);
}

Test(inet6, dgram_options_are_judged_as_linux)
{
	options_like_linux(SOCK_DGRAM);
}

/* getsockopt before any set, then after each accepted value. */
static void gets_like_linux(int type)
{
	for (size_t n = 0; n < sizeof(opt_names) / sizeof(opt_names[0]); n++) {
		int name = opt_names[n], fd = socket(AF_INET6, type, 0), k, m;
		socklen_t l = sizeof(k);

		cr_assert(fd >= 0);
		if (getsockopt(fd, IPPROTO_IPV6, name, &k, &l)) {
			cr_assert(eq(int, inet6_opt_get(type, name, NULL, &m), -errno), "option %d", name);
			close(fd);
			continue;
		}
		cr_assert(eq(int, inet6_opt_get(type, name, NULL, &m), 0), "option %d", name);
		cr_assert(eq(int, m, k), "option %d unset", name);
		for (size_t i = 0; i < sizeof(opt_values) / sizeof(opt_values[0]); i++) {
			int v = opt_values[i];

			if (setsockopt(fd, IPPROTO_IPV6, name, &v, sizeof(v)))
				continue;
			l = sizeof(k);
			cr_assert(eq(int, getsockopt(fd, IPPROTO_IPV6, name, &k, &l), 0));
			cr_assert(eq(int, inet6_opt_get(type, name, &v, &m), 0));
			cr_assert(eq(int, m, k), "type %d option %d set to %d", type, name, v);
		}
		close(fd);
	}
}

Test(inet6, stream_gets_answer_as_linux)
{
	gets_like_linux(SOCK_STREAM);
}

Test(inet6, dgram_gets_answer_as_linux)
{
	gets_like_linux(SOCK_DGRAM);
}

Test(inet6, an_option_linux_does_not_know_is_enoprotoopt)
{
	int v = 1;

	cr_assert(eq(int, kernel_set(SOCK_DGRAM, 150, 1, sizeof(v)), -ENOPROTOOPT));
	cr_assert(eq(int, inet6_opt_check(SOCK_DGRAM, 150, &v, sizeof(v)), -ENOPROTOOPT));
	cr_assert(eq(int, inet6_opt_get(SOCK_DGRAM, 150, NULL, &v), -ENOPROTOOPT));
}
