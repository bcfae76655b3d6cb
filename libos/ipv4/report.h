/*
 * report.h - the text report skbos-stat shows (README "skbos-stat"): the
 * sockets, ss style, then every counter under its nstat name.
 */
#ifndef SKBOS_REPORT_H
#define SKBOS_REPORT_H

#include <stdio.h>

struct stack;

/* The first line of every report; a new format gets a new number. */
#define STACK_REPORT_MAGIC "skbos-report 1"

void stack_report(struct stack *st, FILE *out);

#endif /* SKBOS_REPORT_H */
