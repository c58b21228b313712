/* fl-server-store-sqlite-schema.c — the SQLite store's schema and migrations
 *
 * The tables of each schema version as SQL text, the migration steps from one version
 * to the next, and upgrade_schema, which the first connection of a process runs inside
 * its opening transaction.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl-answer.h"
#include "fl-auth.h"
#include "fl-checklist.h"
#include "fl-server-store-sqlite.h"
#include "fl-similar.h"
#include "fl-sqlite-private.h"
#include "fl-server-store-sqlite-private.h"

/* Schema migrations: migrations[k] takes a database from schema k to k + 1, inside the
 * opening transaction and with foreign keys off. A new database (schema 0: no meta table)
 * takes every step, so an upgraded database and a new one have the same schema. The meta
 * key 'schema' records the version; FL_SERVER_STORE_SQLITE_SCHEMA_VERSION is the last. */

/* 0 → 1: the first schema; users by username. */
static const char schema_1[] =
  "CREATE TABLE meta ("
  "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "INSERT INTO meta (key, value) VALUES ('seq', 0), ('schema', 1);"
  "CREATE TABLE users ("
  "  username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL,"
  "  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
  "CREATE TABLE tokens ("
  "  hash TEXT PRIMARY KEY,"
  "  username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE tickets ("
  "  id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL,"
  "  seq INTEGER NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, assignee TEXT,"
  "  level INTEGER NOT NULL, queue TEXT NOT NULL, created_at INTEGER NOT NULL,"
  "  resolved_at INTEGER, due_at INTEGER, resolution_code TEXT, resolved_by TEXT,"
  "  handoffs INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL);"
  "CREATE INDEX tickets_created ON tickets (created_at);"
  "CREATE TABLE events ("
  "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL,"
  "  version INTEGER NOT NULL, at INTEGER NOT NULL, author TEXT NOT NULL, type TEXT NOT NULL,"
  "  data TEXT NOT NULL, client_id TEXT NOT NULL, fields TEXT NOT NULL);"
  "CREATE INDEX events_ticket ON events (ticket_id, version);"
  "CREATE VIRTUAL TABLE tickets_fts USING fts5 ("
  "  title, description, requester, notes, tokenize = 'unicode61 remove_diacritics 2');"
  "CREATE TABLE checklists ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);";

/* AUTOINCREMENT: an id is never given out twice, even after the newest user was removed. */
#define USERS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE," \
  "  display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL," \
  "  created_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);"
#define TOKENS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  hash TEXT PRIMARY KEY," \
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  created_at INTEGER NOT NULL, last_used INTEGER NOT NULL);"

/* 1 → 2: users have a stable id, and tokens belong to that id (schema 1 kept them by
 * username, so a user removed and added again got the old tokens back). */
static const char schema_2[] =
  USERS_TABLE ("users_v2")
  "INSERT INTO users_v2 (username, display_name, role, password_hash, created_at)"
  "  SELECT username, display_name, role, password_hash, created_at FROM users"
  "  ORDER BY created_at, username;"
  TOKENS_TABLE ("tokens_v2")
  "INSERT INTO tokens_v2 (hash, user_id, created_at, last_used)"
  /* Schema 1 did not record uses: a token counts as used at the upgrade. */
  "  SELECT t.hash, u.id, t.created_at, CAST (strftime ('%s', 'now') AS INTEGER) * 1000"
  "  FROM tokens t"
  "  JOIN users_v2 u ON u.username = t.username;"
  "DROP TABLE tokens;"
  "DROP TABLE users;"
  "ALTER TABLE users_v2 RENAME TO users;"
  "ALTER TABLE tokens_v2 RENAME TO tokens;"
  "CREATE INDEX tokens_user ON tokens (user_id);";

/* 2 → 3: every published version of a checklist, so that steps recorded against an older
 * one can be checked. Some databases of schema 1 and 2 have the table already (it came
 * while schema 2 was being made): IF NOT EXISTS, and the stored versions copied in. */
