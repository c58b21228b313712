/* fuzz-sync-request.c — a body of POST /api/v1/sync as the server reads it
 *
 * fl_sync_request_parse() checks every field and op; what it accepts is
 * written with fl_sync_request_to_json() (what the client sends) and must be
 * read back the same.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-json.h"
#include "fl-sync-protocol.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FlSyncRequest) request = NULL;
  g_autoptr(FlSyncRequest) again = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  fl_fuzz_init ();

  if (!(request = fl_sync_request_parse ((const char *) data, size, &error)))
    {
      /* The server answers 400 or 422 with the message. */
      g_assert (error != NULL);
      g_assert (error->domain == FL_MODEL_ERROR);
      g_assert (error->code == FL_MODEL_ERROR_TYPE || error->code == FL_MODEL_ERROR_INVALID);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  g_assert (fl_uuid_is_valid (request->client_id));
  g_assert (request->cursor >= 0);
  g_assert (request->limit >= 1 && request->limit <= FL_SYNC_MAX_LIMIT);
  g_assert (request->wait >= 0 && request->wait <= FL_SYNC_MAX_WAIT);
  g_assert (request->viewing == NULL || fl_uuid_is_valid (request->viewing));
  g_assert (request->ops->len <= FL_SYNC_MAX_OPS);

  bytes = fl_sync_request_to_bytes (request);
  again = fl_sync_request_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (again == NULL)
    g_error ("a request as written does not parse again: %s", error->message);

  g_assert_cmpstr (again->client_id, ==, request->client_id);
  g_assert_cmpint (again->cursor, ==, request->cursor);
  g_assert_cmpint (again->limit, ==, request->limit);
  g_assert_cmpint (again->wait, ==, request->wait);
  g_assert_cmpstr (again->viewing, ==, request->viewing);
  g_assert_cmpint (again->editing, ==, request->editing);
  g_assert_cmpuint (again->ops->len, ==, request->ops->len);
  for (guint i = 0; i < request->ops->len; i++)
    {
      const FlOp *a = g_ptr_array_index (request->ops, i);
      const FlOp *b = g_ptr_array_index (again->ops, i);

      g_assert_cmpstr (a->op_id, ==, b->op_id);
      g_assert_cmpstr (a->ticket_id, ==, b->ticket_id);
      g_assert_cmpint (a->type, ==, b->type);
      g_assert_cmpint (a->base_version, ==, b->base_version);
      g_assert_cmpint (a->at, ==, b->at);
    }

  return 0;
}
