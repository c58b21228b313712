/* fl-store.h — the local SQLite cache: tickets, events, the outbox, sync state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fl-similar.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

#define FL_STORE_ERROR (fl_store_error_quark ())

typedef enum
{
  FL_STORE_ERROR_FAILED,         /* SQLite said no: disk full, corrupt file, … */
  FL_STORE_ERROR_TOO_NEW,        /* the file was written by a newer Firstline */
  FL_STORE_ERROR_NOT_FOUND,      /* no such ticket */
} FlStoreError;

GQuark fl_store_error_quark (void);

typedef enum
{
  FL_VIEW_INCOMING,              /* unassigned, open, 1st level */
  FL_VIEW_MINE,                  /* assigned to me, open */
  FL_VIEW_WAITING,
  FL_VIEW_ESCALATED,
  FL_VIEW_RESOLVED,              /* resolved or closed */
  FL_VIEW_ALL,
} FlView;

#define FL_N_VIEWS (FL_VIEW_ALL + 1)

const char *fl_view_to_string   (FlView      view);
gboolean    fl_view_from_string (const char *str,
                                 FlView     *out);
const char *fl_view_get_label   (FlView      view);

/* Where a "changed" emission comes from; also its detail: "changed::local",
 * "changed::sync", "changed::reset". */
typedef enum
{
  FL_STORE_ORIGIN_LOCAL,         /* an action here: a user's change, a decided conflict */
  FL_STORE_ORIGIN_SYNC,          /* pulled from the server */
  FL_STORE_ORIGIN_RESET,         /* pulled again from scratch after the server lost our cursor */
} FlStoreOrigin;

#define FL_TYPE_STORE_ORIGIN (fl_store_origin_get_type ())
GType       fl_store_origin_get_type    (void) G_GNUC_CONST;

/* One ticket's change, as the "changed" signal reports it. */
typedef struct
{
  FlTicket *old_ticket;          /* NULL: the ticket is new to the cache */
  FlTicket *new_ticket;          /* NULL: the ticket left the cache */
} FlStoreChange;

/* The state of a queued op. */
typedef enum
{
  FL_OP_STATE_PENDING,
  FL_OP_STATE_CONFLICT,
  FL_OP_STATE_REJECTED,
} FlOpState;

#define FL_STORE_SCHEMA_VERSION 6

/* Who acts in a cache that never logged in: not the account on this computer,
 * whose name means nothing to the team (the server names the author anyway). */
#define FL_STORE_LOCAL_USER "local"

#define FL_TYPE_STORE (fl_store_get_type ())
G_DECLARE_FINAL_TYPE (FlStore, fl_store, FL, STORE, GObject)

/* The origin of the "changed" emission running now (call from a handler). */
FlStoreOrigin fl_store_get_change_origin (FlStore       *self);

FlStore    *fl_store_new                 (const char     *path,
                                          GError        **error);
const char *fl_store_get_path            (FlStore        *self);
int         fl_store_get_schema_version  (FlStore        *self);

/* Identity and sync state */
const char *fl_store_get_client_id       (FlStore        *self);
const char *fl_store_get_username        (FlStore        *self);
FlRole      fl_store_get_role            (FlStore        *self);
gboolean    fl_store_set_user            (FlStore        *self,
                                          const char     *username,
                                          FlRole          role,
                                          GError        **error);
char       *fl_store_dup_state           (FlStore        *self,
                                          const char     *key);
gboolean    fl_store_set_state           (FlStore        *self,
                                          const char     *key,
                                          const char     *value,
                                          GError        **error);
const FlPolicy *fl_store_get_policy      (FlStore        *self);

/* Follow-ups of waiting tickets: the next follow-up time still to come (0: none);
 * and, once it has passed, each such ticket written again (it is then listed first,
 * fl_store_compare_tickets ()), with one "changed": how many. */
gint64      fl_store_get_next_follow_up  (FlStore        *self);
guint       fl_store_refresh_follow_ups  (FlStore        *self,
                                          GError        **error);

