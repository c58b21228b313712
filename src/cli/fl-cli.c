/* fl-cli.c — the commands of firstline-cli
 *
 * A thin front on core: every command opens the local cache, does one thing
 * through FlStore (or FlSyncEngine for login, sync and publish) and maps the
 * outcome onto an exit status. The command line is parsed by hand so that
 * every misuse is one line on stderr and exit status 2.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fl-answer.h"
#include "fl-categories.h"
#include "fl-checklist-engine.h"
#include "fl-checklist-library.h"
#include "fl-checklist.h"
#include "fl-cli.h"
#include "fl-context.h"
#include "fl-credentials.h"
#include "fl-history.h"
#include "fl-json.h"
#include "fl-store.h"
#include "fl-store-actions.h"
#include "fl-sync-engine.h"
#include "fl-ticket.h"

#define PROGRAM_NAME "firstline-cli"

/* A checklist definition to publish is read whole; the server takes at most 1 MiB. */
#define PUBLISH_MAX_BYTES (1024 * 1024)
/* The longest password read from stdin. */
#define PASSWORD_MAX 1024
/* A long poll lasts at most this long (the API's limit). */
#define SYNC_WAIT_MAX 30

typedef enum
{
  OPT_FLAG   = 0,
  OPT_VALUE  = 1 << 0,        /* --name VALUE or --name=VALUE */
  OPT_REPEAT = 1 << 1,        /* may be given more than once */
} CliOptionFlags;

typedef struct
{
  const char     *name;       /* without the leading "--" */
  CliOptionFlags  flags;
} CliOption;

typedef struct
{
  GHashTable *options;        /* name → GPtrArray of char* (flags: "") */
  GPtrArray  *args;           /* positional arguments, borrowed from argv */
} CliArgs;

typedef struct
{
  char               *cache_path;
  FlStore            *store;
  /* made on first use, as the app's FlContext does */
  FlChecklistLibrary *checklists;
  GPtrArray          *categories;
} FlCli;

typedef int (*CliCommandFunc) (FlCli   *cli,
                               CliArgs *args);

typedef struct
{
  const char       *name;     /* "list", "checklist list", … */
  const char       *synopsis; /* arguments and options, N_() */
  guint             min_args;
  guint             max_args;
  const CliOption  *options;  /* terminated by { NULL } */
  CliCommandFunc    func;
} CliCommand;

/* The API's ticket fields an update may change, as command-line options. */
static const char * const update_fields[] = {
  "title", "description", "asset", "channel", "category", "impact", "urgency", "queue",
  "status", "waiting_reason", "follow_up_at", NULL
};

static const char * const requester_fields[] = {
  "name", "email", "phone", "department", "location", NULL
};

/* -------------------------------------------------------------------------- */
/* Messages                                                                      */

/* Text that may come from the server, made harmless for a terminal: every
 * control character but newline and tab (C0, DEL, C1: what starts an escape
 * sequence) and every byte that is not UTF-8 becomes U+FFFD. */
char *
fl_cli_sanitize (const char *text)
{
  GString *out = g_string_sized_new (text ? strlen (text) : 0);
  const char *p = text ? text : "";
  const char *end = p + strlen (p);

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_unichar (out, 0xFFFD);
          p++;
          continue;
        }

      if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c <= 0x9F))
        g_string_append_unichar (out, 0xFFFD);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }

  return g_string_free (out, FALSE);
}

/* One line on stderr, whatever the text holds. */
static void
print_message (const char *message)
{
  g_autofree char *line = fl_cli_sanitize (message);

  g_strdelimit (line, "\r\n\t", ' ');
  g_strchomp (line);
  g_printerr ("%s: %s\n", PROGRAM_NAME, line);
}

/* Text on stdout that holds server data (not --json): sanitized. */
static void
print_out (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

static void
print_out (const char *format,
           ...)
{
  g_autofree char *text = NULL;
  g_autofree char *clean = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  clean = fl_cli_sanitize (text);
  fputs (clean, stdout);
}

/* Warnings and messages (a checklist from the server that was skipped) as one line each. */
static GLogWriterOutput
log_writer_cb (GLogLevelFlags   log_level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  if ((log_level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_WARNING ||
      (log_level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_MESSAGE)
    {
      for (gsize i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
          {
            g_autofree char *line = g_strdup_printf (_("warning: %s"),
                                                     (const char *) fields[i].value);

            print_message (line);
            return G_LOG_WRITER_HANDLED;
          }
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static int
fail (int         status,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static int
fail (int         status,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  print_message (message);
  return status;
}

static int
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  print_message (message);
  return FL_CLI_EXIT_USAGE;
}

/* The exit status an error stands for, after saying it on stderr. */
static int
fail_with_error (const GError *error)
{
  int status = FL_CLI_EXIT_ERROR;

  if (error->domain == FL_SYNC_ERROR)
    {
      if (error->code == FL_SYNC_ERROR_UNREACHABLE)
        status = FL_CLI_EXIT_UNREACHABLE;
      else if (error->code == FL_SYNC_ERROR_CONFLICTS)
        status = FL_CLI_EXIT_CONFLICTS;
    }

  print_message (error->message);
  return status;
}

/* JSON on stdout, as UTF-8 whatever the locale. */
static void
print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  gsize length = 0;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, &length);

  fwrite (text, 1, length, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

/* -------------------------------------------------------------------------- */
/* Parsing the command line                                                      */

static void
cli_args_free (CliArgs *args)
{
  g_clear_pointer (&args->options, g_hash_table_unref);
  g_clear_pointer (&args->args, g_ptr_array_unref);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliArgs, cli_args_free)

static CliArgs *
cli_args_new (void)
{
  CliArgs *args = g_new0 (CliArgs, 1);

  args->options = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) g_ptr_array_unref);
  args->args = g_ptr_array_new ();
  return args;
}

/* The value of a single-valued option, or NULL when it was not given. */
static const char *
cli_args_get (CliArgs    *args,
              const char *name)
{
  GPtrArray *values = g_hash_table_lookup (args->options, name);

  return values != NULL && values->len > 0 ? g_ptr_array_index (values, 0) : NULL;
}

static gboolean
cli_args_has (CliArgs    *args,
              const char *name)
{
  return g_hash_table_contains (args->options, name);
}

static const CliOption *
find_option (const CliOption *options,
             const char      *name)
{
  if (g_str_equal (name, "cache"))
    {
      static const CliOption cache_option = { "cache", OPT_VALUE };
      return &cache_option;
    }

  for (guint i = 0; options != NULL && options[i].name != NULL; i++)
    if (g_str_equal (options[i].name, name))
      return &options[i];

  return NULL;
}

/* Splits @argv (after the command's name) into options and positional arguments.
 * Options may come before or after the arguments; "--" ends the options. */
static gboolean
parse_args (const CliCommand  *command,
            int                argc,
            char             **argv,
            CliArgs           *args,
            char             **out_message)
{
  gboolean options_done = FALSE;

  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];
      const CliOption *option;
      g_autofree char *name = NULL;
      const char *value = NULL;
      const char *eq;
      GPtrArray *values;

      if (!g_utf8_validate (arg, -1, NULL))
        {
          *out_message = g_strdup (_("the command line is not valid UTF-8"));
          return FALSE;
        }

      if (options_done || arg[0] != '-' || g_str_equal (arg, "-"))
        {
          g_ptr_array_add (args->args, (gpointer) arg);
          continue;
        }

      if (g_str_equal (arg, "--"))
        {
          options_done = TRUE;
          continue;
        }

      if (!g_str_has_prefix (arg, "--"))
        {
          *out_message = g_strdup_printf (_("unknown option “%s” for “%s”"), arg, command->name);
          return FALSE;
        }

      eq = strchr (arg + 2, '=');
      name = eq ? g_strndup (arg + 2, eq - (arg + 2)) : g_strdup (arg + 2);
      option = find_option (command->options, name);
      if (option == NULL)
        {
          *out_message = g_strdup_printf (_("unknown option “--%s” for “%s”"), name, command->name);
          return FALSE;
        }

      if (option->flags & OPT_VALUE)
        {
          if (eq != NULL)
            value = eq + 1;
          else if (i + 1 < argc)
            value = argv[++i];
          else
            {
              *out_message = g_strdup_printf (_("option “--%s” needs a value"), name);
              return FALSE;
            }

          if (!g_utf8_validate (value, -1, NULL))
            {
              *out_message = g_strdup (_("the command line is not valid UTF-8"));
              return FALSE;
            }
        }
      else if (eq != NULL)
        {
          *out_message = g_strdup_printf (_("option “--%s” takes no value"), name);
          return FALSE;
        }
      else
        value = "";

      values = g_hash_table_lookup (args->options, option->name);
      if (values != NULL && !(option->flags & OPT_REPEAT))
        {
          *out_message = g_strdup_printf (_("option “--%s” given more than once"), name);
          return FALSE;
        }
      if (values == NULL)
        {
          values = g_ptr_array_new ();
          g_hash_table_insert (args->options, (gpointer) option->name, values);
        }
      g_ptr_array_add (values, (gpointer) value);
    }

  if (args->args->len < command->min_args || args->args->len > command->max_args)
    {
      *out_message = g_strdup_printf (_("usage: %s %s %s"), PROGRAM_NAME, command->name,
                                      _(command->synopsis));
      return FALSE;
    }

  return TRUE;
}

/* A required option: NULL (after the usage message) when it is missing. */
static const char *
require_option (CliArgs    *args,
                const char *command,
                const char *name)
{
  const char *value = cli_args_get (args, name);

  if (value == NULL)
    usage_error (_("“%s” needs --%s"), command, name);

  return value;
}

/* -------------------------------------------------------------------------- */
/* Helpers                                                                       */

static gboolean
open_store (FlCli   *cli,
            GError **error)
{
  if (cli->store == NULL)
    cli->store = fl_store_new (cli->cache_path, error);

  return cli->store != NULL;
}

/* The built-in and published checklists, as the app offers them. */
static FlChecklistLibrary *
get_checklists (FlCli *cli)
{
  g_assert (cli->store != NULL);

  if (cli->checklists == NULL)
    cli->checklists = fl_checklist_library_new (cli->store, NULL);
  return cli->checklists;
}

/* The category list the intake form uses (data/categories.json). */
static GPtrArray *
get_categories (FlCli *cli)
{
  if (cli->categories == NULL)
    cli->categories = fl_categories_load_default (NULL);
  return cli->categories;
}

/* The ticket @id_or_number names (a UUID or "#number"). */
static FlTicket *
lookup_ticket (FlCli       *cli,
               const char  *id_or_number,
               GError     **error)
{
  if (id_or_number[0] != '#' && !fl_uuid_is_valid (id_or_number))
    {
      g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                   _("“%s” is neither a ticket id nor a #number"), id_or_number);
      return NULL;
    }

  return fl_store_get_ticket (cli->store, id_or_number, error);
}

/* Checks that an enum option has one of the API's values. */
static gboolean
check_enum (const char  *option,
            const char  *value,
            gboolean   (*from_string) (const char *, int *))
{
  int dummy;

  if (value == NULL || from_string (value, &dummy))
    return TRUE;

  usage_error (_("“%s” is not a valid value for --%s"), value, option);
  return FALSE;
}

#define ENUM_CHECK(f) ((gboolean (*) (const char *, int *)) (f))

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} Waiter;

