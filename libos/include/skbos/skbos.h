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

#ifdef __cplusplus
}
#endif

#endif /* SKBOS_SKBOS_H */
