/* The built-in path manager (path_manager = kernel, like Linux's in-kernel one). It hears
 * the engine's events and gives commands through include/umptcp/mptcp_pm.h like any other
 * manager; this header is what else the engine and it say to each other: its answers to
 * the two questions a handshake asks, the figures MPTCP_INFO shows, and the one command
 * only it gives (an endpoint's backup flag, by address ID). */
#ifndef UM_MPTCP_MPTCP_PM_KERNEL_H
#define UM_MPTCP_MPTCP_PM_KERNEL_H

#include <stdint.h>
#include <umptcp/mptcp_pm.h>

#include "net/addr.h"

struct mptcp_pm_kernel;

struct mptcp_pm_kernel *mptcp_pm_kernel_new(struct um_stack *st);
void mptcp_pm_kernel_free(struct mptcp_pm_kernel *pm);
struct mptcp_pm_kernel *mptcp_pm_kernel_of(struct um_stack *st); /* mptcp_stack.c */
void mptcp_pm_kernel_on_event(struct mptcp_pm_kernel *pm, const struct um_mptcp_event *ev);

/* Whether a connection with n_subflows takes one more join (its subflow limit). */
int mptcp_pm_kernel_allow_join(const struct mptcp_pm_kernel *pm, int n_subflows);
/* The endpoint ID of a local address, or 0 when it is no endpoint. */
uint8_t mptcp_pm_kernel_local_id(const struct mptcp_pm_kernel *pm, const struct um_addr *a);

struct mptcp_pm_kernel_info {
        unsigned subflows_max, add_addr_accepted_max, signal_max, endpoints;
        unsigned add_addr_accepted; /* of one connection */
};
void mptcp_pm_kernel_info(const struct mptcp_pm_kernel *pm, uint32_t token,
                          struct mptcp_pm_kernel_info *out);

/* MP_PRIO on every subflow of a connection whose local address has this ID. */
int mptcp_pm_backup_by_id(struct um_stack *st, uint32_t token, uint8_t loc_id, int backup);

#endif