static void
on_async_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->result = g_object_ref (result);
  g_main_loop_quit (waiter->loop);
}

/* Runs the main loop until @waiter has its result. */
static void
waiter_run (Waiter *waiter)
{
  if (waiter->result == NULL)
    g_main_loop_run (waiter->loop);
}

static void
waiter_clear (Waiter *waiter)
{
  g_clear_pointer (&waiter->loop, g_main_loop_unref);
  g_clear_object (&waiter->result);
}

static char *read_secret_line (const char *prompt);

/* The first line of stdin, without echo when it is a terminal. */
static char *
read_password (void)
{
  return read_secret_line (_("Password: "));
}

/* The next line of stdin; on a terminal after @prompt, without echo. */
static char *
read_secret_line (const char *prompt)
{
  g_autoptr(GString) line = g_string_new (NULL);
  struct termios saved, quiet;
  gboolean restore = FALSE;
  int c;

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      g_printerr ("%s", prompt);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      restore = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }

  while ((c = getc (stdin)) != EOF && c != '\n')
    {
      if (line->len >= PASSWORD_MAX)
        continue;
      g_string_append_c (line, (char) c);
    }

  if (restore)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }

  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);

  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* Adds --requester NAME and --requester.FIELD VALUE to @data as "requester": {…}. */
static void
add_requester (CliArgs    *args,
               JsonObject *data)
{
  g_autoptr(JsonObject) requester = json_object_new ();
  const char *name = cli_args_get (args, "requester");

  if (name != NULL)
    json_object_set_string_member (requester, "name", name);

  for (guint i = 0; requester_fields[i] != NULL; i++)
    {
      g_autofree char *option = g_strconcat ("requester.", requester_fields[i], NULL);
      const char *value = cli_args_get (args, option);

      if (value != NULL)
        json_object_set_string_member (requester, requester_fields[i], value);
    }

  if (json_object_get_size (requester) > 0)
    json_object_set_object_member (data, "requester", g_steal_pointer (&requester));
}

static void
set_optional_string (JsonObject *data,
                     CliArgs    *args,
                     const char *name)
{
  const char *value = cli_args_get (args, name);

  if (value != NULL)
    json_object_set_string_member (data, name, value);
}

static const char *
ticket_number_or_dash (FlTicket *ticket,
                       char    **buffer)
{
  if (ticket->number > 0)
    *buffer = g_strdup_printf ("#%" G_GINT64_FORMAT, ticket->number);
  else
    *buffer = g_strdup ("-");

  return *buffer;
}

static char *
json_value_to_text (JsonNode *node)
{
  if (node == NULL)
    return g_strdup ("null");

  return json_to_string (node, FALSE);
}

/* -------------------------------------------------------------------------- */
/* Commands that talk to the server                                              */

static int
cmd_login (FlCli   *cli,
           CliArgs *args)
{
  const char *url = g_ptr_array_index (args->args, 0);
  const char *username = g_ptr_array_index (args->args, 1);
  gboolean insecure = cli_args_has (args, "insecure");
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *password = NULL;
  Waiter waiter = { 0 };
  gboolean ok;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return usage_error (_("“%s” is not an http:// or https:// address"), url);

  if (*username == '\0')
    return usage_error (_("the user name must not be empty"));

  /* Before the password is read and before any connection. */
  if (!fl_sync_check_server_url (url, insecure, &error))
    {
      if (g_error_matches (error, FL_SYNC_ERROR, FL_SYNC_ERROR_INSECURE))
        return usage_error (_("%s; or add --insecure to send it anyway"), error->message);
      return usage_error ("%s", error->message);
    }

  password = read_password ();
  if (*password == '\0')
    return usage_error (_("the password (first line of stdin) must not be empty"));
  if (!g_utf8_validate (password, -1, NULL))
    return usage_error (_("the password is not valid UTF-8"));

  if (!open_store (cli, &error))
    return fail_with_error (error);

  engine = fl_sync_engine_new (cli->store);
  fl_sync_engine_set_allow_insecure (engine, insecure);
  waiter.loop = g_main_loop_new (NULL, FALSE);
  fl_sync_engine_login_async (engine, url, username, password, NULL, on_async_done_cb, &waiter);
  waiter_run (&waiter);
  ok = fl_sync_engine_login_finish (engine, waiter.result, &error);
  waiter_clear (&waiter);

  memset (password, 0, strlen (password));

  if (!ok)
    return fail_with_error (error);

  if (fl_sync_engine_get_credentials_backend (engine) == FL_CREDENTIALS_FILE)
    {
      g_autofree char *path = fl_credentials_dup_file_path ();

      fail (FL_CLI_EXIT_OK,
            _("no Secret Service is running: the token is kept in %s, readable only by you"),
            path);
    }

  print_out (_("Logged in to %s as %s (%s)\n"), url, fl_store_get_username (cli->store),
           fl_role_to_string (fl_store_get_role (cli->store)));
  return FL_CLI_EXIT_OK;
}

