/* test-cli.c — firstline-cli's local commands, options, output shapes and exit statuses
 *
 * Runs the real firstline-cli binary ($FIRSTLINE_CLI) on caches in temporary
 * directories. Everything here works without a server; the commands that talk
 * to one are covered by test-sync.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "fl-test-util.h"
#include "fl-types.h"

typedef struct
{
  char *dir;
  char *cache;
} Fixture;

/* Runs firstline-cli with @argv (NULL-terminated, without the program) and
 * @stdin_text; returns the exit status (128 + signal when killed). */
static int
run_argv (const char * const *argv,
          const char         *stdin_text,
          const char         *cache_env,
          char              **out,
          char              **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    fl_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) full = g_ptr_array_new ();

  g_ptr_array_add (full, (gpointer) FL_TEST_CLI_PATH);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full, (gpointer) argv[i]);
  g_ptr_array_add (full, NULL);

  if (cache_env != NULL)
    g_subprocess_launcher_setenv (launcher, "FIRSTLINE_CACHE", cache_env, TRUE);
  return fl_test_run_full (launcher, (const char * const *) full->pdata, stdin_text, out, err);
}

/* firstline-cli --cache CACHE ARGS... */
static int
cli (Fixture     *f,
     char       **out,
     char       **err,
     const char  *first,
     ...) G_GNUC_NULL_TERMINATED;

static int
cli (Fixture     *f,
     char       **out,
     char       **err,
     const char  *first,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "--cache");
  g_ptr_array_add (argv, f->cache);
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  return run_argv ((const char * const *) argv->pdata, NULL, NULL, out, err);
}

static char *
new_ticket (Fixture    *f,
            const char *title)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (cli (f, &out, &err, "new", "--title", title, "--category", "network",
                        "--requester", "Jana Krüger", "--requester.location", "Home office",
                        "--asset", "NB-0231", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_strchomp (out);
  g_assert_true (fl_uuid_is_valid (out));
  return g_steal_pointer (&out);
}

static JsonObject *
show (Fixture    *f,
      const char *id)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (cli (f, &out, NULL, "show", id, "--json", NULL), ==, 0);
  return fl_test_parse_object (out);
}

static guint
pending (Fixture *f)
{
  g_autofree char *out = NULL;
  guint64 n = 0;

  g_assert_cmpint (cli (f, &out, NULL, "pending", NULL), ==, 0);
  g_assert_true (g_str_has_suffix (out, "\n"));
  g_strchomp (out);
  g_assert_true (g_ascii_string_to_unsigned (out, 10, 0, G_MAXUINT, &n, NULL));
  return (guint) n;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("firstline-cli-XXXXXX", &error);
  g_assert_no_error (error);
  f->cache = g_build_filename (f->dir, "cache.db", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  fl_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->cache);
}

/* -------------------------------------------------------------------------- */

static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  static const char * const bad[][12] = {
    { NULL },                                                   /* no command */
    { "frobnicate", NULL },                                     /* unknown command */
    { "list", "--colour", NULL },                               /* unknown option */
    { "list", "--status", NULL },                               /* missing value */
    { "list", "--status", "sleeping", NULL },                   /* bad enum */
    { "list", "--json", "--json", NULL },                       /* twice */
    { "list", "--json=yes", NULL },                             /* a flag with a value */
    { "show", NULL },                                           /* missing argument */
    { "show", "a", "b", NULL },                                 /* too many */
    { "pending", "extra", NULL },
    { "new", "--title", "T", "--category", "C", NULL },         /* --requester missing */
    { "new", "--title", "T", "--category", "C", "--requester", "R", "--channel", "fax", NULL },
    { "update", "#1", NULL },                                   /* no field */
    { "update", "#1", "--priority", "1", NULL },                /* not a field of the API */
    { "update", "#1", "--urgency", "extreme", NULL },
    { "resolve", "#1", "--code", "magic", "--summary", "S", NULL },
    { "resolve", "#1", "--code", "solved", NULL },
    { "handoff", "#1", "--summary", "S", NULL },
    { "step", "#1", "vpn", "start", "perhaps", NULL },
    { "resolve-conflict", "x", NULL },
    { "resolve-conflict", "x", "--keep-mine", "--take-theirs", NULL },
    { "sync", "--wait", "31", NULL },
    { "sync", "--wait", "soon", NULL },
    { "checklist", NULL },
    { "checklist", "burn", NULL },
    { "checklist", "publish", NULL },
    { "login", "ftp://example.com", "alex", NULL },
    { "login", "http://127.0.0.1:1", NULL },
    { "-x", "list", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_ptr_array_add (argv, (gpointer) "--cache");
      g_ptr_array_add (argv, f->cache);
      for (guint k = 0; bad[i][k] != NULL; k++)
        g_ptr_array_add (argv, (gpointer) bad[i][k]);
      g_ptr_array_add (argv, NULL);

      g_test_message ("case %u: %s", i, bad[i][0] ? bad[i][0] : "(none)");
      g_assert_cmpint (run_argv ((const char * const *) argv->pdata, "pw\n", NULL, &out, &err),
                       ==, 2);
      g_assert_cmpstr (out, ==, "");
      fl_test_assert_error_line (err, "firstline-cli");
    }
}

