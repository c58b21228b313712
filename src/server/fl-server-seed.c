/* fl-server-seed.c — demo users and a few hundred realistic tickets
 *
 * Every ticket is made by applying ops, exactly as clients would, so its events,
 * numbers and report figures are consistent. A fixed random seed makes it repeatable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-server-seed"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fl-auth.h"
#include "fl-checklist-engine.h"
#include "fl-server-seed.h"

#define N_TICKETS  320
#define DAYS       60
#define MINUTE     (60 * 1000LL)
#define HOUR       (60 * MINUTE)

typedef struct
{
  const char *username;
  const char *display_name;
  FlRole      role;
} DemoUser;

static const DemoUser demo_users[] = {
  { "alex", "Alex Berger", FL_ROLE_AGENT },
  { "jana", "Jana Krüger", FL_ROLE_AGENT },
  { "sam", "Sam Okafor", FL_ROLE_SPECIALIST },
  { "mia", "Mia Lehmann", FL_ROLE_SPECIALIST },
  { "lee", "Lee Hoffmann", FL_ROLE_LEAD },
};

typedef struct
{
  const char *name;
  const char *email;
  const char *phone;
  const char *department;
  const char *location;
} DemoRequester;

static const DemoRequester requesters[] = {
  { "Petra Schulz", "petra.schulz@example.org", "+49 30 1234-210", "Buchhaltung", "Berlin, Haus A 2.14" },
  { "Markus Weber", "markus.weber@example.org", "+49 30 1234-233", "Vertrieb", "Berlin, Haus A 3.02" },
  { "Emily Carter", "emily.carter@example.org", "+44 20 7946-0102", "Marketing", "London, Floor 4" },
  { "Jürgen Maier", "juergen.maier@example.org", "+49 89 5555-118", "Einkauf", "München, 1. OG" },
  { "Sofia Rossi", "sofia.rossi@example.org", "+49 30 1234-451", "Personal", "Berlin, Haus B 1.07" },
  { "Tom Becker", "tom.becker@example.org", "+49 40 3344-020", "Logistik", "Hamburg, Lager" },
  { "Aylin Yılmaz", "aylin.yilmaz@example.org", "+49 30 1234-377", "Kundenservice", "Berlin, Haus A 0.11" },
  { "David Brown", "david.brown@example.org", "+44 20 7946-0155", "Finance", "London, Floor 2" },
  { "Claudia Fischer", "claudia.fischer@example.org", "+49 89 5555-140", "Geschäftsführung", "München, 3. OG" },
  { "Lukas Wagner", "lukas.wagner@example.org", "+49 30 1234-512", "Entwicklung", "Berlin, Haus C 2.01" },
  { "Hannah Schmitt", "hannah.schmitt@example.org", "+49 40 3344-061", "Empfang", "Hamburg, EG" },
  { "Oliver Green", "oliver.green@example.org", "+44 20 7946-0188", "Sales", "London, Floor 3" },
};

typedef struct
{
  const char *category;
  const char *checklist;
  const char *title;
  const char *description;
  const char *asset_prefix;
  const char *solution;
} DemoCase;

static const DemoCase cases[] = {
  { "password", "password-reset", "Passwort vergessen",
    "Benutzer hat sein Windows-Passwort vergessen und ist ausgesperrt.", "NB",
    "Identität per Rückruf geprüft, Passwort zurückgesetzt, Anmeldung bestätigt." },
  { "password", "password-reset", "Password expired, cannot change it",
    "User gets 'password does not meet requirements' when changing the expired password.", "NB",
    "Explained the complexity rules; user set a compliant password." },
  { "account", "account-lockout", "Konto gesperrt nach Urlaub",
    "Nach drei Wochen Urlaub ist das Konto gesperrt, Outlook fragt ständig nach dem Passwort.", "NB",
    "Altes Passwort im Smartphone-Mailkonto gespeichert; entfernt und Konto entsperrt." },
  { "account", "account-lockout", "Account locked repeatedly",
    "Account locks every morning around 9:00.", "PC",
    "Stale mapped drive credentials removed from Credential Manager." },
  { "software", "software-install", "Installation von Adobe Reader",
    "Benutzer benötigt Adobe Reader für Rechnungsprüfung, keine Adminrechte.", "PC",
    "Paket über Softwareverteilung bereitgestellt, Start geprüft." },
  { "software", "software-install", "Teams crashes on start",
    "Microsoft Teams closes immediately after the splash screen since the last update.", "NB",
    "Cleared the Teams cache and reinstalled the client." },
  { "network", "network-no-connection", "Kein Netzwerk am Arbeitsplatz",
    "PC zeigt 'Kein Internetzugriff', Kollegen im selben Raum haben Netz.", "PC",
    "Patchkabel defekt, getauscht." },
  { "network", "vpn", "VPN verbindet nicht im Homeoffice",
    "VPN-Client meldet Zeitüberschreitung bei der Anmeldung, Internet zu Hause funktioniert.", "NB",
    "Abgelaufenes Maschinenzertifikat erneuert." },
  { "network", "vpn", "Cannot log in to VPN",
    "VPN rejects the login with error 691 since this morning.", "NB",
    "User was not in the VPN group after the department move; group added." },
  { "hardware", "new-hardware", "Neuer Monitor für Arbeitsplatz",
    "Zweiter Monitor gewünscht, Genehmigung der Abteilungsleitung liegt vor.", "MON",
    "Monitor geliefert und angeschlossen." },
  { "hardware", "new-hardware", "Laptop battery swollen",
    "Laptop case bulges at the bottom; the touchpad no longer clicks.", "NB",
    "Device replaced under warranty; data migrated." },
  { "printer", "printer", "Drucker druckt nur leere Seiten",
    "Etagendrucker 2. OG gibt nur leere Blätter aus, Toner laut Anzeige voll.", "PRN",
    "Versiegelungsstreifen an der neuen Tonerkartusche entfernt." },
  { "printer", "printer", "Printer not found after move",
    "After moving desks the default printer is missing.", "PRN",
    "Added the floor printer via the print server." },
  { "email", "email", "Postfach voll",
    "Outlook meldet, dass das Postfach die Größenbeschränkung erreicht hat.", "NB",
    "Archivierung eingerichtet, alte Anhänge gelöscht." },
  { "email", "email", "Emails stuck in outbox",
    "Messages stay in the outbox; receiving works.", "NB",
    "A 60 MB attachment blocked the queue; sent a share link instead." },
  { "other", "other", "Telefon am Arbeitsplatz ohne Freizeichen",
    "Tischtelefon zeigt 'Registrierung fehlgeschlagen'.", "TEL",
    "PoE-Port am Switch neu gestartet." },
};

static const char * const notes_de[] = {
  "Benutzer zurückgerufen, nicht erreicht. Neuer Versuch am Nachmittag.",
  "Fernwartung durchgeführt, Ereignisprotokoll gesichert.",
  "Benutzer bestätigt, dass das Problem seit gestern besteht.",
  "Rückfrage an Teamleitung wegen Genehmigung gestellt.",
};

static const char * const notes_en[] = {
  "Called the user back, no answer. Will try again this afternoon.",
  "Remote session done, event log saved.",
  "User confirms the issue started yesterday.",
  "Asked the manager for approval.",
};


typedef struct
{
  FlServerStore *store;
  GRand        *rand;
  FlServerUser *users[G_N_ELEMENTS (demo_users)];
  char         *clients[G_N_ELEMENTS (demo_users)];
  GPtrArray    *checklists;     /* FlChecklist, may be NULL */
} Seed;

