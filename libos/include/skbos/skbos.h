/*
 * skbos.h - the native API of skbos, a userspace IPv4 TCP/UDP stack built
 * like Linux's, loaded into a process as a library OS.
 *
 * Calls follow POSIX: they return -1 and set errno on failure.  This header
 * is the only public one; everything else in the library is hidden.
 */
#ifndef SKBOS_SKBOS_H
#define SKBOS_SKBOS_H

#ifdef __cplusplus
extern "C" {
#endif

#define SKBOS_API __attribute__((visibility("default")))

/** skbos_version - the library version, "MAJOR.MINOR.PATCH". */
SKBOS_API const char *skbos_version(void);

/**
 * skbos_init - start skbos from the environment (SKBOS_IF, SKBOS_ADDR,
 * SKBOS_GW, SKBOS_MAC, SKBOS_MTU, SKBOS_PCAP, SKBOS_LOG, SKBOS_LOOPBACK,
 * SKBOS_SPIN_US).  With neither SKBOS_IF nor SKBOS_LOOPBACK=1 it does nothing
 * and succeeds.  Idempotent.  A bad variable: -1, errno EINVAL, and one line
 * on stderr naming it.
 */
SKBOS_API int skbos_init(void);

/** skbos_fini - stop the stack thread and free the stack. */
SKBOS_API void skbos_fini(void);

/** skbos_active - 1 if skbos_init() started a stack. */
SKBOS_API int skbos_active(void);

#ifdef __cplusplus
}
#endif

#endif /* SKBOS_SKBOS_H */
