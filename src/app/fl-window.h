/* fl-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-application.h"
#include "fl-ticket-list-model.h"

G_BEGIN_DECLS

#define FL_TYPE_WINDOW (fl_window_get_type ())
G_DECLARE_FINAL_TYPE (FlWindow, fl_window, FL, WINDOW, AdwApplicationWindow)

FlWindow          *fl_window_new            (FlApplication *application,
                                             FlContext     *context);
FlContext         *fl_window_get_context    (FlWindow      *self);
FlView             fl_window_get_view       (FlWindow      *self);
void               fl_window_set_view       (FlWindow      *self,
                                             FlView         view);
FlTicketListModel *fl_window_get_list_model (FlWindow      *self);
/* Selects and shows the ticket (a UUID or "#NUMBER"), switching to the All view
 * when the current view or search hides it; FALSE when the cache has no such ticket. */
gboolean           fl_window_show_ticket    (FlWindow      *self,
                                             const char    *id_or_number);
/* The ticket the detail pane shows, or NULL. */
FlTicket          *fl_window_get_shown_ticket (FlWindow    *self);
/* Opens the search bar with @text. */
void               fl_window_search         (FlWindow      *self,
                                             const char    *text);

G_END_DECLS
