/*
 * thread_blocked.h - is a thread of this process asleep in a blocking call?
 * For the tests that signal a blocked thread (test_signals.c,
 * test_api_socket.c): the condition to wait for instead of a sleep.
 */
#ifndef SKBOS_TESTS_THREAD_BLOCKED_H
#define SKBOS_TESTS_THREAD_BLOCKED_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* Thread @tid sleeps in the kernel (state S), and not on a lock (a futex). */
static inline bool thread_blocked(pid_t tid)
{
	char path[96], buf[512], wchan[64] = "";
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	f = fopen(path, "r");
	if (f) {
		n = fread(wchan, 1, sizeof(wchan) - 1, f);
		wchan[n] = 0;
		fclose(f);
	}
	return !strstr(wchan, "futex");
}

/* Thread @tid's state letter and wait channel, for a failure's message. */
static inline const char *thread_state(pid_t tid)
{
	static char out[160];
	char path[96], buf[512] = "", wchan[64] = "";
	const char *st = "?";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
		if (strrchr(buf, ')'))
			st = strrchr(buf, ')') + 2;
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	if ((f = fopen(path, "r"))) {
		n = fread(wchan, 1, sizeof(wchan) - 1, f);
		wchan[n] = 0;
		fclose(f);
	}
	snprintf(out, sizeof(out), "state %.1s, wchan %s", st, wchan[0] ? wchan : "-");
	return out;
}

#endif /* SKBOS_TESTS_THREAD_BLOCKED_H */
