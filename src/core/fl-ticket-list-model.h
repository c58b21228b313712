/* fl-ticket-list-model.h — a lazy GListModel of the tickets in one view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fl-store.h"

G_BEGIN_DECLS

#define FL_TICKET_LIST_PAGE_SIZE 64

#define FL_TYPE_TICKET_LIST_MODEL (fl_ticket_list_model_get_type ())
G_DECLARE_FINAL_TYPE (FlTicketListModel, fl_ticket_list_model, FL, TICKET_LIST_MODEL, GObject)

FlTicketListModel *fl_ticket_list_model_new         (FlStore           *store,
                                                     FlView             view);
FlStore           *fl_ticket_list_model_get_store   (FlTicketListModel *self);
FlView             fl_ticket_list_model_get_view    (FlTicketListModel *self);
void               fl_ticket_list_model_set_view    (FlTicketListModel *self,
                                                     FlView             view);
const char        *fl_ticket_list_model_get_query   (FlTicketListModel *self);
void               fl_ticket_list_model_set_query   (FlTicketListModel *self,
                                                     const char        *query);
/* The query whose results the model holds now: a search runs on a worker
 * thread, and until its results arrive on the main loop the model keeps its
 * rows and "searching" is TRUE. */
const char        *fl_ticket_list_model_get_applied_query (FlTicketListModel *self);
gboolean           fl_ticket_list_model_get_searching (FlTicketListModel *self);
/* Re-reads the view from the store (after a change the store did not report). */
void               fl_ticket_list_model_reload      (FlTicketListModel *self);
/* The position of the ticket with @id, or GTK_INVALID_LIST_POSITION-like G_MAXUINT. */
guint              fl_ticket_list_model_find        (FlTicketListModel *self,
                                                     const char        *id);
/* How many pages were read from SQLite so far (for tests and benchmarks). */
guint              fl_ticket_list_model_get_n_page_loads (FlTicketListModel *self);

G_END_DECLS
