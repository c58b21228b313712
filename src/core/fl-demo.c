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
static const char * const agents[] = { "alex", "jana", "sam", "lee" };
static const char * const queues[] = { "network", "applications", "hardware", "accounts" };

GPtrArray *
fl_demo_generate_tickets (guint   n,
                          guint32 seed,
                          gint64  now,
                          guint   days)
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
      t->id = fl_uuid_new ();
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
