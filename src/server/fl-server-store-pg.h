/* fl-server-store-pg.h — FlServerStore in a PostgreSQL database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-server-store.h"

G_BEGIN_DECLS

/* The schema version this build writes (meta key 'schema'). */
#define FL_SERVER_STORE_PG_SCHEMA_VERSION 2

#define FL_TYPE_SERVER_STORE_PG (fl_server_store_pg_get_type ())
G_DECLARE_FINAL_TYPE (FlServerStorePg, fl_server_store_pg, FL, SERVER_STORE_PG, GObject)

/* TRUE for a libpq connection URI (postgresql:// or postgres://). */
gboolean       fl_server_store_pg_is_uri  (const char  *database);
/* Connects to the database @uri (a libpq connection URI or string), brings its schema up
 * to date and listens for the changes of other instances. */
FlServerStore *fl_server_store_pg_new     (const char  *uri,
                                           GError     **error);
/* Creates or upgrades the schema of @uri to @target (0: the current version), one
 * numbered step at a time; *@out_version gets the version it has then. */
gboolean       fl_server_store_pg_migrate (const char  *uri,
                                           gint64       target,
                                           gint64      *out_version,
                                           GError     **error);

G_END_DECLS
