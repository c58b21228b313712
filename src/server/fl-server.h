/* fl-server.h — the HTTP API of firstline-server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fl-server-store.h"

G_BEGIN_DECLS

#define FL_SERVER_BODY_LIMIT   (1024 * 1024)

#define FL_TYPE_SERVER (fl_server_get_type ())
G_DECLARE_FINAL_TYPE (FlServer, fl_server, FL, SERVER, GObject)

/* Takes ownership of @store. @tls_certificate may be NULL (plain HTTP). */
FlServer   *fl_server_new             (FlServerStore    *store,
                                       GTlsCertificate  *tls_certificate);
/* @address is "ADDR:PORT"; returns the URI it listens on ("http://127.0.0.1:41234"). */
char       *fl_server_listen          (FlServer         *self,
                                       const char       *address,
                                       GError          **error);
/* Stops taking new work and answers waiting long polls at once. */
void        fl_server_stop            (FlServer         *self);
/* Requests started and not yet finished. */
guint       fl_server_get_n_in_flight (FlServer         *self);
/* Closes every connection and the database. */
void        fl_server_close           (FlServer         *self);

G_END_DECLS
