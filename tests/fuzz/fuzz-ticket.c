/* fuzz-ticket.c — a ticket as the server sends it: fl_ticket_from_json()
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "fl-json.h"
#include "fl-ticket.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FlTicket) ticket = NULL;
  g_autoptr(FlTicket) copy = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(FlTicket) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  g_autofree char *due = NULL;

  fl_fuzz_init ();

  if (!(root = fl_json_parse ((const char *) data, size, NULL)))
    return 0;
  ticket = fl_ticket_from_json (root, &error);
  g_assert ((ticket == NULL) == (error != NULL));
  if (ticket == NULL)
    return 0;

  number = fl_ticket_dup_display_number (ticket);
  due = fl_ticket_format_due (ticket, 1700000000000);
  copy = fl_ticket_copy (ticket);
  g_assert (fl_ticket_equal (ticket, copy));

  /* The cache keeps the server's copy as fl_ticket_to_json() wrote it and
   * reads it back with fl_ticket_from_json(): that must give the same ticket.
   * (A time of exactly 0 ms means "none" in the model and is written as null.) */
  json = fl_ticket_to_json (ticket);
  if (ticket->created_at != 0)
    {
      g_clear_error (&error);
      again = fl_ticket_from_json (json, &error);
      if (again == NULL)
        g_error ("a ticket written by fl_ticket_to_json() was refused: %s", error->message);
      g_assert (fl_ticket_equal (ticket, again));
    }

  return 0;
}
