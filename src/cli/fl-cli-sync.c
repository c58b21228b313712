/* fl-cli-sync.c — the commands of firstline-cli that sync
 *
 * login, sync and passwd talk to the server through FlSyncEngine; pending,
 * conflicts and resolve-conflict show and settle what a sync left behind
 * in the local cache.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-cli"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fl-cli-private.h"
#include "fl-credentials.h"
#include "fl-store.h"
#include "fl-sync-engine.h"

/* The longest password read from stdin. */
#define PASSWORD_MAX 1024
/* A long poll lasts at most this long (the API's limit). */
#define SYNC_WAIT_MAX 30

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

static char *
json_value_to_text (JsonNode *node)
{
  if (node == NULL)
    return g_strdup ("null");

  return json_to_string (node, FALSE);
}

/* -------------------------------------------------------------------------- */
/* Commands that talk to the server                                              */

int
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

int
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


/* passwd: the current and the new password, one line each on stdin */
int
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

int
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

int
cmd_pending (FlCli   *cli,
             CliArgs *args)
{
  g_autoptr(GError) error = NULL;

  if (!open_store (cli, &error))
    return fail_with_error (error);

  g_print ("%u\n", fl_store_count_pending_ops (cli->store));
  return FL_CLI_EXIT_OK;
}

int
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
