/* fl-sqlite-private.h — SQLite helpers shared by the local cache and the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* A statement taken from an FlSqliteCache: g_autoptr(FlSqliteStmt) resets it (and so ends
 * its read) when it goes out of scope, where a g_autoptr(sqlite3_stmt) would finalize it. */
typedef sqlite3_stmt FlSqliteStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlSqliteStmt, sqlite3_reset)

/* Prepared statements of one connection, each prepared once (SQLITE_PREPARE_PERSISTENT)
 * and reset with its bindings cleared when it is taken again. Keyed by the address of
 * the SQL text: pass static or interned (g_intern_string) text only. */
typedef struct _FlSqliteCache FlSqliteCache;

FlSqliteCache *fl_sqlite_cache_new              (sqlite3        *db);
void           fl_sqlite_cache_free             (FlSqliteCache  *cache);
/* NULL with the SQLite result code in @rc when the statement does not compile. */
sqlite3_stmt  *fl_sqlite_cache_get              (FlSqliteCache  *cache,
                                                 const char     *sql,
                                                 int            *rc);

void           fl_sqlite_bind_text              (sqlite3_stmt   *stmt,
                                                 int             idx,
                                                 const char     *text);
/* 0 is bound as NULL: "no time". */
void           fl_sqlite_bind_time              (sqlite3_stmt   *stmt,
                                                 int             idx,
                                                 gint64          ms);
const char    *fl_sqlite_column_text            (sqlite3_stmt   *stmt,
                                                 int             col);
char          *fl_sqlite_column_dup             (sqlite3_stmt   *stmt,
                                                 int             col);
/* Runs a statement that returns no rows and resets it; returns SQLITE_DONE or the error. */
int            fl_sqlite_step_done              (sqlite3_stmt   *stmt);

char          *fl_sqlite_json_object_to_text    (JsonObject     *obj);
/* An empty object when @text is NULL or no JSON object. */
JsonObject    *fl_sqlite_json_object_from_text  (const char     *text);
/* NULL when @text is NULL or not JSON. */
JsonNode      *fl_sqlite_json_parse             (const char     *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlSqliteCache, fl_sqlite_cache_free)

G_END_DECLS
