/* fl-demo.c — realistic generated tickets for the demo cache and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "fl-demo"

#include "config.h"

#include "fl-demo.h"

typedef struct
{
  const char *category;
  const char *title;
  const char *description;
} Template;

static const Template templates[] = {
  { "password", "Passwort vergessen", "Benutzerin kommt nach dem Urlaub nicht mehr ins Windows-Konto." },
  { "password", "Password expired, cannot log in", "Password expired over the weekend; the change dialog rejects every new password." },
  { "account", "Konto gesperrt nach Fehleingaben", "Nach drei falschen Eingaben ist das AD-Konto gesperrt." },
  { "account", "New employee needs an account", "Starts Monday in accounting, needs AD account, mailbox and VPN." },
  { "software", "Adobe Acrobat installieren", "Benötigt Acrobat Pro für Formulare, Freigabe durch Teamleitung liegt vor." },
  { "software", "Excel crashes when opening macros", "Excel closes without message when a file with macros is opened." },
  { "network", "Kein Netzwerk am Arbeitsplatz", "Netzwerkkabel steckt, aber keine Verbindung; Link-LED aus." },
  { "network", "VPN disconnects every few minutes", "Home office, VPN client drops the tunnel every 5–10 minutes." },
  { "network", "WLAN im Besprechungsraum 3 langsam", "Mehrere Teilnehmer melden Abbrüche bei Videokonferenzen." },
  { "hardware", "Monitor flackert", "Zweiter Monitor flackert seit gestern, Kabel bereits getauscht." },
  { "hardware", "Laptop battery swollen", "Touchpad is lifting; battery looks swollen. Device should not be used." },
  { "printer", "Drucker druckt nur leere Seiten", "Etagendrucker 2. OG druckt leere Seiten, Toner laut Display voll." },
  { "printer", "Cannot add network printer", "Printer PR-0412 not found when adding it in the settings." },
  { "email", "Postfach voll", "Outlook meldet, dass das Postfach die Größenbeschränkung erreicht hat." },
  { "email", "Shared mailbox not visible", "Was given access to the support mailbox, but it does not appear in Outlook." },
  { "other", "Telefon klingelt nicht", "Tischtelefon zeigt Anrufe an, klingelt aber nicht." },
};

static const char * const first_names[] = {
  "Jana", "Lukas", "Anna", "Mehmet", "Sophie", "Jonas", "Emma", "Paul", "Lea", "Felix",
  "Marie", "Tobias", "Chiara", "Noah", "Zoë", "Björn", "Ayşe", "Luca", "Mia", "Jörg",
};
static const char * const last_names[] = {
  "Krüger", "Schmidt", "Müller", "Yılmaz", "Weber", "Fischer", "Wagner", "Becker",
  "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz",
};
static const char * const departments[] = {
  "Buchhaltung", "Vertrieb", "Personal", "Einkauf", "Marketing", "Logistik", "Legal", "IT",
};
static const char * const locations[] = {
  "Berlin, Haus A", "Berlin, Haus B", "Hamburg", "München", "Köln", "Home office",
};
/* A version 4 UUID from @rand: reproducible. */
static char *
random_uuid (GRand *rand)
{
  guint32 w[4];

  for (guint i = 0; i < 4; i++)
    w[i] = g_rand_int (rand);
  w[1] = (w[1] & 0xffff0fff) | 0x00004000;
  w[2] = (w[2] & 0x3fffffff) | 0x80000000;
  return g_strdup_printf ("%08x-%04x-%04x-%04x-%04x%08x", w[0], w[1] >> 16, w[1] & 0xffff,
                          w[2] >> 16, w[2] & 0xffff, w[3]);
}

static const char * const agents[] = { "alex", "jana", "sam", "lee" };
static const char * const queues[] = { "network", "applications", "hardware", "accounts" };