/* Reading */
FlTicket   *fl_store_get_ticket          (FlStore        *self,
                                          const char     *id_or_number,
                                          GError        **error);
GPtrArray  *fl_store_list_events         (FlStore        *self,
                                          const char     *ticket_id,
                                          GError        **error);
guint       fl_store_count_tickets       (FlStore        *self,
                                          FlView          view,
                                          const char     *query,
                                          GError        **error);
GPtrArray  *fl_store_query_tickets       (FlStore        *self,
                                          FlView          view,
                                          const char     *query,
                                          guint           offset,
                                          guint           limit,
                                          GError        **error);
/* Position of a ticket in @view's order if it were there, counting the tickets
 * in the view that sort before it, leaving out the ids in @exclude. */
guint       fl_store_count_before        (FlStore        *self,
                                          FlView          view,
                                          FlTicket       *ticket,
                                          GHashTable     *exclude,
                                          GError        **error);
gboolean    fl_store_ticket_in_view      (FlStore        *self,
                                          FlView          view,
                                          FlTicket       *ticket);
int         fl_store_compare_tickets     (FlTicket       *a,
                                          FlTicket       *b);

/* Turns what a person typed into an FTS5 query that cannot be a syntax error;
 * NULL when nothing is left to search for. */
char       *fl_store_build_match         (const char     *text);

/* Actions: each is one transaction that changes the ticket, appends its event and
 * queues its op — all or nothing. They return the ticket's new state. */
FlTicket   *fl_store_apply_local         (FlStore        *self,
                                          const char     *ticket_id,
                                          FlOpType        type,
                                          JsonObject     *data,
                                          GError        **error);
FlTicket   *fl_store_create_ticket       (FlStore        *self,
                                          JsonObject     *fields,
                                          GError        **error);
FlTicket   *fl_store_update_ticket       (FlStore        *self,
                                          const char     *ticket_id,
                                          JsonObject     *changes,
                                          GError        **error);
FlTicket   *fl_store_add_note            (FlStore        *self,
                                          const char     *ticket_id,
                                          const char     *body,
                                          gboolean        internal,
                                          GError        **error);
FlTicket   *fl_store_claim               (FlStore        *self,
                                          const char     *ticket_id,
                                          GError        **error);
FlTicket   *fl_store_resolve             (FlStore        *self,
                                          const char     *ticket_id,
                                          FlResolutionCode code,
                                          const char     *summary,
                                          GError        **error);
FlTicket   *fl_store_reopen              (FlStore        *self,
                                          const char     *ticket_id,
                                          const char     *reason,
                                          GError        **error);

/* The properties "pending-ops", "conflicts" and "rejected": counts kept up to
 * date after every change (notified when they change). */
guint       fl_store_get_pending_ops     (FlStore        *self);
guint       fl_store_get_conflicts       (FlStore        *self);
guint       fl_store_get_rejected        (FlStore        *self);

/* The outbox */
guint       fl_store_count_pending_ops   (FlStore        *self);
GPtrArray  *fl_store_list_pending_ops    (FlStore        *self,
                                          guint           limit,
                                          GError        **error);

/* Conflicts: an op the server refused because someone else changed the same thing.
 * @fields is {"FIELD": {"mine": V, "theirs": V}, …} */
typedef struct
{
  char       *id;
  char       *ticket_id;
  char       *op_id;
  FlOpType    type;
  JsonObject *fields;
  gint64      created_at;
} FlConflict;

void        fl_conflict_free             (FlConflict     *conflict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlConflict, fl_conflict_free)

guint       fl_store_count_conflicts     (FlStore        *self);
GPtrArray  *fl_store_list_conflicts      (FlStore        *self,
                                          GError        **error);
/* Keep mine: the op is made again on the ticket's current version.
 * Take theirs: the op is dropped. Either way the conflict is gone. */
gboolean    fl_store_resolve_conflict    (FlStore        *self,
                                          const char     *conflict_id,
                                          gboolean        keep_mine,
                                          GError        **error);

