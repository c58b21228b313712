/* test-l10n-data.c — checklists, categories and answers in languages beyond de and en
 *
 * A definition may carry any language code besides "de" and "en"; a language
 * it does not carry comes from the message catalog (po/LANG.po, contexts
 * "checklist" and "category", the texts of po/data-strings.c); English is the
 * last resort. The catalog here is a real .mo built with msgfmt, as a
 * translator's po/fr.po would be.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>

#include "fl-answer.h"
#include "fl-categories.h"
#include "fl-checklist.h"
#include "fl-data.h"
#include "fl-test-util.h"

static const char definition[] =
  "{\"id\": \"printer-queue\", \"version\": 1, \"category\": \"printer\","
  " \"title\": {\"de\": \"Druckerwarteschlange\", \"en\": \"Printer queue\","
  "             \"fr\": \"File d’impression\", \"pt_BR\": \"Fila de impressão\"},"
  " \"start\": \"restart\","
  " \"steps\": [{\"id\": \"restart\", \"kind\": \"check\","
  "   \"text\": {\"de\": \"Warteschlange neu starten\", \"en\": \"Restart the queue\","
  "              \"fr\": \"Redémarrer la file\"},"
  "   \"next\": {\"resolve\": \"solved\"}}]}";

static FlChecklist *
parse (const char  *text,
       GError     **error)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return fl_checklist_new_from_json (node, error);
}

static void
test_definition_languages (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FlChecklist) checklist = parse (definition, &error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(FlChecklist) again = NULL;
  g_autofree char *json = NULL;
  const FlChecklistStep *step;

  g_assert_no_error (error);
  g_assert_cmpstr (fl_checklist_get_title (checklist, "fr"), ==, "File d’impression");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "pt_BR"), ==, "Fila de impressão");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "de"), ==, "Druckerwarteschlange");
  g_assert_cmpstr (fl_checklist_get_title (checklist, "es"), ==, "Printer queue");
  step = fl_checklist_get_step (checklist, "restart");
  g_assert_cmpstr (fl_checklist_step_get_text (step, "fr"), ==, "Redémarrer la file");
  /* a text without Portuguese falls back to English */
  g_assert_cmpstr (fl_checklist_step_get_text (step, "pt_BR"), ==, "Restart the queue");

  /* the user's languages: LANGUAGE=pt_BR */
  g_setenv ("LANGUAGE", "pt_BR:fr", TRUE);
  g_assert_cmpstr (fl_checklist_get_title (checklist, NULL), ==, "Fila de impressão");
  g_assert_cmpstr (fl_checklist_step_get_text (step, NULL), ==, "Redémarrer la file");
  g_unsetenv ("LANGUAGE");

  /* kept through the JSON the cache and the server store */
  node = fl_checklist_to_json (checklist);
  json = json_to_string (node, FALSE);
  g_assert_nonnull (strstr (json, "\"pt_BR\":\"Fila de impressão\""));
  again = parse (json, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fl_checklist_get_title (again, "fr"), ==, "File d’impression");

  /* language codes are checked; German and English stay required */
  {
    const char *bad[] = {
      "\"title\": {\"de\": \"a\", \"en\": \"b\", \"FR\": \"c\"}",
      "\"title\": {\"de\": \"a\", \"en\": \"b\", \"f\": \"c\"}",
      "\"title\": {\"de\": \"a\", \"en\": \"b\", \"fr\": \"\"}",
      "\"title\": {\"de\": \"a\", \"en\": \"b\", \"fr\": 3}",
      "\"title\": {\"en\": \"b\", \"fr\": \"c\"}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GRegex) re = g_regex_new ("\"title\": \\{[^}]*\\}", 0, 0, NULL);
        g_autofree char *text = g_regex_replace_literal (re, definition, -1, 0, bad[i], 0, NULL);
        g_autoptr(FlChecklist) broken = parse (text, &error);

        g_test_message ("%s: %s", bad[i], error ? error->message : "accepted");
        g_assert_null (broken);
        g_assert_nonnull (error);
        g_assert_true (error->domain == FL_CHECKLIST_ERROR);
        g_clear_error (&error);
      }
  }
}

/* A French catalog as msgfmt makes it from a translator's po/fr.po. */
static char *
make_catalog (const char *po_text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("firstline-l10n-XXXXXX", &error);
  g_autofree char *messages = g_build_filename (dir, "fr", "LC_MESSAGES", NULL);
  g_autofree char *po = g_build_filename (dir, "fr.po", NULL);
  g_autofree char *mo = g_build_filename (messages, GETTEXT_PACKAGE ".mo", NULL);

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (messages, 0700), ==, 0);
  g_assert_true (g_file_set_contents (po, po_text, -1, NULL));
  {
    const char *argv[] = { "msgfmt", "--check", "-o", mo, po, NULL };
    g_assert_cmpint (fl_test_run (argv, NULL, NULL, NULL), ==, 0);
  }
  return g_steal_pointer (&dir);
}