/* Op ids of the ops the server rejected so far. */
static GHashTable *
collect_rejected (FlStore *store)
{
  g_autoptr(GPtrArray) rejected = fl_store_list_rejected_ops (store, NULL);
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; rejected != NULL && i < rejected->len; i++)
    {
      FlRejectedOp *r = g_ptr_array_index (rejected, i);
      g_hash_table_add (ids, g_strdup (r->op->op_id));
    }

  return ids;
}

static int
cmd_sync (FlCli   *cli,
          CliArgs *args)
{
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GHashTable) rejected_before = NULL;
  g_autoptr(GPtrArray) rejected = NULL;
  g_autoptr(GError) error = NULL;
  const char *wait_text = cli_args_get (args, "wait");
  Waiter waiter = { 0 };
  guint64 wait = 0;
  gboolean ok;

  if (wait_text != NULL &&
      !g_ascii_string_to_unsigned (wait_text, 10, 0, SYNC_WAIT_MAX, &wait, NULL))
    return usage_error (g_dngettext (GETTEXT_PACKAGE, "--wait takes a number of seconds from 0 to %d",
                                     "--wait takes a number of seconds from 0 to %d", SYNC_WAIT_MAX),
                        SYNC_WAIT_MAX);

  if (!open_store (cli, &error))
    return fail_with_error (error);

  rejected_before = collect_rejected (cli->store);

  engine = fl_sync_engine_new (cli->store);
  waiter.loop = g_main_loop_new (NULL, FALSE);
  fl_sync_engine_sync_async (engine, (guint) wait, NULL, on_async_done_cb, &waiter);
  waiter_run (&waiter);
  ok = fl_sync_engine_sync_finish (engine, waiter.result, &error);
  waiter_clear (&waiter);

  /* Nothing vanishes silently: say which changes the server refused this time. */
  rejected = fl_store_list_rejected_ops (cli->store, NULL);
  for (guint i = 0; rejected != NULL && i < rejected->len; i++)
    {
      FlRejectedOp *r = g_ptr_array_index (rejected, i);

      if (g_hash_table_contains (rejected_before, r->op->op_id))
        continue;

      g_autofree char *reason = fl_rejected_op_describe (r);

      fail (FL_CLI_EXIT_OK, _("the server rejected the %s of ticket %s: %s"),
            fl_op_type_to_string (r->op->type), r->op->ticket_id, reason);
    }

  if (!ok)
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

/* Reads a definition to publish (a JSON object of at most PUBLISH_MAX_BYTES);
 * an exit status other than FL_CLI_EXIT_OK after printing why not. */
static int
read_definition (const char  *path,
                 const char  *what,
                 JsonNode   **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(JsonNode) root = NULL;
  GStatBuf st;
  gsize length = 0;

  if (g_stat (path, &st) != 0)
    return fail (FL_CLI_EXIT_ERROR, _("Could not read %s: %s"), path, g_strerror (errno));
  if (!S_ISREG (st.st_mode))
    return fail (FL_CLI_EXIT_ERROR, _("%s is not a regular file"), path);
  if (st.st_size > PUBLISH_MAX_BYTES)
    return fail (FL_CLI_EXIT_ERROR, g_dngettext (GETTEXT_PACKAGE, "%s is larger than %d byte",
                                                     "%s is larger than %d bytes", PUBLISH_MAX_BYTES),
                 path, PUBLISH_MAX_BYTES);

  if (!g_file_get_contents (path, &contents, &length, &error))
    return fail_with_error (error);
  if (length > PUBLISH_MAX_BYTES)
    return fail (FL_CLI_EXIT_ERROR, g_dngettext (GETTEXT_PACKAGE, "%s is larger than %d byte",
                                                     "%s is larger than %d bytes", PUBLISH_MAX_BYTES),
                 path, PUBLISH_MAX_BYTES);
  if (!g_utf8_validate (contents, length, NULL) || memchr (contents, '\0', length) != NULL)
    return fail (FL_CLI_EXIT_ERROR, _("%s is not UTF-8 text"), path);

  root = fl_json_parse (contents, length, &error);
  if (root == NULL)
    return fail (FL_CLI_EXIT_ERROR, _("%s is not valid JSON: %s"), path, error->message);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return fail (FL_CLI_EXIT_ERROR, g_str_equal (what, "answer")
                                    ? _("%s does not hold an answer (a JSON object)")
                                    : _("%s does not hold a checklist (a JSON object)"), path);

  *out = g_steal_pointer (&root);
  return FL_CLI_EXIT_OK;
}

static int
cmd_checklist_publish (FlCli   *cli,
                       CliArgs *args)
{
  const char *path = g_ptr_array_index (args->args, 0);
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version_text = NULL;
  g_autoptr(JsonNode) root = NULL;
  Waiter waiter = { 0 };
  gint64 version;
  int status;

  if ((status = read_definition (path, "checklist", &root)) != FL_CLI_EXIT_OK)
    return status;

  if (!open_store (cli, &error))
    return fail_with_error (error);

  engine = fl_sync_engine_new (cli->store);
  waiter.loop = g_main_loop_new (NULL, FALSE);
  fl_sync_engine_publish_checklist_async (engine, root, NULL, on_async_done_cb, &waiter);
  waiter_run (&waiter);
  version = fl_sync_engine_publish_checklist_finish (engine, waiter.result, &error);
  waiter_clear (&waiter);

  if (error != NULL)
    return fail_with_error (error);

  version_text = g_strdup_printf ("%" G_GINT64_FORMAT, version);
  print_out (_("Published checklist %s, version %s\n"),
           json_object_get_string_member_with_default (json_node_get_object (root), "id", ""),
           version_text);
  return FL_CLI_EXIT_OK;
}

static int
cmd_answer_publish (FlCli   *cli,
                    CliArgs *args)
{
  const char *path = g_ptr_array_index (args->args, 0);
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version_text = NULL;
  g_autoptr(JsonNode) root = NULL;
  Waiter waiter = { 0 };
  gint64 version;
  int status;

  if ((status = read_definition (path, "answer", &root)) != FL_CLI_EXIT_OK)
    return status;

  /* the server validates too; this says what is wrong before asking it */
  if (!fl_answer_validate (root, &error))
    return fail (FL_CLI_EXIT_ERROR, _("%s is not a valid answer: %s"), path, error->message);

  if (!open_store (cli, &error))
    return fail_with_error (error);

  engine = fl_sync_engine_new (cli->store);
  waiter.loop = g_main_loop_new (NULL, FALSE);
  fl_sync_engine_publish_answer_async (engine, root, NULL, on_async_done_cb, &waiter);
  waiter_run (&waiter);
  version = fl_sync_engine_publish_answer_finish (engine, waiter.result, &error);
  waiter_clear (&waiter);

  if (error != NULL)
    return fail_with_error (error);

  version_text = g_strdup_printf ("%" G_GINT64_FORMAT, version);
  print_out (_("Published answer %s, version %s\n"),
           json_object_get_string_member (json_node_get_object (root), "id"), version_text);
  return FL_CLI_EXIT_OK;
}

