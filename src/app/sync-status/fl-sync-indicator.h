/* fl-sync-indicator.h — online, syncing, offline, error or login needed; unsent changes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "fl-sync-engine.h"

G_BEGIN_DECLS

#define FL_TYPE_SYNC_INDICATOR (fl_sync_indicator_get_type ())
G_DECLARE_FINAL_TYPE (FlSyncIndicator, fl_sync_indicator, FL, SYNC_INDICATOR, AdwBin)

void        fl_sync_indicator_set_engine (FlSyncIndicator *self,
                                          FlSyncEngine    *engine);
/* What the indicator shows, e.g. "Offline · 2 unsent". */
const char *fl_sync_indicator_get_text   (FlSyncIndicator *self);

G_END_DECLS
