/* fl-server-tls.h — accepts HTTPS clients and does their TLS handshakes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Seconds a client has from its connection to the whole first TLS record
 * (its ClientHello), and then for the rest of the handshake. */
#define FL_TLS_GATE_HELLO_TIMEOUT      5
#define FL_TLS_GATE_HANDSHAKE_TIMEOUT  5

/* Called with a connection whose handshake succeeded; @tls is the
 * GTlsServerConnection, @socket its (client) socket. Returns FALSE with
 * @error set if it could not take the connection (it is closed then). */
typedef gboolean (*FlTlsGateFunc) (GIOStream  *tls,
                                   GSocket    *socket,
                                   gpointer    user_data,
                                   GError    **error);

typedef struct _FlTlsGate FlTlsGate;

/* Accepts the clients of @listening (a listening socket) from the thread
 * default main context, waits without a thread until each one's ClientHello
 * has arrived, then does its handshake with @certificate and passes the
 * connection to @func. */
FlTlsGate *fl_tls_gate_new         (GSocket         *listening,
                                    GTlsCertificate *certificate,
                                    FlTlsGateFunc    func,
                                    gpointer         user_data);
/* Stops accepting and closes the clients that are not through yet. */
void       fl_tls_gate_free        (FlTlsGate       *self);
/* Clients accepted and not yet passed on or closed. */
guint      fl_tls_gate_get_pending (FlTlsGate       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlTlsGate, fl_tls_gate_free)

G_END_DECLS