static void
test_catalog (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) checklists = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  g_autofree char *dir = NULL;
  FlChecklist *vpn = NULL;
  FlCategory *printer;

  /* English msgids of data/checklists/vpn.json and data/categories.json, as
   * po/data-strings.c hands them to xgettext */
  dir = make_catalog ("msgid \"\"\n"
                      "msgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
                      "msgctxt \"checklist\"\nmsgid \"VPN connection\"\nmsgstr \"Connexion VPN\"\n\n"
                      "msgctxt \"category\"\nmsgid \"Printer\"\nmsgstr \"Imprimante\"\n\n"
                      "msgctxt \"category\"\nmsgid \"Which printer: note the room or floor.\"\n"
                      "msgstr \"Quelle imprimante : notez la salle ou l’étage.\"\n");
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* gettext follows LANGUAGE only in a locale other than C */
  g_assert_nonnull (setlocale (LC_ALL, "de_DE.utf8"));
  g_setenv ("LANGUAGE", "fr", TRUE);

  checklists = fl_data_load_checklists (&error);
  g_assert_no_error (error);
  for (guint i = 0; i < checklists->len; i++)
    if (g_str_equal (fl_checklist_get_id (g_ptr_array_index (checklists, i)), "vpn"))
      vpn = g_ptr_array_index (checklists, i);
  g_assert_nonnull (vpn);
  g_assert_cmpstr (fl_checklist_get_title (vpn, NULL), ==, "Connexion VPN");
  /* not in the catalog: English, not German */
  g_assert_cmpstr (fl_checklist_step_get_text (fl_checklist_get_step (vpn, "internet-ok"), NULL), ==,
                   "Does the internet work without VPN (a public web page loads)?");

  categories = fl_categories_load_default (NULL);
  printer = fl_categories_find (categories, "printer");
  g_assert_nonnull (printer);
  g_assert_cmpstr (fl_category_get_label (printer), ==, "Imprimante");
  g_assert_cmpstr (fl_category_get_note (printer), ==, "Quelle imprimante : notez la salle ou l’étage.");
  g_assert_cmpstr (fl_category_get_label (fl_categories_find (categories, "network")), ==, "Network");

  /* German users keep the definitions' own German */
  g_setenv ("LANGUAGE", "de", TRUE);
  g_assert_cmpstr (fl_checklist_get_title (vpn, NULL), ==, "VPN-Verbindung");
  g_assert_cmpstr (fl_category_get_label (printer), ==, "Drucker");

  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C.UTF-8");
  fl_test_rm_rf (dir);
}

/* Predefined answers the same way: a language of their own, else the catalog
 * (context "answer"), else English. */
static void
test_answers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) own = json_from_string (
    "{\"id\": \"printer-done\", \"category\": \"printer\","
    " \"title\": {\"de\": \"Drucker geht\", \"en\": \"Printer works\", \"fr\": \"L’imprimante marche\"},"
    " \"body\": {\"en\": \"Hello {requester.name}\", \"pt_BR\": \"Olá {requester.name}\"}}", NULL);
  g_autoptr(JsonNode) bad = json_from_string (
    "{\"id\": \"x\", \"category\": \"printer\", \"title\": {\"FR!\": \"T\"},"
    " \"body\": {\"en\": \"B\"}}", NULL);
  g_autoptr(GPtrArray) builtin = NULL;
  g_autofree char *dir = NULL;
  JsonObject *done = NULL;

  g_assert_true (fl_answer_validate (own, &error));
  g_assert_no_error (error);
  g_assert_false (fl_answer_validate (bad, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_cmpstr (fl_answer_get_text (json_node_get_object (own), "title", "fr"), ==,
                   "L’imprimante marche");
  g_assert_cmpstr (fl_answer_get_text (json_node_get_object (own), "title", "es"), ==,
                   "Printer works");
  g_setenv ("LANGUAGE", "pt_BR:fr", TRUE);
  g_assert_cmpstr (fl_answer_get_text (json_node_get_object (own), "body", NULL), ==,
                   "Olá {requester.name}");
  g_assert_cmpstr (fl_answer_get_text (json_node_get_object (own), "title", NULL), ==,
                   "L’imprimante marche");
  g_unsetenv ("LANGUAGE");

  /* a built-in answer through a real French catalog */
  dir = make_catalog ("msgid \"\"\n"
                      "msgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
                      "msgctxt \"answer\"\nmsgid \"Password reset done\"\n"
                      "msgstr \"Mot de passe réinitialisé\"\n");
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  g_assert_nonnull (setlocale (LC_ALL, "de_DE.utf8"));
  g_setenv ("LANGUAGE", "fr", TRUE);

  builtin = fl_answer_load_builtin (&error);
  g_assert_no_error (error);
  for (guint i = 0; i < builtin->len; i++)
    {
      JsonObject *a = json_node_get_object (g_ptr_array_index (builtin, i));

      if (g_str_equal (json_object_get_string_member (a, "id"), "password-reset-done"))
        done = a;
    }
  g_assert_nonnull (done);
  g_assert_cmpstr (fl_answer_get_text (done, "title", NULL), ==, "Mot de passe réinitialisé");
  /* not in the catalog: English */
  g_assert_true (g_str_has_prefix (fl_answer_get_text (done, "body", NULL), "Hello "));
  g_setenv ("LANGUAGE", "de", TRUE);
  g_assert_cmpstr (fl_answer_get_text (done, "title", NULL), ==, "Passwort zurückgesetzt");

  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, "C.UTF-8");
  fl_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  setlocale (LC_ALL, "C.UTF-8");

  g_test_add_func ("/l10n-data/definition-languages", test_definition_languages);
  g_test_add_func ("/l10n-data/catalog", test_catalog);
  g_test_add_func ("/l10n-data/answers", test_answers);

  return g_test_run ();
}
