/* fl-server-connections.h — keeps watch over the server's client connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Seconds a connection may spend in each state before it is closed. */
#define FL_SERVER_HANDSHAKE_TIMEOUT   5    /* TLS handshake done by libsoup */
#define FL_SERVER_HEADERS_TIMEOUT     15   /* from the first byte (or accept) to the last header */
#define FL_SERVER_BODY_TIMEOUT        30   /* the whole request body */
#define FL_SERVER_WRITE_TIMEOUT       60   /* a response the client does not read */
#define FL_SERVER_IDLE_TIMEOUT        60   /* a kept-alive connection between requests */

typedef struct _FlServerConnections FlServerConnections;

/* Starts watching the connections of @soup, which must listen already. One
 * per process. */
FlServerConnections *fl_server_connections_new        (SoupServer          *soup);
void                 fl_server_connections_free       (FlServerConnections *self);
/* Client connections open now. */
guint                fl_server_connections_get_count  (FlServerConnections *self);
/* Passes @stream, a connection accepted from @socket (for HTTPS, with its
 * handshake done), to @self's server and watches it like the others. */
gboolean             fl_server_connections_accept     (FlServerConnections  *self,
                                                       GIOStream            *stream,
                                                       GSocket              *socket,
                                                       GError              **error);
/* Closes @msg's connection without reading the rest of its request. */
void                 fl_server_connections_drop       (SoupServerMessage   *msg);

/* File descriptors this process has open now, or -1. */
int                  fl_server_count_open_fds         (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlServerConnections, fl_server_connections_free)

G_END_DECLS
