/*
 * load.c - libskbos-preload.so's life: the configuration read and checked
 * when the library loads, the instance started lazily at the first socket
 * skbos serves (a shell or make run under skbos-run never opens an
 * interface of its own), the stack lock around every shim call, and the
 * exit that lets TCP deliver what the process's sockets still hold.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "instance.h"
#include "devfd.h"
#include "loop.h"

__thread int shim_inside __attribute__((tls_model("initial-exec")));
bool shim_enabled;
struct skbos_config shim_cfg;

static void shim_thread_hook(void)
{
	shim_inside = 1; /* the stack thread is skbos: nothing it calls is interposed */
}

__attribute__((constructor)) static void shim_load(void)
{
	char err[256];

	shim_ensure();
	shim_inside++;
	if (skbos_config_from_env(&shim_cfg, err, sizeof(err))) {
		/* Never a silent fallback to the kernel (DESIGN.md "Configuration"). */
		fprintf(stderr, "skbos: %s (the program was not started)\n", err);
		_exit(1);
	}
	shim_cfg.thread_init = shim_thread_hook;
	shim_enabled = shim_cfg.have_if || shim_cfg.loopback;
	/* Before main can drop privileges (memcached -u, nginx's user). */
	if (shim_cfg.have_if)
		devfd_preopen();
	if (shim_enabled && fdt_init()) {
		fprintf(stderr, "skbos: cannot reserve the fd table (the program was not started)\n");
		_exit(1);
	}
	if (shim_enabled)
		inherit_scan_exec(); /* connections a program that exec'd us passed on */
	loop_set_sleep_hook(shim_sleep_hook);
	skbos_instance_set_channel(inherit_serve);
	shim_fork_init();
	shim_inside--;
}

/*
 * exit(3): the kernel would close the process's sockets and go on
 * delivering what they hold; skbos lives in the process, so it closes them
 * here (a FIN, or a RST where data was left unread) and waits, bounded,
 * until TCP has delivered everything before the exit goes on.
 */
void shim_exit_flush(void)
{
	static bool done;
	struct skbos_instance *in = shim_instance();

	if (!in || shim_inside || done)
		return;
	done = true;
	shim_lock(in);
	for (int fd = 0; fd < fdt_size; fd++) {
		uintptr_t e = fd_peek(fd);

		if (e && fd_entry_sock(e))
			fd_drop_entry(in, fd, e);
	}
	inherit_exit(); /* (what it kept alive for others goes with it) */
	shim_unlock(in);
	skbos_instance_exiting(in);
	skbos_instance_drain(in, SKBOS_EXIT_DRAIN_MS);
	skbos_instance_leave(in);
}

__attribute__((destructor)) static void shim_unload(void)
{
	shim_exit_flush();
}

/* ---- the instance and its lock -------------------------------------------------- */

struct skbos_instance *shim_instance(void)
{
	return skbos_current_instance();
}

/**
 * shim_start - the running instance, started now if this is the first socket
 * skbos serves.  Return: it, or NULL with *@err (the reason printed once).
 */
struct skbos_instance *shim_start(int *err)
{
	static bool reported;
	struct skbos_instance *in = skbos_current_instance();
	char msg[256];
	int rc;

	if (in)
		return in;
	shim_inside++;
	rc = skbos_init_config(&shim_cfg, msg, sizeof(msg));
	shim_inside--;
	if (rc) {
		if (!reported)
			fprintf(stderr, "skbos: %s\n", msg);
		reported = true;
		*err = -rc;
		return NULL;
	}
	return skbos_current_instance();
}

void shim_lock(struct skbos_instance *in)
{
	shim_inside++;
	loop_lock(in->loop);
}

void shim_unlock(struct skbos_instance *in)
{
	loop_after_call(in->loop);
	loop_unlock(in->loop);
	shim_inside--;
}

/** shim_lock_any - the running instance, locked; NULL if none has started. */
struct skbos_instance *shim_lock_any(void)
{
	struct skbos_instance *in = shim_instance();

	if (in)
		shim_lock(in);
	return in;
}

/** shim_unlock_any - shim_lock_any undone, errno kept (the kernel's answer to the call). */
void shim_unlock_any(struct skbos_instance *in)
{
	int err = errno;

	if (in)
		shim_unlock(in);
	errno = err;
}
