/*
 * api.c - the native API (include/skbos/skbos.h): the exported skbos_*
 * functions, each a thin translation from -errno to errno around the core.
 *
 * The process's one running skbos lives here: the core has no globals, but
 * a process that calls skbos_init() gets exactly one instance, as it gets one
 * kernel.  skbos_init/fini are serialised by their own mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <config.h> /* autoconf: PACKAGE_VERSION */
#include "skbos_config.h"
#include "skbos/skbos.h"
#include "api.h"
#include "instance.h"
#include "loop.h"

static struct skbos_instance *skbos_current;
static pthread_mutex_t skbos_init_lock = PTHREAD_MUTEX_INITIALIZER;

const char *skbos_version(void)
{
	return PACKAGE_VERSION;
}

int skbos_init(void)
{
	struct skbos_config cfg;
	char err[256];
	int rc = 0;

	pthread_mutex_lock(&skbos_init_lock);
	if (skbos_current)
		goto out;
	rc = skbos_config_from_env(&cfg, err, sizeof(err));
	/* No interface and no loopback: every socket stays the kernel's. */
	if (!rc && !cfg.have_if && !cfg.loopback)
		goto out;
	if (!rc)
		rc = skbos_instance_create(&skbos_current, &cfg, err, sizeof(err));
	if (rc)
		fprintf(stderr, "skbos: %s\n", err);
out:
	pthread_mutex_unlock(&skbos_init_lock);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

void skbos_fini(void)
{
	api_close_all();
	skbos_instance_drain(skbos_current, SKBOS_EXIT_DRAIN_MS);
	pthread_mutex_lock(&skbos_init_lock);
	skbos_instance_destroy(skbos_current);
	skbos_current = NULL;
	pthread_mutex_unlock(&skbos_init_lock);
}

/**
 * skbos_init_config - start the process's skbos from @cfg, already read and
 * validated (the LD_PRELOAD shim reads the environment once at load and
 * starts the stack at the first socket that needs it).  Idempotent.
 * Return: 0, or -errno with one line in @err.
 */
int skbos_init_config(const struct skbos_config *cfg, char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&skbos_init_lock);
	if (!skbos_current)
		rc = skbos_instance_create(&skbos_current, cfg, err, errlen);
	pthread_mutex_unlock(&skbos_init_lock);
	return rc;
}

/**
 * skbos_forget_after_fork - in the child of fork: the parent's stack is not
 * this process's (its thread did not survive the fork, its lock may be held
 * by a thread that does not exist here).  Forget it without touching it; the
 * next skbos_init_config starts a fresh one (DESIGN.md "fork/exec").
 */
void skbos_forget_after_fork(struct skbos_config *next)
{
	/* The parent's kernel objects are the parent's (control socket, packet
	 * socket, ring, port table): close our copies, touch nothing else. */
	if (skbos_current) {
		skbos_instance_forget_after_fork(skbos_current);
		if (next)
			instance_preopen_after_fork(skbos_current, next);
	}
	loop_forget_after_fork();
	pthread_mutex_init(&skbos_init_lock, NULL);
	skbos_current = NULL;
}

struct skbos_instance *skbos_current_instance(void)
{
	return skbos_current;
}

void skbos_dump_stats(FILE *out)
{
	pthread_mutex_lock(&skbos_init_lock);
	if (skbos_current)
		skbos_instance_dump_stats(skbos_current, out);
	pthread_mutex_unlock(&skbos_init_lock);
}

int skbos_active(void)
{
	return skbos_current != NULL;
}