static int
cmd_answer_list (FlCli   *cli,
                 CliArgs *args)
{
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GError) error = NULL;
  const char *lang = NULL;   /* the user's languages */

  if (!open_store (cli, &error) || !(answers = fl_store_list_answers (cli->store, &error)))
    return fail_with_error (error);

  if (cli_args_has (args, "json"))
    {
      g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), json_object_new ());
      JsonObject *obj = json_node_get_object (root);
      JsonArray *array = json_array_new ();

      json_object_unref (obj);
      for (guint i = 0; i < answers->len; i++)
        json_array_add_element (array, json_node_copy (g_ptr_array_index (answers, i)));
      json_object_set_array_member (obj, "answers", array);
      print_json (root);
      return FL_CLI_EXIT_OK;
    }

  for (guint i = 0; i < answers->len; i++)
    {
      JsonObject *a = json_node_get_object (g_ptr_array_index (answers, i));

      print_out ("%-28s v%-3" G_GINT64_FORMAT " %-10s ::%-12s %s\n",
                 json_object_get_string_member (a, "id"),
                 json_object_get_int_member_with_default (a, "version", 1),
                 json_object_get_string_member (a, "category"),
                 json_object_get_string_member_with_default (a, "keyword", ""),
                 fl_answer_get_text (a, "title", lang));
    }

  return FL_CLI_EXIT_OK;
}

/* export: the server's history as CSV, page by page as it arrives */

/* YYYY-MM-DD, a real day. */
static gboolean
is_date (const char *text)
{
  g_autoptr(GDateTime) dt = NULL;
  int y, m, d;

  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-' ||
      sscanf (text, "%4d-%2d-%2d", &y, &m, &d) != 3)
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;
  dt = g_date_time_new_utc (y, m, d, 0, 0, 0);
  return dt != NULL && g_date_time_get_day_of_month (dt) == d;
}

