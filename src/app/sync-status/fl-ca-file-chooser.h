/* fl-ca-file-chooser.h — choose the extra CA certificates with a file chooser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Binds @row to the "ca-file" key of @settings (a typed path is written when
 * applied) and adds "Choose…" and "Clear" buttons: the file chosen is written
 * to the key, and the sync engine uses it from its next request on (no restart). */
void fl_ca_file_chooser_add_to_row (AdwEntryRow *row,
                                    GSettings   *settings);

G_END_DECLS
