/*
 * devfd.c - the AF_PACKET socket under the device, from the first of:
 *
 *   1. the one opened early (devfd_preopen): a program started by root
 *      that drops privileges (memcached -u, nginx's user, postgres) before
 *      its first socket still has one for its stack;
 *   2. socket(AF_PACKET) now, when the process has CAP_NET_RAW;
 *   3. skbos-netd(8), when it has not (EPERM): a socket already bound to
 *      the interface, for a user the helper's policy allows.
 *
 * An early socket is unbound with protocol 0, so it receives nothing until
 * the device binds it (packet(7)).  The early socket is per process, not
 * per stack: the one process-wide variable here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devfd.h"
#include "skbos_config.h"
#include "netd_client.h"
#include "netd_proto.h"

static int devfd_early = -1;
static unsigned long devfd_ino; /* devfd_early's inode: still ours? */
static bool devfd_wanted; /* preopen was asked for: again in a fork child */

/*
 * The program may have closed the early socket since (a daemon closing
 * every fd, python's subprocess in a vfork child) and the number may name
 * another file now: only the same inode is still ours.
 */
static unsigned long devfd_ino_of(int fd)
{
	struct stat sb;

	return fd >= 0 && !fstat(fd, &sb) ? (unsigned long)sb.st_ino : 0;
}

static int devfd_take_early(void)
{
	int fd = devfd_early;

	devfd_early = -1;
	if (fd < 0 || !devfd_ino || devfd_ino_of(fd) != devfd_ino)
		return -1;
	return fd;
}

/**
 * devfd_preopen - open the device's socket now, while the process may
 * still have CAP_NET_RAW; the first stack takes it.
 * Return: 0, or -errno (-EPERM: no CAP_NET_RAW; the helper will be asked).
 */
int devfd_preopen(void)
{
	devfd_wanted = true;
	if (devfd_early >= 0)
		return 0;
	devfd_early = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (devfd_early < 0)
		return -errno;
	devfd_ino = devfd_ino_of(devfd_early);
	return 0;
}

/**
 * devfd_after_fork - in a fork child, before it builds a stack: an
 * early socket it inherited is its parent's too, so it is closed (the
 * parent's copy lives on) and a fresh one opened, while the child still has
 * the privileges it may drop next (nginx and apache workers).
 */
void devfd_after_fork(void)
{
	int fd = devfd_take_early();

	if (fd >= 0)
		close(fd);
	if (devfd_wanted)
		devfd_preopen();
}

/**
 * devfd_get - the socket for @cfg's interface, owned by the caller.
 * @bound: set when it is already bound to the interface (the helper's)
 * Return: the fd, or -errno with one line in @err.
 */
int devfd_get(const struct skbos_config *cfg, bool *bound, char *err, size_t errlen)
{
	int fd = devfd_take_early(), e;

	*bound = false;
	if (fd >= 0)
		return fd;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		return fd;
	e = errno;
	if (e != EPERM && e != EACCES) {
		snprintf(err, errlen, "SKBOS_IF=%s: socket(AF_PACKET): %s", cfg->ifname, strerror(e));
		return -e;
	}
	fd = netd_request_socket(cfg->netd_socket[0] ? cfg->netd_socket : NETD_SOCKET_DEFAULT,
				 cfg->ifname, err, errlen);
	*bound = fd >= 0;
	return fd;
}