static gboolean
write_all (GOutputStream *out,
           FILE          *stream,
           GString       *text,
           GError       **error)
{
  if (out != NULL)
    return g_output_stream_write_all (out, text->str, text->len, NULL, NULL, error);

  if (fwrite (text->str, 1, text->len, stream) != text->len || fflush (stream) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not write the export: %s"), g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* After a failure: the old file stays as it was, a new one goes. */
static void
abandon_export (GFile             *file,
                GFileOutputStream *file_out,
                gboolean           existed)
{
  g_autoptr(GCancellable) cancel = g_cancellable_new ();

  if (file_out == NULL)
    return;
  g_cancellable_cancel (cancel);
  g_output_stream_close (G_OUTPUT_STREAM (file_out), cancel, NULL);
  if (!existed)
    g_file_delete (file, NULL, NULL);
}

static int
cmd_export (FlCli   *cli,
            CliArgs *args)
{
  const char *path = g_ptr_array_index (args->args, 0);
  g_autoptr(FlHistoryFilter) filter = fl_history_filter_new ();
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GFileOutputStream) file_out = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *after = NULL;
  gint64 now = fl_time_now ();
  gboolean existed = FALSE;
  const char *from, *to;
  int dummy;

  if (!(from = require_option (args, "export", "from")) ||
      !(to = require_option (args, "export", "to")))
    return FL_CLI_EXIT_USAGE;
  if (!is_date (from))
    return usage_error (_("“%s” is not a date (YYYY-MM-DD) for --%s"), from, "from");
  if (!is_date (to))
    return usage_error (_("“%s” is not a date (YYYY-MM-DD) for --%s"), to, "to");
  if (strcmp (from, to) > 0)
    return usage_error (_("--from is after --to"));
  if (cli_args_get (args, "status") &&
      !fl_status_from_string (cli_args_get (args, "status"), (FlStatus *) &dummy))
    return usage_error (_("“%s” is not a valid value for --%s"), cli_args_get (args, "status"),
                        "status");

  filter->from = g_strdup (from);
  filter->to = g_strdup (to);
  filter->status = g_strdup (cli_args_get (args, "status"));
  filter->category = g_strdup (cli_args_get (args, "category"));
  filter->assignee = g_strdup (cli_args_get (args, "assignee"));

  if (!open_store (cli, &error))
    return fail_with_error (error);
  if (fl_store_get_username (cli->store) != NULL && fl_store_get_role (cli->store) != FL_ROLE_LEAD)
    return fail (FL_CLI_EXIT_ERROR, _("Only a team lead may export the history"));
  engine = fl_sync_engine_new (cli->store);

  /* A file is replaced only when the whole export made it: until then the old one stays
   * (g_file_replace), and a new one is removed again on a failure. It is opened once the
   * first page is in, so that a refused export (not logged in, not a lead) leaves none. */
  if (!g_str_equal (path, "-"))
    {
      file = g_file_new_for_commandline_arg (path);
      existed = g_file_query_exists (file, NULL);
    }

  fl_csv_append_header (text);
  do
    {
      g_autofree char *query = fl_history_query_path (filter, after, 500);
      g_autoptr(JsonNode) page = NULL;
      g_autoptr(GPtrArray) tickets = NULL;
      Waiter waiter = { 0 };

      waiter.loop = g_main_loop_new (NULL, FALSE);
      fl_sync_engine_get_json_async (engine, query, NULL, on_async_done_cb, &waiter);
      waiter_run (&waiter);
      page = fl_sync_engine_get_json_finish (engine, waiter.result, &error);
      waiter_clear (&waiter);

      g_clear_pointer (&after, g_free);
      if (page == NULL || !(tickets = fl_history_parse_page (page, NULL, &after, &error)))
        {
          abandon_export (file, file_out, existed);
          return fail_with_error (error);
        }

      if (file != NULL && file_out == NULL)
        {
          file_out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
          if (file_out == NULL)
            return fail (FL_CLI_EXIT_ERROR, _("Could not write %s: %s"), path, error->message);
        }

      for (guint i = 0; i < tickets->len; i++)
        fl_csv_append_ticket (text, g_ptr_array_index (tickets, i), now);
      if (!write_all (file_out ? G_OUTPUT_STREAM (file_out) : NULL, stdout, text, &error))
        {
          abandon_export (file, file_out, existed);
          return fail (FL_CLI_EXIT_ERROR, "%s", error->message);
        }
      g_string_truncate (text, 0);
    }
  while (after != NULL);

  if (file_out != NULL &&
      !g_output_stream_close (G_OUTPUT_STREAM (file_out), NULL, &error))
    return fail (FL_CLI_EXIT_ERROR, _("Could not write %s: %s"), path, error->message);

  return FL_CLI_EXIT_OK;
}

/* passwd: the current and the new password, one line each on stdin */
static int
cmd_passwd (FlCli   *cli,
            CliArgs *args)
{
  g_autoptr(FlSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_password = NULL;
  g_autofree char *new_password = NULL;
  Waiter waiter = { 0 };
  int status = FL_CLI_EXIT_OK;
  gboolean ok;

  old_password = read_secret_line (_("Current password: "));
  new_password = read_secret_line (_("New password: "));
  if (isatty (STDIN_FILENO))
    {
      g_autofree char *repeated = read_secret_line (_("Repeat the new password: "));

      if (g_strcmp0 (repeated, new_password) != 0)
        status = usage_error (_("the new passwords do not match"));
      memset (repeated, 0, strlen (repeated));
    }

  if (status == FL_CLI_EXIT_OK && (*old_password == '\0' || *new_password == '\0'))
    status = usage_error (_("the current and the new password (first two lines of stdin) "
                            "must not be empty"));
  else if (status == FL_CLI_EXIT_OK &&
           (!g_utf8_validate (old_password, -1, NULL) || !g_utf8_validate (new_password, -1, NULL)))
    status = usage_error (_("the password is not valid UTF-8"));
  else if (status == FL_CLI_EXIT_OK && g_utf8_strlen (new_password, -1) < FL_SYNC_MIN_PASSWORD)
    status = usage_error (_("the new password must have at least %d characters"),
                          FL_SYNC_MIN_PASSWORD);

  if (status == FL_CLI_EXIT_OK && !open_store (cli, &error))
    status = fail_with_error (error);

  if (status == FL_CLI_EXIT_OK)
    {
      engine = fl_sync_engine_new (cli->store);
      waiter.loop = g_main_loop_new (NULL, FALSE);
      fl_sync_engine_change_password_async (engine, old_password, new_password, NULL,
                                            on_async_done_cb, &waiter);
      waiter_run (&waiter);
      ok = fl_sync_engine_change_password_finish (engine, waiter.result, &error);
      waiter_clear (&waiter);
      if (!ok)
        status = fail_with_error (error);
      else
        g_print ("%s\n", _("Password changed; your other sessions are logged out"));
    }

  memset (old_password, 0, strlen (old_password));
  memset (new_password, 0, strlen (new_password));
  return status;
}

/* -------------------------------------------------------------------------- */
/* Local changes                                                                 */

/* The fields @category requires beyond the options `new` always needs, as the
 * intake form checks them: each given and not blank. FALSE (and the message on
 * stderr) when one is missing. */
static gboolean
check_required_fields (FlCli      *cli,
                       CliArgs    *args,
                       const char *category_id)
{
  FlCategory *category = fl_categories_find (get_categories (cli), category_id);
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autofree char *message = NULL;

  /* A category the list does not know needs only what every ticket needs. */
  if (category == NULL)
    return TRUE;

  for (guint i = 0; category->required[i] != NULL; i++)
    {
      const char *field = category->required[i];
      const char *value = cli_args_get (args, g_str_equal (field, "requester.name") ? "requester"
                                                                                     : field);
      g_autofree char *trimmed = g_strstrip (g_strdup (value ? value : ""));

      /* channel, impact and urgency have defaults */
      if (g_str_equal (field, "channel") || g_str_equal (field, "impact") ||
          g_str_equal (field, "urgency") || *trimmed != '\0')
        continue;
      if (missing->len > 0)
        g_string_append (missing, ", ");
      g_string_append_printf (missing, "--%s", field);
    }

  if (missing->len == 0)
    return TRUE;

  /* Translators: %s is a category id, %s a list of options ("--asset, --requester.location") */
  message = g_strdup_printf (_("category “%s” requires %s"), category_id, missing->str);
  print_message (message);
  return FALSE;
}

static int
cmd_new (FlCli   *cli,
         CliArgs *args)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  const char *title, *category, *requester;
  const char *channel = cli_args_get (args, "channel");

  if (!(title = require_option (args, "new", "title")) ||
      !(category = require_option (args, "new", "category")) ||
      !(requester = require_option (args, "new", "requester")))
    return FL_CLI_EXIT_USAGE;

  if (channel == NULL)
    channel = "phone";

  if (!check_enum ("channel", channel, ENUM_CHECK (fl_channel_from_string)) ||
      !check_enum ("impact", cli_args_get (args, "impact"), ENUM_CHECK (fl_grade_from_string)) ||
      !check_enum ("urgency", cli_args_get (args, "urgency"), ENUM_CHECK (fl_grade_from_string)))
    return FL_CLI_EXIT_USAGE;

  if (!check_required_fields (cli, args, category))
    return FL_CLI_EXIT_ERROR;

  json_object_set_string_member (fields, "title", title);
  json_object_set_string_member (fields, "category", category);
  json_object_set_string_member (fields, "channel", channel);
  add_requester (args, fields);
  set_optional_string (fields, args, "impact");
  set_optional_string (fields, args, "urgency");
  set_optional_string (fields, args, "description");
  set_optional_string (fields, args, "asset");

  if (!open_store (cli, &error) ||
      !(ticket = fl_store_create_ticket (cli->store, fields, &error)))
    return fail_with_error (error);

  g_print ("%s\n", ticket->id);
  return FL_CLI_EXIT_OK;
}

static int
cmd_update (FlCli   *cli,
            CliArgs *args)
{
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  if (!check_enum ("channel", cli_args_get (args, "channel"), ENUM_CHECK (fl_channel_from_string)) ||
      !check_enum ("impact", cli_args_get (args, "impact"), ENUM_CHECK (fl_grade_from_string)) ||
      !check_enum ("urgency", cli_args_get (args, "urgency"), ENUM_CHECK (fl_grade_from_string)) ||
      !check_enum ("status", cli_args_get (args, "status"), ENUM_CHECK (fl_status_from_string)))
    return FL_CLI_EXIT_USAGE;

  if (cli_args_has (args, "requester") && cli_args_has (args, "requester.name"))
    return usage_error (_("--requester and --requester.name are the same field"));

  for (guint i = 0; update_fields[i] != NULL; i++)
    set_optional_string (changes, args, update_fields[i]);
  add_requester (args, changes);

  if (json_object_get_size (changes) == 0)
    return usage_error (_("“update” needs at least one --FIELD VALUE"));

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(updated = fl_store_update_ticket (cli->store, ticket->id, changes, &error)))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

static int
cmd_note (FlCli   *cli,
          CliArgs *args)
{
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(updated = fl_store_add_note (cli->store, ticket->id, g_ptr_array_index (args->args, 1),
                                     cli_args_has (args, "internal"), &error)))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

static int
cmd_claim (FlCli   *cli,
           CliArgs *args)
{
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(updated = fl_store_claim (cli->store, ticket->id, &error)))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

/* Checklist @id replayed on @events: the version the ticket started with, the
 * newest one for a ticket that has not used it yet (as the app does). */
static FlChecklistRun *
new_checklist_run (FlCli       *cli,
                   const char  *id,
                   GPtrArray   *events,
                   GError     **error)
{
  FlChecklistRun *run = fl_checklist_library_new_run (get_checklists (cli), id, events);

  if (run == NULL)
    g_set_error (error, FL_STORE_ERROR, FL_STORE_ERROR_NOT_FOUND,
                 _("No checklist “%s” in the local cache (sync first)"), id);
  return run;
}

static int
cmd_step (FlCli   *cli,
          CliArgs *args)
{
  const char *checklist_id = g_ptr_array_index (args->args, 1);
  const char *step_id = g_ptr_array_index (args->args, 2);
  const char *outcome_text = g_ptr_array_index (args->args, 3);
  g_autoptr(FlChecklistRun) run = NULL;
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  FlChecklistOutcome outcome;

  if (!fl_checklist_outcome_from_string (outcome_text, &outcome))
    return usage_error (_("“%s” is not an outcome: done, yes, no, skipped or failed"),
                        outcome_text);

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(events = fl_store_list_events (cli->store, ticket->id, &error)) ||
      !(run = new_checklist_run (cli, checklist_id, events, &error)))
    return fail_with_error (error);

  if (!(updated = fl_store_record_step (cli->store, ticket->id, run, step_id, outcome,
                                        cli_args_get (args, "value"), &error)))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

static int
cmd_handoff (FlCli   *cli,
             CliArgs *args)
{
  g_autoptr(GPtrArray) tried = g_ptr_array_new ();
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  FlHandoffRequest request = { 0 };
  GPtrArray *tried_values;
  const char *queue, *summary;
  FlGrade impact, urgency;

  if (!(queue = require_option (args, "handoff", "queue")) ||
      !(summary = require_option (args, "handoff", "summary")))
    return FL_CLI_EXIT_USAGE;

  if (!check_enum ("impact", cli_args_get (args, "impact"), ENUM_CHECK (fl_grade_from_string)) ||
      !check_enum ("urgency", cli_args_get (args, "urgency"), ENUM_CHECK (fl_grade_from_string)))
    return FL_CLI_EXIT_USAGE;

  tried_values = g_hash_table_lookup (args->options, "tried");
  for (guint i = 0; tried_values != NULL && i < tried_values->len; i++)
    g_ptr_array_add (tried, g_ptr_array_index (tried_values, i));
  g_ptr_array_add (tried, NULL);

  request.queue = queue;
  request.summary = summary;
  request.steps_tried = (const char * const *) tried->pdata;
  request.impact = fl_grade_from_string (cli_args_get (args, "impact"), &impact)
                   ? (int) impact : FL_HANDOFF_KEEP_GRADE;
  request.urgency = fl_grade_from_string (cli_args_get (args, "urgency"), &urgency)
                    ? (int) urgency : FL_HANDOFF_KEEP_GRADE;
  request.contact = cli_args_get (args, "contact");

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(updated = fl_store_handoff (cli->store, ticket->id, &request, &error)))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

static int
cmd_resolve (FlCli   *cli,
             CliArgs *args)
{
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) updated = NULL;
  g_autoptr(GError) error = NULL;
  const char *code_text, *summary;
  FlResolutionCode code;

  if (!(code_text = require_option (args, "resolve", "code")) ||
      !(summary = require_option (args, "resolve", "summary")))
    return FL_CLI_EXIT_USAGE;

  if (!fl_resolution_code_from_string (code_text, &code) || code == FL_RESOLUTION_NONE)
    return usage_error (_("“%s” is not a resolution code: first_contact, solved, workaround, "
                          "duplicate, not_reproducible or withdrawn"), code_text);

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(updated = fl_store_resolve (cli->store, ticket->id, code, summary, &error)))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