static FlServerUser *
user_named (Seed       *seed,
            const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
    if (g_str_equal (seed->users[i]->username, name))
      return seed->users[i];
  g_assert_not_reached ();
}

static const char *
client_of (Seed               *seed,
           const FlServerUser *user)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
    if (seed->users[i] == user)
      return seed->clients[i];
  g_assert_not_reached ();
}

/* Applies one op; returns the new version (0 when it was not applied). */
static gint64
apply (Seed               *seed,
       const char         *ticket_id,
       FlOpType            type,
       gint64              base_version,
       gint64              at,
       JsonObject         *data,
       const FlServerUser *user,
       GError            **error)
{
  g_autofree char *op_id = fl_uuid_new ();
  g_autoptr(FlOp) op = fl_op_new (op_id, ticket_id, type, base_version, at, data);
  g_autoptr(GPtrArray) ops = g_ptr_array_new ();
  g_autoptr(GPtrArray) results = NULL;
  FlApplyResult *result;

  g_ptr_array_add (ops, op);
  results = fl_server_store_apply_batch (seed->store, ops, client_of (seed, user), user, error);
  if (results == NULL)
    return -1;
  result = g_ptr_array_index (results, 0);
  if (result->status != FL_OP_RESULT_APPLIED)
    {
      g_debug ("demo op %s not applied: %s", fl_op_type_to_string (type),
               result->error_message ? result->error_message : "conflict");
      return 0;
    }
  return result->version;
}

