/*
 * ctl.h - the control socket through which skbos-stat asks a running
 * process for its report (README "skbos-stat").
 */
#ifndef SKBOS_CTL_H
#define SKBOS_CTL_H

#include <sys/types.h>
#include <sys/un.h>

struct stack;
struct skbos_loop;

/**
 * struct skbos_ctl - one process's listening AF_UNIX socket.
 * @fd: the listening socket (-1: none)
 * @pid: the process that made it: only that one answers and unlinks
 */
struct skbos_ctl {
	int fd;
	pid_t pid;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Where the socket is, in order; skbos-stat looks in the same places. */
#define SKBOS_CTL_RUNDIR "/run/skbos"
#define SKBOS_CTL_TMPDIR "/tmp/skbos-" /* + uid */

int ctl_open(struct skbos_ctl *ctl, char *err, size_t errlen);
void ctl_serve(struct skbos_ctl *ctl, struct skbos_loop *l, struct stack *st);
void ctl_unlink(struct skbos_ctl *ctl);
void ctl_close(struct skbos_ctl *ctl);
int ctl_rundir(char *buf, size_t len);

#endif /* SKBOS_CTL_H */
