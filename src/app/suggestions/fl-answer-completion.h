/* fl-answer-completion.h — "::" and a few letters in a note insert a predefined answer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fl-store.h"

G_BEGIN_DECLS

#define FL_TYPE_ANSWER_COMPLETION (fl_answer_completion_get_type ())
G_DECLARE_FINAL_TYPE (FlAnswerCompletion, fl_answer_completion, FL, ANSWER_COMPLETION, GObject)

/* Watches @view: after "::" and up to 32 letters the answers whose keyword, id or
 * title (diacritics ignored) start with them are offered in a popover; Enter or
 * Tab (or a click) replaces "::letters" by the answer's body in the user's
 * language, its variables filled from the ticket and the agent. Signal
 * "answer-inserted" (const char *answer id). The completion belongs to @view. */
FlAnswerCompletion *fl_answer_completion_attach     (GtkTextView        *view,
                                                     FlStore            *store);
void                fl_answer_completion_set_ticket (FlAnswerCompletion *self,
                                                     FlTicket           *ticket);
/* The ids of the answers offered now (empty when no "::" is being typed). */
GStrv               fl_answer_completion_dup_matches (FlAnswerCompletion *self);
/* Inserts the first offered answer; FALSE when none is. */
gboolean            fl_answer_completion_accept     (FlAnswerCompletion *self);

G_END_DECLS
