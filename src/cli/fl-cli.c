/* fl-cli.c — the commands of firstline-cli
 *
 * A thin front on core: every command opens the local cache, does one thing
 * through FlStore (or FlSyncEngine for login, sync and publish) and maps the
 * outcome onto an exit status. The command line is parsed by hand so that
 * every misuse is one line on stderr and exit status 2.
 *
 * This file is the core: the command line, the command table, the cache and
 * the messages and output every command uses. The commands themselves live in
 * fl-cli-tickets.c, fl-cli-sync.c, fl-cli-library.c and fl-cli-export.c,
 * which share fl-cli-private.h.
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

#include "fl-answer.h"
#include "fl-categories.h"
#include "fl-checklist-engine.h"
#include "fl-checklist-library.h"
#include "fl-checklist.h"
#include "fl-cli.h"
#include "fl-cli-private.h"
#include "fl-context.h"
#include "fl-credentials.h"
#include "fl-history.h"
#include "fl-json.h"
#include "fl-store.h"
#include "fl-store-actions.h"
#include "fl-sync-engine.h"
#include "fl-ticket.h"

#define PROGRAM_NAME "firstline-cli"

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
void
print_message (const char *message)
{
  g_autofree char *line = fl_cli_sanitize (message);

  g_strdelimit (line, "\r\n\t", ' ');
  g_strchomp (line);
  g_printerr ("%s: %s\n", PROGRAM_NAME, line);
}

/* Text on stdout that holds server data (not --json): sanitized. */
void
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

int
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

int
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
int
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
void
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
const char *
cli_args_get (CliArgs    *args,
              const char *name)
{
  GPtrArray *values = g_hash_table_lookup (args->options, name);

  return values != NULL && values->len > 0 ? g_ptr_array_index (values, 0) : NULL;
}

gboolean
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
const char *
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

gboolean
open_store (FlCli   *cli,
            GError **error)
{
  if (cli->store == NULL)
    cli->store = fl_store_new (cli->cache_path, error);

  return cli->store != NULL;
}

/* The built-in and published checklists, as the app offers them. */
FlChecklistLibrary *
get_checklists (FlCli *cli)
{
  g_assert (cli->store != NULL);

  if (cli->checklists == NULL)
    cli->checklists = fl_checklist_library_new (cli->store, NULL);
  return cli->checklists;
}

/* The category list the intake form uses (data/categories.json). */
GPtrArray *
get_categories (FlCli *cli)
{
  if (cli->categories == NULL)
    cli->categories = fl_categories_load_default (NULL);
  return cli->categories;
}

/* The ticket @id_or_number names (a UUID or "#number"). */
FlTicket *
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


void
on_async_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter->result = g_object_ref (result);
  g_main_loop_quit (waiter->loop);
}

/* Runs the main loop until @waiter has its result. */
void
waiter_run (Waiter *waiter)
{
  if (waiter->result == NULL)
    g_main_loop_run (waiter->loop);
}

void
waiter_clear (Waiter *waiter)
{
  g_clear_pointer (&waiter->loop, g_main_loop_unref);
  g_clear_object (&waiter->result);
}



const char *
ticket_number_or_dash (FlTicket *ticket,
                       char    **buffer)
{
  if (ticket->number > 0)
    *buffer = g_strdup_printf ("#%" G_GINT64_FORMAT, ticket->number);
  else
    *buffer = g_strdup ("-");

  return *buffer;
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
