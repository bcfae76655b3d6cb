/*
 * netd_client.h - asking skbos-netd(8) for an AF_PACKET socket (netd_proto.h).
 */
#ifndef SKBOS_NETD_CLIENT_H
#define SKBOS_NETD_CLIENT_H

#include <stddef.h>

int netd_request_socket(const char *path, const char *ifname, char *err, size_t errlen);

#endif /* SKBOS_NETD_CLIENT_H */