static int
cmd_resolve_conflict (FlCli   *cli,
                      CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  gboolean keep_mine = cli_args_has (args, "keep-mine");
  gboolean take_theirs = cli_args_has (args, "take-theirs");

  if (keep_mine == take_theirs)
    return usage_error (_("“resolve-conflict” needs either --keep-mine or --take-theirs"));

  if (!open_store (cli, &error) ||
      !fl_store_resolve_conflict (cli->store, g_ptr_array_index (args->args, 0), keep_mine,
                                  &error))
    return fail_with_error (error);

  return FL_CLI_EXIT_OK;
}

/* -------------------------------------------------------------------------- */
/* Reading the cache                                                             */

static int
cmd_list (FlCli   *cli,
          CliArgs *args)
{
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GError) error = NULL;
  const char *status_text = cli_args_get (args, "status");
  FlStatus status = FL_STATUS_NEW;

  if (status_text != NULL && !fl_status_from_string (status_text, &status))
    return usage_error (_("“%s” is not a valid value for --%s"), status_text, "status");

  if (!open_store (cli, &error) ||
      !(tickets = fl_store_query_tickets (cli->store, FL_VIEW_ALL, NULL, 0, G_MAXINT32, &error)))
    return fail_with_error (error);

  if (cli_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "tickets");
      json_builder_begin_array (builder);
      for (guint i = 0; i < tickets->len; i++)
        {
          FlTicket *ticket = g_ptr_array_index (tickets, i);

          if (status_text == NULL || ticket->status == status)
            fl_ticket_build_json (ticket, builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      print_json (root);
      return FL_CLI_EXIT_OK;
    }

  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *ticket = g_ptr_array_index (tickets, i);
      g_autofree char *number = NULL;

      if (status_text != NULL && ticket->status != status)
        continue;

      print_out ("%-7s %s  %-11s P%d %s %s\n",
               ticket_number_or_dash (ticket, &number), ticket->id,
               fl_status_to_string (ticket->status), ticket->priority,
               ticket->pending > 0 ? "*" : " ", ticket->title);
    }

  return FL_CLI_EXIT_OK;
}

static int
cmd_show (FlCli   *cli,
          CliArgs *args)
{
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  g_autofree char *due = NULL;

  if (!open_store (cli, &error) ||
      !(ticket = lookup_ticket (cli, g_ptr_array_index (args->args, 0), &error)) ||
      !(events = fl_store_list_events (cli->store, ticket->id, &error)))
    return fail_with_error (error);

  if (cli_args_has (args, "json"))
    {
      g_autoptr(JsonObject) root = json_object_new ();
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = NULL;
      JsonNode *ticket_node = fl_ticket_to_json (ticket);

      if (ticket->pending > 0)
        json_object_set_boolean_member (json_node_get_object (ticket_node), "pending", TRUE);

      for (guint i = 0; i < events->len; i++)
        json_array_add_element (array, fl_event_to_json (g_ptr_array_index (events, i)));

      json_object_set_member (root, "ticket", ticket_node);
      json_object_set_array_member (root, "events", g_steal_pointer (&array));

      node = json_node_init_object (json_node_alloc (), root);
      print_json (node);
      return FL_CLI_EXIT_OK;
    }

  due = fl_ticket_format_due (ticket, fl_time_now ());
  print_out ("%s  %s\n", ticket_number_or_dash (ticket, &number), ticket->title);
  print_out (_("Id:        %s\n"), ticket->id);
  print_out (_("Status:    %s (level %d)%s\n"), fl_status_get_label (ticket->status), ticket->level,
           ticket->pending > 0 ? _(", changes not yet synced") : "");
  print_out (_("Priority:  P%d (impact %s, urgency %s)\n"), ticket->priority,
           fl_grade_get_label (ticket->impact), fl_grade_get_label (ticket->urgency));
  if (due != NULL && *due != '\0' && fl_status_is_open (ticket->status))
    print_out (_("Due:       %s\n"), due);
  print_out (_("Requester: %s\n"), ticket->requester.name);
  print_out (_("Category:  %s, channel %s\n"), ticket->category,
           fl_channel_get_label (ticket->channel));
  print_out (_("Queue:     %s, assignee %s\n"), ticket->queue,
           ticket->assignee ? ticket->assignee : _("nobody"));
  if (ticket->resolution_code != FL_RESOLUTION_NONE)
    print_out (_("Resolved:  %s — %s\n"), fl_resolution_code_get_label (ticket->resolution_code),
             ticket->resolution_summary ? ticket->resolution_summary : "");
  if (*ticket->description != '\0')
    print_out ("\n%s\n", ticket->description);

  g_print ("\n");
  for (guint i = 0; i < events->len; i++)
    {
      FlEvent *event = g_ptr_array_index (events, i);
      g_autofree char *at = fl_time_format (event->at);
      g_autofree char *text = fl_event_describe (event);
      g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

      /* A description may have several lines (one per changed field). */
      for (guint k = 0; lines[k] != NULL; k++)
        print_out ("%-24s  %-10s %s\n", k == 0 ? at : "", k == 0 ? event->author : "", lines[k]);
    }

  return FL_CLI_EXIT_OK;
}

static int
cmd_pending (FlCli   *cli,
             CliArgs *args)
{
  g_autoptr(GError) error = NULL;

  if (!open_store (cli, &error))
    return fail_with_error (error);

  g_print ("%u\n", fl_store_count_pending_ops (cli->store));
  return FL_CLI_EXIT_OK;
}

