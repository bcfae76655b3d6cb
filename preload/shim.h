/*
 * shim.h - what the files of the LD_PRELOAD shim (libskbos-preload.so)
 * share: the real libc entry points, the "inside skbos" flag, the stack
 * lock, and the per-socket calls (DESIGN.md "Sockets from the outside").
 *
 *   application -> interposed symbol (sockcalls.c iocalls.c fdcalls.c, epoll.c poll.c select.c)
 *     -> fd_peek(fd) == 0 or shim_inside: the real libc function, nothing else
 *     -> an skbos socket: shim_lock + sock_get (a reference, like fget)
 *        -> the socket layer (sock_sendmsg ...) -> sock_put, shim_unlock
 *
 * Everything the shim keeps (fd table entries, socket references, epoll
 * items and ready lists) is protected by the stack lock of the running
 * instance: one lock, as in the core.
 */
#ifndef SKBOS_PRELOAD_SHIM_H
#define SKBOS_PRELOAD_SHIM_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "skbos_config.h"
#include "api.h"

struct socket;
struct skbos_instance;
struct sepoll;

#define SHIM_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The real functions, resolved once (shim_resolve) with dlsym(RTLD_NEXT). */
struct shim_real {
	int (*socket)(int, int, int);
	int (*socketpair)(int, int, int, int[2]);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*shutdown)(int, int);
	int (*close)(int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pread64)(int, void *, size_t, off_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	ssize_t (*sendfile64)(int, int, off_t *, size_t);
	ssize_t (*splice)(int, loff_t *, int, loff_t *, size_t, unsigned int);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
	int (*epoll_create)(int);
	int (*epoll_create1)(int);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int, const struct timespec *,
			    const sigset_t *);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	pid_t (*fork)(void);
	int (*daemon)(int, int);
	ssize_t (*__read_chk)(int, void *, size_t, size_t);
	ssize_t (*__recv_chk)(int, void *, size_t, size_t, int);
	ssize_t (*__recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *,
				  socklen_t *);
	int (*__poll_chk)(struct pollfd *, nfds_t, int, size_t);
	int (*__ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *,
			   size_t);
	/* calls that hand out fd numbers (stale entries are cleared) */
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*creat)(const char *, mode_t);
	int (*pipe)(int[2]);
	int (*pipe2)(int[2], int);
	int (*eventfd)(unsigned int, int);
	int (*timerfd_create)(int, int);
	int (*signalfd)(int, const sigset_t *, int);
	int (*memfd_create)(const char *, unsigned int);
	int (*inotify_init)(void);
	int (*inotify_init1)(int);
};

extern struct shim_real real;
extern bool shim_resolved;
void shim_resolve(void);

static inline void shim_ensure(void)
{
	if (unlikely(!shim_resolved))
		shim_resolve();
}

/*
 * Set while this thread runs skbos code (a shim call holding the stack lock,
 * the stack thread, skbos's start): every interposed symbol then goes
 * straight to libc, so skbos is never interposed on itself.
 */
extern __thread int shim_inside __attribute__((tls_model("initial-exec")));

/* ---- the instance --------------------------------------------------------- */

extern bool shim_enabled;      /* SKBOS_IF or SKBOS_LOOPBACK=1 at load */
extern struct skbos_config shim_cfg;
/* fork.c */
extern unsigned int shim_fork_gen; /* bumped in the child of every fork */
extern bool shim_orphans; /* a forked child: the parent's sockets may be in the fd table */
void shim_fork_init(void);
void shim_adopt_fd(int fd);
void shim_exit_flush(void);

/* inherit.c: connected sockets shared with children of fork */
extern bool inherit_any_moved;
void inherit_fork_prepare(struct skbos_instance *in);
void inherit_fork_child(void);
bool inherit_keep(struct socket *sock);
void inherit_serve(struct skbos_instance *in);
void inherit_exit(void);
int inherit_adopt(struct skbos_instance *in, int fd, struct socket *old);
bool inherit_moved(const struct socket *sock);
int shim_inherit_aux(struct socket *old, struct socket *sock);
void inherit_received_fd(int fd);
void inherit_pending_put(struct socket *ps);
int inherit_pass_fd(struct skbos_instance *in, int fd);
bool inherit_passes_exec(int fd);
int inherit_fd_cloexec(int fd, int cmd, int arg);
int inherit_dup(struct skbos_instance *in, int old, int new, int min, bool cloexec);
void inherit_scan_exec(void);

