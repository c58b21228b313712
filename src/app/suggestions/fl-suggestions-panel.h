/* fl-suggestions-panel.h — similar solved tickets, the caller's history and a
 * possible duplicate, for the request being typed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fl-store.h"

G_BEGIN_DECLS

#define FL_TYPE_SUGGESTIONS_PANEL (fl_suggestions_panel_get_type ())
G_DECLARE_FINAL_TYPE (FlSuggestionsPanel, fl_suggestions_panel, FL, SUGGESTIONS_PANEL, GtkBox)

/* Signals: "copy-resolution" (FlTicket *), "open-ticket" (const char *id),
 * "add-note-instead" (const char *id of the possible duplicate). */

FlSuggestionsPanel *fl_suggestions_panel_new         (FlStore            *store);
/* Looks again, 250 ms after the last call, in a worker thread with its own
 * connection to the cache; a result older than the latest request is dropped.
 * @exclude_id (nullable): the ticket itself, in the ticket detail. */
void                fl_suggestions_panel_set_request (FlSuggestionsPanel *self,
                                                      const char         *title,
                                                      const char         *description,
                                                      const char         *category,
                                                      const FlRequester  *requester,
                                                      const char         *exclude_id);
/* How many searches have finished and been shown (for tests). */
guint               fl_suggestions_panel_get_serial  (FlSuggestionsPanel *self);
FlTicket           *fl_suggestions_panel_get_duplicate (FlSuggestionsPanel *self);

G_END_DECLS