/* Ops the server rejected, kept with its reason so that nothing vanishes silently. */
typedef struct
{
  FlOp       *op;
  char       *error_code;
  char       *error_message;
} FlRejectedOp;

void        fl_rejected_op_free          (FlRejectedOp   *rejected);
/* Why the server refused it, in the user's language (the server's own message is logged). */
char       *fl_rejected_op_describe      (const FlRejectedOp *rejected);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlRejectedOp, fl_rejected_op_free)

GPtrArray  *fl_store_list_rejected_ops   (FlStore        *self,
                                          GError        **error);
/* Removes a rejected op once the person has seen it. */
gboolean    fl_store_dismiss_rejected_op (FlStore        *self,
                                          const char     *op_id,
                                          GError        **error);

/* Checklist definitions as published on the server (JSON text), newest version
 * of each id; and all versions by id and version. */
GPtrArray  *fl_store_list_checklists     (FlStore        *self,
                                          GError        **error);
char       *fl_store_dup_checklist       (FlStore        *self,
                                          const char     *id,
                                          gint64          version,
                                          GError        **error);

/* Drafts of notes: they survive switching tickets, syncs and restarts. */
char       *fl_store_dup_draft           (FlStore        *self,
                                          const char     *ticket_id,
                                          gboolean       *internal);
gboolean    fl_store_set_draft           (FlStore        *self,
                                          const char     *ticket_id,
                                          const char     *body,
                                          gboolean        internal,
                                          GError        **error);

/* Drafts of forms ("intake", "resolve:TICKET-ID"): what was typed into a form
 * that was not submitted, as a JSON object, until it is submitted or discarded.
 * They live beside the note drafts, under a key of their own. */
char       *fl_store_dup_form_draft      (FlStore        *self,
                                          const char     *form);
gboolean    fl_store_set_form_draft      (FlStore        *self,
                                          const char     *form,
                                          const char     *json,
                                          GError        **error);

/* Bulk insert of tickets (demo data, benchmarks, a pull from the server):
 * one transaction, one "changed" emission. The tickets become the server's state. */
gboolean    fl_store_put_tickets         (FlStore        *self,
                                          GPtrArray      *tickets,
                                          GPtrArray      *events,
                                          GError        **error);

/* The team's predefined answers (JsonNode, the format of fl-answer.h), by id:
 * those published on the server, and the built-in ones not published. */
GPtrArray  *fl_store_list_answers        (FlStore        *self,
                                          GError        **error);

/* Similar solved tickets (fl-similar.c ranks them), best first. */
typedef struct
{
  FlTicket *ticket;
  double    score;
} FlSimilarResult;

void        fl_similar_result_free       (FlSimilarResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlSimilarResult, fl_similar_result_free)

/* An array of FlSimilarResult. */
GPtrArray  *fl_store_find_similar        (FlStore        *self,
                                          const FlSimilarQuery *query,
                                          GError        **error);
/* The caller's tickets: all open ones, then the latest @recent of the others,
 * each newest first. A ticket is the caller's when its requester has all words
 * of @requester's name (diacritics ignored), or its e-mail or phone. */
GPtrArray  *fl_store_list_caller_tickets (FlStore        *self,
                                          const FlRequester *requester,
                                          guint           recent,
                                          GError        **error);
/* The same for one text: an e-mail address, a phone number, or a name. */
GPtrArray  *fl_store_list_requester_tickets (FlStore     *self,
                                          const char     *requester,
                                          guint           recent,
                                          GError        **error);
/* A possible duplicate of a new request: the caller's open ticket created less
 * than 72 hours before @now (ms) that is most similar to it, if the similarity
 * (fl_similar_text_similarity, plus FL_DUPLICATE_CATEGORY for the same category)
 * reaches FL_DUPLICATE_THRESHOLD; NULL otherwise. */
FlTicket   *fl_store_find_duplicate      (FlStore        *self,
                                          const FlRequester *requester,
                                          const char     *title,
                                          const char     *description,
                                          const char     *category,
                                          const char     *exclude_id,
                                          gint64          now,
                                          double         *out_similarity,
                                          GError        **error);

G_END_DECLS