struct skbos_instance *shim_instance(void);   /* running, or NULL (not started) */
struct skbos_instance *shim_start(int *err);  /* start it now if needed */
void shim_lock(struct skbos_instance *in);
void shim_unlock(struct skbos_instance *in);  /* after-call flush, then unlock */
struct skbos_instance *shim_lock_any(void);   /* locked, or NULL: none started */
void shim_unlock_any(struct skbos_instance *in); /* errno kept */

/* api.c (the process's one instance): api.h */

/* ---- the fd table (fdtable.c) ---------------------------------------------- */

/*
 * An entry is 0 (a kernel fd: the common case, one load and a branch), a
 * struct socket pointer, or a struct sepoll pointer tagged FDT_EPOLL.
 * FDT_CLOEXEC is the FD_CLOEXEC the application sees: the kernel placeholder
 * is always close-on-exec (exec drops skbos sockets, DESIGN.md).
 */
#define FDT_EPOLL 1ul
#define FDT_CLOEXEC 2ul
#define FDT_TAGS 3ul

extern uintptr_t *fdt;
extern int fdt_size;
extern int fdt_high; /* 1 + the highest fd ever given an entry */

/* fdt_high grows under the stack lock and is read without it (every poll
 * and select asks first whether any fd could be skbos's). */
static inline int fdt_high_load(void)
{
	return __atomic_load_n(&fdt_high, __ATOMIC_RELAXED);
}

static inline uintptr_t fd_peek(int fd)
{
	if ((unsigned int)fd >= (unsigned int)fdt_size)
		return 0;
	return __atomic_load_n(&fdt[fd], __ATOMIC_ACQUIRE);
}

static inline struct socket *fd_entry_sock(uintptr_t e)
{
	return (e & FDT_EPOLL) ? NULL : (struct socket *)(e & ~FDT_TAGS);
}

static inline struct sepoll *fd_entry_ep(uintptr_t e)
{
	return (e & FDT_EPOLL) ? (struct sepoll *)(e & ~FDT_TAGS) : NULL;
}

int fdt_init(void);
void fdt_set(int fd, uintptr_t e);
void fd_fresh(int fd);
void fd_fresh_pair(const int fds[2], int rc);
void fd_drop_entry(struct skbos_instance *in, int fd, uintptr_t e);

/* A number the kernel just handed out (-1: none): a stale entry goes. */
static inline int kernel_fd(int fd)
{
	if (fd >= 0)
		fd_fresh(fd);
	return fd;
}

/* ---- sockets (call.c) -------------------------------------------------------- */

bool sock_is_orphan(const struct socket *sock, struct skbos_instance *in);

/* ---- readiness (epoll.c, poll.c) ------------------------------------------- */

struct sepoll *sepoll_new(void);
void sepoll_get(struct sepoll *ep);
void sepoll_put(struct sepoll *ep);
void sepoll_sock_release(struct socket *sock);
int sepoll_handover(struct socket *sock, int fd);
void sepoll_after_fork(struct sepoll *ep);

int shim_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts, const sigset_t *sigmask);
bool poll_has_skbos(const struct pollfd *fds, nfds_t nfds);
void shim_sleep_hook(bool asleep);
uint64_t shim_ktime_deadline(struct skbos_instance *in, const struct timespec *ts);

/* glibc's _FORTIFY_SOURCE failure (the __*_chk entry points call it). */
extern void __chk_fail(void) __attribute__((noreturn));
void shim_drain_fd(int fd);
int shim_timeout_left(const struct timespec *deadline, struct timespec *left);
void shim_deadline(const struct timespec *ts, struct timespec *deadline);

#endif /* SKBOS_PRELOAD_SHIM_H */
