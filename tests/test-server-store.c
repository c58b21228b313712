/* test-server-store.c — the server's SQLite store: schema upgrades from every version
 *
 * Each earlier schema is made here with the SQL the server of that time ran, filled with
 * a user, a token, a ticket with its event and search entry and a checklist; the store
 * then opens it. The data must survive, and the schema must be the one of a new database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "fl-auth.h"
#include "fl-server-store.h"
#include "fl-server-store-sqlite.h"
#include "fl-test-util.h"

#define TICKETS_AND_EVENTS(ine) \
  "CREATE TABLE " ine "tickets (" \
  "  id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL," \
  "  seq INTEGER NOT NULL, status TEXT NOT NULL, category TEXT NOT NULL, assignee TEXT," \
  "  level INTEGER NOT NULL, queue TEXT NOT NULL, created_at INTEGER NOT NULL," \
  "  resolved_at INTEGER, due_at INTEGER, resolution_code TEXT, resolved_by TEXT," \
  "  handoffs INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL);" \
  "CREATE INDEX " ine "tickets_created ON tickets (created_at);" \
  "CREATE TABLE " ine "events (" \
  "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ticket_id TEXT NOT NULL," \
  "  version INTEGER NOT NULL, at INTEGER NOT NULL, author TEXT NOT NULL, type TEXT NOT NULL," \
  "  data TEXT NOT NULL, client_id TEXT NOT NULL, fields TEXT NOT NULL);" \
  "CREATE INDEX " ine "events_ticket ON events (ticket_id, version);" \
  "CREATE VIRTUAL TABLE " ine "tickets_fts USING fts5 (" \
  "  title, description, requester, notes, tokenize = 'unicode61 remove_diacritics 2');" \
  "CREATE TABLE " ine "checklists (" \
  "  id TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);"

#define USERS_1 \
  "CREATE TABLE IF NOT EXISTS users (" \
  "  username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL," \
  "  password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);" \
  "CREATE TABLE IF NOT EXISTS tokens (" \
  "  hash TEXT PRIMARY KEY," \
  "  username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE," \
  "  created_at INTEGER NOT NULL);"

#define USERS_2 \
  "CREATE TABLE users (" \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE," \
  "  display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL," \
  "  created_at INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);" \
  "CREATE TABLE tokens (" \
  "  hash TEXT PRIMARY KEY," \
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  created_at INTEGER NOT NULL, last_used INTEGER NOT NULL);" \
  "CREATE INDEX tokens_user ON tokens (user_id);"

#define CHECKLIST_VERSIONS \
  "CREATE TABLE IF NOT EXISTS checklist_versions (" \
  "  id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (id, version));" \
  "INSERT OR IGNORE INTO checklist_versions (id, version, json)" \
  "  SELECT id, version, json FROM checklists;"

typedef struct
{
  const char *name;
  int         version;
  const char *sql;       /* NULL: an empty file */
} Historic;

static const Historic historic[] = {
  /* schema 0: the file exists, nothing in it */
  { "0", 0, NULL },
  /* schema 1 as firstline-server first wrote it (git show a967f13:src/server/fl-server-db.c) */
  { "1", 1,
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0), ('schema', 1);"
    USERS_1
    TICKETS_AND_EVENTS ("IF NOT EXISTS ") },
  /* schema 1 with the checklist versions (63aff9b) */
  { "1-checklist-versions", 1,
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0), ('schema', 1);"
    USERS_1
    TICKETS_AND_EVENTS ("IF NOT EXISTS ")
    CHECKLIST_VERSIONS },
  /* schema 2: users with ids, without the checklist versions (594381c) */
  { "2", 2,
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);"
    TICKETS_AND_EVENTS ("IF NOT EXISTS ")
    USERS_2
    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', 2);" },
  /* schema 2 with the checklist versions (9fd202c) */
  { "2-checklist-versions", 2,
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);"
    TICKETS_AND_EVENTS ("IF NOT EXISTS ")
    CHECKLIST_VERSIONS
    USERS_2
    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', 2);" },
  /* schema 3: every checklist version kept (before the similar-ticket index, the
   * answers, the report indexes and tables) */
  { "3", 3,
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);"
    TICKETS_AND_EVENTS ("IF NOT EXISTS ")
    CHECKLIST_VERSIONS
    USERS_2
    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', 3);" },
};

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TICKET_ID "7d2e9f40-3b1c-4a5d-8e6f-9a0b1c2d3e4f"
#define CLIENT_ID "5f0c7a3e-8d1b-4c2a-9e6f-1a2b3c4d5e6f"