static int
cmd_conflicts (FlCli   *cli,
               CliArgs *args)
{
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;

  if (!open_store (cli, &error) ||
      !(conflicts = fl_store_list_conflicts (cli->store, &error)))
    return fail_with_error (error);

  if (cli_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "conflicts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < conflicts->len; i++)
        {
          FlConflict *c = g_ptr_array_index (conflicts, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, c->id);
          json_builder_set_member_name (builder, "ticket_id");
          json_builder_add_string_value (builder, c->ticket_id);
          json_builder_set_member_name (builder, "op_id");
          json_builder_add_string_value (builder, c->op_id);
          json_builder_set_member_name (builder, "fields");
          if (c->fields != NULL)
            json_builder_add_value (builder, json_node_init_object (json_node_alloc (), c->fields));
          else
            {
              json_builder_begin_object (builder);
              json_builder_end_object (builder);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      print_json (root);
      return FL_CLI_EXIT_OK;
    }

  for (guint i = 0; i < conflicts->len; i++)
    {
      FlConflict *c = g_ptr_array_index (conflicts, i);
      g_autoptr(FlTicket) ticket = fl_store_get_ticket (cli->store, c->ticket_id, NULL);
      g_autofree char *number = NULL;
      g_autoptr(GList) members = NULL;

      print_out (_("%s  ticket %s %s (%s)\n"), c->id,
               ticket ? ticket_number_or_dash (ticket, &number) : "-", c->ticket_id,
               fl_op_type_to_string (c->type));

      if (c->fields == NULL)
        continue;

      members = json_object_get_members (c->fields);
      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *field = json_object_get_member (c->fields, l->data);
          JsonObject *sides = JSON_NODE_HOLDS_OBJECT (field) ? json_node_get_object (field) : NULL;
          g_autofree char *mine = NULL;
          g_autofree char *theirs = NULL;

          if (sides == NULL)
            continue;

          mine = json_value_to_text (json_object_get_member (sides, "mine"));
          theirs = json_value_to_text (json_object_get_member (sides, "theirs"));
          print_out (_("  %s: mine %s, theirs %s\n"), (const char *) l->data, mine, theirs);
        }
    }

  return FL_CLI_EXIT_OK;
}

static int
cmd_checklist_list (FlCli   *cli,
                    CliArgs *args)
{
  g_autoptr(GPtrArray) definitions = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = cli_args_has (args, "json");
  g_autoptr(JsonArray) array = json_array_new ();

  if (!open_store (cli, &error) ||
      !(definitions = fl_store_list_checklists (cli->store, &error)))
    return fail_with_error (error);

  for (guint i = 0; i < definitions->len; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (g_ptr_array_index (definitions, i), NULL);
      g_autoptr(FlChecklist) checklist = NULL;
      JsonObject *obj;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;

      if (json)
        {
          json_array_add_element (array, g_steal_pointer (&node));
          continue;
        }

      obj = json_node_get_object (node);
      checklist = fl_checklist_new_from_json (node, NULL);
      print_out ("%-24s %3" G_GINT64_FORMAT "  %-10s %s\n",
               json_object_get_string_member_with_default (obj, "id", "?"),
               json_object_get_int_member_with_default (obj, "version", 0),
               json_object_get_string_member_with_default (obj, "category", ""),
               checklist ? fl_checklist_get_title (checklist, NULL) : "");
    }

  if (json)
    {
      g_autoptr(JsonObject) root = json_object_new ();
      g_autoptr(JsonNode) node = NULL;

      json_object_set_array_member (root, "checklists", g_steal_pointer (&array));
      node = json_node_init_object (json_node_alloc (), root);
      print_json (node);
    }

  return FL_CLI_EXIT_OK;
}

/* -------------------------------------------------------------------------- */
/* What the cache knows about a request: similar solved tickets, the caller     */

static int
cmd_similar (FlCli   *cli,
             CliArgs *args)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  FlSimilarQuery query = {
    .title = cli_args_get (args, "title"),
    .description = cli_args_get (args, "description"),
    .category = cli_args_get (args, "category"),
    .requester = cli_args_get (args, "requester"),
    .now = g_get_real_time () / 1000,
    .limit = 5,
  };

  if (require_option (args, "similar", "title") == NULL)
    return FL_CLI_EXIT_USAGE;

  if (!open_store (cli, &error) ||
      !(results = fl_store_find_similar (cli->store, &query, &error)))
    return fail_with_error (error);

  if (cli_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "tickets");
      json_builder_begin_array (builder);
      for (guint i = 0; i < results->len; i++)
        {
          FlSimilarResult *r = g_ptr_array_index (results, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "ticket");
          fl_ticket_build_json (r->ticket, builder);
          json_builder_set_member_name (builder, "score");
          json_builder_add_double_value (builder, r->score);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      print_json (root);
      return FL_CLI_EXIT_OK;
    }

  for (guint i = 0; i < results->len; i++)
    {
      FlSimilarResult *r = g_ptr_array_index (results, i);
      g_autofree char *number = NULL;

      print_out ("%-7s %5.2f  %-16s %s\n        %s\n",
                 ticket_number_or_dash (r->ticket, &number), r->score,
                 fl_resolution_code_to_string (r->ticket->resolution_code),
                 r->ticket->title,
                 r->ticket->resolution_summary ? r->ticket->resolution_summary : "");
    }

  return FL_CLI_EXIT_OK;
}

static int
cmd_history (FlCli   *cli,
             CliArgs *args)
{
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GError) error = NULL;
  const char *requester = g_ptr_array_index (args->args, 0);
  gint64 now = g_get_real_time () / 1000;

  if (!open_store (cli, &error) ||
      !(tickets = fl_store_list_requester_tickets (cli->store, requester, 10, &error)))
    return fail_with_error (error);

  if (cli_args_has (args, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "tickets");
      json_builder_begin_array (builder);
      for (guint i = 0; i < tickets->len; i++)
        fl_ticket_build_json (g_ptr_array_index (tickets, i), builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      print_json (root);
      return FL_CLI_EXIT_OK;
    }

  for (guint i = 0; i < tickets->len; i++)
    {
      FlTicket *ticket = g_ptr_array_index (tickets, i);
      g_autofree char *number = NULL;
      gint64 days = MAX (0, now - ticket->created_at) / (24 * G_GINT64_CONSTANT (3600000));
      /* TRANSLATORS: the age of a ticket in days, in the caller's history */
      g_autofree char *age = g_strdup_printf (ngettext ("%d day", "%d days", (unsigned long) days),
                                              (int) days);

      print_out ("%-7s %-11s %-9s %s\n", ticket_number_or_dash (ticket, &number),
                 fl_status_to_string (ticket->status), age, ticket->title);
    }

  return FL_CLI_EXIT_OK;
}

/* -------------------------------------------------------------------------- */
/* The command table                                                             */

static const CliOption new_options[] = {
  { "title", OPT_VALUE }, { "category", OPT_VALUE }, { "requester", OPT_VALUE },
  { "requester.email", OPT_VALUE }, { "requester.phone", OPT_VALUE },
  { "requester.department", OPT_VALUE }, { "requester.location", OPT_VALUE },
  { "channel", OPT_VALUE }, { "impact", OPT_VALUE }, { "urgency", OPT_VALUE },
  { "description", OPT_VALUE }, { "asset", OPT_VALUE },
  { NULL }
};

static const CliOption update_options[] = {
  { "title", OPT_VALUE }, { "description", OPT_VALUE }, { "asset", OPT_VALUE },
  { "channel", OPT_VALUE }, { "category", OPT_VALUE }, { "impact", OPT_VALUE },
  { "urgency", OPT_VALUE }, { "queue", OPT_VALUE }, { "status", OPT_VALUE },
  { "waiting_reason", OPT_VALUE }, { "follow_up_at", OPT_VALUE },
  { "requester", OPT_VALUE }, { "requester.name", OPT_VALUE },
  { "requester.email", OPT_VALUE }, { "requester.phone", OPT_VALUE },
  { "requester.department", OPT_VALUE }, { "requester.location", OPT_VALUE },
  { NULL }
};

