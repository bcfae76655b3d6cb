/*
 * sigrestart.c - would the signal that interrupted a blocking call have it
 * restarted?  The socket layer asks (stack_wait_ops.restart) where Linux
 * would restart: a call on a socket with no timeout (sock_intr_errno's
 * -ERESTARTSYS), then the handler's SA_RESTART decides (signal(7)).
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "loop.h"

/**
 * loop_restartable - which signal interrupted is not known here: restart
 * only if every caught signal that could have asked for SA_RESTART - not
 * one this thread blocks, and not a fault signal (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS: raised by an instruction, never by a sleep; the
 * sanitizers' and crash reporters' handlers live there).
 */
bool loop_restartable(struct stack *st)
{
	struct sigaction sa;
	sigset_t blocked;

	(void)st;
	if (pthread_sigmask(SIG_BLOCK, NULL, &blocked))
		sigemptyset(&blocked);
	for (int s = 1; s < NSIG; s++) {
		switch (s) {
		case SIGKILL: case SIGSTOP:
		case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
			continue;
		}
		if (sigismember(&blocked, s) == 1 || sigaction(s, NULL, &sa))
			continue;
		if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
			continue;
		if (!(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}
