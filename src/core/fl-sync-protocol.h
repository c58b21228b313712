/* fl-sync-protocol.h — POST /api/v1/sync: the request, the answer, one op's result
 *
 * The one definition of the sync exchange. The client builds a request and
 * reads the answer with it; the server reads the request and builds the answer
 * with it. Parsing checks every field the HTTP contract names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fl-ticket.h"

G_BEGIN_DECLS

#define FL_SYNC_MAX_OPS        500      /* ops per request; more: 422 */
#define FL_SYNC_DEFAULT_LIMIT  1000     /* events per answer */
#define FL_SYNC_MAX_LIMIT      5000
#define FL_SYNC_MAX_WAIT       30       /* long poll, seconds */

/* -------------------------------------------------------------------------- */
/* One op's result                                                              */

typedef enum
{
  FL_OP_RESULT_APPLIED,
  FL_OP_RESULT_DUPLICATE,
  FL_OP_RESULT_CONFLICT,
  FL_OP_RESULT_REJECTED,
} FlOpResultStatus;

#define FL_TYPE_OP_RESULT_STATUS (fl_op_result_status_get_type ())
GType        fl_op_result_status_get_type    (void) G_GNUC_CONST;
const char  *fl_op_result_status_to_string   (FlOpResultStatus  status);
gboolean     fl_op_result_status_from_string (const char       *str,
                                              FlOpResultStatus *out);

typedef struct
{
  char             *op_id;
  FlOpResultStatus  status;
  gint64            version;        /* applied, duplicate, conflict */
  gint64            number;         /* 0: none (null) */
  FlTicket         *current;        /* conflict: the ticket as it is now, or NULL */
  char             *error_code;     /* rejected: an API error code */
  char             *error_message;  /* rejected */
} FlOpResult;

FlOpResult  *fl_op_result_new                (const char       *op_id,
                                              FlOpResultStatus  status);
void         fl_op_result_free               (FlOpResult       *result);
JsonNode    *fl_op_result_to_json            (const FlOpResult *result);
/* Lenient, for what a server sent: NULL (without error) for an element that is
 * no result at all (not an object, no op_id); an unknown status reads as
 * rejected, "unknown result". */
FlOpResult  *fl_op_result_from_json          (JsonNode         *node);

/* -------------------------------------------------------------------------- */
/* Presence                                                                     */

/* Someone else's open ticket, from the server's presence list. */
typedef struct
{
  char     *ticket_id;
  char     *username;
  gboolean  editing;
} FlPresence;

FlPresence  *fl_presence_new                 (const char       *ticket_id,
                                              const char       *username,
                                              gboolean          editing);
FlPresence  *fl_presence_copy                (const FlPresence *presence);
void         fl_presence_free                (FlPresence       *presence);

/* -------------------------------------------------------------------------- */
/* The request                                                                  */

typedef struct
{
  char       *client_id;
  gint64      cursor;
  GPtrArray  *ops;                  /* FlOp, never NULL */
  gint64      limit;                /* 1 … FL_SYNC_MAX_LIMIT */
  gint64      wait;                 /* 0 … FL_SYNC_MAX_WAIT seconds */
  char       *viewing;              /* a ticket id, or NULL */
  gboolean    editing;
} FlSyncRequest;

FlSyncRequest *fl_sync_request_new           (const char       *client_id);
void         fl_sync_request_free            (FlSyncRequest    *request);
JsonNode    *fl_sync_request_to_json         (const FlSyncRequest *request);
GBytes      *fl_sync_request_to_bytes        (const FlSyncRequest *request);
/* Checks every field of the contract's request table, and every op (a malformed
 * one fails the whole request). Errors are FL_MODEL_ERROR_TYPE (400 bad_request)
 * or FL_MODEL_ERROR_INVALID (422 unprocessable), with the message for the answer.
 * limit and wait are clamped into their ranges. */
FlSyncRequest *fl_sync_request_from_json     (JsonNode         *node,
                                              GError          **error);
FlSyncRequest *fl_sync_request_parse         (const char       *data,
                                              gsize             length,
                                              GError          **error);

/* -------------------------------------------------------------------------- */
/* The answer                                                                   */

#define FL_SYNC_RESPONSE_ERROR (fl_sync_response_error_quark ())

typedef enum
{
  FL_SYNC_RESPONSE_ERROR_NOT_JSON,      /* not a JSON object */
  FL_SYNC_RESPONSE_ERROR_INCOMPLETE,    /* "results" or "cursor" missing */
  FL_SYNC_RESPONSE_ERROR_INVALID,       /* a ticket or an event that does not parse */
} FlSyncResponseError;

GQuark       fl_sync_response_error_quark    (void);

typedef struct
{
  GPtrArray  *results;              /* FlOpResult, in request order */
  GPtrArray  *tickets;              /* FlTicket */
  GPtrArray  *events;               /* FlEvent */
  GPtrArray  *checklists;           /* JsonNode, as published (checked by whoever stores them) */
  GPtrArray  *answers;              /* JsonNode: predefined answers, as published (likewise) */
  GPtrArray  *presence;             /* FlPresence */
  gint64      cursor;
  gboolean    more;
  gboolean    reset;
} FlSyncResponse;

/* Every array empty and owning its elements. */
FlSyncResponse *fl_sync_response_new         (void);
void         fl_sync_response_free           (FlSyncResponse   *response);
JsonNode    *fl_sync_response_to_json        (const FlSyncResponse *response);
/* Reads a server's answer: tickets and events must parse; results, presence
 * entries and checklists that make no sense are left out. With "reset" the
 * rest is not read. Errors in FL_SYNC_RESPONSE_ERROR. */
FlSyncResponse *fl_sync_response_from_json   (JsonNode         *node,
                                              GError          **error);
FlSyncResponse *fl_sync_response_parse       (const char       *data,
                                              gsize             length,
                                              GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlOpResult, fl_op_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlPresence, fl_presence_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlSyncRequest, fl_sync_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FlSyncResponse, fl_sync_response_free)

G_END_DECLS
