/*
 * cpurun - run a command and write the CPU time it used, read from
 * /proc/PID/stat (utime + stime + cutime + cstime, so wrappers it execs
 * through, such as timeout, count their children too), to a file.
 *
 *   cpurun OUTFILE CMD [ARGS...]
 *
 * The child is left a zombie (waitid WNOWAIT) while its stat is read, so the
 * figures are final; then it is reaped.  OUTFILE gets "cpu_seconds"; the
 * exit status is the command's (128 + signal if it was killed).  SIGTERM,
 * SIGINT and SIGHUP are passed on to the command.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Fields 14-17 of /proc/PID/stat, in seconds; -1 when unreadable. */
static double stat_cpu(pid_t pid)
{
	char path[64], buf[4096], *p;
	unsigned long long v[4];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3]) != 4)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[3]) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = forward };
	siginfo_t si;
	int status;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: cpurun OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	child = fork();
	if (child < 0) {
		perror("cpurun: fork");
		return 1;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		perror("cpurun: exec");
		_exit(127);
	}
	while (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			return 1;
	out = fopen(argv[1], "w");
	if (out) {
		fprintf(out, "%.3f\n", stat_cpu(child));
		fclose(out);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
