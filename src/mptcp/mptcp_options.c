/* The MPTCP option codec (RFC 8684 §3): every suboption parsed from and written to its
 * wire form, nothing else. */
#include "mptcp/mptcp_options.h"
#include "core/bytes.h"

#include <errno.h>
#include <string.h>

static int parse_mpc(const uint8_t *opt, uint8_t len, struct mptcp_opts *o)
{
        o->mpc_version = opt[2] & 0x0f;
        o->mpc_flags = opt[3];
        if (o->mpc_version == 0)
                return -ENOTSUP; /* RFC 6824 v0: umptcp speaks v1 only */
        switch (len) {
        case MPC_LEN_DATA_CSUM:
                memcpy(&o->mpc_csum, opt + 22, 2);
                /* fall through */
        case MPC_LEN_DATA:
                o->mpc_data_len = um_get_be16(opt + 20);
                /* fall through */
        case MPC_LEN_ACK:
                o->mpc_rcvr_key = um_get_be64(opt + 12);
                /* fall through */
        case MPC_LEN_SYNACK:
                o->mpc_sndr_key = um_get_be64(opt + 4);
                /* fall through */
        case MPC_LEN_SYN:
                o->mpc_len = len;
                return 0;
        default:
                return -EINVAL;
        }
}

static int parse_join(const uint8_t *opt, uint8_t len, struct mptcp_opts *o)
{
        if (len != JOIN_LEN_SYN && len != JOIN_LEN_SYNACK && len != JOIN_LEN_ACK)
                return -EINVAL; /* before reading past the subtype byte */
        o->join_len = len;
        o->join_backup = opt[2] & 0x01;
        o->join_addr_id = opt[3];
        switch (len) {
        case JOIN_LEN_SYN:
                o->join_token = um_get_be32(opt + 4);
                o->join_nonce = um_get_be32(opt + 8);
                return 0;
        case JOIN_LEN_SYNACK:
                memcpy(o->join_hmac, opt + 4, 8);
                o->join_nonce = um_get_be32(opt + 12);
                return 0;
        case JOIN_LEN_ACK:
                o->join_backup = 0;
                o->join_addr_id = 0;
                memcpy(o->join_hmac, opt + 4, 20);
                return 0;
        default:
                return -EINVAL;
        }
}

static int parse_dss(const uint8_t *opt, uint8_t len, struct mptcp_opts *o)
{
        uint8_t f = opt[3] & 0x1f;
        unsigned need = 4;
        if (f & DSS_A)
                need += (f & DSS_a) ? 8 : 4;
        if (f & DSS_M)
                need += ((f & DSS_m) ? 8 : 4) + 4 + 2;
        if (len != need && !((f & DSS_M) && len == need + 2))
                return -EINVAL;
        if ((f & DSS_F) && !(f & DSS_M))
                return -EINVAL; /* RFC 8684 §3.3.3: DATA_FIN is part of a mapping */
        o->dss_flags = f;
        const uint8_t *p = opt + 4;
        if (f & DSS_A) {
                o->data_ack = (f & DSS_a) ? um_get_be64(p) : um_get_be32(p);
                p += (f & DSS_a) ? 8 : 4;
        }
        if (f & DSS_M) {
                o->dsn = (f & DSS_m) ? um_get_be64(p) : um_get_be32(p);
                p += (f & DSS_m) ? 8 : 4;
                o->ssn = um_get_be32(p);
                o->data_len = um_get_be16(p + 4);
                p += 6;
                o->dss_has_csum = len == need + 2;
                if (o->dss_has_csum)
                        memcpy(&o->dss_csum, p, 2);
        }
        return 0;
}

static int parse_add_addr(const uint8_t *opt, uint8_t len, struct mptcp_opts *o)
{
        /* Lengths: 8 (IPv4) or 20 (IPv6), plus 2 with a port, plus 8 with the HMAC. */
        unsigned base;
        uint8_t family;
        if (len == 8 || len == 10 || len == 16 || len == 18) {
                base = 8;
                family = AF_INET;
        } else if (len == 20 || len == 22 || len == 28 || len == 30) {
                base = 20;
                family = AF_INET6;
        } else {
                return -EINVAL;
        }
        unsigned extra = len - base;
        o->add_echo = opt[2] & 0x01;
        o->add_addr_id = opt[3];
        o->add_has_port = extra == 2 || extra == 10;
        o->add_has_hmac = extra >= 8;
        memset(&o->add_addr, 0, sizeof(o->add_addr));
        o->add_addr.family = family;
        memcpy(o->add_addr.b, opt + 4, base - 4);
        const uint8_t *p = opt + base;
        o->add_port = 0;
        if (o->add_has_port) {
                o->add_port = um_get_be16(p);
                p += 2;
        }
        if (o->add_has_hmac)
                o->add_hmac = um_get_be64(p);
        return 0;
}

