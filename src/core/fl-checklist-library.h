/* fl-checklist-library.h — which checklist definitions the app offers
 *
 * Built-in definitions (data/checklists) and those published on the server and
 * received by sync (the store). A published version wins over the built-in one of
 * the same id when its version is higher. A ticket that has checklist events keeps
 * the version it started with. No GTK here: tests use it headless.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-checklist-engine.h"
#include "fl-store.h"

G_BEGIN_DECLS

#define FL_TYPE_CHECKLIST_LIBRARY (fl_checklist_library_get_type ())
G_DECLARE_FINAL_TYPE (FlChecklistLibrary, fl_checklist_library, FL, CHECKLIST_LIBRARY, GObject)

/* $FIRSTLINE_CHECKLIST_DIR, else PKGDATADIR/checklists when installed, else NULL:
 * the checklists built into the program (fl-data.h). */
char               *fl_checklist_library_dup_default_dir   (void);

/* @builtin_dir: NULL for the default (fl_checklist_library_dup_default_dir ()). A directory that cannot be read leaves only
 * the store's definitions (with a warning in the log). */
FlChecklistLibrary *fl_checklist_library_new               (FlStore            *store,
                                                            const char         *builtin_dir);
/* Reads the store's definitions again (after a sync). TRUE when what is offered
 * changed; "changed" is emitted then, for everyone who shows the list. */
gboolean            fl_checklist_library_refresh           (FlChecklistLibrary *self);

/* The newest definition of each id, sorted by id (transfer none, FlChecklist). */
GPtrArray          *fl_checklist_library_list              (FlChecklistLibrary *self);
/* The newest definition of @id, or NULL (transfer none). */
FlChecklist        *fl_checklist_library_get_latest        (FlChecklistLibrary *self,
                                                            const char         *id);
/* Exactly @version of @id: the built-in one when its version matches, else the
 * store's; NULL when neither has it (transfer none). */
FlChecklist        *fl_checklist_library_lookup            (FlChecklistLibrary *self,
                                                            const char         *id,
                                                            gint64              version);
/* The first (by id) newest definition serving @category, or NULL (transfer none). */
FlChecklist        *fl_checklist_library_find_for_category (FlChecklistLibrary *self,
                                                            const char         *category);

/* The definition to replay @events (a ticket's FlEvent) with: the version of the
 * first event of @id when it is known, else the newest (transfer none). */
FlChecklist        *fl_checklist_library_get_for_events    (FlChecklistLibrary *self,
                                                            const char         *id,
                                                            GPtrArray          *events);
/* The checklist id of the latest checklist event in @events, or NULL. */
const char         *fl_checklist_library_get_last_used_id  (GPtrArray          *events);
/* The checklist to show for a ticket: the last one used on it, else the one for
 * its category; NULL when there is none (transfer none). */
FlChecklist        *fl_checklist_library_get_for_ticket    (FlChecklistLibrary *self,
                                                            FlTicket           *ticket,
                                                            GPtrArray          *events);
/* Replays @events on the right version of @id (NULL: none known). */
FlChecklistRun     *fl_checklist_library_new_run           (FlChecklistLibrary *self,
                                                            const char         *id,
                                                            GPtrArray          *events);
/* "Step — answer" for every checklist step recorded in @events, of every checklist
 * used, in the order of their first use: the handoff's "steps already tried". */
GStrv               fl_checklist_library_dup_steps_tried   (FlChecklistLibrary *self,
                                                            GPtrArray          *events);

G_END_DECLS
