/* The MPTCP option (TCP option kind 30) codec, RFC 8684 §3. Pure functions over bytes: no
 * connection state, so every form and every malformed variant is unit-testable. */
#ifndef UM_MPTCP_OPTIONS_H
#define UM_MPTCP_OPTIONS_H

#include <stdint.h>

#include "net/addr.h"

enum { TCPOPT_MPTCP = 30, MPTCP_VERSION = 1 };

enum mptcp_subtype {
        MPTCPOPT_MP_CAPABLE = 0,
        MPTCPOPT_MP_JOIN = 1,
        MPTCPOPT_DSS = 2,
        MPTCPOPT_ADD_ADDR = 3,
        MPTCPOPT_RM_ADDR = 4,
        MPTCPOPT_MP_PRIO = 5,
        MPTCPOPT_MP_FAIL = 6,
        MPTCPOPT_MP_FASTCLOSE = 7,
        MPTCPOPT_MP_TCPRST = 8,
        MPTCPOPT_SUBTYPES
};

/* RFC 8684 §3.1 MP_CAPABLE flags. */
enum {
        MPC_FLAG_A = 0x80, /* checksum required */
        MPC_FLAG_B = 0x40, /* extensibility */
        MPC_FLAG_C = 0x20, /* do not join the initial address and port */
        MPC_FLAG_H = 0x01, /* HMAC-SHA256 */
};

/* RFC 8684 §3.3 DSS flags. */
enum {
        DSS_A = 0x01, /* DATA_ACK present */
        DSS_a = 0x02, /* DATA_ACK is 8 octets */
        DSS_M = 0x04, /* mapping present */
        DSS_m = 0x08, /* DSN is 8 octets */
        DSS_F = 0x10, /* DATA_FIN */
};

/* Lengths of each form. */
enum {
        MPC_LEN_SYN = 4,
        MPC_LEN_SYNACK = 12,
        MPC_LEN_ACK = 20,
        MPC_LEN_DATA = 22,
        MPC_LEN_DATA_CSUM = 24,
        JOIN_LEN_SYN = 12,
        JOIN_LEN_SYNACK = 16,
        JOIN_LEN_ACK = 24,
        DSS_LEN_MAX = 28,
        DSS_LEN_ACK32 = 8, /* a DSS with only a 32-bit DATA_ACK (what segments without a
                              mapping carry) */
        MP_PRIO_LEN = 3,
        MP_FAIL_LEN = 12,
        MP_FASTCLOSE_LEN = 12,
        MP_TCPRST_LEN = 4,
};

/* RFC 8684 §3.6 MP_TCPRST reason codes. */
enum {
        MPTCP_RST_EUNSPEC = 0,
        MPTCP_RST_EMPTCP = 1,
        MPTCP_RST_ERESOURCE = 2,
        MPTCP_RST_EPROHIBIT = 3,
        MPTCP_RST_EWQ2BIG = 4,
        MPTCP_RST_EBADPERF = 5,
        MPTCP_RST_EMIDDLEBOX = 6,
        MPTCP_RST_NONE = 0xff, /* ours: a reset without MP_TCPRST */
};

/* Everything one segment's MPTCP options said. `present` has bit (1 << subtype) per form. */
struct mptcp_opts {
        uint16_t present;
        /* MP_CAPABLE */
        uint8_t mpc_len, mpc_version, mpc_flags;
        uint64_t mpc_sndr_key, mpc_rcvr_key;
        uint16_t mpc_data_len, mpc_csum;
        /* MP_JOIN */
        uint8_t join_len, join_backup, join_addr_id;
        uint32_t join_token, join_nonce;
        uint8_t join_hmac[20]; /* 8 bytes in the SYN/ACK, 20 in the ACK */
        /* DSS */
        uint8_t dss_flags;
        uint64_t data_ack; /* 32-bit acks zero-extended; see DSS_a */
        uint64_t dsn;      /* 32-bit DSNs zero-extended; see DSS_m */
        uint32_t ssn;      /* relative subflow sequence number */
        uint16_t data_len, dss_csum;
        uint8_t dss_has_csum;
        /* ADD_ADDR */
        uint8_t add_echo, add_addr_id, add_has_port, add_has_hmac;
        struct um_addr add_addr;
        uint16_t add_port;
        uint64_t add_hmac;
        /* REMOVE_ADDR */
        uint8_t rm_n, rm_ids[37];
        /* MP_PRIO */
        uint8_t prio_backup;
        /* MP_FAIL */
        uint64_t fail_dsn;
        /* MP_FASTCLOSE */
        uint64_t fastclose_key;
        /* MP_TCPRST */
        uint8_t rst_flags, rst_reason;
};

static inline int mptcp_has(const struct mptcp_opts *o, enum mptcp_subtype t)
{
        return (o->present >> t) & 1;
}

/* Parses one kind-30 option (opt[0] = 30, opt[1] = len, len bytes present) into o.
 * Returns the subtype, or -EINVAL for a length that does not match its subtype, -ENOTSUP for
 * an unknown subtype or MP_CAPABLE version 0 options. */
int mptcp_opt_parse(const uint8_t *opt, uint8_t len, struct mptcp_opts *o);

/* Writers: each fills out[] and returns the option's length. */
unsigned mptcp_write_mpc(uint8_t *out, unsigned len, uint8_t flags, uint64_t sndr_key,
                         uint64_t rcvr_key, uint16_t data_len, uint16_t csum);
unsigned mptcp_write_join_syn(uint8_t *out, int backup, uint8_t addr_id, uint32_t token,
                              uint32_t nonce);
unsigned mptcp_write_join_synack(uint8_t *out, int backup, uint8_t addr_id, const uint8_t hmac[8],
                                 uint32_t nonce);
unsigned mptcp_write_join_ack(uint8_t *out, const uint8_t hmac[20]);

struct mptcp_dss_out {
        uint8_t flags; /* DSS_A/a/M/m/F */
        uint64_t data_ack, dsn;
        uint32_t ssn;
        uint16_t data_len, csum;
        uint8_t with_csum;
};
unsigned mptcp_dss_len(const struct mptcp_dss_out *d);
unsigned mptcp_write_dss(uint8_t *out, const struct mptcp_dss_out *d);

unsigned mptcp_add_addr_len(int family, int port, int hmac);
unsigned mptcp_write_add_addr(uint8_t *out, int echo, uint8_t id, const struct um_addr *a,
                              uint16_t port, int with_hmac, uint64_t hmac);
unsigned mptcp_write_rm_addr(uint8_t *out, const uint8_t *ids, unsigned n);
unsigned mptcp_write_mp_prio(uint8_t *out, int backup);
unsigned mptcp_write_mp_fail(uint8_t *out, uint64_t dsn);
unsigned mptcp_write_fastclose(uint8_t *out, uint64_t rcvr_key);
unsigned mptcp_write_tcprst(uint8_t *out, uint8_t flags, uint8_t reason);

/* Expands a 32-bit DSN (or DATA_ACK) to the 64-bit value nearest to `near`. */
uint64_t mptcp_expand_seq(uint64_t near, uint32_t v);

#endif
