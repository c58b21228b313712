/* fl-conflicts-dialog.h — mine and theirs side by side; and what the server rejected
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-context.h"

G_BEGIN_DECLS

#define FL_TYPE_CONFLICTS_DIALOG (fl_conflicts_dialog_get_type ())
G_DECLARE_FINAL_TYPE (FlConflictsDialog, fl_conflicts_dialog, FL, CONFLICTS_DIALOG, AdwWindow)

FlConflictsDialog *fl_conflicts_dialog_new     (GtkWindow         *parent,
                                                FlContext         *context);
/* Number of conflicts and rejected changes shown. */
guint              fl_conflicts_dialog_get_n_items (FlConflictsDialog *self);

G_END_DECLS
