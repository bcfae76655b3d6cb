/*
 * which_stack.h - for the libc-only probes (cmsg_probe, tcpopt_probe),
 * which run on the kernel to record a table and under the shim to be
 * compared with it: which stack serves this process's AF_INET sockets.
 */
#ifndef SKBOS_TOOLS_WHICH_STACK_H
#define SKBOS_TOOLS_WHICH_STACK_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

/* "skbos" when the shim serves AF_INET sockets (its fds are eventfds), else "kernel". */
static const char *which_stack(void)
{
	char path[64], link[128];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	close(fd);
	link[n > 0 ? n : 0] = 0;
	return strcmp(link, "anon_inode:[eventfd]") ? "kernel" : "skbos";
}

#endif /* SKBOS_TOOLS_WHICH_STACK_H */
