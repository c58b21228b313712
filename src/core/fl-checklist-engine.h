/* fl-checklist-engine.h — a checklist's progress on one ticket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fl-checklist.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

/* One recorded step. */
typedef struct
{
  char               *step_id;
  FlChecklistOutcome  outcome;
  char               *value;     /* nullable; set for input steps */
  char               *author;    /* "" when unknown */
  gint64              at;        /* ms since the epoch, 0 when unknown */
  guint               attempt;   /* 0 before the first restart, then 1, 2, … */
} FlChecklistRecord;

#define FL_TYPE_CHECKLIST_RUN (fl_checklist_run_get_type ())
G_DECLARE_FINAL_TYPE (FlChecklistRun, fl_checklist_run, FL, CHECKLIST_RUN, GObject)

/* Replays a ticket's events (FlEvent, in order; NULL for none) on @checklist.
 * Events of other types or other checklists are passed over; checklist events of
 * @checklist that do not fit (not the current step, wrong outcome, a step the
 * version does not have) are ignored and counted. Events recorded with another
 * version of the checklist are replayed by step id. */
FlChecklistRun          *fl_checklist_run_new               (FlChecklist        *checklist,
                                                             GPtrArray          *events);

FlChecklist             *fl_checklist_run_get_checklist     (FlChecklistRun     *self);
/* The step to take now; NULL when finished. */
const FlChecklistStep   *fl_checklist_run_get_current_step  (FlChecklistRun     *self);
/* FlChecklistRecord of the current attempt, in order (transfer none). */
GPtrArray               *fl_checklist_run_get_done_steps    (FlChecklistRun     *self);
/* Every applied record of every attempt, in order (transfer none). */
GPtrArray               *fl_checklist_run_get_records       (FlChecklistRun     *self);
/* The record of @step_id in the current attempt, or NULL. */
const FlChecklistRecord *fl_checklist_run_lookup_record     (FlChecklistRun     *self,
                                                             const char         *step_id);
/* What @step requires that is not done with "done" or "yes" in the current attempt, for
 * people: "“A”, “B” or “C”"; NULL when everything it requires is done. */
char                    *fl_checklist_run_dup_missing_requires (FlChecklistRun        *self,
                                                                const FlChecklistStep *step);
gboolean                 fl_checklist_run_is_started        (FlChecklistRun     *self);
gboolean                 fl_checklist_run_is_finished       (FlChecklistRun     *self);
/* The end reached (kind RESOLVE or ESCALATE), or NULL while not finished. */
const FlChecklistTarget *fl_checklist_run_get_result        (FlChecklistRun     *self);
guint                    fl_checklist_run_get_attempt       (FlChecklistRun     *self);
guint                    fl_checklist_run_get_n_ignored     (FlChecklistRun     *self);

/* Checks a proposed answer without recording it and returns where it branches. */
const FlChecklistTarget *fl_checklist_run_check_step        (FlChecklistRun     *self,
                                                             const char         *step_id,
                                                             FlChecklistOutcome  outcome,
                                                             const char         *value,
                                                             GError            **error);
/* The data of the `checklist` op that records the answer (after the same checks). */
JsonObject              *fl_checklist_run_make_step_data    (FlChecklistRun     *self,
                                                             const char         *step_id,
                                                             FlChecklistOutcome  outcome,
                                                             const char         *value,
                                                             GError            **error);
/* The data of the `checklist` op that starts the checklist over. */
JsonObject              *fl_checklist_run_make_restart_data (FlChecklistRun     *self);

/* Applies recorded op data (as made above) to the run. */
gboolean                 fl_checklist_run_apply             (FlChecklistRun     *self,
                                                             JsonObject         *data,
                                                             const char         *author,
                                                             gint64              at,
                                                             GError            **error);
/* Applies one event; TRUE without change for events of other types or checklists. */
gboolean                 fl_checklist_run_add_event         (FlChecklistRun     *self,
                                                             FlEvent            *event,
                                                             GError            **error);

/* "Step text — answer" (inputs: "Step text — value") for every record of every
 * attempt, in the current locale's language: the handoff's "steps tried". */
GStrv                    fl_checklist_run_dup_steps_tried   (FlChecklistRun     *self);
/* The checklist's title, the lines above and, when finished, the result: for a
 * resolution summary. */
char                    *fl_checklist_run_describe_steps    (FlChecklistRun     *self);

G_END_DECLS
