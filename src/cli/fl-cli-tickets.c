/* fl-cli-tickets.c — the ticket commands of firstline-cli
 *
 * new, update, note, claim, step, handoff and resolve record a change in the
 * local cache as a pending operation that the next sync sends; list and show
 * read the cache. None of them talks to the server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-cli"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-categories.h"
#include "fl-checklist-engine.h"
#include "fl-checklist-library.h"
#include "fl-checklist.h"
#include "fl-cli-private.h"
#include "fl-store-actions.h"
#include "fl-store.h"
#include "fl-ticket.h"

/* The API's ticket fields an update may change, as command-line options. */
static const char * const update_fields[] = {
  "title", "description", "asset", "channel", "category", "impact", "urgency", "queue",
  "status", "waiting_reason", "follow_up_at", NULL
};

static const char * const requester_fields[] = {
  "name", "email", "phone", "department", "location", NULL
};

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

int
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

int
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

int
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

int
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

int
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

int
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

int
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

/* -------------------------------------------------------------------------- */
/* Reading the cache                                                             */

int
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

int
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