static const CliOption login_options[] = { { "insecure", OPT_FLAG }, { NULL } };
static const CliOption note_options[] = { { "internal", OPT_FLAG }, { NULL } };
static const CliOption step_options[] = { { "value", OPT_VALUE }, { NULL } };
static const CliOption handoff_options[] = {
  { "queue", OPT_VALUE }, { "summary", OPT_VALUE }, { "tried", OPT_VALUE | OPT_REPEAT },
  { "impact", OPT_VALUE }, { "urgency", OPT_VALUE }, { "contact", OPT_VALUE },
  { NULL }
};
static const CliOption resolve_options[] = {
  { "code", OPT_VALUE }, { "summary", OPT_VALUE }, { NULL }
};
static const CliOption sync_options[] = { { "wait", OPT_VALUE }, { NULL } };
static const CliOption list_options[] = {
  { "status", OPT_VALUE }, { "json", OPT_FLAG }, { NULL }
};
static const CliOption json_options[] = { { "json", OPT_FLAG }, { NULL } };
static const CliOption similar_options[] = {
  { "title", OPT_VALUE }, { "description", OPT_VALUE }, { "category", OPT_VALUE },
  { "requester", OPT_VALUE }, { "json", OPT_FLAG }, { NULL }
};
static const CliOption resolve_conflict_options[] = {
  { "keep-mine", OPT_FLAG }, { "take-theirs", OPT_FLAG }, { NULL }
};
static const CliOption no_options[] = { { NULL } };
static const CliOption export_options[] = {
  { "from", OPT_VALUE }, { "to", OPT_VALUE }, { "status", OPT_VALUE }, { "category", OPT_VALUE },
  { "assignee", OPT_VALUE }, { NULL }
};

static const CliCommand commands[] = {
  { "login", N_("URL USERNAME [--insecure]   (password: first line of stdin; --insecure: "
                "allow http:// to another host)"), 2, 2, login_options, cmd_login },
  { "new", N_("--title T --category C --requester NAME [--channel phone] [--impact I] "
              "[--urgency U] [--description D] [--asset A]"), 0, 0, new_options, cmd_new },
  { "update", N_("ID --FIELD VALUE..."), 1, 1, update_options, cmd_update },
  { "note", N_("ID TEXT [--internal]"), 2, 2, note_options, cmd_note },
  { "claim", N_("ID"), 1, 1, no_options, cmd_claim },
  { "step", N_("ID CHECKLIST STEP OUTCOME [--value V]"), 4, 4, step_options, cmd_step },
  { "handoff", N_("ID --queue Q --summary S [--tried STEP]..."), 1, 1, handoff_options,
    cmd_handoff },
  { "resolve", N_("ID --code CODE --summary S"), 1, 1, resolve_options, cmd_resolve },
  { "sync", N_("[--wait SECONDS]"), 0, 0, sync_options, cmd_sync },
  { "list", N_("[--status S] [--json]"), 0, 0, list_options, cmd_list },
  { "show", N_("ID [--json]"), 1, 1, json_options, cmd_show },
  { "pending", "", 0, 0, no_options, cmd_pending },
  { "conflicts", N_("[--json]"), 0, 0, json_options, cmd_conflicts },
  { "resolve-conflict", N_("CONFLICT --keep-mine|--take-theirs"), 1, 1,
    resolve_conflict_options, cmd_resolve_conflict },
  { "checklist list", N_("[--json]"), 0, 0, json_options, cmd_checklist_list },
  { "checklist publish", N_("FILE"), 1, 1, no_options, cmd_checklist_publish },
  { "answer list", N_("[--json]"), 0, 0, json_options, cmd_answer_list },
  { "answer publish", N_("FILE"), 1, 1, no_options, cmd_answer_publish },
  { "similar", N_("--title T [--description D] [--category C] [--requester NAME] [--json]"),
    0, 0, similar_options, cmd_similar },
  { "history", N_("REQUESTER [--json]   (REQUESTER: a name, an e-mail address or a phone number)"),
    1, 1, json_options, cmd_history },
  { "export", N_("--from DATE --to DATE [--status S] [--category C] [--assignee U] FILE  "
                 "(CSV of the server's history; FILE - is stdout; role lead)"), 1, 1,
    export_options, cmd_export },
  { "passwd", N_("  (current and new password: first two lines of stdin)"), 0, 0, no_options,
    cmd_passwd },
};

static void
print_usage (void)
{
  g_print (_("Usage: %s [--cache FILE] COMMAND [ARGUMENTS]\n\n"), PROGRAM_NAME);
  g_print ("%s\n", _("Works on the local cache; only login, sync, passwd, checklist publish, answer publish and export talk to the server."));
  g_print ("\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %s %s %s\n", PROGRAM_NAME, commands[i].name,
             *commands[i].synopsis ? _(commands[i].synopsis) : "");
  g_print ("\n%s\n", _("Exit status: 0 done, 1 error, 2 usage, 3 server unreachable "
                       "(the change is kept), 4 sync left conflicts."));
}

static gboolean
is_help (const char *arg)
{
  return g_str_equal (arg, "--help") || g_str_equal (arg, "-h");
}

int
fl_cli_run (int    argc,
            char **argv)
{
  g_autoptr(CliArgs) args = NULL;
  g_autofree char *message = NULL;
  g_autofree char *name = NULL;
  const CliCommand *command = NULL;
  const char *cache = NULL;
  FlCli cli = { 0 };
  int status;
  int i = 1;

  g_set_prgname (PROGRAM_NAME);
  g_log_set_writer_func (log_writer_cb, NULL, NULL);

  /* Options before the command: --cache, --help, --version. */
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (is_help (argv[i]))
        {
          print_usage ();
          return FL_CLI_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--version"))
        {
          g_print ("%s %s\n", PROGRAM_NAME, PACKAGE_VERSION);
          return FL_CLI_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--cache"))
        {
          if (i + 1 >= argc)
            return usage_error (_("option “--%s” needs a value"), "cache");
          cache = argv[++i];
        }
      else if (g_str_has_prefix (argv[i], "--cache="))
        cache = argv[i] + strlen ("--cache=");
      else
        return usage_error (_("unknown option “%s”; see %s --help"), argv[i], PROGRAM_NAME);
    }

  if (i >= argc)
    return usage_error (_("no command given; see %s --help"), PROGRAM_NAME);

  if (g_str_equal (argv[i], "checklist"))
    {
      if (i + 1 >= argc || argv[i + 1][0] == '-')
        return usage_error (_("usage: %s checklist list [--json] | checklist publish FILE"),
                            PROGRAM_NAME);
      name = g_strconcat (argv[i], " ", argv[i + 1], NULL);
      i += 2;
    }
  else if (g_str_equal (argv[i], "answer"))
    {
      if (i + 1 >= argc || argv[i + 1][0] == '-')
        return usage_error (_("usage: %s answer list [--json] | answer publish FILE"),
                            PROGRAM_NAME);
      name = g_strconcat (argv[i], " ", argv[i + 1], NULL);
      i += 2;
    }
  else
    name = g_strdup (argv[i++]);

  for (guint k = 0; k < G_N_ELEMENTS (commands); k++)
    if (g_str_equal (commands[k].name, name))
      command = &commands[k];

  if (command == NULL)
    return usage_error (_("unknown command “%s”; see %s --help"), name, PROGRAM_NAME);

  for (int k = i; k < argc; k++)
    {
      if (g_str_equal (argv[k], "--"))
        break;
      if (is_help (argv[k]))
        {
          g_print (_("Usage: %s [--cache FILE] %s %s\n"), PROGRAM_NAME, command->name,
                   *command->synopsis ? _(command->synopsis) : "");
          return FL_CLI_EXIT_OK;
        }
    }

  args = cli_args_new ();
  if (!parse_args (command, argc - i, argv + i, args, &message))
    return usage_error ("%s", message);

  if (cli_args_get (args, "cache") != NULL)
    {
      if (cache != NULL)
        return usage_error (_("option “--%s” given more than once"), "cache");
      cache = cli_args_get (args, "cache");
    }

  if (cache != NULL && *cache == '\0')
    return usage_error (_("--cache needs a file name"));

  cli.cache_path = cache ? g_strdup (cache) : fl_context_dup_default_cache_path ();

  status = command->func (&cli, args);

  g_clear_object (&cli.checklists);
  g_clear_pointer (&cli.categories, g_ptr_array_unref);
  g_clear_object (&cli.store);
  g_free (cli.cache_path);

  return status;
}
