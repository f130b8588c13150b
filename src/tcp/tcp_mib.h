/* TCP's counters, named like the Linux MIB entries they follow (nstat's Tcp and TcpExt
 * names); registered with the stack by tcp_stack_init. */
#ifndef UM_TCP_MIB_H
#define UM_TCP_MIB_H

#include "core/counters.h"

#define UM_TCP_COUNTER_LIST(X)                                                                     \
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
        X(TcpExtTW)

struct um_tcp_counters {
        UM_TCP_COUNTER_LIST(UM_COUNTER_FIELD)
};

#endif