int mptcp_opt_parse(const uint8_t *opt, uint8_t len, struct mptcp_opts *o)
{
        if (len < 3 || opt[0] != TCPOPT_MPTCP || opt[1] != len)
                return -EINVAL;
        int sub = opt[2] >> 4;
        int rc;
        switch (sub) {
        case MPTCPOPT_MP_CAPABLE:
                rc = len >= 4 ? parse_mpc(opt, len, o) : -EINVAL;
                break;
        case MPTCPOPT_MP_JOIN:
                rc = parse_join(opt, len, o);
                break;
        case MPTCPOPT_DSS:
                rc = len >= 4 ? parse_dss(opt, len, o) : -EINVAL;
                break;
        case MPTCPOPT_ADD_ADDR:
                rc = parse_add_addr(opt, len, o);
                break;
        case MPTCPOPT_RM_ADDR:
                rc = len >= 4 ? 0 : -EINVAL;
                if (!rc) {
                        o->rm_n = (uint8_t)(len - 3);
                        memcpy(o->rm_ids, opt + 3, o->rm_n);
                }
                break;
        case MPTCPOPT_MP_PRIO:
                /* v1 is 3 bytes; a trailing address ID (v0 layout) is tolerated. */
                rc = len == MP_PRIO_LEN || len == MP_PRIO_LEN + 1 ? 0 : -EINVAL;
                o->prio_backup = opt[2] & 0x01;
                break;
        case MPTCPOPT_MP_FAIL:
                rc = len == MP_FAIL_LEN ? 0 : -EINVAL;
                if (!rc)
                        o->fail_dsn = um_get_be64(opt + 4);
                break;
        case MPTCPOPT_MP_FASTCLOSE:
                rc = len == MP_FASTCLOSE_LEN ? 0 : -EINVAL;
                if (!rc)
                        o->fastclose_key = um_get_be64(opt + 4);
                break;
        case MPTCPOPT_MP_TCPRST:
                rc = len == MP_TCPRST_LEN ? 0 : -EINVAL;
                if (!rc) {
                        o->rst_flags = opt[2] & 0x0f;
                        o->rst_reason = opt[3];
                }
                break;
        default:
                return -ENOTSUP;
        }
        if (rc < 0)
                return rc;
        o->present |= (uint16_t)(1u << sub);
        return sub;
}

static void put_header(uint8_t *out, unsigned len, int sub, uint8_t low, uint8_t byte3)
{
        out[0] = TCPOPT_MPTCP;
        out[1] = (uint8_t)len;
        out[2] = (uint8_t)(sub << 4 | (low & 0x0f));
        out[3] = byte3;
}

unsigned mptcp_write_mpc(uint8_t *out, unsigned len, uint8_t flags, uint64_t sndr_key,
                         uint64_t rcvr_key, uint16_t data_len, uint16_t csum)
{
        put_header(out, len, MPTCPOPT_MP_CAPABLE, MPTCP_VERSION, flags);
        if (len >= MPC_LEN_SYNACK)
                um_put_be64(out + 4, sndr_key);
        if (len >= MPC_LEN_ACK)
                um_put_be64(out + 12, rcvr_key);
        if (len >= MPC_LEN_DATA)
                um_put_be16(out + 20, data_len);
        if (len >= MPC_LEN_DATA_CSUM)
                memcpy(out + 22, &csum, 2);
        return len;
}

unsigned mptcp_write_join_syn(uint8_t *out, int backup, uint8_t addr_id, uint32_t token,
                              uint32_t nonce)
{
        put_header(out, JOIN_LEN_SYN, MPTCPOPT_MP_JOIN, backup ? 1 : 0, addr_id);
        um_put_be32(out + 4, token);
        um_put_be32(out + 8, nonce);
        return JOIN_LEN_SYN;
}

unsigned mptcp_write_join_synack(uint8_t *out, int backup, uint8_t addr_id, const uint8_t hmac[8],
                                 uint32_t nonce)
{
        put_header(out, JOIN_LEN_SYNACK, MPTCPOPT_MP_JOIN, backup ? 1 : 0, addr_id);
        memcpy(out + 4, hmac, 8);
        um_put_be32(out + 12, nonce);
        return JOIN_LEN_SYNACK;
}

