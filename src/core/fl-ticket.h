/* fl-ticket.h — the ticket, its event and its op, with their JSON forms
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fl-types.h"

G_BEGIN_DECLS

/* Length limits for untrusted text (characters). */
#define FL_TITLE_MAX        200
#define FL_TEXT_MAX         20000     /* description, note body, summaries */
#define FL_SHORT_TEXT_MAX   200       /* names, phone, e-mail, asset, queue, category … */

typedef struct
{
  char *name;
  char *email;
  char *phone;
  char *department;
  char *location;
} FlRequester;

#define FL_TYPE_TICKET (fl_ticket_get_type ())
G_DECLARE_FINAL_TYPE (FlTicket, fl_ticket, FL, TICKET, GObject)

/* A ticket is a value: once handed out it is not changed; a change makes a copy.
 * Its fields may be read directly. Strings are never NULL except @assignee and
 * @resolution_summary; times are ms since the epoch, 0 for none. */
struct _FlTicket
{
  GObject           parent_instance;

  char             *id;
  gint64            number;           /* 0: not yet assigned by the server */
  gint64            version;
  gint64            seq;
  char             *title;
  char             *description;
  FlRequester       requester;
  char             *asset;
  FlChannel         channel;
  char             *category;
  FlGrade           impact;
  FlGrade           urgency;
  int               priority;
  FlStatus          status;
  int               level;
  char             *queue;
  char             *assignee;         /* nullable */
  FlResolutionCode  resolution_code;  /* FL_RESOLUTION_NONE: "resolution": null */
  char             *resolution_summary;
  char             *created_by;
  gint64            created_at;
  gint64            updated_at;
  gint64            resolved_at;
  gint64            due_at;
  gint64            waiting_since;    /* extension: when it entered "waiting", 0 otherwise */
  char             *waiting_reason;   /* extension: what it waits for, while waiting; nullable */
  gint64            follow_up_at;     /* extension: when to look at it again, while waiting; 0: none */

  /* Local cache only, never in JSON */
  guint             pending;          /* unsent ops on this ticket */
  gboolean          follow_up_due;    /* waiting, and its follow-up time has passed: listed first */
};

/* Resolve targets per priority, in milliseconds (index 0 = P1). */
typedef struct
{
  gint64 resolve_target[4];
} FlPolicy;

const FlPolicy *fl_policy_get_default (void);

FlTicket   *fl_ticket_new             (void);
FlTicket   *fl_ticket_copy            (FlTicket       *self);
gboolean    fl_ticket_equal           (FlTicket       *a,
                                       FlTicket       *b);

JsonNode   *fl_ticket_to_json         (FlTicket       *self);
void        fl_ticket_build_json      (FlTicket       *self,
                                       JsonBuilder    *builder);
char       *fl_ticket_to_string       (FlTicket       *self);
FlTicket   *fl_ticket_from_json       (JsonNode       *node,
                                       GError        **error);

/* The "time to due" a person reads: "2 h 05 min", "overdue 12 min". */
char       *fl_ticket_format_due      (FlTicket       *self,
                                       gint64          now);
/* The same in words, for a screen reader: "due in 2 hours 5 minutes". */
char       *fl_ticket_describe_due    (FlTicket       *self,
                                       gint64          now);
char       *fl_ticket_dup_display_number (FlTicket    *self);
/* Whether @self waits with a follow-up time at or before @now. */
gboolean    fl_ticket_is_follow_up_due (FlTicket      *self,
                                        gint64         now);

/* -------------------------------------------------------------------------- */

#define FL_TYPE_EVENT (fl_event_get_type ())
G_DECLARE_FINAL_TYPE (FlEvent, fl_event, FL, EVENT, GObject)

struct _FlEvent
{
  GObject      parent_instance;

  char        *id;
  char        *ticket_id;
  gint64       seq;              /* 0 while only local */
  gint64       at;
  char        *author;
  FlOpType     type;
  JsonObject  *data;
};

FlEvent    *fl_event_new              (const char     *id,
                                       const char     *ticket_id,
                                       gint64          seq,
                                       gint64          at,
                                       const char     *author,
                                       FlOpType        type,
                                       JsonObject     *data);
JsonNode   *fl_event_to_json          (FlEvent        *self);
void        fl_event_build_json       (FlEvent        *self,
                                       JsonBuilder    *builder);
FlEvent    *fl_event_from_json        (JsonNode       *node,
                                       GError        **error);
/* One line a person reads: "Status: New → In progress", "Internal note", … */
char       *fl_event_describe         (FlEvent        *self);

/* -------------------------------------------------------------------------- */

typedef struct
{
  char        *op_id;
  char        *ticket_id;
  FlOpType     type;
  gint64       base_version;
  gint64       at;
  JsonObject  *data;
} FlOp;

#define FL_TYPE_OP (fl_op_get_type ())
GType       fl_op_get_type            (void) G_GNUC_CONST;
FlOp       *fl_op_new                 (const char     *op_id,
                                       const char     *ticket_id,
                                       FlOpType        type,
                                       gint64          base_version,
                                       gint64          at,
                                       JsonObject     *data);
FlOp       *fl_op_copy                (const FlOp     *op);
void        fl_op_free                (FlOp           *op);
JsonNode   *fl_op_to_json             (const FlOp     *op);
void        fl_op_build_json          (const FlOp     *op,
                                       JsonBuilder    *builder);
FlOp       *fl_op_from_json           (JsonNode       *node,
                                       GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlOp, fl_op_free)

/* -------------------------------------------------------------------------- */

/* Checks an op's data against the op table (types, enums, lengths) without a ticket. */
gboolean    fl_op_validate_data       (FlOpType        type,
                                       JsonObject     *data,
                                       GError        **error);

/* Applies one op to @current (NULL for create) as @author with @role, and returns the
 * new state of the ticket, its version raised by one. @out_event_data receives the
 * event's data (for update: {"changes": {field: [old, new]}}).
 *
 * Errors: FL_MODEL_ERROR_TYPE / _INVALID (rejected), _FORBIDDEN (role), _CONFLICT
 * (claim of a ticket assigned to another, handoff of a resolved ticket). Conflicts that
 * depend on history (base_version) are the server's business, not this function's. */
FlTicket   *fl_ticket_apply           (FlTicket       *current,
                                       const FlOp     *op,
                                       const char     *author,
                                       FlRole          role,
                                       const FlPolicy *policy,
                                       JsonObject    **out_event_data,
                                       GError        **error);

/* Whether @user with @role may apply an op of @type to @ticket (NULL: the ticket
 * does not exist yet), by the same rules as fl_ticket_apply(): those that depend on
 * the ticket and the person, not on the op's data. For FL_OP_UPDATE the answer is
 * for a change of "status" (other fields may always be updated). */
gboolean    fl_ticket_can_apply       (FlTicket       *ticket,
                                       FlOpType        type,
                                       const char     *user,
                                       FlRole          role);

/* The field names an update op (or event) touches. */
GStrv       fl_op_dup_fields          (const FlOp     *op);

G_END_DECLS
