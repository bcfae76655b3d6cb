/*
 * tool_addr.h - the socket address the test tools (udpecho, tcpbulk) use:
 * @host (NULL: the wildcard) and @port in @family, AF_INET or AF_INET6
 * (their --ipv6).
 */
#ifndef SKBOS_TOOL_ADDR_H
#define SKBOS_TOOL_ADDR_H

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

/* Return: the address's length, or 0 if @host does not parse. */
static inline socklen_t make_addr(int family, struct sockaddr_storage *ss, const char *host, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		if (host && inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return 0;
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	if (host && inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return 0;
	return sizeof(*sin);
}

#endif /* SKBOS_TOOL_ADDR_H */