unsigned mptcp_write_join_ack(uint8_t *out, const uint8_t hmac[20])
{
        put_header(out, JOIN_LEN_ACK, MPTCPOPT_MP_JOIN, 0, 0);
        memcpy(out + 4, hmac, 20);
        return JOIN_LEN_ACK;
}

unsigned mptcp_dss_len(const struct mptcp_dss_out *d)
{
        unsigned n = 4;
        if (d->flags & DSS_A)
                n += (d->flags & DSS_a) ? 8 : 4;
        if (d->flags & DSS_M)
                n += ((d->flags & DSS_m) ? 8 : 4) + 6 + (d->with_csum ? 2 : 0);
        return n;
}

unsigned mptcp_write_dss(uint8_t *out, const struct mptcp_dss_out *d)
{
        unsigned n = mptcp_dss_len(d);
        put_header(out, n, MPTCPOPT_DSS, 0, d->flags & 0x1f);
        uint8_t *p = out + 4;
        if (d->flags & DSS_A) {
                if (d->flags & DSS_a) {
                        um_put_be64(p, d->data_ack);
                        p += 8;
                } else {
                        um_put_be32(p, (uint32_t)d->data_ack);
                        p += 4;
                }
        }
        if (d->flags & DSS_M) {
                if (d->flags & DSS_m) {
                        um_put_be64(p, d->dsn);
                        p += 8;
                } else {
                        um_put_be32(p, (uint32_t)d->dsn);
                        p += 4;
                }
                um_put_be32(p, d->ssn);
                um_put_be16(p + 4, d->data_len);
                if (d->with_csum)
                        memcpy(p + 6, &d->csum, 2);
        }
        return n;
}

unsigned mptcp_add_addr_len(int family, int port, int hmac)
{
        return (family == AF_INET ? 8u : 20u) + (port ? 2u : 0u) + (hmac ? 8u : 0u);
}

unsigned mptcp_write_add_addr(uint8_t *out, int echo, uint8_t id, const struct um_addr *a,
                              uint16_t port, int with_hmac, uint64_t hmac)
{
        unsigned n = mptcp_add_addr_len(a->family, port != 0, with_hmac);
        put_header(out, n, MPTCPOPT_ADD_ADDR, echo ? 1 : 0, id);
        size_t alen = um_addr_len(a);
        memcpy(out + 4, a->b, alen);
        uint8_t *p = out + 4 + alen;
        if (port) {
                um_put_be16(p, port);
                p += 2;
        }
        if (with_hmac)
                um_put_be64(p, hmac);
        return n;
}

unsigned mptcp_write_rm_addr(uint8_t *out, const uint8_t *ids, unsigned n)
{
        out[0] = TCPOPT_MPTCP;
        out[1] = (uint8_t)(3 + n);
        out[2] = MPTCPOPT_RM_ADDR << 4;
        memcpy(out + 3, ids, n);
        return 3 + n;
}

unsigned mptcp_write_mp_prio(uint8_t *out, int backup)
{
        out[0] = TCPOPT_MPTCP;
        out[1] = MP_PRIO_LEN;
        out[2] = (uint8_t)(MPTCPOPT_MP_PRIO << 4 | (backup ? 1 : 0));
        return MP_PRIO_LEN;
}

unsigned mptcp_write_mp_fail(uint8_t *out, uint64_t dsn)
{
        put_header(out, MP_FAIL_LEN, MPTCPOPT_MP_FAIL, 0, 0);
        um_put_be64(out + 4, dsn);
        return MP_FAIL_LEN;
}

unsigned mptcp_write_fastclose(uint8_t *out, uint64_t rcvr_key)
{
        put_header(out, MP_FASTCLOSE_LEN, MPTCPOPT_MP_FASTCLOSE, 0, 0);
        um_put_be64(out + 4, rcvr_key);
        return MP_FASTCLOSE_LEN;
}

unsigned mptcp_write_tcprst(uint8_t *out, uint8_t flags, uint8_t reason)
{
        put_header(out, MP_TCPRST_LEN, MPTCPOPT_MP_TCPRST, flags, reason);
        return MP_TCPRST_LEN;
}

uint64_t mptcp_expand_seq(uint64_t near, uint32_t v)
{
        /* The value with v as its low 32 bits nearest to near, across the 2^64 wrap too. */
        return near + (uint64_t)(int64_t)(int32_t)(v - (uint32_t)near);
}
