/* MPTCP's counters, named like Linux's (net/mptcp/mib.h, nstat's MPTcpExt names);
 * registered with the stack by mptcp_stack_init. */
#ifndef UM_MPTCP_MIB_H
#define UM_MPTCP_MIB_H

#include "core/counters.h"

#define MPTCP_COUNTER_LIST(X)                                                                      \
        X(MPTcpExtMPCapableSYNRX)                                                                  \
        X(MPTcpExtMPCapableSYNTX)                                                                  \
        X(MPTcpExtMPCapableSYNACKRX)                                                               \
        X(MPTcpExtMPCapableACKRX)                                                                  \
        X(MPTcpExtMPCapableFallbackACK)                                                            \
        X(MPTcpExtTokenFallbackInit)                                                               \
        X(MPTcpExtMPCapableFallbackSYNACK)                                                         \
        X(MPTcpExtMPCapableDataFallback)                                                           \
        X(MPTcpExtMPTCPRetrans)                                                                    \
        X(MPTcpExtOpportunisticRetrans)                                                            \
        X(MPTcpExtSubflowPenalised)                                                                \
        X(MPTcpExtMPJoinNoTokenFound)                                                              \
        X(MPTcpExtMPJoinSynRx)                                                                     \
        X(MPTcpExtMPJoinSynTx)                                                                     \
        X(MPTcpExtMPJoinSynAckRx)                                                                  \
        X(MPTcpExtMPJoinSynAckHMacFailure)                                                         \
        X(MPTcpExtMPJoinAckRx)                                                                     \
        X(MPTcpExtMPJoinAckHMacFailure)                                                            \
        X(MPTcpExtMPJoinRejected)                                                                  \
        X(MPTcpExtMPJoinCookieFull)                                                                \
        X(MPTcpExtMPJoinCookieEvicted)                                                             \
        X(MPTcpExtMPJoinPortSynRx)                                                                 \
        X(MPTcpExtMPJoinPortSynAckRx)                                                              \
        X(MPTcpExtMismatchPortSynRx)                                                               \
        X(MPTcpExtPortListenerNoJoin)                                                              \
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
        X(MPTcpExtAddAddrIgnored)                                                                  \
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
        X(MPTcpExtPmEventDrops)

struct mptcp_counters {
        MPTCP_COUNTER_LIST(UM_COUNTER_FIELD)
};

#endif
