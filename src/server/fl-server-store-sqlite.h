/* fl-server-store-sqlite.h — FlServerStore in one SQLite file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-server-store.h"

G_BEGIN_DECLS

/* The version of the database schema this build writes (meta key 'schema'). A database
 * of an older version is upgraded when it is opened, one step at a time. */
#define FL_SERVER_STORE_SQLITE_SCHEMA_VERSION 5

#define FL_TYPE_SERVER_STORE_SQLITE (fl_server_store_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (FlServerStoreSqlite, fl_server_store_sqlite, FL, SERVER_STORE_SQLITE, GObject)

/* Opens (creating when missing) DIR/firstline.db, upgrades its schema, and starts the
 * writer thread with its own connection. */
FlServerStore *fl_server_store_sqlite_new        (const char          *dir,
                                                  GError             **error);
/* For tests: the integer value of PRAGMA @pragma on the main connection, -1 on failure. */
gint64         fl_server_store_sqlite_get_pragma (FlServerStoreSqlite *self,
                                                  const char          *pragma);

G_END_DECLS
