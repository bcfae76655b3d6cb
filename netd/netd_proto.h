/*
 * netd_proto.h - the wire format between skbos and skbos-netd(8), the
 * privileged helper that opens AF_PACKET sockets for programs without
 * CAP_NET_RAW and hands them over with SCM_RIGHTS (unix(7)).
 *
 * One SOCK_SEQPACKET connection carries one request and one reply, each a
 * single message of exactly the size below (a message of another size is
 * malformed).  The requester's identity is the connection's SO_PEERCRED and
 * SO_PEERGROUPS, never anything it writes.
 */
#ifndef SKBOS_NETD_PROTO_H
#define SKBOS_NETD_PROTO_H

#include <stdint.h>

#define NETD_MAGIC 0x4e42534bu /* "KSBN" on a little-endian wire */
#define NETD_VERSION 1
#define NETD_SOCKET_DEFAULT "/run/skbos/netd.sock"
#define NETD_IFNAMSIZ 16 /* IFNAMSIZ: 15 characters and a NUL */

/**
 * struct netd_request - "give me an AF_PACKET socket on @ifname".
 * @magic: NETD_MAGIC
 * @version: NETD_VERSION
 * @ifname: the interface, NUL-terminated within the field
 */
struct netd_request {
	uint32_t magic;
	uint32_t version;
	char ifname[NETD_IFNAMSIZ];
};

/**
 * struct netd_reply - the answer; on success (@error 0) the socket comes in
 * the same message as one SCM_RIGHTS fd: bound to the interface (ETH_P_ALL)
 * and in a fanout group of its own, so it cannot be bound elsewhere.
 * @magic: NETD_MAGIC
 * @error: 0, or a positive errno
 * @msg: why, one line, NUL-terminated (empty on success)
 */
struct netd_reply {
	uint32_t magic;
	int32_t error;
	char msg[120];
};

#endif /* SKBOS_NETD_PROTO_H */