static FlChecklist *
find_checklist (Seed       *seed,
                const char *id)
{
  for (guint i = 0; seed->checklists != NULL && i < seed->checklists->len; i++)
    if (g_strcmp0 (fl_checklist_get_id (g_ptr_array_index (seed->checklists, i)), id) == 0)
      return g_ptr_array_index (seed->checklists, i);
  return NULL;
}

/* Answers up to @n steps of the ticket's checklist as an agent would: inputs get a
 * plausible value, questions a yes or no, checks are done. Returns the version. */
static gint64
walk_checklist (Seed               *seed,
                FlChecklistRun     *run,
                const char         *ticket_id,
                gint64              version,
                gint64             *at,
                guint               n,
                const char         *value,
                const FlServerUser *user,
                GError            **error)
{
  for (guint i = 0; run != NULL && i < n && version > 0; i++)
    {
      const FlChecklistStep *step = fl_checklist_run_get_current_step (run);
      FlChecklistOutcome outcome = FL_CHECKLIST_OUTCOME_DONE;
      g_autoptr(JsonObject) data = NULL;
      const char *v = NULL;

      if (step == NULL)
        break;

      if (step->kind == FL_CHECKLIST_STEP_QUESTION)
        outcome = g_rand_boolean (seed->rand) ? FL_CHECKLIST_OUTCOME_YES : FL_CHECKLIST_OUTCOME_NO;
      else if (step->kind == FL_CHECKLIST_STEP_INPUT)
        v = step->example ? step->example : value;

      data = fl_checklist_run_make_step_data (run, step->id, outcome, v, NULL);
      if (data == NULL && step->kind == FL_CHECKLIST_STEP_QUESTION)
        {
          outcome = outcome == FL_CHECKLIST_OUTCOME_YES ? FL_CHECKLIST_OUTCOME_NO : FL_CHECKLIST_OUTCOME_YES;
          data = fl_checklist_run_make_step_data (run, step->id, outcome, v, NULL);
        }
      if (data == NULL)
        break;

      *at += g_rand_int_range (seed->rand, 1, 6) * MINUTE;
      version = apply (seed, ticket_id, FL_OP_CHECKLIST, version, *at, data, user, error);
      if (version > 0)
        fl_checklist_run_apply (run, data, user->username, *at, NULL);
    }

  return version;
}

#define FRESH_TICKETS 24

