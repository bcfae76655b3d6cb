/*
 * ctl.c - the control socket (README "skbos-stat"): a listening AF_UNIX
 * socket at /run/skbos/PID.sock through which skbos-stat asks the running
 * process for its report (report.c).
 *
 *   skbos_instance_create -> ctl_open (socket, bind, listen; 0700 directory)
 *   stack thread: ev_io readable (loop_watch_ctl) -> ctl_serve: accept,
 *	check the peer's uid, stack_report under the stack lock into memory,
 *	write it after the lock is dropped, close
 *   exit (shim destructor) -> ctl_unlink;  skbos_instance_destroy -> ctl_close
 *
 * It is a kernel socket made while the shim is out of the way (the stack is
 * started with shim_inside set, the stack thread always has it), CLOEXEC so
 * exec does not inherit it; a forked child closes its copy and answers on
 * its own socket once its own stack starts.  Where /run/skbos cannot be
 * ours (not root), $XDG_RUNTIME_DIR/skbos, then /tmp/skbos-UID.  A
 * directory is used only if it is a real directory of our uid that nobody
 * else can write.  Names of processes gone without exit(3) are swept
 * away when a stack starts.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl.h"
#include "loop.h"
#include "report.h"

/* Make @dir if needed; usable only if ours alone. */
static bool ctl_dir_ok(const char *dir)
{
	struct stat sb;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return false;
	return !lstat(dir, &sb) && S_ISDIR(sb.st_mode) && sb.st_uid == geteuid() &&
	       !(sb.st_mode & 022);
}

/*
 * Names left by processes that ended without exit(3) (a signal, _exit in a
 * forked child): removed when no such pid exists and nothing listens.
 */
static void ctl_sweep(const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int fd, n;

		if (pid <= 0 || strcmp(end, ".sock") || !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, de->d_name);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (n < 0 || (size_t)n >= sizeof(sun.sun_path) || fd < 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) && errno == ECONNREFUSED)
			unlink(sun.sun_path);
		close(fd);
	}
	closedir(d);
}

static int ctl_bind(struct skbos_ctl *ctl, const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, n;

	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%d.sock", dir, (int)ctl->pid);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path) || !ctl_dir_ok(dir))
		return -ENOENT;
	ctl_sweep(dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sun.sun_path); /* a dead process's, whose pid we now have */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(sun.sun_path, 0600) ||
	    listen(fd, 8)) {
		int err = -errno;

		close(fd);
		return err;
	}
	memcpy(ctl->path, sun.sun_path, sizeof(ctl->path));
	ctl->fd = fd;
	return 0;
}

/**
 * ctl_open - make this process's control socket.
 * Return: 0, or -errno with one line in @err (the stack runs without one).
 */
int ctl_open(struct skbos_ctl *ctl, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dir[sizeof(ctl->path)];
	int rc;

	ctl->fd = -1;
	ctl->path[0] = '\0';
	ctl->pid = getpid();
	if (!ctl_bind(ctl, SKBOS_CTL_RUNDIR))
		return 0;
	if (xdg && xdg[0] == '/') {
		snprintf(dir, sizeof(dir), "%s/skbos", xdg);
		if (!ctl_bind(ctl, dir))
			return 0;
	}
	snprintf(dir, sizeof(dir), SKBOS_CTL_TMPDIR "%u", (unsigned int)geteuid());
	rc = ctl_bind(ctl, dir);
	if (rc)
		snprintf(err, errlen, "no control socket for skbos-stat (%s: %s)", dir, strerror(-rc));
	return rc;
}

/**
 * ctl_rundir - the first of the control sockets' directories that is usable
 * (made if needed, ours alone), in ctl_open's order, into @buf.
 * Return: 0, or -ENOENT.
 */
int ctl_rundir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	snprintf(buf, len, "%s", SKBOS_CTL_RUNDIR);
	if (ctl_dir_ok(buf))
		return 0;
	if (xdg && xdg[0] == '/') {
		snprintf(buf, len, "%s/skbos", xdg);
		if (ctl_dir_ok(buf))
			return 0;
	}
	snprintf(buf, len, SKBOS_CTL_TMPDIR "%u", (unsigned int)geteuid());
	return ctl_dir_ok(buf) ? 0 : -ENOENT;
}

/* Only our own user (or root) may read the report. */
static bool ctl_peer_ok(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void ctl_send_all(int fd, const char *buf, size_t len)
{
	/* A client that does not read stops the stack thread for 1 s at most. */
	struct timeval tv = { .tv_sec = 1 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/**
 * ctl_serve - the control socket is readable (stack thread, stack lock not
 * held): answer each waiting client with the report, then close it.
 */
void ctl_serve(struct skbos_ctl *ctl, struct skbos_loop *l, struct stack *st)
{
	for (int i = 0; i < 8; i++) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
		char *buf = NULL;
		size_t len = 0;
		FILE *out;

		if (fd < 0)
			return;
		if (ctl_peer_ok(fd) && (out = open_memstream(&buf, &len))) {
			loop_lock(l);
			stack_report(st, out);
			loop_unlock(l);
			if (!fclose(out))
				ctl_send_all(fd, buf, len);
			free(buf);
		}
		close(fd);
	}
}

/** ctl_unlink - remove the socket's name (only the process that made it). */
void ctl_unlink(struct skbos_ctl *ctl)
{
	if (ctl->path[0] && ctl->pid == getpid())
		unlink(ctl->path);
	ctl->path[0] = '\0';
}

/** ctl_close - remove the name and close the socket (stack thread stopped). */
void ctl_close(struct skbos_ctl *ctl)
{
	ctl_unlink(ctl);
	if (ctl->fd >= 0)
		close(ctl->fd);
	ctl->fd = -1;
}
