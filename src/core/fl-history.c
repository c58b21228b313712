/* fl-history.c — the server's ticket history: queries, pages, CSV
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-history"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fl-history.h"
#include "fl-sync-engine.h"

FlHistoryFilter *
fl_history_filter_new (void)
{
  return g_new0 (FlHistoryFilter, 1);
}

FlHistoryFilter *
fl_history_filter_copy (const FlHistoryFilter *filter)
{
  FlHistoryFilter *copy;

  g_return_val_if_fail (filter != NULL, NULL);

  copy = g_new0 (FlHistoryFilter, 1);
  copy->from = g_strdup (filter->from);
  copy->to = g_strdup (filter->to);
  copy->status = g_strdup (filter->status);
  copy->category = g_strdup (filter->category);
  copy->assignee = g_strdup (filter->assignee);
  copy->level = filter->level;
  copy->queue = g_strdup (filter->queue);
  copy->q = g_strdup (filter->q);
  copy->kpi = g_strdup (filter->kpi);
  copy->resolved_by = g_strdup (filter->resolved_by);
  copy->handed_off_by = g_strdup (filter->handed_off_by);
  copy->resolved_from = g_strdup (filter->resolved_from);
  copy->resolved_to = g_strdup (filter->resolved_to);
  return copy;
}

void
fl_history_filter_free (FlHistoryFilter *filter)
{
  if (filter == NULL)
    return;
  g_free (filter->from);
  g_free (filter->to);
  g_free (filter->status);
  g_free (filter->category);
  g_free (filter->assignee);
  g_free (filter->queue);
  g_free (filter->q);
  g_free (filter->kpi);
  g_free (filter->resolved_by);
  g_free (filter->handed_off_by);
  g_free (filter->resolved_from);
  g_free (filter->resolved_to);
  g_free (filter);
}

gboolean
fl_history_filter_equal (const FlHistoryFilter *a,
                         const FlHistoryFilter *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return g_strcmp0 (a->from, b->from) == 0 && g_strcmp0 (a->to, b->to) == 0 &&
         g_strcmp0 (a->status, b->status) == 0 && g_strcmp0 (a->category, b->category) == 0 &&
         g_strcmp0 (a->assignee, b->assignee) == 0 && a->level == b->level &&
         g_strcmp0 (a->queue, b->queue) == 0 && g_strcmp0 (a->q, b->q) == 0 &&
         g_strcmp0 (a->kpi, b->kpi) == 0 && g_strcmp0 (a->resolved_by, b->resolved_by) == 0 &&
         g_strcmp0 (a->handed_off_by, b->handed_off_by) == 0 &&
         g_strcmp0 (a->resolved_from, b->resolved_from) == 0 &&
         g_strcmp0 (a->resolved_to, b->resolved_to) == 0;
}

static void
append_param (GString    *out,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL || *value == '\0')
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (out, "&%s=%s", name, escaped);
}

char *
fl_history_query_path (const FlHistoryFilter *filter,
                       const char            *after,
                       guint                  limit)
{
  GString *out = g_string_new ("/api/v1/tickets?");

  g_return_val_if_fail (filter != NULL, NULL);

  g_string_append_printf (out, "limit=%u", CLAMP (limit, 1, 500));
  append_param (out, "from", filter->from);
  append_param (out, "to", filter->to);
  append_param (out, "status", filter->status);
  append_param (out, "category", filter->category);
  append_param (out, "assignee", filter->assignee);
  if (filter->level == 1 || filter->level == 2)
    g_string_append_printf (out, "&level=%d", filter->level);
  append_param (out, "queue", filter->queue);
  append_param (out, "q", filter->q);
  append_param (out, "kpi", filter->kpi);
  append_param (out, "resolved_by", filter->resolved_by);
  append_param (out, "handed_off_by", filter->handed_off_by);
  append_param (out, "resolved_from", filter->resolved_from);
  append_param (out, "resolved_to", filter->resolved_to);
  append_param (out, "after", after);
  return g_string_free (out, FALSE);
}

GPtrArray *
fl_history_parse_page (JsonNode  *page,
                       gint64    *total,
                       char     **next,
                       GError   **error)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  JsonObject *obj;
  JsonNode *array;
  JsonNode *cursor;

  g_return_val_if_fail (page != NULL, NULL);

  if (next != NULL)
    *next = NULL;
  if (!JSON_NODE_HOLDS_OBJECT (page) ||
      !(array = json_object_get_member ((obj = json_node_get_object (page)), "tickets")) ||
      !JSON_NODE_HOLDS_ARRAY (array))
    {
      g_set_error (error, FL_SYNC_ERROR, FL_SYNC_ERROR_SERVER,
                   _("The server sent a malformed list of tickets"));
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (array)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (array), i);
      FlTicket *t = fl_ticket_from_json (node, error);

      if (t == NULL)
        return NULL;
      g_ptr_array_add (tickets, t);
    }

  if (total != NULL)
    *total = json_object_get_int_member_with_default (obj, "total", tickets->len);
  cursor = json_object_get_member (obj, "next");
  if (next != NULL && cursor != NULL && JSON_NODE_HOLDS_VALUE (cursor) &&
      json_node_get_value_type (cursor) == G_TYPE_STRING)
    *next = g_strdup (json_node_get_string (cursor));

  return g_steal_pointer (&tickets);
}

gboolean
fl_ticket_was_handed_off (FlTicket *ticket)
{
  g_return_val_if_fail (FL_IS_TICKET (ticket), FALSE);

  return ticket->level == 2;
}

gboolean
fl_ticket_is_sla_breached (FlTicket *ticket,
                           gint64    now)
{
  g_return_val_if_fail (FL_IS_TICKET (ticket), FALSE);

  if (ticket->due_at == 0)
    return FALSE;
  if (ticket->resolution_code != FL_RESOLUTION_NONE && ticket->resolved_at > 0)
    return ticket->resolved_at > ticket->due_at;
  if (!fl_status_is_open (ticket->status))
    return FALSE;
  if (ticket->status == FL_STATUS_WAITING && ticket->waiting_since > 0)
    return ticket->waiting_since > ticket->due_at;
  return now > ticket->due_at;
}

void
fl_csv_append_field (GString    *out,
                     const char *value)
{
  g_return_if_fail (out != NULL);

  if (value == NULL)
    return;
  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (out, value);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

void
fl_csv_append_header (GString *out)
{
  g_return_if_fail (out != NULL);

  g_string_append (out, "number,id,title,status,priority,category,requester,assignee,level,"
                        "queue,created_at,resolved_at,due_at,resolution_code,handed_off,"
                        "sla_breached\r\n");
}

static void
append_time (GString *out,
             gint64   ms)
{
  g_autofree char *text = ms > 0 ? fl_time_format (ms) : NULL;

  g_string_append_c (out, ',');
  fl_csv_append_field (out, text);
}

void
fl_csv_append_ticket (GString  *out,
                      FlTicket *t,
                      gint64    now)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (FL_IS_TICKET (t));

  if (t->number > 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, t->number);
  g_string_append_c (out, ',');
  fl_csv_append_field (out, t->id);
  g_string_append_c (out, ',');
  fl_csv_append_field (out, t->title);
  g_string_append_c (out, ',');
  fl_csv_append_field (out, fl_status_to_string (t->status));
  g_string_append_printf (out, ",%d,", t->priority);
  fl_csv_append_field (out, t->category);
  g_string_append_c (out, ',');
  fl_csv_append_field (out, t->requester.name);
  g_string_append_c (out, ',');
  fl_csv_append_field (out, t->assignee);
  g_string_append_printf (out, ",%d,", t->level);
  fl_csv_append_field (out, t->queue);
  append_time (out, t->created_at);
  append_time (out, t->resolved_at);
  append_time (out, t->due_at);
  g_string_append_c (out, ',');
  if (t->resolution_code != FL_RESOLUTION_NONE)
    fl_csv_append_field (out, fl_resolution_code_to_string (t->resolution_code));
  g_string_append_printf (out, ",%s,%s\r\n",
                          fl_ticket_was_handed_off (t) ? "true" : "false",
                          fl_ticket_is_sla_breached (t, now) ? "true" : "false");
}
