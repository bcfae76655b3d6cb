/*
 * ifaddrs.h - skbos's address in getifaddrs, NETLINK_ROUTE address dumps
 * and getaddrinfo(AI_ADDRCONFIG) (ifaddrs.c).
 */
#ifndef SKBOS_PRELOAD_IFADDRS_H
#define SKBOS_PRELOAD_IFADDRS_H

#include <stdbool.h>
#include <sys/socket.h>

void nl_route_mark(int fd);
bool nl_route_fd(int fd);
void nl_route_sent(int fd, const void *buf, size_t len);
ssize_t nl_route_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t nl_route_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			  socklen_t *fromlen);

#endif /* SKBOS_PRELOAD_IFADDRS_H */
