/*
 * snmp.h - MIB counters and drop reasons.
 *
 * Every packet the stack drops goes through kfree_skb_reason() with one of the
 * reasons below, and the layer that drops it also bumps the MIB counter a
 * Linux user would look for in /proc/net/snmp or nstat (IpInHdrErrors,
 * TcpInCsumErrors, ...).  Both lists are X-macros so that each name is written
 * once: the enum and the printable name come from the same line.
 *
 * Counters live in struct stack (no globals); SNMP_INC_STATS(st, X) is a plain
 * increment because the stack lock serialises the core.
 */
#ifndef SKBOS_SNMP_H
#define SKBOS_SNMP_H

#include "types.h"

/* X(enum name, group, field): group+field is the nstat name (IpInReceives). */
#define SNMP_MIB_LIST(X)                                                       \
	X(IPSTATS_MIB_INRECEIVES, "Ip", "InReceives")                          \
	X(IPSTATS_MIB_INHDRERRORS, "Ip", "InHdrErrors")                        \
	X(IPSTATS_MIB_INADDRERRORS, "Ip", "InAddrErrors")                      \
	X(IPSTATS_MIB_FORWDATAGRAMS, "Ip", "ForwDatagrams")                    \
	X(IPSTATS_MIB_INUNKNOWNPROTOS, "Ip", "InUnknownProtos")                \
	X(IPSTATS_MIB_INDISCARDS, "Ip", "InDiscards")                          \
	X(IPSTATS_MIB_INDELIVERS, "Ip", "InDelivers")                          \
	X(IPSTATS_MIB_OUTREQUESTS, "Ip", "OutRequests")                        \
	X(IPSTATS_MIB_OUTDISCARDS, "Ip", "OutDiscards")                        \
	X(IPSTATS_MIB_OUTNOROUTES, "Ip", "OutNoRoutes")                        \
	X(IPSTATS_MIB_REASMTIMEOUT, "Ip", "ReasmTimeout")                      \
	X(IPSTATS_MIB_REASMREQDS, "Ip", "ReasmReqds")                          \
	X(IPSTATS_MIB_REASMOKS, "Ip", "ReasmOKs")                              \
	X(IPSTATS_MIB_REASMFAILS, "Ip", "ReasmFails")                          \
	X(IPSTATS_MIB_FRAGOKS, "Ip", "FragOKs")                                \
	X(IPSTATS_MIB_FRAGFAILS, "Ip", "FragFails")                            \
	X(IPSTATS_MIB_FRAGCREATES, "Ip", "FragCreates")                        \
	X(IPSTATS_MIB_INTRUNCATEDPKTS, "IpExt", "InTruncatedPkts")             \
	X(IPSTATS_MIB_INCSUMERRORS, "IpExt", "InCsumErrors")                   \
	X(IPSTATS_MIB_INMARTIANS, "IpExt", "InMartians")                       \
	X(IPSTATS_MIB_REASMOVERLAPS, "IpExt", "ReasmOverlaps")                 \
	X(ICMP_MIB_INMSGS, "Icmp", "InMsgs")                                   \
	X(ICMP_MIB_INERRORS, "Icmp", "InErrors")                               \
	X(ICMP_MIB_INCSUMERRORS, "Icmp", "InCsumErrors")                       \
	X(ICMP_MIB_INDESTUNREACHS, "Icmp", "InDestUnreachs")                   \
	X(ICMP_MIB_INTIMEEXCDS, "Icmp", "InTimeExcds")                         \
	X(ICMP_MIB_INECHOS, "Icmp", "InEchos")                                 \
	X(ICMP_MIB_INECHOREPS, "Icmp", "InEchoReps")                           \
	X(ICMP_MIB_OUTMSGS, "Icmp", "OutMsgs")                                 \
	X(ICMP_MIB_OUTERRORS, "Icmp", "OutErrors")                             \
	X(ICMP_MIB_OUTRATELIMITED, "Icmp", "OutRateLimitGlobal")               \
	X(ICMP_MIB_OUTDESTUNREACHS, "Icmp", "OutDestUnreachs")                 \
	X(ICMP_MIB_OUTTIMEEXCDS, "Icmp", "OutTimeExcds")                       \
	X(ICMP_MIB_OUTECHOS, "Icmp", "OutEchos")                               \
	X(ICMP_MIB_OUTECHOREPS, "Icmp", "OutEchoReps")                         \
	X(TCP_MIB_ACTIVEOPENS, "Tcp", "ActiveOpens")                           \
	X(TCP_MIB_PASSIVEOPENS, "Tcp", "PassiveOpens")                         \
	X(TCP_MIB_ATTEMPTFAILS, "Tcp", "AttemptFails")                         \
	X(TCP_MIB_ESTABRESETS, "Tcp", "EstabResets")                           \
	X(TCP_MIB_INSEGS, "Tcp", "InSegs")                                     \
	X(TCP_MIB_OUTSEGS, "Tcp", "OutSegs")                                   \
	X(TCP_MIB_RETRANSSEGS, "Tcp", "RetransSegs")                           \
	X(TCP_MIB_INERRS, "Tcp", "InErrs")                                     \
	X(TCP_MIB_OUTRSTS, "Tcp", "OutRsts")                                   \
	X(TCP_MIB_INCSUMERRORS, "Tcp", "InCsumErrors")                         \
	X(LINUX_MIB_TCPCHALLENGEACK, "TcpExt", "TCPChallengeACK")              \
	X(LINUX_MIB_TCPACKSKIPPEDCHALLENGE, "TcpExt", "TCPACKSkippedChallenge") \
	X(LINUX_MIB_OUTOFWINDOWICMPS, "TcpExt", "OutOfWindowIcmps")            \
	X(LINUX_MIB_TCPSYNCHALLENGE, "TcpExt", "TCPSYNChallenge")              \
	X(LINUX_MIB_DELAYEDACKLOST, "TcpExt", "DelayedACKLost")                \
	X(LINUX_MIB_TCPOFOMERGE, "TcpExt", "TCPOFOMerge")                      \
	X(LINUX_MIB_TCPFASTOPENPASSIVE, "TcpExt", "TCPFastOpenPassive")        \
	X(LINUX_MIB_TCPFASTOPENPASSIVEFAIL, "TcpExt", "TCPFastOpenPassiveFail") \
	X(LINUX_MIB_TCPFASTOPENCOOKIEREQD, "TcpExt", "TCPFastOpenCookieReqd")  \
	X(LINUX_MIB_TCPFASTOPENLISTENOVERFLOW, "TcpExt", "TCPFastOpenListenOverflow") \
	X(LINUX_MIB_TCPFASTOPENACTIVE, "TcpExt", "TCPFastOpenActive")          \
	X(LINUX_MIB_TCPFASTOPENACTIVEFAIL, "TcpExt", "TCPFastOpenActiveFail")  \
	X(LINUX_MIB_TCPDELIVERED, "TcpExt", "TCPDelivered")                    \
	X(LINUX_MIB_TCPDELIVEREDCE, "TcpExt", "TCPDeliveredCE")                \
	X(UDP_MIB_INDATAGRAMS, "Udp", "InDatagrams")                           \
	X(UDP_MIB_NOPORTS, "Udp", "NoPorts")                                   \
	X(UDP_MIB_INERRORS, "Udp", "InErrors")                                 \
	X(UDP_MIB_OUTDATAGRAMS, "Udp", "OutDatagrams")                         \
	X(UDP_MIB_RCVBUFERRORS, "Udp", "RcvbufErrors")                         \
	X(UDP_MIB_SNDBUFERRORS, "Udp", "SndbufErrors")                         \
	X(UDP_MIB_INCSUMERRORS, "Udp", "InCsumErrors")                         \
	X(LINUX_MIB_PAWSESTABREJECTED, "TcpExt", "PAWSEstab")                  \
	X(LINUX_MIB_SYNCOOKIESSENT, "TcpExt", "SyncookiesSent")                \
	X(LINUX_MIB_SYNCOOKIESRECV, "TcpExt", "SyncookiesRecv")                \
	X(LINUX_MIB_SYNCOOKIESFAILED, "TcpExt", "SyncookiesFailed")            \
	X(LINUX_MIB_LISTENOVERFLOWS, "TcpExt", "ListenOverflows")              \
	X(LINUX_MIB_TCPACKSKIPPEDPAWS, "TcpExt", "TCPACKSkippedPAWS")          \
	X(LINUX_MIB_ARPFILTER, "ArpExt", "InDropped")                          \
	X(LINUX_MIB_ARPUNRESQDROPS, "ArpExt", "UnresolvedDiscards")            \
	X(LINUX_MIB_NEIGHFAILED, "ArpExt", "ResolutionFailures")               \
	X(LINUX_MIB_TCPACKSKIPPEDSEQ, "TcpExt", "TCPACKSkippedSeq")           \
	X(LINUX_MIB_TCPACKSKIPPEDTIMEWAIT, "TcpExt", "TCPACKSkippedTimeWait")  \
	X(LINUX_MIB_TCPDSACKRECV, "TcpExt", "TCPDSACKRecv")                    \
	X(LINUX_MIB_TCPSACKREORDER, "TcpExt", "TCPSACKReorder")                \
	X(LINUX_MIB_TCPTSREORDER, "TcpExt", "TCPTSReorder")                    \
	X(LINUX_MIB_TCPDSACKUNDO, "TcpExt", "TCPDSACKUndo")                    \
	X(LINUX_MIB_TCPPARTIALUNDO, "TcpExt", "TCPPartialUndo")                \
	X(LINUX_MIB_TCPFULLUNDO, "TcpExt", "TCPFullUndo")                      \
	X(LINUX_MIB_TCPTIMEWAITOVERFLOW, "TcpExt", "TCPTimeWaitOverflow") \
	X(LINUX_MIB_TCPABORTONTIMEOUT, "TcpExt", "TCPAbortOnTimeout")           \
	X(IPSTATS6_MIB_INRECEIVES, "Ip6", "InReceives")                        \
	X(IPSTATS6_MIB_INHDRERRORS, "Ip6", "InHdrErrors")                      \
	X(IPSTATS6_MIB_INADDRERRORS, "Ip6", "InAddrErrors")                    \
	X(IPSTATS6_MIB_INUNKNOWNPROTOS, "Ip6", "InUnknownProtos")              \
	X(IPSTATS6_MIB_INTRUNCATEDPKTS, "Ip6", "InTruncatedPkts")              \
	X(IPSTATS6_MIB_INDISCARDS, "Ip6", "InDiscards")                        \
	X(IPSTATS6_MIB_INDELIVERS, "Ip6", "InDelivers")                        \
	X(IPSTATS6_MIB_OUTREQUESTS, "Ip6", "OutRequests")                      \
	X(IPSTATS6_MIB_OUTDISCARDS, "Ip6", "OutDiscards")                      \
	X(IPSTATS6_MIB_OUTNOROUTES, "Ip6", "OutNoRoutes")                      \
	X(IPSTATS6_MIB_REASMTIMEOUT, "Ip6", "ReasmTimeout")                    \
	X(IPSTATS6_MIB_REASMREQDS, "Ip6", "ReasmReqds")                        \
	X(IPSTATS6_MIB_REASMOKS, "Ip6", "ReasmOKs")                            \
	X(IPSTATS6_MIB_REASMFAILS, "Ip6", "ReasmFails")                        \
	X(IPSTATS6_MIB_FRAGOKS, "Ip6", "FragOKs")                              \
	X(IPSTATS6_MIB_FRAGFAILS, "Ip6", "FragFails")                          \
	X(IPSTATS6_MIB_FRAGCREATES, "Ip6", "FragCreates")                      \
	X(ICMP6_MIB_INMSGS, "Icmp6", "InMsgs")                                 \
	X(ICMP6_MIB_INERRORS, "Icmp6", "InErrors")                             \
	X(ICMP6_MIB_INCSUMERRORS, "Icmp6", "InCsumErrors")                     \
	X(ICMP6_MIB_INECHOS, "Icmp6", "InEchos")                               \
	X(ICMP6_MIB_INECHOREPLIES, "Icmp6", "InEchoReplies")                   \
	X(ICMP6_MIB_INPKTTOOBIGS, "Icmp6", "InPktTooBigs")                     \
	X(ICMP6_MIB_INNEIGHBORSOLICITS, "Icmp6", "InNeighborSolicits")         \
	X(ICMP6_MIB_INNEIGHBORADVERTISEMENTS, "Icmp6", "InNeighborAdvertisements") \
	X(ICMP6_MIB_OUTMSGS, "Icmp6", "OutMsgs")                               \
	X(ICMP6_MIB_OUTERRORS, "Icmp6", "OutErrors")                           \
	X(ICMP6_MIB_OUTRATELIMITHOST, "Icmp6", "OutRateLimitHost")             \
	X(ICMP6_MIB_OUTECHOREPLIES, "Icmp6", "OutEchoReplies")                 \
	X(ICMP6_MIB_OUTDESTUNREACHS, "Icmp6", "OutDestUnreachs")               \
	X(ICMP6_MIB_OUTTIMEEXCDS, "Icmp6", "OutTimeExcds")                     \
	X(ICMP6_MIB_OUTPARMPROBLEMS, "Icmp6", "OutParmProblems")               \
	X(ICMP6_MIB_OUTPKTTOOBIGS, "Icmp6", "OutPktTooBigs")                   \
	X(ICMP6_MIB_OUTNEIGHBORSOLICITS, "Icmp6", "OutNeighborSolicits")       \
	X(ICMP6_MIB_OUTNEIGHBORADVERTISEMENTS, "Icmp6", "OutNeighborAdvertisements")