static const char schema_3[] =
  "CREATE TABLE IF NOT EXISTS checklist_versions ("
  "  id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, version));"
  "INSERT OR IGNORE INTO checklist_versions (id, version, json)"
  "  SELECT id, version, json FROM checklists;";

/* 3 → 4: the index of solved tickets for GET /api/v1/tickets/similar (fl-similar.c),
 * filled from the stored ones, and the predefined answers. */
static const char schema_4[] =
  FL_SIMILAR_SCHEMA
  "INSERT INTO similar_fts (rowid, title, description, resolution, category, requester,"
  "  department, resolved_at)"
  "  SELECT rowid, json_extract (json, '$.title'), coalesce (json_extract (json, '$.description'), ''),"
  "    coalesce (json_extract (json, '$.resolution.summary'), ''), category,"
  "    fl_fold (json_extract (json, '$.requester.name')),"
  "    fl_fold (json_extract (json, '$.requester.department')), coalesce (resolved_at, 0)"
  "  FROM tickets WHERE status IN ('resolved', 'closed');"
  "INSERT INTO similar_tri (rowid, body)"
  "  SELECT rowid, fl_similar_tri_text (json_extract (json, '$.title'),"
  "    json_extract (json, '$.description'), json_extract (json, '$.resolution.summary'),"
  "    json_extract (json, '$.asset'))"
  "  FROM tickets WHERE status IN ('resolved', 'closed');"
  "INSERT OR IGNORE INTO similar_words (word) SELECT term FROM similar_vocab;"
  "CREATE TABLE answers ("
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);"
  "CREATE INDEX answers_seq ON answers (seq);";

/* 4 → 5: what the history and the reports need at a million tickets. Indexes for the
 * history's filters in its newest-first order, one covering index the summary report
 * reads instead of the table, and two tables kept as ops are applied: the handoffs per
 * agent and the checklist steps reached, each keyed by the ticket's created_at so that a
 * report over a range reads just that range. reopened_7d counts the reopens within 7 days
 * of the resolve before them; waiting_since is the ticket's, for SLA breaches that do not
 * count waiting time. Everything is filled from the events of an older database. */
static const char schema_5[] =
  "ALTER TABLE tickets ADD COLUMN reopened_7d INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE tickets ADD COLUMN waiting_since INTEGER;"
  "UPDATE tickets SET waiting_since = CAST (ROUND ((julianday (json_extract (json,"
  "  '$.waiting_since')) - 2440587.5) * 86400000) AS INTEGER) WHERE json_extract (json, '$.waiting_since') IS NOT NULL;"
  "UPDATE tickets SET reopened_7d = ("
  "  SELECT COUNT (*) FROM events r WHERE r.ticket_id = tickets.id AND r.type = 'reopen'"
  "  AND r.at - (SELECT MAX (s.at) FROM events s WHERE s.ticket_id = r.ticket_id"
  "              AND s.type = 'resolve' AND s.seq < r.seq) <= 604800000);"
  "DROP INDEX tickets_created;"
  "CREATE INDEX tickets_report ON tickets (created_at, number, status, category, assignee,"
  "  level, queue, resolved_at, due_at, resolution_code, resolved_by, handoffs, reopened_7d,"
  "  waiting_since);"
  /* each with the other filters' columns: a combination of filters is answered from
   * one index, without reading the (large) table rows */
  "CREATE INDEX tickets_status ON tickets (status, created_at, number, category, assignee,"
  "  level, queue);"
  "CREATE INDEX tickets_assignee ON tickets (assignee, created_at, number, status, category,"
  "  level, queue);"
  "CREATE INDEX tickets_category ON tickets (category, created_at, number, status, assignee,"
  "  level, queue);"
  "CREATE TABLE report_handoffs ("
  "  created_at INTEGER NOT NULL, ticket INTEGER NOT NULL, author TEXT NOT NULL,"
  "  PRIMARY KEY (created_at, ticket, author)) WITHOUT ROWID;"
  "INSERT OR IGNORE INTO report_handoffs (created_at, ticket, author)"
  "  SELECT t.created_at, t.rowid, e.author FROM events e JOIN tickets t ON t.id = e.ticket_id"
  "  WHERE e.type = 'handoff';"
  /* with the ticket's outcome (resolved_at when resolved now, handoffs), kept current as
   * ops are applied: the checklist report reads this table alone */
  "CREATE TABLE report_steps ("
  "  created_at INTEGER NOT NULL, ticket INTEGER NOT NULL, checklist_id TEXT NOT NULL,"
  "  checklist_version INTEGER NOT NULL, step_id TEXT NOT NULL, at INTEGER NOT NULL,"
  "  resolved_at INTEGER, handoffs INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (created_at, ticket, checklist_id, checklist_version, step_id)) WITHOUT ROWID;"
  "INSERT OR IGNORE INTO report_steps (created_at, ticket, checklist_id, checklist_version,"
  "  step_id, at, resolved_at, handoffs)"
  "  SELECT t.created_at, t.rowid, json_extract (e.data, '$.checklist_id'),"
  "    COALESCE (json_extract (e.data, '$.checklist_version'),"
  "              (SELECT c.version FROM checklists c"
  "               WHERE c.id = json_extract (e.data, '$.checklist_id')), 1),"
  "    json_extract (e.data, '$.step_id'), MIN (e.at),"
  "    CASE WHEN t.resolution_code IS NOT NULL THEN t.resolved_at END, t.handoffs"
  "  FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.type = 'checklist'"
  "  GROUP BY 1, 2, 3, 4, 5;";

