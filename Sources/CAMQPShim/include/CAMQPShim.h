#ifndef ACCORD_CAMQPSHIM_H
#define ACCORD_CAMQPSHIM_H

#include <amqp.h>

/// `amqp_login` with the PLAIN mechanism and fixed arguments: the real function is
/// variadic (its trailing arguments depend on the SASL method), which Swift cannot call.
/// Advertises `consumer_cancel_notify`, so the broker cancels consumers of deleted queues.
amqp_rpc_reply_t accord_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                         int channel_max, int frame_max, int heartbeat,
                                         const char *user, const char *password);

#endif
