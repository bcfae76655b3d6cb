/*
 * netd_policy.c - skbos-netd's policy (netd_policy.h).  A rule is one line:
 *
 *	IFNAME WHO...     WHO: a user name or uid, @group or @gid, or * (anyone)
 *
 * in the configuration file (# starts a comment), or IFNAME=WHO,WHO... on
 * the command line.  Names are resolved when the policy is read, so an
 * unknown user is an error at start, not a silent refusal later.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netd_policy.h"

/**
 * netd_valid_ifname - what the kernel's dev_valid_name() accepts: 1 to 15
 * characters, not "." or "..", no '/', ':' or white space.
 */
bool netd_valid_ifname(const char *name)
{
	size_t n = strnlen(name, NETD_IFNAMSIZ);

	if (n == 0 || n >= NETD_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]) ||
		    !isprint((unsigned char)name[i]))
			return false;
	return true;
}

static bool parse_id(const char *s, unsigned int *id)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v >= 0xffffffffUL)
		return false;
	*id = (unsigned int)v;
	return true;
}

static int parse_who(struct netd_who *w, const char *s, char *err, size_t errlen)
{
	if (!strcmp(s, "*")) {
		w->kind = NETD_WHO_ANY;
		return 0;
	}
	if (*s == '@') {
		struct group *g = getgrnam(s + 1);

		w->kind = NETD_WHO_GID;
		if (g)
			w->id = g->gr_gid;
		else if (!parse_id(s + 1, &w->id))
			goto unknown;
		return 0;
	}
	{
		struct passwd *pw = getpwnam(s);

		w->kind = NETD_WHO_UID;
		if (pw)
			w->id = pw->pw_uid;
		else if (!parse_id(s, &w->id))
			goto unknown;
	}
	return 0;
unknown:
	snprintf(err, errlen, "%s: no such %s", s, *s == '@' ? "group" : "user");
	return -EINVAL;
}

/**
 * netd_policy_add - add the rule in @line ("IFNAME WHO..." or
 * "IFNAME=WHO,WHO..."); a second rule for an interface adds to the first.
 * Return: 0, or -EINVAL / -ENOSPC with one line in @err.
 */
int netd_policy_add(struct netd_policy *p, const char *line, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;
	struct netd_rule *r;

	if (strlen(line) >= sizeof(buf)) {
		snprintf(err, errlen, "rule too long (at most %zu characters)", sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, line);
	tok = strtok_r(buf, " \t=", &save);
	if (!tok || !netd_valid_ifname(tok)) {
		snprintf(err, errlen, "'%s': expected an interface name first", line);
		return -EINVAL;
	}
	r = (struct netd_rule *)netd_policy_find(p, tok);
	if (!r) {
		if (p->nr_rules == NETD_MAX_RULES) {
			snprintf(err, errlen, "more than %d interfaces", NETD_MAX_RULES);
			return -ENOSPC;
		}
		r = &p->rules[p->nr_rules++];
		memset(r, 0, sizeof(*r));
		strcpy(r->ifname, tok);
	}
	while ((tok = strtok_r(NULL, " \t,", &save))) {
		if (r->nr_who == NETD_MAX_WHO) {
			snprintf(err, errlen, "%s: more than %d users and groups", r->ifname,
				 NETD_MAX_WHO);
			return -ENOSPC;
		}
		if (parse_who(&r->who[r->nr_who], tok, err, errlen))
			return -EINVAL;
		r->nr_who++;
	}
	if (!r->nr_who) {
		snprintf(err, errlen, "%s: no users or groups (use * for anyone)", r->ifname);
		return -EINVAL;
	}
	return 0;
}

/**
 * netd_policy_load - every rule in the file @path.
 * Return: 0, or -errno with "PATH:LINE: why" in @err.
 */
int netd_policy_load(struct netd_policy *p, const char *path, char *err, size_t errlen)
{
	char line[1024], why[256];
	FILE *f = fopen(path, "re");
	int n = 0, rc = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash = strchr(line, '#');

		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, n);
			rc = -EINVAL;
			break;
		}
		if (hash)
			*hash = '\0';
		s[strcspn(s, "\r\n")] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			continue;
		rc = netd_policy_add(p, s, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "%s:%d: %s", path, n, why);
			break;
		}
	}
	fclose(f);
	return rc;
}

/** netd_policy_find - the rule for @ifname, or NULL: not allowed. */
const struct netd_rule *netd_policy_find(const struct netd_policy *p, const char *ifname)
{
	for (unsigned int i = 0; i < p->nr_rules; i++)
		if (!strcmp(p->rules[i].ifname, ifname))
			return &p->rules[i];
	return NULL;
}

/**
 * netd_rule_allows - whether the peer (@uid; @gids: its primary and
 * supplementary groups, SO_PEERCRED and SO_PEERGROUPS) may use @r's
 * interface.
 */
bool netd_rule_allows(const struct netd_rule *r, uid_t uid, const gid_t *gids, int nr_gids)
{
	for (unsigned int i = 0; i < r->nr_who; i++) {
		const struct netd_who *w = &r->who[i];

		if (w->kind == NETD_WHO_ANY || (w->kind == NETD_WHO_UID && w->id == uid))
			return true;
		for (int g = 0; w->kind == NETD_WHO_GID && g < nr_gids; g++)
			if (gids[g] == w->id)
				return true;
	}
	return false;
}