static sqlite3 *
open_db (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  return db;
}

static void
db_exec (sqlite3    *db,
         const char *sql)
{
  char *errmsg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("%s: %s", sql, errmsg);
}

static gint64
db_int (sqlite3    *db,
        const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static void
append_rows (GString    *out,
             sqlite3    *db,
             const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_string_append (out, "   ");
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        g_string_append_printf (out, " %s", sqlite3_column_text (stmt, i)
                                            ? (const char *) sqlite3_column_text (stmt, i)
                                            : "NULL");
      g_string_append_c (out, '\n');
    }
  sqlite3_finalize (stmt);
}

/* The schema as SQLite sees it, one table after the other: columns, keys, indexes. The
 * text of CREATE TABLE may differ (a rebuilt table's name is quoted); this may not. */
static char *
describe_schema (const char *dir)
{
  sqlite3 *db = open_db (dir);
  sqlite3_stmt *stmt = NULL;
  GString *out = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT type, name, tbl_name, sql FROM sqlite_master "
                                       "ORDER BY type, name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *type = (const char *) sqlite3_column_text (stmt, 0);
      const char *name = (const char *) sqlite3_column_text (stmt, 1);
      const char *sql = (const char *) sqlite3_column_text (stmt, 3);
      g_autofree char *q = NULL;

      g_string_append_printf (out, "%s %s on %s\n", type, name,
                              (const char *) sqlite3_column_text (stmt, 2));
      if (sql != NULL && strstr (sql, "VIRTUAL TABLE") != NULL)
        g_string_append_printf (out, "    %s\n", sql);
      if (!g_str_equal (type, "table"))
        continue;

      q = g_strdup_printf ("SELECT cid, name, type, \"notnull\", dflt_value, pk "
                           "FROM pragma_table_info ('%s')", name);
      append_rows (out, db, q);
      g_free (q);
      q = g_strdup_printf ("SELECT \"table\", \"from\", \"to\", on_update, on_delete "
                           "FROM pragma_foreign_key_list ('%s')", name);
      append_rows (out, db, q);
      g_free (q);
      q = g_strdup_printf ("SELECT l.name, l.\"unique\", l.origin, l.partial, i.seqno, i.name "
                           "FROM pragma_index_list ('%s') l, pragma_index_info (l.name) i "
                           "ORDER BY l.name, i.seqno", name);
      append_rows (out, db, q);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

static FlServerUser *
user_alex (FlServerStore *store)
{
  FlServerUser *user = fl_server_store_get_user (store, "alex");

  g_assert_nonnull (user);
  return user;
}

static GPtrArray *
one_op (const char *type,
        const char *ticket_id,
        gint64      base_version,
        const char *data_json)
{
  g_autoptr(JsonObject) data = fl_test_parse_object (data_json);
  g_autofree char *op_id = g_uuid_string_random ();
  GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) fl_op_free);
  FlOpType op_type;

  g_assert_true (fl_op_type_from_string (type, &op_type));
  g_ptr_array_add (ops, fl_op_new (op_id, ticket_id, op_type, base_version, 0, data));
  return ops;
}

/* A database of the current schema with a ticket, its event and a checklist in it: the
 * rows every historic database gets (those tables did not change). */
static char *
make_source (void)
{
  char *dir = g_dir_make_tmp ("fl-store-src-XXXXXX", NULL);
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(FlServerUser) alex = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GError) error = NULL;

  store = fl_server_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_true (fl_server_store_add_user (store, "alex", "Alex Berger", FL_ROLE_AGENT, "x",
                                           &error));
  alex = user_alex (store);
  ops = one_op ("create", TICKET_ID, 0,
                "{\"title\": \"Drucker im Lager druckt nicht\", \"channel\": \"phone\","
                " \"category\": \"hardware\", \"requester\": {\"name\": \"Jana Krüger\"}}");
  results = fl_server_store_apply_batch (store, ops, CLIENT_ID, alex, &error);
  g_assert_no_error (error);
  g_assert_cmpint (((FlApplyResult *) g_ptr_array_index (results, 0))->status, ==,
                   FL_OP_RESULT_APPLIED);

  {
    g_autofree char *file = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data",
                                              "checklists", "printer.json", NULL);
    json_parser_load_from_file (parser, file, &error);
    g_assert_no_error (error);
  }
  stored = fl_server_store_put_checklist (store, "printer", json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  return dir;
}

