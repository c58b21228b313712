/* fl-cli-export.c — the export command of firstline-cli
 *
 * export fetches the server's history page by page and writes it as CSV to a
 * file (kept only when complete) or to stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "fl-cli-private.h"
#include "fl-history.h"
#include "fl-json.h"
#include "fl-store.h"
#include "fl-sync-engine.h"

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

int
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
