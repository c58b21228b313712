/* fl-sqlite-private.c — SQLite helpers shared by the local cache and the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-sqlite"

#include "config.h"

#include "fl-sqlite-private.h"

struct _FlSqliteCache
{
  sqlite3    *db;              /* borrowed */
  GHashTable *stmts;           /* const char *sql → sqlite3_stmt */
};

FlSqliteCache *
fl_sqlite_cache_new (sqlite3 *db)
{
  FlSqliteCache *cache = g_new0 (FlSqliteCache, 1);

  g_assert (db != NULL);

  cache->db = db;
  cache->stmts = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
  return cache;
}

void
fl_sqlite_cache_free (FlSqliteCache *cache)
{
  if (cache == NULL)
    return;
  g_clear_pointer (&cache->stmts, g_hash_table_unref);
  g_free (cache);
}

sqlite3_stmt *
fl_sqlite_cache_get (FlSqliteCache *cache,
                     const char    *sql,
                     int           *rc)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (cache->stmts, sql);
  int code;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  code = sqlite3_prepare_v3 (cache->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (code != SQLITE_OK)
    {
      sqlite3_finalize (stmt);
      if (rc != NULL)
        *rc = code;
      return NULL;
    }

  g_hash_table_insert (cache->stmts, (gpointer) sql, stmt);
  return stmt;
}

void
fl_sqlite_bind_text (sqlite3_stmt *stmt,
                     int           idx,
                     const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, idx);
  else
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
}

void
fl_sqlite_bind_time (sqlite3_stmt *stmt,
                     int           idx,
                     gint64        ms)
{
  if (ms == 0)
    sqlite3_bind_null (stmt, idx);
  else
    sqlite3_bind_int64 (stmt, idx, ms);
}

const char *
fl_sqlite_column_text (sqlite3_stmt *stmt,
                       int           col)
{
  return (const char *) sqlite3_column_text (stmt, col);
}

char *
fl_sqlite_column_dup (sqlite3_stmt *stmt,
                      int           col)
{
  return g_strdup (fl_sqlite_column_text (stmt, col));
}

int
fl_sqlite_step_done (sqlite3_stmt *stmt)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  return rc;
}

char *
fl_sqlite_json_object_to_text (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), obj);

  return json_to_string (node, FALSE);
}

JsonNode *
fl_sqlite_json_parse (const char *text)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (text == NULL)
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root ? json_node_ref (root) : NULL;
}

JsonObject *
fl_sqlite_json_object_from_text (const char *text)
{
  g_autoptr(JsonNode) root = fl_sqlite_json_parse (text);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return json_object_new ();

  return json_object_ref (json_node_get_object (root));
}
