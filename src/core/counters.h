/* Per-stack counters, named like the Linux MIB entries they follow (nstat names). */
#ifndef UM_CORE_COUNTERS_H
#define UM_CORE_COUNTERS_H

#include <stdint.h>

#define UM_COUNTER_LIST(X)                                                                         \
        X(IpInReceives)                                                                            \
        X(IpInHdrErrors)                                                                           \
        X(IpInAddrErrors)                                                                          \
        X(IpInUnknownProtos)                                                                       \
        X(IpInFragDropped)                                                                         \
        X(IpInDelivers)                                                                            \
        X(IpOutRequests)                                                                           \
        X(IpOutNoRoutes)                                                                           \
        X(IpOutDiscards)                                                                           \
        X(IcmpInMsgs)                                                                              \
        X(IcmpInErrors)                                                                            \
        X(IcmpInEchos)                                                                             \
        X(IcmpInDestUnreachs)                                                                      \
        X(IcmpOutEchoReps)                                                                         \
        X(TcpActiveOpens)                                                                          \
        X(TcpPassiveOpens)                                                                         \
        X(TcpAttemptFails)                                                                         \
        X(TcpEstabResets)                                                                          \
        X(TcpInSegs)                                                                               \
        X(TcpOutSegs)                                                                              \
        X(TcpRetransSegs)                                                                          \
        X(TcpInErrs)                                                                               \
        X(TcpInCsumErrors)                                                                         \
        X(TcpOutRsts)                                                                              \
        X(TcpExtBadOptions)                                                                        \
        X(TcpExtNoSocket)                                                                          \
        X(TcpExtChallengeACK)                                                                      \
        X(TcpExtSYNChallenge)                                                                      \
        X(TcpExtRSTChallenge)                                                                      \
        X(TcpExtChallengeACKLimited)                                                               \
        X(TcpExtAckWithheld)                                                                       \
        X(TcpExtPAWSEstab)                                                                         \
        X(TcpExtOutOfWindow)                                                                       \
        X(TcpExtAckTooNew)                                                                         \
        X(TcpExtAckTooOld)                                                                         \
        X(TcpExtSyncookiesSent)                                                                    \
        X(TcpExtSyncookiesRecv)                                                                    \
        X(TcpExtSyncookiesFailed)                                                                  \
        X(TcpExtListenOverflows)                                                                   \
        X(TcpExtListenDrops)                                                                       \
        X(TcpExtTCPTimeouts)                                                                       \
        X(TcpExtTCPLossProbes)                                                                     \
        X(TcpExtTCPSackRecovery)                                                                   \
        X(TcpExtTCPRenoRecovery)                                                                   \
        X(TcpExtTCPRACKLost)                                                                       \
        X(TcpExtTCPDSACKRecv)                                                                      \
        X(TcpExtTCPOFOQueue)                                                                       \
        X(TcpExtTCPOFODrop)                                                                        \
        X(TcpExtTCPRcvQDrop)                                                                       \
        X(TcpExtTCPDupData)                                                                        \
        X(TcpExtTCPWinProbe)                                                                       \
        X(TcpExtTCPKeepAlive)                                                                      \
        X(TcpExtTCPAbortOnTimeout)                                                                 \
        X(TcpExtTCPAbortOnData)                                                                    \
        X(TcpExtTCPAbortOnClose)                                                                   \
        X(TcpExtTCPDelayedAcks)                                                                    \
        X(TcpExtTCPHystartExits)                                                                   \
        X(TcpExtTCPSpuriousRTOs)                                                                   \
        X(TcpExtTCPRcvAutotune)                                                                    \
        X(TcpExtTW)                                                                                \
        X(MPTcpExtMPCapableSYNRX)                                                                  \
        X(MPTcpExtMPCapableSYNTX)                                                                  \
        X(MPTcpExtMPCapableSYNACKRX)                                                               \
        X(MPTcpExtMPCapableACKRX)                                                                  \
        X(MPTcpExtMPCapableFallbackACK)                                                            \
        X(MPTcpExtTokenFallbackInit)                                                               \
        X(MPTcpExtMPCapableFallbackSYNACK)                                                         \
        X(MPTcpExtMPCapableDataFallback)                                                           \
        X(MPTcpExtMPTCPRetrans)                                                                    \
        X(MPTcpExtMPJoinNoTokenFound)                                                              \
        X(MPTcpExtMPJoinSynRx)                                                                     \
        X(MPTcpExtMPJoinSynTx)                                                                     \
        X(MPTcpExtMPJoinSynAckRx)                                                                  \
        X(MPTcpExtMPJoinSynAckHMacFailure)                                                         \
        X(MPTcpExtMPJoinAckRx)                                                                     \
        X(MPTcpExtMPJoinAckHMacFailure)                                                            \
        X(MPTcpExtMPJoinRejected)                                                                  \
        X(MPTcpExtDSSNotMatching)                                                                  \
        X(MPTcpExtDSSNoMatchTCP)                                                                   \
        X(MPTcpExtInfiniteMapTx)                                                                   \
        X(MPTcpExtInfiniteMapRx)                                                                   \
        X(MPTcpExtDataCsumErr)                                                                     \
        X(MPTcpExtOFOQueue)                                                                        \
        X(MPTcpExtDuplicateData)                                                                   \
        X(MPTcpExtRcvPruned)                                                                       \
        X(MPTcpExtAddAddr)                                                                         \
        X(MPTcpExtAddAddrTx)                                                                       \
        X(MPTcpExtAddAddrTxDrop)                                                                   \
        X(MPTcpExtAddAddrDrop)                                                                     \
        X(MPTcpExtEchoAdd)                                                                         \
        X(MPTcpExtEchoAddTx)                                                                       \
        X(MPTcpExtEchoAddTxDrop)                                                                   \
        X(MPTcpExtRmAddr)                                                                          \
        X(MPTcpExtRmAddrTx)                                                                        \
        X(MPTcpExtRmAddrTxDrop)                                                                    \
        X(MPTcpExtRmSubflow)                                                                       \
        X(MPTcpExtMPPrioTx)                                                                        \
        X(MPTcpExtMPPrioRx)                                                                        \
        X(MPTcpExtMPFailTx)                                                                        \
        X(MPTcpExtMPFailRx)                                                                        \
        X(MPTcpExtMPFastcloseTx)                                                                   \
        X(MPTcpExtMPFastcloseRx)                                                                   \
        X(MPTcpExtMPRstTx)                                                                         \
        X(MPTcpExtMPRstRx)                                                                         \
        X(MPTcpExtSubflowStale)                                                                    \
        X(MPTcpExtSubflowRecover)                                                                  \
        X(MPTcpExtBadOption)                                                                       \
        X(LinkOutDrops)                                                                            \
        X(PktPoolExhausted)

struct um_counters {
#define UM_COUNTER_FIELD(name) uint64_t name;
        UM_COUNTER_LIST(UM_COUNTER_FIELD)
#undef UM_COUNTER_FIELD
};

#endif
