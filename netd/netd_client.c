/*
 * netd_client.c - the application's side of skbos-netd(8): one request on
 * a fresh SOCK_SEQPACKET connection, one reply, and the AF_PACKET socket in
 * it (SCM_RIGHTS, unix(7)).  Called by libos/runtime/devfd.c when socket(AF_PACKET)
 * says EPERM: the process lacks CAP_NET_RAW.
 *
 * The helper is trusted to open the socket, not to send well-formed
 * replies: every length and the control message are checked, and any fd
 * that arrives with a malformed reply is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "netd_client.h"
#include "netd_proto.h"

/* How long the helper may take to answer (it answers in microseconds). */
#define NETD_REPLY_TIMEOUT_S 5

static int netd_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = NETD_REPLY_TIMEOUT_S };
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "SKBOS_NETD_SOCKET=%s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot make a unix socket: %s", strerror(e));
		return -e;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		snprintf(err, errlen,
			 "no CAP_NET_RAW for AF_PACKET, and skbos-netd is not running (%s: %s)",
			 path, strerror(e));
		return -EPERM;
	}
	return fd;
}

/* The one fd of an SCM_RIGHTS message, or -1; every other fd is closed. */
static int netd_take_fd(struct msghdr *msg)
{
	int fd = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;
		int fds[4];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > 4)
			n = 4;
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (size_t i = 0; i < n; i++) {
			if (fd < 0)
				fd = fds[i];
			else
				close(fds[i]);
		}
	}
	return fd;
}

/**
 * netd_request_socket - ask the skbos-netd listening on @path for an
 * AF_PACKET socket on @ifname.
 * Return: the socket (bound to @ifname, close-on-exec), or -errno with one
 * line in @err: -EPERM when no helper answers, the helper's errno when it
 * refuses (-EACCES: interface not allowed, -EPERM: user not allowed),
 * -EPROTO for a reply that is not one.
 */
int netd_request_socket(const char *path, const char *ifname, char *err, size_t errlen)
{
	struct netd_request req = { .magic = NETD_MAGIC, .version = NETD_VERSION };
	struct netd_reply rep;
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;
	int fd, pfd, e;

	if (strlen(ifname) >= sizeof(req.ifname)) {
		snprintf(err, errlen, "%s: interface names are at most 15 characters", ifname);
		return -EINVAL;
	}
	strcpy(req.ifname, ifname);
	fd = netd_connect(path, err, errlen);
	if (fd < 0)
		return fd;
	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "skbos-netd (%s): cannot send the request: %s", path,
			 strerror(e));
		return -EPERM;
	}
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	pfd = n > 0 ? netd_take_fd(&msg) : -1;
	if (n != (ssize_t)sizeof(rep) || rep.magic != NETD_MAGIC || (msg.msg_flags & MSG_TRUNC) ||
	    (rep.error == 0) != (pfd >= 0) || rep.error < 0) {
		if (pfd >= 0)
			close(pfd);
		snprintf(err, errlen, "skbos-netd (%s): no valid reply (%s)", path,
			 n < 0 ? strerror(e) : "malformed");
		return -EPROTO;
	}
	if (rep.error) {
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		snprintf(err, errlen, "skbos-netd: %s", rep.msg);
		return -rep.error;
	}
	return pfd;
}
