/* fl-intake-dialog-private.h — the dialog's widgets, for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-categories.h"
#include "fl-intake-dialog.h"
#include "fl-suggestions-panel.h"

G_BEGIN_DECLS

/* The row of a field (AdwEntryRow or AdwComboRow); for "description" the frame
 * around the text view. */
GtkWidget        *_fl_intake_dialog_get_field_widget (FlIntakeDialog *self,
                                                      const char     *field);
/* The label that explains what is wrong with a field (hidden when nothing is). */
GtkLabel         *_fl_intake_dialog_get_error_label  (FlIntakeDialog *self,
                                                      const char     *field);
GtkTextView      *_fl_intake_dialog_get_description_view (FlIntakeDialog *self);
GtkLabel         *_fl_intake_dialog_get_priority_label (FlIntakeDialog *self);
/* The message above the form (missing fields, a failed save); NULL when hidden. */
const char       *_fl_intake_dialog_get_message      (FlIntakeDialog *self);
GPtrArray        *_fl_intake_dialog_get_categories   (FlIntakeDialog *self);
/* The "discard?" question while it is shown, else NULL. */
AdwMessageDialog *_fl_intake_dialog_get_discard_dialog (FlIntakeDialog *self);

/* The panel of similar tickets, the caller's history and a possible duplicate. */
FlSuggestionsPanel *_fl_intake_dialog_get_suggestions (FlIntakeDialog *self);

G_END_DECLS