static gboolean
migrate_0_to_1 (Conn    *self,
                GError **error)
{
  return _fl_sqlite_exec (self, schema_1, error);
}

static gboolean
migrate_1_to_2 (Conn    *self,
                GError **error)
{
  return _fl_sqlite_exec (self, schema_2, error);
}

static gboolean
migrate_2_to_3 (Conn    *self,
                GError **error)
{
  return _fl_sqlite_exec (self, schema_3, error);
}

static gboolean
migrate_3_to_4 (Conn    *self,
                GError **error)
{
  return _fl_sqlite_exec (self, schema_4, error);
}

static gboolean
migrate_4_to_5 (Conn    *self,
                GError **error)
{
  return _fl_sqlite_exec (self, schema_5, error);
}

typedef gboolean (*MigrateFunc) (Conn *self, GError **error);

static const MigrateFunc migrations[] = {
  migrate_0_to_1,
  migrate_1_to_2,
  migrate_2_to_3,
  migrate_3_to_4,
  migrate_4_to_5,
};
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);

/* The schema of the open database: 0 when it has no tables yet; 1 for a meta table
 * without the key (the first databases did not always write it). */
static gint64
schema_version (Conn *self)
{
  if (!_fl_sqlite_table_exists (self, "meta"))
    return 0;
  return _fl_sqlite_meta_get (self, "schema", 1);
}

/* Inside the opening transaction, with foreign keys off. */
gboolean
_fl_sqlite_upgrade_schema (Conn    *self,
                           GError **error)
{
  gint64 version = schema_version (self);
  g_autoptr(FlSqliteStmt) stmt = NULL;

  if (version > FL_SERVER_STORE_SQLITE_SCHEMA_VERSION)
    {
      g_set_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                   _("The database %s was made by a newer firstline-server (schema %d)"),
                   self->path, (int) version);
      return FALSE;
    }
  if (version == FL_SERVER_STORE_SQLITE_SCHEMA_VERSION)
    return TRUE;

  if (version > 0)
    g_message ("Upgrading %s from schema %d to %d", self->path, (int) version,
               FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);

  for (gint64 v = version; v < FL_SERVER_STORE_SQLITE_SCHEMA_VERSION; v++)
    {
      if (!migrations[v] (self, error))
        return FALSE;
    }

  stmt = _fl_sqlite_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);
  return _fl_sqlite_step_done (self, stmt, error);
}
