/* fl-history.h — the server's ticket history: queries, pages, CSV
 *
 * What the history view, the dashboard and `firstline-cli export` share: a filter turned
 * into a GET /api/v1/tickets query, the page answer read into tickets, and the export's
 * CSV rows (RFC 4180).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fl-ticket.h"

G_BEGIN_DECLS

/* Every member is optional (NULL or 0: any). @from and @to are what the API takes
 * (RFC 3339 times or YYYY-MM-DD; a date as @to includes that day). */
typedef struct
{
  char   *from;
  char   *to;
  char   *status;
  char   *category;
  char   *assignee;
  int     level;
  char   *queue;
  char   *q;
  /* the drill-down filters of GET /api/v1/tickets (docs/api.md) */
  char   *kpi;
  char   *resolved_by;
  char   *handed_off_by;
  char   *resolved_from;
  char   *resolved_to;
} FlHistoryFilter;

FlHistoryFilter *fl_history_filter_new    (void);
FlHistoryFilter *fl_history_filter_copy   (const FlHistoryFilter *filter);
void             fl_history_filter_free   (FlHistoryFilter       *filter);
gboolean         fl_history_filter_equal  (const FlHistoryFilter *a,
                                           const FlHistoryFilter *b);

/* "/api/v1/tickets?…" for @filter, @limit tickets, after the keyset cursor @after
 * (nullable: the first page). */
char            *fl_history_query_path    (const FlHistoryFilter *filter,
                                           const char            *after,
                                           guint                  limit);

/* A page answer {"tickets", "total", "next"?}: its tickets (FlTicket), and the cursor of
 * the next page in @next (NULL on the last). NULL with an error for a malformed one. */
GPtrArray       *fl_history_parse_page    (JsonNode              *page,
                                           gint64                *total,
                                           char                 **next,
                                           GError               **error);

/* Whether a ticket went to 2nd level (a handoff is the only way there). */
gboolean         fl_ticket_was_handed_off (FlTicket              *ticket);
/* Whether @ticket missed its due time at @now: resolved after due_at, or open past it.
 * Waiting time does not count: a ticket waiting now missed it only when it passed
 * due_at before it began to wait. A closed, never resolved ticket: FALSE. */
gboolean         fl_ticket_is_sla_breached (FlTicket             *ticket,
                                           gint64                 now);

/* RFC 4180: @value as one field (quoted when it has a comma, a quote, CR or LF). */
void             fl_csv_append_field      (GString               *out,
                                           const char            *value);
/* The export's header row and one ticket's row, each ending in CRLF. The columns:
 * number,id,title,status,priority,category,requester,assignee,level,queue,created_at,
 * resolved_at,due_at,resolution_code,handed_off,sla_breached */
void             fl_csv_append_header     (GString               *out);
void             fl_csv_append_ticket     (GString               *out,
                                           FlTicket              *ticket,
                                           gint64                 now);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlHistoryFilter, fl_history_filter_free)

G_END_DECLS