static void
check_upgrade (const Historic *h,
               const char     *source,
               const char     *fresh_schema)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-store-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "firstline.db", NULL);
  g_autofree char *token_hash = fl_auth_hash_token (TOKEN);
  g_autofree char *schema = NULL;
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(FlServerUser) alex = NULL;
  g_autoptr(FlServerUser) by_token = NULL;
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) ops = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  FlTicketQuery query = { .q = "lager", .limit = 10 };
  gint64 total = 0;
  sqlite3 *db;

  g_test_message ("from schema %s", h->name);
  g_assert_true (g_file_set_contents (path, "", 0, NULL));

  if (h->sql != NULL)
    {
      g_autofree char *fill = NULL;
      g_autofree char *src = g_build_filename (source, "firstline.db", NULL);

      db = open_db (dir);
      db_exec (db, h->sql);
      fill = g_strdup_printf (
        "ATTACH '%s' AS src;"
        /* the columns of schemas 1-3 */
        "INSERT INTO tickets SELECT id, number, version, seq, status, category, assignee,"
        "  level, queue, created_at, resolved_at, due_at, resolution_code, resolved_by,"
        "  handoffs, json FROM src.tickets;"
        "INSERT INTO events SELECT * FROM src.events;"
        "INSERT INTO tickets_fts (rowid, title, description, requester, notes)"
        "  SELECT rowid, title, description, requester, notes FROM src.tickets_fts;"
        "INSERT INTO checklists SELECT * FROM src.checklists;"
        "%s"
        "UPDATE meta SET value = (SELECT value FROM src.meta WHERE key = 'seq') WHERE key = 'seq';"
        "DETACH src;", src,
        h->version >= 3
        ? "INSERT INTO checklist_versions SELECT * FROM src.checklist_versions;" : "");
      db_exec (db, fill);
      g_free (fill);
      /* a server of schema 3 kept every checklist version as it stored it */
      if (h->version >= 3)
        db_exec (db, "INSERT OR IGNORE INTO checklist_versions (id, version, json)"
                     "  SELECT id, version, json FROM checklists;");
      if (h->version == 1)
        fill = g_strdup_printf ("INSERT INTO users VALUES ('alex', 'Alex Berger', 'agent', 'x', 1);"
                                "INSERT INTO tokens VALUES ('%s', 'alex', 2);", token_hash);
      else
        fill = g_strdup_printf ("INSERT INTO users (username, display_name, role, password_hash,"
                                " created_at) VALUES ('alex', 'Alex Berger', 'agent', 'x', 1);"
                                "INSERT INTO tokens VALUES ('%s', 1, 2, %" G_GINT64_FORMAT ");",
                                token_hash, g_get_real_time () / 1000);
      db_exec (db, fill);
      sqlite3_close (db);
    }

  store = fl_server_store_open (dir, &error);
  g_assert_no_error (error);

  if (h->sql != NULL)
    {
      /* users and tokens */
      alex = user_alex (store);
      g_assert_cmpstr (alex->display_name, ==, "Alex Berger");
      g_assert_cmpint (alex->role, ==, FL_ROLE_AGENT);
      by_token = fl_server_store_lookup_token (store, TOKEN);
      g_assert_nonnull (by_token);
      g_assert_cmpstr (by_token->username, ==, "alex");

      /* the ticket, its history, its search entry, the checklist */
      ticket = fl_server_store_get_ticket (store, TICKET_ID);
      g_assert_nonnull (ticket);
      g_assert_cmpstr (ticket->title, ==, "Drucker im Lager druckt nicht");
      g_assert_cmpint (ticket->number, ==, 1);
      events = fl_server_store_get_events (store, TICKET_ID);
      g_assert_cmpuint (events->len, ==, 1);
      found = fl_server_store_query_tickets (store, &query, &total, &error);
      g_assert_no_error (error);
      g_assert_cmpint (total, ==, 1);
      list = fl_server_store_list_checklists (store, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (list->len, ==, 1);

      /* and it goes on: a checklist step on the old ticket, of the old checklist version */
      ops = one_op ("checklist", TICKET_ID, 1,
                    "{\"checklist_id\": \"printer\", \"checklist_version\": 1,"
                    " \"step_id\": \"printer-name\", \"outcome\": \"done\","
                    " \"value\": \"PR-3OG-01\"}");
      results = fl_server_store_apply_batch (store, ops, CLIENT_ID, alex, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (((FlApplyResult *) g_ptr_array_index (results, 0))->error_message, ==,
                       NULL);
      g_assert_cmpint (((FlApplyResult *) g_ptr_array_index (results, 0))->status, ==,
                       FL_OP_RESULT_APPLIED);
      g_assert_cmpint (fl_server_store_get_latest_seq (store), >, 1);

      /* the similar-ticket index and the answers work on the upgraded database */
      {
        FlSimilarQuery q = { .title = "Drucker druckt nicht", .limit = 5 };
        g_autoptr(GPtrArray) similar = fl_server_store_find_similar (store, &q, &error);
        g_autoptr(GPtrArray) answers = fl_server_store_list_answers (store, &error);

        g_assert_no_error (error);
        g_assert_nonnull (similar);
        g_assert_nonnull (answers);
      }
    }
  g_clear_object (&store);

  db = open_db (dir);
  g_assert_cmpint (db_int (db, "SELECT value FROM meta WHERE key = 'schema'"), ==,
                   FL_SERVER_STORE_SQLITE_SCHEMA_VERSION);
  if (h->sql != NULL)
    g_assert_cmpint (db_int (db, "SELECT count(*) FROM checklist_versions WHERE id = 'printer'"),
                     ==, 1);
  sqlite3_close (db);

  schema = describe_schema (dir);
  if (fresh_schema != NULL)
    g_assert_cmpstr (schema, ==, fresh_schema);

  fl_test_rm_rf (dir);
}

static void
test_upgrades (void)
{
  g_autofree char *source = make_source ();
  g_autofree char *fresh = describe_schema (source);

  g_test_message ("a new database:\n%s", fresh);
  g_assert_nonnull (strstr (fresh, "table checklist_versions on checklist_versions"));
  for (guint i = 0; i < G_N_ELEMENTS (historic); i++)
    check_upgrade (&historic[i], source, fresh);

  fl_test_rm_rf (source);
}

static void
test_too_new (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-store-XXXXXX", NULL);
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  store = fl_server_store_open (dir, &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  db = open_db (dir);
  db_exec (db, "UPDATE meta SET value = 99 WHERE key = 'schema'");
  sqlite3_close (db);

  store = fl_server_store_open (dir, &error);
  g_assert_null (store);
  g_assert_error (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "newer"));

  fl_test_rm_rf (dir);
}

/* Every commit reaches the disk before an op is acknowledged. */
static void
test_durable (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-store-XXXXXX", NULL);
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(GError) error = NULL;
  FlServerStoreSqlite *sqlite;

  store = fl_server_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_true (FL_IS_SERVER_STORE_SQLITE (store));
  sqlite = FL_SERVER_STORE_SQLITE (store);
  g_assert_cmpint (fl_server_store_sqlite_get_pragma (sqlite, "synchronous"), ==, 2);  /* FULL */
  g_assert_cmpint (fl_server_store_sqlite_get_pragma (sqlite, "foreign_keys"), ==, 1);
  g_clear_object (&store);

  fl_test_rm_rf (dir);
}

static void
apply_ok (FlServerStore      *store,
          const FlServerUser *user,
          const char         *type,
          const char         *ticket_id,
          const char         *data_json)
{
  g_autoptr(GPtrArray) ops = one_op (type, ticket_id, 0, data_json);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  FlApplyResult *r;

  results = fl_server_store_apply_batch (store, ops, CLIENT_ID, user, &error);
  g_assert_no_error (error);
  r = g_ptr_array_index (results, 0);
  g_assert_cmpstr (r->error_message, ==, NULL);
  g_assert_cmpint (r->status, ==, FL_OP_RESULT_APPLIED);
}

static char *
reports_text (FlServerStore *store,
              gint64         now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) summary = fl_server_store_report (store, 0, now + 1000, now, &error);
  g_autoptr(JsonNode) checklists = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_assert_no_error (error);
  checklists = fl_server_store_report_checklists (store, 0, now + 1000, &error);
  g_assert_no_error (error);
  a = json_to_string (summary, TRUE);
  b = json_to_string (checklists, TRUE);
  return g_strconcat (a, "\n", b, NULL);
}

