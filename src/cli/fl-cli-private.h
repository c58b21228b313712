/* fl-cli-private.h — what the files of firstline-cli share
 *
 * fl-cli.c holds the core (the command line, the command table, the cache,
 * messages and output); the commands live in fl-cli-tickets.c,
 * fl-cli-sync.c, fl-cli-library.c and fl-cli-export.c. This header declares
 * the types and helpers they share and the commands the table names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fl-checklist-library.h"
#include "fl-cli.h"
#include "fl-store.h"
#include "fl-ticket.h"

G_BEGIN_DECLS

typedef struct
{
  GHashTable *options;        /* name → GPtrArray of char* (flags: "") */
  GPtrArray  *args;           /* positional arguments, borrowed from argv */
} CliArgs;

typedef struct
{
  char               *cache_path;
  FlStore            *store;
  /* made on first use, as the app's FlContext does */
  FlChecklistLibrary *checklists;
  GPtrArray          *categories;
} FlCli;

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} Waiter;

/* Messages and output (fl-cli.c) */
void print_message (const char *message);
void print_out (const char *format,
                ...) G_GNUC_PRINTF (1, 2);
int fail (int         status,
          const char *format,
          ...) G_GNUC_PRINTF (2, 3);
int usage_error (const char *format,
                 ...) G_GNUC_PRINTF (1, 2);
int fail_with_error (const GError *error);
void print_json (JsonNode *node);

/* The command line (fl-cli.c) */
const char *cli_args_get (CliArgs    *args,
                          const char *name);
gboolean cli_args_has (CliArgs    *args,
                       const char *name);
const char *require_option (CliArgs    *args,
                            const char *command,
                            const char *name);

/* Helpers (fl-cli.c) */
gboolean open_store (FlCli   *cli,
                     GError **error);
FlChecklistLibrary *get_checklists (FlCli *cli);
GPtrArray *get_categories (FlCli *cli);
FlTicket *lookup_ticket (FlCli       *cli,
                         const char  *id_or_number,
                         GError     **error);
void on_async_done_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data);
void waiter_run (Waiter *waiter);
void waiter_clear (Waiter *waiter);
const char *ticket_number_or_dash (FlTicket *ticket,
                                   char    **buffer);

/* Local changes and reading the cache (fl-cli-tickets.c) */
int cmd_new (FlCli   *cli,
             CliArgs *args);
int cmd_update (FlCli   *cli,
                CliArgs *args);
int cmd_note (FlCli   *cli,
              CliArgs *args);
int cmd_claim (FlCli   *cli,
               CliArgs *args);
int cmd_step (FlCli   *cli,
              CliArgs *args);
int cmd_handoff (FlCli   *cli,
                 CliArgs *args);
int cmd_resolve (FlCli   *cli,
                 CliArgs *args);
int cmd_list (FlCli   *cli,
              CliArgs *args);
int cmd_show (FlCli   *cli,
              CliArgs *args);

/* Talking to the server (fl-cli-sync.c) */
int cmd_login (FlCli   *cli,
               CliArgs *args);
int cmd_sync (FlCli   *cli,
              CliArgs *args);
int cmd_passwd (FlCli   *cli,
                CliArgs *args);
int cmd_resolve_conflict (FlCli   *cli,
                          CliArgs *args);
int cmd_pending (FlCli   *cli,
                 CliArgs *args);
int cmd_conflicts (FlCli   *cli,
                   CliArgs *args);

/* Checklists, answers and what the cache knows about a request (fl-cli-library.c) */
int cmd_checklist_publish (FlCli   *cli,
                           CliArgs *args);
int cmd_answer_publish (FlCli   *cli,
                        CliArgs *args);
int cmd_answer_list (FlCli   *cli,
                     CliArgs *args);
int cmd_checklist_list (FlCli   *cli,
                        CliArgs *args);
int cmd_similar (FlCli   *cli,
                 CliArgs *args);
int cmd_history (FlCli   *cli,
                 CliArgs *args);

/* export (fl-cli-export.c) */
int cmd_export (FlCli   *cli,
                CliArgs *args);

G_END_DECLS
