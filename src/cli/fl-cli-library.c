/* fl-cli-library.c — the checklist and answer commands of firstline-cli
 *
 * checklist and answer list and publish (publishing talks to the server),
 * and what the cache knows about a request: similar solved tickets and the
 * history of a requester.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "fl-answer.h"
#include "fl-checklist.h"
#include "fl-cli-private.h"
#include "fl-history.h"
#include "fl-json.h"
#include "fl-store.h"
#include "fl-sync-engine.h"
#include "fl-ticket.h"

/* A checklist definition to publish is read whole; the server takes at most 1 MiB. */
#define PUBLISH_MAX_BYTES (1024 * 1024)

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

int
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

int
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

int
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

int
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

int
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

int
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