static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  const char * const help[] = { "--help", NULL };
  const char * const version[] = { "--version", NULL };
  const char * const cmd_help[] = { "resolve", "--help", NULL };
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;

  g_assert_cmpint (run_argv (help, NULL, NULL, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Usage:"));
  for (const char *const *c = (const char * const[]) { "login", "new", "update", "note", "claim",
                                                         "step", "handoff", "resolve", "sync",
                                                         "list", "show", "pending", "conflicts",
                                                         "resolve-conflict", "checklist list",
                                                         "checklist publish", NULL };
       *c != NULL; c++)
    {
      g_autofree char *needle = g_strdup_printf ("firstline-cli %s ", *c);
      g_assert_nonnull (strstr (out, needle));
    }

  g_assert_cmpint (run_argv (version, NULL, NULL, &out2, NULL), ==, 0);
  g_assert_cmpstr (out2, ==, "firstline-cli " PACKAGE_VERSION "\n");

  g_assert_cmpint (run_argv (cmd_help, NULL, NULL, &out3, NULL), ==, 0);
  g_assert_nonnull (strstr (out3, "--code CODE --summary S"));
}

static void
test_new_and_show (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonObject) shown = NULL;
  JsonObject *ticket, *requester, *event;
  JsonArray *events;
  g_autofree char *id = NULL;

  g_assert_cmpint (cli (f, &out, &err, "new", "--title", "VPN drops every 10 minutes",
                        "--category", "network", "--requester", "Jana Krüger",
                        "--requester.email", "jana@example.com", "--channel", "email",
                        "--impact", "high", "--urgency", "high",
                        "--description", "Since the update.\nLine two.", "--asset", "NB-0231",
                        "--requester.location", "Home office", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  id = g_strchomp (g_steal_pointer (&out));
  g_assert_true (fl_uuid_is_valid (id));

  shown = show (f, id);
  ticket = json_object_get_object_member (shown, "ticket");
  g_assert_cmpstr (json_object_get_string_member (ticket, "id"), ==, id);
  g_assert_true (json_object_get_null_member (ticket, "number"));
  g_assert_cmpint (json_object_get_int_member (ticket, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (ticket, "title"), ==, "VPN drops every 10 minutes");
  g_assert_cmpstr (json_object_get_string_member (ticket, "description"), ==,
                   "Since the update.\nLine two.");
  g_assert_cmpstr (json_object_get_string_member (ticket, "channel"), ==, "email");
  g_assert_cmpstr (json_object_get_string_member (ticket, "asset"), ==, "NB-0231");
  g_assert_cmpstr (json_object_get_string_member (ticket, "status"), ==, "new");
  g_assert_cmpint (json_object_get_int_member (ticket, "priority"), ==, 1);
  g_assert_true (json_object_get_boolean_member (ticket, "pending"));
  requester = json_object_get_object_member (ticket, "requester");
  g_assert_cmpstr (json_object_get_string_member (requester, "name"), ==, "Jana Krüger");
  g_assert_cmpstr (json_object_get_string_member (requester, "email"), ==, "jana@example.com");

  events = json_object_get_array_member (shown, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  event = json_array_get_object_element (events, 0);
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "create");
  g_assert_cmpstr (json_object_get_string_member (event, "ticket_id"), ==, id);

  /* The channel defaults to phone. */
  {
    g_autofree char *id2 = new_ticket (f, "Printer jams");
    g_autoptr(JsonObject) shown2 = show (f, id2);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (shown2, "ticket"),
                                                    "channel"), ==, "phone");
  }

  /* The human form names the ticket and its history. */
  {
    g_autofree char *text = NULL;

    g_assert_cmpint (cli (f, &text, NULL, "show", id, NULL), ==, 0);
    g_assert_nonnull (strstr (text, "VPN drops every 10 minutes"));
    g_assert_nonnull (strstr (text, id));
    g_assert_nonnull (strstr (text, "Jana Krüger"));
  }

  g_assert_cmpuint (pending (f), ==, 2);
}

/* Waiting with a reason and a follow-up time (an addition to the API's update) */
static void
test_waiting_follow_up (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *id = new_ticket (f, "Drucker druckt leer");
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) resumed = NULL;
  JsonObject *ticket;

  g_assert_cmpint (cli (f, NULL, NULL, "update", id, "--status", "waiting", "--waiting_reason",
                        "Rückruf der Nutzerin", "--follow_up_at", "2030-01-02T13:00:00.000Z",
                        NULL), ==, 0);
  shown = show (f, id);
  ticket = json_object_get_object_member (shown, "ticket");
  g_assert_cmpstr (json_object_get_string_member (ticket, "status"), ==, "waiting");
  g_assert_cmpstr (json_object_get_string_member (ticket, "waiting_reason"), ==, "Rückruf der Nutzerin");
  g_assert_cmpstr (json_object_get_string_member (ticket, "follow_up_at"), ==, "2030-01-02T13:00:00.000Z");

  g_assert_cmpint (cli (f, NULL, NULL, "update", id, "--status", "in_progress", NULL), ==, 0);
  resumed = show (f, id);
  ticket = json_object_get_object_member (resumed, "ticket");
  g_assert_true (json_object_get_null_member (ticket, "waiting_reason"));
  g_assert_true (json_object_get_null_member (ticket, "follow_up_at"));
}