static GPtrArray *
generate_tickets (guint    n,
                  guint32  seed,
                  gint64   now,
                  guint    days,
                  GRand   *ids)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GPtrArray *tickets = g_ptr_array_new_full (n, g_object_unref);
  gint64 span = (gint64) MAX (days, 1) * 24 * 3600 * 1000;

  for (guint i = 0; i < n; i++)
    {
      const Template *tpl = &templates[g_rand_int_range (rand, 0, G_N_ELEMENTS (templates))];
      const char *first = first_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (first_names))];
      const char *last = last_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (last_names))];
      FlTicket *t = fl_ticket_new ();
      gint64 age;
      int roll;

      g_free (t->id);
      t->id = ids ? random_uuid (ids) : fl_uuid_new ();
      t->number = 1000 + i;
      t->version = 1;
      t->seq = i + 1;
      g_free (t->title);
      t->title = g_strdup_printf ("%s (%s %s)", tpl->title, first, last);
      g_free (t->description);
      t->description = g_strdup (tpl->description);
      g_free (t->requester.name);
      t->requester.name = g_strdup_printf ("%s %s", first, last);
      g_free (t->requester.email);
      t->requester.email = g_ascii_strdown (first, -1);
      {
        g_autofree char *lower = t->requester.email;
        g_autofree char *lower_last = g_utf8_strdown (last, -1);
        t->requester.email = g_strdup_printf ("%s.%s@example.com", lower, lower_last);
      }
      g_free (t->requester.phone);
      t->requester.phone = g_strdup_printf ("+49 30 %04u-%03u", g_rand_int_range (rand, 1000, 9999),
                                            g_rand_int_range (rand, 100, 999));
      g_free (t->requester.department);
      t->requester.department = g_strdup (departments[g_rand_int_range (rand, 0, G_N_ELEMENTS (departments))]);
      g_free (t->requester.location);
      t->requester.location = g_strdup (locations[g_rand_int_range (rand, 0, G_N_ELEMENTS (locations))]);
      g_free (t->asset);
      t->asset = g_strdup_printf ("NB-%04u", g_rand_int_range (rand, 1, 9999));
      t->channel = (FlChannel) g_rand_int_range (rand, 0, FL_CHANNEL_PORTAL + 1);
      g_free (t->category);
      t->category = g_strdup (tpl->category);
      t->impact = (FlGrade) g_rand_int_range (rand, 0, 3);
      t->urgency = (FlGrade) g_rand_int_range (rand, 0, 3);
      t->priority = fl_priority_compute (t->impact, t->urgency);
      g_free (t->created_by);
      t->created_by = g_strdup (agents[g_rand_int_range (rand, 0, G_N_ELEMENTS (agents))]);

      /* Newer tickets are more often open. */
      age = (gint64) (g_rand_double (rand) * (double) span);
      t->created_at = now - age;
      t->updated_at = t->created_at + MIN (age, 3600 * 1000);
      t->due_at = t->created_at + fl_policy_get_default ()->resolve_target[t->priority - 1];

      roll = g_rand_int_range (rand, 0, 100);
      if (age < 2 * 24 * 3600 * 1000LL && roll < 60)
        {
          t->status = roll < 25 ? FL_STATUS_NEW : roll < 45 ? FL_STATUS_IN_PROGRESS : FL_STATUS_WAITING;
          if (t->status != FL_STATUS_NEW && roll % 2 == 0)
            t->assignee = g_strdup (agents[roll % G_N_ELEMENTS (agents)]);
          if (t->status == FL_STATUS_WAITING)
            t->waiting_since = t->updated_at;
        }
      else if (roll < 12)
        {
          t->status = FL_STATUS_ESCALATED;
          t->level = 2;
          g_free (t->queue);
          t->queue = g_strdup (queues[roll % G_N_ELEMENTS (queues)]);
        }
      else
        {
          t->status = roll < 90 ? FL_STATUS_RESOLVED : FL_STATUS_CLOSED;
          t->assignee = g_strdup (agents[roll % G_N_ELEMENTS (agents)]);
          t->resolution_code = roll < 50 ? FL_RESOLUTION_FIRST_CONTACT : FL_RESOLUTION_SOLVED;
          t->resolution_summary = g_strdup ("Erledigt / done");
          t->resolved_at = t->updated_at;
        }

      g_ptr_array_add (tickets, t);
    }

  return tickets;
}

GPtrArray *
fl_demo_generate_tickets (guint   n,
                          guint32 seed,
                          gint64  now,
                          guint   days)
{
  return generate_tickets (n, seed, now, days, NULL);
}

/* -------------------------------------------------------------------------- */
/* Histories                                                                    */

static const char * const notes[] = {
  "Rückruf vereinbart, Benutzerin ist ab 14 Uhr am Platz.",
  "Called back, user was in a meeting; will try again after lunch.",
  "Fernwartung gestartet, Fehlermeldung nachvollzogen: Zertifikat abgelaufen.",
  "Remote session: reproduced the error, screenshot attached to the ticket.",
  "Gerät neu gestartet, Problem besteht weiterhin. Treiber wird aktualisiert.",
  "Restarted the device; the problem is still there. Updating the driver next.",
  "Kollege im 2. OG hat dasselbe Problem, vermutlich Störung am Switch.",
  "Same issue reported by two colleagues on the same floor, looks like the switch.",
  "Benutzer bittet um Rückmeldung per E-Mail statt Telefon.",
  "User asks for updates by e-mail, not by phone.",
  "Ersatzgerät aus dem Lager ausgegeben, Seriennummer im Inventar eingetragen.",
  "Loaner laptop handed out; serial number recorded in the inventory.",
  "Warte auf Freigabe durch die Teamleitung (Kostenstelle 4711).",
  "Waiting for the team lead's approval of the licence.",
  "Kennwort zurückgesetzt, Benutzerin hat sich erfolgreich angemeldet.",
  "Password reset done; user logged in successfully and changed it.",
  "Hersteller-Support kontaktiert, Fallnummer folgt.",
  "Opened a case with the vendor; waiting for their case number.",
  "Problem tritt nur im Home office auf, im Büro funktioniert alles.",
  "Only happens on the home Wi-Fi; works fine in the office.",
};

