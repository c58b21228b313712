/* fl-test-util.h — the shared test harness: servers, the CLI, HTTP, the main loop
 *
 * No GTK here: core, server and cli tests link it too. Every helper asserts on
 * failure, so a test reads as the checks it makes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Files and programs */

const char          *fl_test_program_path       (const char          *env,
                                                 const char          *subdir,
                                                 const char          *name);
#define FL_TEST_SERVER_PATH fl_test_program_path ("FIRSTLINE_SERVER", "server", "firstline-server")
#define FL_TEST_CLI_PATH    fl_test_program_path ("FIRSTLINE_CLI", "cli", "firstline-cli")

void                 fl_test_rm_rf              (const char          *path);

void                 fl_test_add_func           (const char          *path,
                                                 GTestFunc            func);

/* Processes */

GSubprocessLauncher *fl_test_launcher_new       (GSubprocessFlags     flags);
int                  fl_test_exit_status        (GSubprocess         *proc);
int                  fl_test_run_full           (GSubprocessLauncher *launcher,
                                                 const char * const  *argv,
                                                 const char          *stdin_text,
                                                 char               **out,
                                                 char               **err);
int                  fl_test_run                (const char * const  *argv,
                                                 const char          *stdin_text,
                                                 char               **out,
                                                 char               **err);
void                 fl_test_assert_error_line  (const char          *err,
                                                 const char          *program);

/* The server */

typedef struct
{
  char             *data_dir;
  GSubprocess      *proc;
  GDataInputStream *out;
  char             *url;       /* http://127.0.0.1:PORT */
  char             *log;       /* the running server's stderr */
  guint16           port;      /* kept across restarts */
} FlTestServer;

FlTestServer        *fl_test_server_start       (const char          *data_dir);
void                 fl_test_server_restart     (FlTestServer        *s);
void                 fl_test_server_stop        (FlTestServer        *s);
void                 fl_test_server_kill        (FlTestServer        *s);
void                 fl_test_server_free        (FlTestServer        *s);
void                 fl_test_add_user           (const char          *data_dir,
                                                 const char          *name,
                                                 const char          *role,
                                                 const char          *password);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlTestServer, fl_test_server_free)

/* HTTP and JSON */

SoupSession         *fl_test_session_new        (void);
JsonNode            *fl_test_http_full          (SoupSession         *session,
                                                 const char          *method,
                                                 const char          *url,
                                                 const char          *token,
                                                 const char          *body,
                                                 guint               *status,
                                                 char               **retry_after);
JsonNode            *fl_test_http               (const char          *method,
                                                 const char          *url,
                                                 const char          *token,
                                                 const char          *body,
                                                 guint               *status);
char                *fl_test_http_login         (SoupSession         *session,
                                                 const char          *server_url,
                                                 const char          *username,
                                                 const char          *password);
JsonObject          *fl_test_parse_object       (const char          *text);

/* The main loop */

void                 fl_test_spin_until         (gboolean           (*cond) (gpointer),
                                                 gpointer             data,
                                                 guint                seconds);
guint                fl_test_slowdown           (void);
void                 fl_test_spin_for           (guint                ms);
gboolean             fl_test_flag_is_set        (gpointer             data);
/* For fl_test_spin_until(): whether the pointer at @data is set. */
gboolean             fl_test_pointer_is_set     (gpointer             data);
/* For fl_test_spin_until(): whether the default main context has nothing ready to
 * dispatch (idle callbacks run, signals delivered, results arrived). */
gboolean             fl_test_main_context_is_idle (gpointer           unused);
/* Spins until fl_test_main_context_is_idle(), for at most 5 s. */
void                 fl_test_spin_until_idle    (void);

const char   *fl_test_database_for       (const char    *data_dir);
gboolean      fl_test_database_is_sqlite (void);
char         *fl_test_database_query     (const char    *data_dir,
                                          const char    *sql);
void          fl_test_add_database_args  (GPtrArray     *argv,
                                          const char    *data_dir);

G_END_DECLS