static void
test_changes (Fixture       *f,
              gconstpointer  data)
{
  static const char * const types[] = { "create", "update", "update", "note", "claim", "handoff",
                                        "resolve" };
  g_autofree char *id = new_ticket (f, "Outlook asks for the password");
  g_autoptr(JsonObject) shown = NULL;
  g_autofree char *err = NULL;
  JsonObject *ticket, *data_obj;
  JsonArray *events, *tried;

  g_assert_cmpint (cli (f, NULL, NULL, "update", id, "--title", "Outlook keeps asking",
                        "--status", "in_progress", "--urgency", "high", "--queue", "mail",
                        NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "update", id, "--requester.phone", "+49 30 1234",
                        "--requester.department", "Accounts", NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "note", id, "Called back, no answer", "--internal",
                        NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "claim", id, NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "handoff", id, "--queue", "exchange", "--summary",
                        "Profile broken", "--tried", "Restarted Outlook", "--tried",
                        "New profile", NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "resolve", id, "--code", "workaround", "--summary",
                        "Web mail for now", NULL), ==, 0);

  shown = show (f, id);
  ticket = json_object_get_object_member (shown, "ticket");
  g_assert_cmpstr (json_object_get_string_member (ticket, "title"), ==, "Outlook keeps asking");
  g_assert_cmpstr (json_object_get_string_member (ticket, "status"), ==, "resolved");
  g_assert_cmpstr (json_object_get_string_member (ticket, "queue"), ==, "exchange");
  g_assert_cmpint (json_object_get_int_member (ticket, "level"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (ticket, "version"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ticket, "requester"),
                                                  "phone"), ==, "+49 30 1234");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ticket, "requester"),
                                                  "name"), ==, "Jana Krüger");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ticket, "resolution"),
                                                  "code"), ==, "workaround");

  events = json_object_get_array_member (shown, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, G_N_ELEMENTS (types));
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, i), "type"),
                     ==, types[i]);

  data_obj = json_object_get_object_member (json_array_get_object_element (events, 3), "data");
  g_assert_cmpstr (json_object_get_string_member (data_obj, "body"), ==, "Called back, no answer");
  g_assert_true (json_object_get_boolean_member (data_obj, "internal"));

  data_obj = json_object_get_object_member (json_array_get_object_element (events, 5), "data");
  tried = json_object_get_array_member (data_obj, "steps_tried");
  g_assert_cmpuint (json_array_get_length (tried), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (tried, 1), ==, "New profile");

  g_assert_cmpuint (pending (f), ==, 7);

  /* The model's rules hold locally: a resolved ticket cannot be set back to new
   * by an update, and a title must not be empty. Nothing is queued then. */
  g_assert_cmpint (cli (f, NULL, &err, "update", id, "--status", "resolved", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (cli (f, NULL, &err, "update", id, "--title", "", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_cmpuint (pending (f), ==, 7);
}

static void
test_ids (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *id = new_ticket (f, "Monitor flickers");
  g_autofree char *upper = g_ascii_strup (id, -1);
  g_autofree char *unknown = fl_uuid_new ();
  const char *bad_ids[] = { "#12", "#", "#x", "#-1", "12", "not-a-uuid", unknown, NULL };

  for (guint i = 0; bad_ids[i] != NULL; i++)
    {
      g_autofree char *err = NULL;
      g_autofree char *out = NULL;

      g_assert_cmpint (cli (f, &out, &err, "show", bad_ids[i], NULL), ==, 1);
      g_assert_cmpstr (out, ==, "");
      fl_test_assert_error_line (err, "firstline-cli");
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (cli (f, NULL, &err, "note", bad_ids[i], "x", NULL), ==, 1);
      fl_test_assert_error_line (err, "firstline-cli");
    }

  g_assert_cmpint (cli (f, NULL, NULL, "claim", id, NULL), ==, 0);
  /* Options may follow the arguments, and "--" ends the options. */
  g_assert_cmpint (cli (f, NULL, NULL, "note", "--internal", id, "--", "--not-an-option",
                        NULL), ==, 0);
  {
    g_autoptr(JsonObject) shown = show (f, id);
    JsonArray *events = json_object_get_array_member (shown, "events");
    JsonObject *note = json_object_get_object_member (json_array_get_object_element (events, 2),
                                                      "data");

    g_assert_cmpstr (json_object_get_string_member (note, "body"), ==, "--not-an-option");
    g_assert_true (json_object_get_boolean_member (note, "internal"));
  }
  g_assert_cmpuint (pending (f), ==, 3);
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *a = new_ticket (f, "Keyboard missing keys");
  g_autofree char *b = new_ticket (f, "Password expired");
  g_autofree char *c = new_ticket (f, "Wifi slow");
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) all = NULL;
  g_autoptr(JsonObject) resolved = NULL;
  g_autoptr(JsonObject) none = NULL;
  JsonArray *tickets;

  g_assert_cmpint (cli (f, NULL, NULL, "resolve", b, "--code", "first_contact",
                        "--summary", "Reset", NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "update", c, "--status", "waiting", NULL), ==, 0);

  g_assert_cmpint (cli (f, &out, NULL, "list", "--json", NULL), ==, 0);
  all = fl_test_parse_object (out);
  g_assert_cmpuint (json_object_get_size (all), ==, 1);
  tickets = json_object_get_array_member (all, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *t = json_array_get_object_element (tickets, i);

      /* The API's shape: no local-only members. */
      g_assert_false (json_object_has_member (t, "pending"));
      g_assert_true (json_object_has_member (t, "due_at"));
    }

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "list", "--status", "resolved", "--json", NULL), ==, 0);
  resolved = fl_test_parse_object (out);
  tickets = json_object_get_array_member (resolved, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tickets, 0), "id"),
                   ==, b);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "list", "--json", "--status=closed", NULL), ==, 0);
  none = fl_test_parse_object (out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (none, "tickets")), ==, 0);

  g_assert_cmpint (cli (f, &text, NULL, "list", NULL), ==, 0);
  g_assert_nonnull (strstr (text, a));
  g_assert_nonnull (strstr (text, "Wifi slow"));
  g_assert_nonnull (strstr (text, "waiting"));
}

