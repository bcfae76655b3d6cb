/*
 * tcp_pair.h - the fixture of the TCP suites: two stacks on a wire (p, with
 * A = sa the client side and B = sb the server side), connected pairs, and
 * the teardown that checks nothing is left (TIME_WAIT and orphans run out,
 * no connection, no skb); bulk transfers checked byte by byte, impaired
 * both ways.
 */
#ifndef SKBOS_TEST_TCP_PAIR_H
#define SKBOS_TEST_TCP_PAIR_H

#include "inet.h"
#include "sock.h"
#include "socks.h"

extern struct inet_pair p;
extern struct stack *sa, *sb;

void tcp_pair_setup(void);
void tcp_pair_teardown(void);
struct socket *listener(u16 port);
void connect_pair(u16 port, struct socket **cli, struct socket **srv, struct socket **lis);
void impair_both(const char *spec);
void tcp_bulk(struct socket *c, struct socket *s, size_t total);

#endif /* SKBOS_TEST_TCP_PAIR_H */