static gboolean
seed_ticket (Seed    *seed,
             guint    index,
             gint64   now,
             GError **error)
{
  const DemoCase *c = &cases[g_rand_int_range (seed->rand, 0, G_N_ELEMENTS (cases))];
  const DemoRequester *r = &requesters[g_rand_int_range (seed->rand, 0, G_N_ELEMENTS (requesters))];
  FlServerUser *agent = seed->users[g_rand_int_range (seed->rand, 0, 2)];
  FlServerUser *specialist = seed->users[2 + g_rand_int_range (seed->rand, 0, 2)];
  FlServerUser *lead = user_named (seed, "lee");
  static const char * const channels[] = { "phone", "phone", "phone", "email", "walk_in", "chat", "portal" };
  static const char * const grades[] = { "low", "medium", "medium", "high" };
  g_autofree char *ticket_id = fl_uuid_new ();
  g_autofree char *asset = NULL;
  gboolean german = g_str_has_suffix (c->description, ".") && g_utf8_strchr (c->description, -1, 0x00E4) != NULL;
  JsonObject *data, *req;
  g_autoptr(FlChecklistRun) run = NULL;
  gint64 at, version;
  guint roll;
  /* The first few are this morning's calls, so the demo has an incoming queue. */
  gint64 age_ms = index < FRESH_TICKETS
                  ? (gint64) (g_rand_double (seed->rand) * 4 * HOUR) + 10 * MINUTE
                  : (gint64) (g_rand_double (seed->rand) * DAYS * 24 * HOUR);

  /* Office hours, spread over the last 60 days. */
  at = now - age_ms;
  if (index >= FRESH_TICKETS)
  {
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (at / 1000);
    int hour = g_date_time_get_hour (dt);
    if (hour < 7 || hour > 16)
      at -= (gint64) ((hour + 24 - 9) % 24) * HOUR;
  }
  if (at > now - 10 * MINUTE)
    at = now - 10 * MINUTE - index * MINUTE;

  asset = g_strdup_printf ("%s-%04d", c->asset_prefix, g_rand_int_range (seed->rand, 1, 900));

  data = json_object_new ();
  req = json_object_new ();
  json_object_set_string_member (data, "title", c->title);
  json_object_set_string_member (data, "description", c->description);
  json_object_set_string_member (req, "name", r->name);
  json_object_set_string_member (req, "email", r->email);
  json_object_set_string_member (req, "phone", r->phone);
  json_object_set_string_member (req, "department", r->department);
  json_object_set_string_member (req, "location", r->location);
  json_object_set_object_member (data, "requester", req);
  json_object_set_string_member (data, "asset", asset);
  json_object_set_string_member (data, "channel", channels[g_rand_int_range (seed->rand, 0, G_N_ELEMENTS (channels))]);
  json_object_set_string_member (data, "category", c->category);
  json_object_set_string_member (data, "impact", grades[g_rand_int_range (seed->rand, 0, 4)]);
  json_object_set_string_member (data, "urgency", grades[g_rand_int_range (seed->rand, 0, 4)]);
  version = apply (seed, ticket_id, FL_OP_CREATE, 0, at, data, agent, error);
  json_object_unref (data);
  if (version <= 0)
    return version == 0;

  /* The newest tickets are still waiting in the incoming queue. */
  if (index < FRESH_TICKETS / 2 || (age_ms < 3 * HOUR && g_rand_boolean (seed->rand)))
    return TRUE;

  at += g_rand_int_range (seed->rand, 1, 20) * MINUTE;
  data = json_object_new ();
  version = apply (seed, ticket_id, FL_OP_CLAIM, version, at, data, agent, error);
  json_object_unref (data);
  if (version <= 0)
    return version == 0;

  {
    FlChecklist *checklist = find_checklist (seed, c->checklist);
    if (checklist != NULL)
      {
        g_autoptr(GPtrArray) none = g_ptr_array_new ();
        run = fl_checklist_run_new (checklist, none);
      }
  }
  version = walk_checklist (seed, run, ticket_id, version, &at, 2, asset, agent, error);
  if (version < 0)
    return FALSE;

  if (g_rand_int_range (seed->rand, 0, 3) == 0)
    {
      at += g_rand_int_range (seed->rand, 2, 30) * MINUTE;
      data = json_object_new ();
      json_object_set_string_member (data, "body",
                                     (german ? notes_de : notes_en)[g_rand_int_range (seed->rand, 0, 4)]);
      json_object_set_boolean_member (data, "internal", g_rand_boolean (seed->rand));
      version = apply (seed, ticket_id, FL_OP_NOTE, version, at, data, agent, error);
      json_object_unref (data);
      if (version < 0)
        return FALSE;
    }

  roll = g_rand_int_range (seed->rand, 0, 100);
  if (roll < 45)
    {
      /* solved at first contact */
      at += g_rand_int_range (seed->rand, 3, 25) * MINUTE;
      version = walk_checklist (seed, run, ticket_id, version, &at, 1, asset, agent, error);
      data = json_object_new ();
      json_object_set_string_member (data, "code", "first_contact");
      json_object_set_string_member (data, "summary", c->solution);
      version = apply (seed, ticket_id, FL_OP_RESOLVE, version, at + MINUTE, data, agent, error);
      json_object_unref (data);
    }
  else if (roll < 65)
    {
      /* waits on the user, then solved */
      data = json_object_new ();
      json_object_set_string_member (data, "status", "waiting");
      version = apply (seed, ticket_id, FL_OP_UPDATE, version, at + 5 * MINUTE, data, agent, error);
      json_object_unref (data);
      if (age_ms < 24 * HOUR)
        return version >= 0;
      at += g_rand_int_range (seed->rand, 2, 30) * HOUR;
      data = json_object_new ();
      json_object_set_string_member (data, "code",
                                     g_rand_int_range (seed->rand, 0, 4) == 0 ? "workaround" : "solved");
      json_object_set_string_member (data, "summary", c->solution);
      version = apply (seed, ticket_id, FL_OP_RESOLVE, version, at, data, agent, error);
      json_object_unref (data);
    }
  else if (roll < 92)
    {
      /* handed off to 2nd level */
      JsonArray *tried = json_array_new ();
      JsonObject *hd = json_object_new ();
      const char * const *queues = fl_queue_get_defaults ();

      if (run != NULL)
        {
          g_auto(GStrv) steps = fl_checklist_run_dup_steps_tried (run);
          for (guint k = 0; steps[k]; k++)
            json_array_add_string_element (tried, steps[k]);
        }
      at += g_rand_int_range (seed->rand, 5, 40) * MINUTE;
      json_object_set_string_member (hd, "queue",
                                     queues[g_rand_int_range (seed->rand, 0,
                                                              g_strv_length ((char **) queues))]);
      json_object_set_string_member (hd, "summary",
                                     german ? "Standardschritte ohne Erfolg, bitte prüfen." :
                                              "Standard steps did not help, please investigate.");
      json_object_set_array_member (hd, "steps_tried", tried);
      json_object_set_string_member (hd, "contact", r->phone);
      version = apply (seed, ticket_id, FL_OP_HANDOFF, version, at, hd, agent, error);
      json_object_unref (hd);
      if (version <= 0 || age_ms < 6 * HOUR)
        return version >= 0;

      at += g_rand_int_range (seed->rand, 10, 120) * MINUTE;
      data = json_object_new ();
      version = apply (seed, ticket_id, FL_OP_CLAIM, version, at, data, specialist, error);
      json_object_unref (data);
      if (version <= 0 || g_rand_int_range (seed->rand, 0, 6) == 0)
        return version >= 0;

      at += g_rand_int_range (seed->rand, 1, 72) * HOUR;
      data = json_object_new ();
      json_object_set_string_member (data, "code",
                                     g_rand_int_range (seed->rand, 0, 5) == 0 ? "workaround" : "solved");
      json_object_set_string_member (data, "summary", c->solution);
      version = apply (seed, ticket_id, FL_OP_RESOLVE, version, at, data, specialist, error);
      json_object_unref (data);
    }
  else
    {
      /* still in progress */
      return TRUE;
    }

  if (version > 0 && age_ms > 14 * 24 * HOUR && g_rand_boolean (seed->rand))
    {
      data = json_object_new ();
      version = apply (seed, ticket_id, FL_OP_CLOSE, version, at + 3 * 24 * HOUR, data, lead, error);
      json_object_unref (data);
    }

  return version >= 0;
}