static void
test_conflicts_empty (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonObject) obj = NULL;

  g_assert_cmpint (cli (f, &out, NULL, "conflicts", "--json", NULL), ==, 0);
  obj = fl_test_parse_object (out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "conflicts")), ==, 0);

  g_assert_cmpint (cli (f, &text, NULL, "conflicts", NULL), ==, 0);
  g_assert_cmpstr (text, ==, "");

  g_assert_cmpint (cli (f, NULL, &err, "resolve-conflict", "no-such-conflict", "--keep-mine",
                        NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");
}

static void
test_checklists_offline (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *id = new_ticket (f, "VPN");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonObject) obj = NULL;
  g_autofree char *big = g_build_filename (f->dir, "big.json", NULL);
  g_autofree char *array = g_build_filename (f->dir, "array.json", NULL);
  g_autofree char *broken = g_build_filename (f->dir, "broken.json", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "missing.json", NULL);
  g_autofree char *filler = g_strnfill (1024 * 1024 + 10, ' ');
  const char *files[] = { big, array, broken, missing, f->dir, NULL };

  /* An empty cache has no checklists yet. */
  g_assert_cmpint (cli (f, &out, NULL, "checklist", "list", "--json", NULL), ==, 0);
  obj = fl_test_parse_object (out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "checklists")), ==, 0);

  g_assert_cmpint (cli (f, NULL, &err, "step", id, "vpn", "start", "done", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");

  g_assert_true (g_file_set_contents (big, filler, -1, NULL));
  g_assert_true (g_file_set_contents (array, "[{\"id\": \"vpn\"}]", -1, NULL));
  g_assert_true (g_file_set_contents (broken, "{\"id\": \"vpn\", ", -1, NULL));

  /* Bad files are refused before anything is sent. */
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (cli (f, NULL, &err, "checklist", "publish", files[i], NULL), ==, 1);
      fl_test_assert_error_line (err, "firstline-cli");
    }

  g_assert_cmpuint (pending (f), ==, 1);
}

