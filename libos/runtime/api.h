/*
 * api.h - what the two halves of the native API share: api.c (the process's
 * instance: init, fini, fork) and api_socket.c (the skbos_* socket calls and
 * their handle table).  The LD_PRELOAD shim uses the first two too.
 */
#ifndef SKBOS_API_H
#define SKBOS_API_H

#include <stddef.h>

struct skbos_config;
struct skbos_instance;

/* api.c */
struct skbos_instance *skbos_current_instance(void);
int skbos_init_config(const struct skbos_config *cfg, char *err, size_t errlen);
void skbos_forget_after_fork(struct skbos_config *next);

/* api_socket.c: skbos_fini closes what the program left open */
void api_close_all(void);

#endif /* SKBOS_API_H */
