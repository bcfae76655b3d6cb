/*
 * resolve.c - the real libc functions behind every interposed name,
 * resolved once with dlsym(RTLD_NEXT) (also before the constructor ran:
 * another library's constructor may call socket() first, shim_ensure).
 */
#include <dlfcn.h>

#include "shim.h"

struct shim_real real;
bool shim_resolved;

#define RESOLVE(name) (*(void **)&real.name = dlsym(RTLD_NEXT, #name))

/** shim_resolve - every real function, once (also before our constructor ran). */
void shim_resolve(void)
{
	RESOLVE(socket); RESOLVE(socketpair); RESOLVE(bind); RESOLVE(listen);
	RESOLVE(accept); RESOLVE(accept4); RESOLVE(connect); RESOLVE(shutdown);
	RESOLVE(close); RESOLVE(read); RESOLVE(readv); RESOLVE(pread); RESOLVE(pread64);
	RESOLVE(write); RESOLVE(writev); RESOLVE(pwrite); RESOLVE(pwrite64);
	RESOLVE(send); RESOLVE(sendto); RESOLVE(sendmsg); RESOLVE(sendmmsg);
	RESOLVE(recv); RESOLVE(recvfrom); RESOLVE(recvmsg); RESOLVE(recvmmsg);
	RESOLVE(sendfile); RESOLVE(sendfile64); RESOLVE(splice);
	RESOLVE(getsockopt); RESOLVE(setsockopt); RESOLVE(getsockname); RESOLVE(getpeername);
	RESOLVE(fcntl); RESOLVE(fcntl64); RESOLVE(ioctl); RESOLVE(dup); RESOLVE(dup2);
	RESOLVE(dup3); RESOLVE(poll); RESOLVE(ppoll); RESOLVE(select); RESOLVE(pselect);
	RESOLVE(epoll_create); RESOLVE(epoll_create1); RESOLVE(epoll_ctl);
	RESOLVE(epoll_wait); RESOLVE(epoll_pwait); RESOLVE(epoll_pwait2);
	RESOLVE(close_range); RESOLVE(closefrom); RESOLVE(fork); RESOLVE(daemon);
	RESOLVE(__read_chk); RESOLVE(__recv_chk); RESOLVE(__recvfrom_chk);
	RESOLVE(__poll_chk); RESOLVE(__ppoll_chk);
	RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64); RESOLVE(creat);
	RESOLVE(pipe); RESOLVE(pipe2); RESOLVE(eventfd); RESOLVE(timerfd_create);
	RESOLVE(signalfd); RESOLVE(memfd_create); RESOLVE(inotify_init); RESOLVE(inotify_init1);
	if (!real.fcntl64)
		real.fcntl64 = real.fcntl;
	__atomic_store_n(&shim_resolved, true, __ATOMIC_RELEASE);
}