static void
test_cache_location (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *env_cache = g_build_filename (f->dir, "sub", "dir", "env.db", NULL);
  g_autofree char *data_home_cache = g_build_filename (g_get_user_data_dir (), "firstline",
                                                       "cache.db", NULL);
  const char * const new_argv[] = { "new", "--title", "T", "--category", "other",
                                    "--requester", "R", NULL };
  const char * const pending_argv[] = { "pending", NULL };
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;

  /* FIRSTLINE_CACHE names the cache (its folders are made). */
  g_assert_cmpint (run_argv (new_argv, NULL, env_cache, NULL, NULL), ==, 0);
  g_assert_true (g_file_test (env_cache, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_argv (pending_argv, NULL, env_cache, &out, NULL), ==, 0);
  g_assert_cmpstr (out, ==, "1\n");

  /* --cache wins over it, also after the command. */
  g_assert_cmpint (cli (f, &out2, NULL, "pending", NULL), ==, 0);
  g_assert_cmpstr (out2, ==, "0\n");

  /* Without either: the desktop app's cache under $XDG_DATA_HOME. */
  g_assert_false (g_file_test (data_home_cache, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_argv (new_argv, NULL, NULL, NULL, NULL), ==, 0);
  g_assert_true (g_file_test (data_home_cache, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_argv (pending_argv, NULL, NULL, &out3, NULL), ==, 0);
  g_assert_cmpstr (out3, ==, "1\n");
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *long_title = g_strnfill (201, 'x');
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *not_a_cache = g_build_filename (f->dir, "not-a-cache.db", NULL);
  const char * const broken_cache[] = { "--cache", not_a_cache, "pending", NULL };
  const char * const latin1[] = { "--cache", f->cache, "new", "--title", "Gr\xfc\xdf",
                                  "--category", "c", "--requester", "r", NULL };

  g_assert_cmpint (cli (f, NULL, &err, "new", "--title", long_title, "--category", "other",
                        "--requester", "R", NULL), ==, 1);
  fl_test_assert_error_line (err, "firstline-cli");

  /* Text that is not UTF-8 is a usage error. */
  g_assert_cmpint (run_argv (latin1, NULL, NULL, NULL, &err2), ==, 2);
  fl_test_assert_error_line (err2, "firstline-cli");

  /* A file that is no SQLite database: an error, not a crash. */
  g_assert_true (g_file_set_contents (not_a_cache, "this is not a database, just text that is "
                                      "long enough to fill a header page ...............",
                                      -1, NULL));
  g_assert_cmpint (run_argv (broken_cache, NULL, NULL, NULL, &err3), ==, 1);
  fl_test_assert_error_line (err3, "firstline-cli");

  g_assert_cmpuint (pending (f), ==, 0);
}

/* `new` asks for what the ticket's category requires (data/categories.json), as
 * the intake form does: one line on stderr, exit 1, nothing stored. */
static void
test_new_required_fields (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (cli (f, &out, &err, "new", "--title", "Laptop does not boot",
                        "--category", "hardware", "--requester", "Jana Krüger",
                        "--asset", "  ", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  fl_test_assert_error_line (err, "firstline-cli");
  g_assert_nonnull (strstr (err, "--asset"));
  g_assert_nonnull (strstr (err, "--requester.location"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "pending", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "0\n");

  /* Given, it is stored; a category the list does not know needs only the usual. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "new", "--title", "Laptop does not boot",
                        "--category", "hardware", "--requester", "Jana Krüger",
                        "--asset", "NB-0231", "--requester.location", "Room 4", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "new", "--title", "Something else",
                        "--category", "facilities", "--requester", "Jana Krüger", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "pending", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "2\n");
}

/* similar: solved tickets only, the API's shape, a typo and an asset code;
 * history: the caller's tickets by name without diacritics */
static void
test_similar_and_history (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *a = new_ticket (f, "Password expired for Windows login");
  g_autofree char *b = new_ticket (f, "Docking station without network");
  g_autofree char *c = new_ticket (f, "Password expired again");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) similar = NULL;
  g_autoptr(JsonObject) history = NULL;
  g_autoptr(JsonObject) by_code = NULL;
  JsonArray *tickets;
  JsonObject *first;

  g_assert_cmpint (cli (f, NULL, NULL, "resolve", a, "--code", "first_contact",
                        "--summary", "Identity verified, password reset", NULL), ==, 0);
  g_assert_cmpint (cli (f, NULL, NULL, "resolve", b, "--code", "solved",
                        "--summary", "Patch cable replaced", NULL), ==, 0);

  g_assert_cmpint (cli (f, &out, &err, "similar", "--title", "pasword expird", "--category",
                        "password", "--requester", "Jana Kruger", "--json", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  similar = fl_test_parse_object (out);
  tickets = json_object_get_array_member (similar, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), >=, 1);
  first = json_array_get_object_element (tickets, 0);
  g_assert_cmpuint (json_object_get_size (first), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (first, "ticket"),
                                                  "id"), ==, a);
  g_assert_cmpfloat (json_object_get_double_member (first, "score"), >, 0.0);
  /* the open ticket c is no suggestion */
  for (guint i = 0; i < json_array_get_length (tickets); i++)
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (json_array_get_object_element (tickets, i),
                                                      "ticket"), "id"), !=, c);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "similar", "--title", "NB0231", "--json", NULL), ==, 0);
  by_code = fl_test_parse_object (out);
  tickets = json_object_get_array_member (by_code, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 2);

  g_assert_cmpint (cli (f, &text, NULL, "similar", "--title", "password", NULL), ==, 0);
  g_assert_nonnull (strstr (text, "Identity verified, password reset"));
  g_assert_nonnull (strstr (text, "first_contact"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (cli (f, &out, NULL, "history", "jana kruger", "--json", NULL), ==, 0);
  history = fl_test_parse_object (out);
  tickets = json_object_get_array_member (history, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 3);
  /* the open one first */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tickets, 0), "id"),
                   ==, c);

  g_clear_pointer (&text, g_free);
  g_assert_cmpint (cli (f, &text, NULL, "history", "Jana Krüger", NULL), ==, 0);
  g_assert_nonnull (strstr (text, "Docking station without network"));
  g_assert_nonnull (strstr (text, "0 days"));

  g_assert_cmpint (cli (f, NULL, NULL, "similar", NULL), ==, 2);
  g_assert_cmpint (cli (f, NULL, NULL, "history", NULL), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/cli/usage", test_usage);
  ADD ("/cli/help", test_help);
  ADD ("/cli/new-and-show", test_new_and_show);
  ADD ("/cli/new-required-fields", test_new_required_fields);
  ADD ("/cli/changes", test_changes);
  ADD ("/cli/waiting-follow-up", test_waiting_follow_up);
  ADD ("/cli/ids", test_ids);
  ADD ("/cli/list", test_list);
  ADD ("/cli/conflicts-empty", test_conflicts_empty);
  ADD ("/cli/checklists-offline", test_checklists_offline);
  ADD ("/cli/cache-location", test_cache_location);
  ADD ("/cli/bad-input", test_bad_input);
  ADD ("/cli/similar-and-history", test_similar_and_history);
#undef ADD

  return g_test_run ();
}