gboolean
fl_server_seed_demo (FlServerStore  *store,
                     GPtrArray      *checklists,
                     guint          *n_tickets,
                     GError        **error)
{
  g_autofree char *hash = NULL;
  Seed seed = { 0 };

  seed.checklists = checklists;
  gboolean ok = TRUE;
  gint64 now = fl_time_now ();

  g_return_val_if_fail (store != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
    {
      seed.users[i] = fl_server_store_get_user (store, demo_users[i].username);
      if (seed.users[i] == NULL)
        {
          if (hash == NULL)
            hash = fl_auth_hash_password (FL_SEED_DEMO_PASSWORD);
          if (hash == NULL ||
              !fl_server_store_add_user (store, demo_users[i].username, demo_users[i].display_name,
                                      demo_users[i].role, hash, error))
            {
              if (hash == NULL)
                g_set_error_literal (error, FL_SERVER_STORE_ERROR, FL_SERVER_STORE_ERROR_FAILED,
                                     _("Cannot hash the demo password"));
              ok = FALSE;
              break;
            }
          seed.users[i] = fl_server_store_get_user (store, demo_users[i].username);
        }
      seed.clients[i] = fl_uuid_new ();
    }

  if (ok)
    {
      seed.store = store;
      seed.rand = g_rand_new_with_seed (20261129);
      for (guint i = 0; i < N_TICKETS && ok; i++)
        ok = seed_ticket (&seed, N_TICKETS - i, now, error);
      g_rand_free (seed.rand);
      if (ok && n_tickets)
        *n_tickets = N_TICKETS;
    }

  for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
    {
      fl_server_user_free (seed.users[i]);
      g_free (seed.clients[i]);
    }

  return ok;
}