static const char * const resolutions[] = {
  "Kennwort zurückgesetzt und Self-Service-Registrierung erklärt.",
  "Password reset; showed the user the self-service portal.",
  "Druckertreiber neu installiert, Testseite erfolgreich gedruckt.",
  "Reinstalled the printer driver; test page printed.",
  "VPN-Client auf die aktuelle Version aktualisiert, Verbindung stabil.",
  "Updated the VPN client; the tunnel has been stable for an hour.",
  "Postfach archiviert, 2 GB freigegeben.",
  "Archived old mail; the mailbox is well under its limit again.",
  "Netzwerkkabel und Dose getauscht, Link steht.",
  "Replaced the patch cable; link is up.",
  "Gerät getauscht, Daten übertragen.",
  "Device replaced and data migrated.",
  "Software aus dem Katalog installiert.",
  "Installed the application from the software catalogue.",
  "Konto entsperrt, Ursache war ein altes Kennwort auf dem Smartphone.",
  "Unlocked the account; an old password on the phone kept locking it.",
};

static const char * const handoff_summaries[] = {
  "Fehler lässt sich vor Ort nicht beheben, bitte Gerät prüfen.",
  "Cannot be fixed at first level; needs a look at the server side.",
  "Mehrere Benutzer betroffen, vermutlich Störung im Netz.",
  "Several users affected; probably an outage in the network.",
  "Lizenz fehlt, bitte Beschaffung anstoßen.",
  "Needs admin rights on the application server.",
};

static const char * const steps_tried[] = {
  "Neustart", "restarted the device", "Kabel getauscht", "cleared the cache",
  "Treiber aktualisiert", "checked another account", "Webmail geprüft", "new profile",
};

typedef struct
{
  const char *category;
  const char *checklist;
  const char *steps[4];
} Guide;

static const Guide guides[] = {
  { "password", "password-reset", { "user-account", "self-service", "guide-self-service", "verify-method" } },
  { "account", "account-lockout", { "user-account", "verify-identity", "lock-shown", "account-disabled" } },
  { "software", "software-install", { "software-name", "in-catalog", "self-install", "license-approval" } },
  { "network", "network-connection", { "others-affected", "check-outage", "known-outage", "connection-type" } },
  { "hardware", "new-hardware", { "device", "approval", "request-approval", "approval-received" } },
  { "printer", "printer", { "printer-name", "others-can-print", "device-status", "device-prints" } },
  { "email", "email", { "webmail-ok", "login-rejected", "use-account-checklist", "webmail-retry" } },
};

static const char * const outcomes[] = { "done", "yes", "no", "skipped" };

typedef struct
{
  GRand     *rand;
  GPtrArray *events;
  gint64     seq;
} History;

static gint64
add_event (History    *h,
           FlTicket   *t,
           gint64      at,
           const char *author,
           FlOpType    type,
           JsonObject *data)
{
  g_autofree char *id = random_uuid (h->rand);

  g_ptr_array_add (h->events, fl_event_new (id, t->id, ++h->seq, at, author, type, data));
  json_object_unref (data);
  return h->seq;
}

static const char *
pick (GRand              *rand,
      const char * const *list,
      guint               n)
{
  return list[g_rand_int_range (rand, 0, (gint32) n)];
}

#define PICK(rand, list) pick ((rand), (list), G_N_ELEMENTS (list))

