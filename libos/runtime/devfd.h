/*
 * devfd.h - where the AF_PACKET device's socket comes from (devfd.c).
 */
#ifndef SKBOS_DEVFD_H
#define SKBOS_DEVFD_H

#include <stdbool.h>
#include <stddef.h>

struct skbos_config;

int devfd_preopen(void);
void devfd_after_fork(void);
int devfd_get(const struct skbos_config *cfg, bool *bound, char *err, size_t errlen);

#endif /* SKBOS_DEVFD_H */