enum snmp_mib {
#define SNMP_MIB_ENUM(name, group, field) name,
	SNMP_MIB_LIST(SNMP_MIB_ENUM)
#undef SNMP_MIB_ENUM
	__SNMP_MIB_MAX
};

/*
 * Why a packet was dropped (include/net/dropreason-core.h).  Every drop names
 * one, so a test can assert the reason and skbos-stat can show it.
 */
#define SKB_DROP_REASON_LIST(X)                                                \
	X(NOT_SPECIFIED)       /* a caller that did not say; avoid */          \
	X(PKT_TOO_SMALL)       /* shorter than the header it claims */         \
	X(OTHERHOST)           /* link-layer destination is not us */          \
	X(VLAN_TAG)            /* 802.1Q/802.1ad frame: no VLAN support */     \
	X(UNHANDLED_PROTO)     /* no handler for the ethertype / protocol */   \
	X(DEV_DOWN)            /* device administratively down */              \
	X(DEV_BUSY)            /* device transmit queue full */                \
	X(PKT_TOO_BIG)         /* larger than the device MTU */                \
	X(DEV_TX_ERROR)        /* the device failed to send it */              \
	X(VNET_HDR_INVALID)    /* inconsistent virtio_net_hdr from the device */ \
	X(QUEUE_PURGE)         /* freed with a queue (socket close, flush) */  \
	X(WIRE_LOSS)           /* the test wire dropped it on purpose */       \
	X(IP_CSUM)             /* bad IPv4 header checksum */                  \
	X(IP_INHDR)            /* bad IPv4 header (version, IHL, length) */    \
	X(IP_INADDRERRORS)     /* not for one of our addresses */              \
	X(IP_INVALID_SOURCE)   /* martian source address (RFC 1812 §5.3.7) */ \
	X(IP_INVALID_DEST)     /* martian or unjoined multicast destination */ \
	X(IP_NOPROTO)          /* no transport for the IP protocol */          \
	X(IP_OUTNOROUTES)      /* no route to the destination */               \
	X(IP_TTL_EXPIRED)      /* TTL ran out (forwarding) */                  \
	X(IP_FRAG_OVERLAP)     /* overlapping fragment (RFC 5722) */           \
	X(IP_FRAG_TOO_BIG)     /* reassembled datagram over 64 KiB */          \
	X(IP_FRAG_TIMEOUT)     /* reassembly timed out */                      \
	X(IP_FRAG_MEM)         /* reassembly memory cap reached */             \
	X(IP_FRAG_DF)          /* needs fragmenting but DF is set */           \
	X(IP_FRAG_TOO_FAR)     /* stale queue: ipfrag_max_dist passed */       \
	X(NETFILTER_DROP)      /* a netfilter hook said NF_DROP */             \
	X(NEIGH_FAILED)        /* neighbour resolution failed */               \
	X(NEIGH_QUEUEFULL)     /* unresolved neighbour queue overflow */       \
	X(NEIGH_DEAD)          /* neighbour entry destroyed */                 \
	X(ARP_INVALID)         /* malformed or foreign ARP */                  \
	X(ICMP_CSUM)           /* bad ICMP checksum */                         \
	X(ICMP_INVALID)        /* malformed ICMP message */                    \
	X(ICMP_RATELIMIT)      /* ICMP error suppressed by the rate limit */   \
	X(UDP_CSUM)            /* bad UDP checksum */                          \
	X(TCP_CSUM)            /* bad TCP checksum */                          \
	X(TCP_FLAGS)           /* TCP flags that make no sense (SYN+FIN) */    \
	X(NO_SOCKET)           /* no socket for the packet */                  \
	X(SOCKET_RCVBUFF)      /* socket receive buffer full */                \
	X(TCP_OFO_DROP)        /* out-of-order data pruned for in-order data */ \
	X(TCP_OLD_DATA)        /* data we have already (a retransmission) */  \
	X(TCP_OFOMERGE)        /* out-of-order data we hold already */        \
	X(TCP_RFC7323_PAWS)    /* TSval older than TS.Recent (RFC 7323 §5) */ \
	X(TCP_OLD_SEQUENCE)    /* old duplicate: ends at or before RCV.NXT */ \
	X(TCP_INVALID_SEQUENCE) /* outside the receive window */              \
	X(TCP_INVALID_ACK_SEQUENCE) /* ACK of nothing we sent (SYN states) */ \
	X(TCP_TOO_OLD_ACK)     /* ACK below any window (RFC 5961 §5.2) */     \
	X(TCP_ACK_UNSENT_DATA) /* ACK of data not yet sent */                 \
	X(TCP_RESET)           /* a RST, acted on or challenged */            \
	X(TCP_INVALID_SYN)     /* SYN in a synchronized state (RFC 5961 §4) */ \
	X(TCP_CLOSE)           /* socket in CLOSE state */                    \
	X(SKB_CSUM)            /* a partial checksum could not be finished */  \
	X(SKB_GSO_SEG)         /* software segmentation of a super-frame failed */ \
	X(IPV6_INHDR)          /* bad IPv6 header (version, length, addresses) */ \
	X(IPV6_BAD_EXTHDR)     /* malformed, misplaced or refused extension header */ \
	X(IPV6_UNKNOWN_OPTION) /* an option whose type says discard (RFC 8200 §4.2) */ \
	X(IPV6_NDISC_BAD)      /* Neighbour Discovery message failing §7.1 */ \
	X(NOMEM)               /* out of memory while handling it */

enum skb_drop_reason {
#define SKB_DROP_REASON_ENUM(name) SKB_DROP_REASON_##name,
	SKB_DROP_REASON_LIST(SKB_DROP_REASON_ENUM)
#undef SKB_DROP_REASON_ENUM
	SKB_DROP_REASON_MAX
};

struct stack;

/** snmp_mib_name - the nstat-style name of a counter ("IpInHdrErrors"). */
const char *snmp_mib_name(enum snmp_mib mib, char *buf, size_t len);
/** skb_drop_reason_name - the printable name of a drop reason ("IP_CSUM"). */
const char *skb_drop_reason_name(enum skb_drop_reason reason);
/** snmp_mib_lookup - counter index for an nstat name, or -ENOENT. */
int snmp_mib_lookup(const char *name);

#define SNMP_INC_STATS(st, field) ((st)->mib[field]++)
#define SNMP_ADD_STATS(st, field, n) ((st)->mib[field] += (n))
#define SNMP_GET_STATS(st, field) ((st)->mib[field])

#endif /* SKBOS_SNMP_H */