/* A database of schema 3 gets the report tables and columns filled from its events: the
 * reports read the same before and after. */
static void
test_upgrade_reports (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fl-store-XXXXXX", NULL);
  g_autofree char *checklists = g_build_filename (g_getenv ("FIRSTLINE_SOURCE_DIR"), "data",
                                                  "checklists", NULL);
  g_autofree char *t1 = g_uuid_string_random ();
  g_autofree char *t2 = g_uuid_string_random ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(FlServerStore) store = NULL;
  g_autoptr(FlServerUser) alex = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now;
  sqlite3 *db;

  store = fl_server_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_true (fl_server_store_seed_checklists (store, checklists, &error));
  g_assert_no_error (error);
  g_assert_true (fl_server_store_add_user (store, "alex", "Alex Berger", FL_ROLE_AGENT, "x",
                                           &error));
  alex = user_alex (store);

#define CREATE "{\"title\": \"Passwort\", \"channel\": \"phone\", \"category\": \"password\"," \
               " \"requester\": {\"name\": \"Jana Krüger\"}}"
  apply_ok (store, alex, "create", t1, CREATE);
  apply_ok (store, alex, "checklist", t1,
            "{\"checklist_id\": \"password-reset\", \"step_id\": \"user-account\","
            " \"outcome\": \"done\", \"value\": \"jkrueger\"}");
  apply_ok (store, alex, "handoff", t1, "{\"queue\": \"accounts\", \"summary\": \"s\"}");
  apply_ok (store, alex, "resolve", t1, "{\"code\": \"solved\", \"summary\": \"s\"}");
  apply_ok (store, alex, "reopen", t1, "{\"reason\": \"again\"}");
  apply_ok (store, alex, "resolve", t1, "{\"code\": \"solved\", \"summary\": \"s\"}");
  apply_ok (store, alex, "create", t2, CREATE);
  apply_ok (store, alex, "update", t2, "{\"status\": \"waiting\"}");
#undef CREATE

  now = g_get_real_time () / 1000 + 3600 * 1000;
  before = reports_text (store, now);
  g_assert_nonnull (strstr (before, "\"reopen_rate\" : 1.0"));
  g_assert_nonnull (strstr (before, "\"reached\" : 1"));
  g_clear_object (&store);

  /* back to schema 4, before the report indexes and tables */
  db = open_db (dir);
  db_exec (db,
           "DROP INDEX tickets_report; DROP INDEX tickets_status; DROP INDEX tickets_assignee;"
           "DROP INDEX tickets_category;"
           "ALTER TABLE tickets DROP COLUMN reopened_7d;"
           "ALTER TABLE tickets DROP COLUMN waiting_since;"
           "DROP TABLE report_handoffs; DROP TABLE report_steps;"
           "CREATE INDEX tickets_created ON tickets (created_at);"
           "UPDATE meta SET value = 4 WHERE key = 'schema';");
  sqlite3_close (db);

  store = fl_server_store_open (dir, &error);
  g_assert_no_error (error);
  after = reports_text (store, now);
  g_assert_cmpstr (after, ==, before);
  g_clear_object (&store);

  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  fl_test_add_func ("/server-store/upgrades", test_upgrades);
  fl_test_add_func ("/server-store/too-new", test_too_new);
  fl_test_add_func ("/server-store/durable", test_durable);
  fl_test_add_func ("/server-store/upgrade-reports", test_upgrade_reports);

  return g_test_run ();
}