static void
add_history (History  *h,
             FlTicket *t)
{
  GRand *rand = h->rand;
  gint64 span = MAX (t->updated_at - t->created_at, 60 * 1000);
  const char *agent = t->assignee ? t->assignee : t->created_by;
  int n_notes = g_rand_int_range (rand, 0, 4);
  JsonObject *data = json_object_new ();
  JsonObject *requester = json_object_new ();
  const Guide *guide = NULL;

  json_object_set_string_member (data, "title", t->title);
  json_object_set_string_member (data, "description", t->description);
  json_object_set_string_member (requester, "name", t->requester.name);
  json_object_set_string_member (requester, "email", t->requester.email);
  json_object_set_string_member (requester, "phone", t->requester.phone);
  json_object_set_string_member (requester, "department", t->requester.department);
  json_object_set_string_member (requester, "location", t->requester.location);
  json_object_set_object_member (data, "requester", requester);
  json_object_set_string_member (data, "asset", t->asset);
  json_object_set_string_member (data, "channel", fl_channel_to_string (t->channel));
  json_object_set_string_member (data, "category", t->category);
  json_object_set_string_member (data, "impact", fl_grade_to_string (t->impact));
  json_object_set_string_member (data, "urgency", fl_grade_to_string (t->urgency));
  t->seq = add_event (h, t, t->created_at, t->created_by, FL_OP_CREATE, data);

  for (guint i = 0; i < G_N_ELEMENTS (guides); i++)
    if (g_strcmp0 (guides[i].category, t->category) == 0)
      guide = &guides[i];
  if (guide != NULL && g_rand_int_range (rand, 0, 2) == 0)
    {
      int n_steps = g_rand_int_range (rand, 1, 5);

      for (int s = 0; s < n_steps; s++)
        {
          data = json_object_new ();
          json_object_set_string_member (data, "checklist_id", guide->checklist);
          json_object_set_int_member (data, "checklist_version", 1);
          json_object_set_string_member (data, "step_id", guide->steps[s]);
          json_object_set_string_member (data, "outcome", PICK (rand, outcomes));
          t->seq = add_event (h, t, t->created_at + span * (s + 1) / 10, agent, FL_OP_CHECKLIST, data);
        }
    }

  for (int i = 0; i < n_notes; i++)
    {
      data = json_object_new ();
      json_object_set_string_member (data, "body", PICK (rand, notes));
      json_object_set_boolean_member (data, "internal", g_rand_boolean (rand));
      t->seq = add_event (h, t, t->created_at + span * (5 + i) / 10, agent, FL_OP_NOTE, data);
    }

  if (t->status == FL_STATUS_ESCALATED)
    {
      JsonArray *tried = json_array_new ();

      json_array_add_string_element (tried, PICK (rand, steps_tried));
      json_array_add_string_element (tried, PICK (rand, steps_tried));
      data = json_object_new ();
      json_object_set_string_member (data, "queue", t->queue);
      json_object_set_string_member (data, "summary", PICK (rand, handoff_summaries));
      json_object_set_array_member (data, "steps_tried", tried);
      json_object_set_string_member (data, "contact", t->requester.phone);
      t->seq = add_event (h, t, t->updated_at, t->created_by, FL_OP_HANDOFF, data);
    }
  else if (t->status == FL_STATUS_RESOLVED || t->status == FL_STATUS_CLOSED)
    {
      g_free (t->resolution_summary);
      t->resolution_summary = g_strdup (PICK (rand, resolutions));
      data = json_object_new ();
      json_object_set_string_member (data, "code", fl_resolution_code_to_string (t->resolution_code));
      json_object_set_string_member (data, "summary", t->resolution_summary);
      t->seq = add_event (h, t, t->updated_at, agent, FL_OP_RESOLVE, data);
      if (t->status == FL_STATUS_CLOSED)
        t->seq = add_event (h, t, t->updated_at, agent, FL_OP_CLOSE, json_object_new ());
    }
  t->version = 1;
  for (guint i = h->events->len; i > 0; i--)
    {
      FlEvent *e = g_ptr_array_index (h->events, i - 1);
      if (!g_str_equal (e->ticket_id, t->id))
        break;
      if (e->type != FL_OP_NOTE && e->type != FL_OP_CHECKLIST && e->type != FL_OP_CREATE)
        t->version++;
    }
}

FlDemoData *
fl_demo_generate (guint   n,
                  guint32 seed,
                  gint64  now,
                  guint   days)
{
  g_autoptr(GRand) ids = g_rand_new_with_seed (seed ^ 0x5eed1d5u);
  FlDemoData *data = g_new0 (FlDemoData, 1);
  History h = { NULL, NULL, 0 };

  data->tickets = generate_tickets (n, seed, now, days, ids);
  data->events = g_ptr_array_new_full (n * 4, g_object_unref);
  h.rand = ids;
  h.events = data->events;
  /* In the order the server would have numbered them: by creation. */
  for (guint i = 0; i < n; i++)
    add_history (&h, g_ptr_array_index (data->tickets, i));

  return data;
}

void
fl_demo_data_free (FlDemoData *data)
{
  if (data == NULL)
    return;

  g_clear_pointer (&data->tickets, g_ptr_array_unref);
  g_clear_pointer (&data->events, g_ptr_array_unref);
  g_free (data);
}
