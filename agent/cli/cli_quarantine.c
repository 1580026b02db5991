/* cli_quarantine.c - `quarantine list|show|export`: the messages kept whole
 * because their parse found problems (SPEC 3.2), without SQL. Read-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cpr_error.h"
#include "jsonutil.h"
#include "timefmt.h"

static const char QUARANTINE_USAGE[] =
    "quarantine list [--json] | quarantine show ID [--json] | quarantine export ID [--output FILE]";

#define Q_COLUMNS                                                                             \
    "m.id, m.message_id, m.aware_at, m.source, m.kind, m.subject, m.from_email, m.size, "     \
    "m.parse_problems, m.raw_sha256, c.reference "                                          \
    "FROM messages m LEFT JOIN cases c ON c.id = m.case_id WHERE m.quarantined = 1"

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* parse_problems is a JSON array of strings; added as an array, or joined. */
static void add_problems(JsonBuilder *b, const char *problems_json, GString *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonArray *arr = NULL;
    if (problems_json && json_parser_load_from_data(p, problems_json, -1, NULL) &&
        JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p)))
        arr = json_node_get_array(json_parser_get_root(p));
    if (b) {
        json_builder_set_member_name(b, "parse_problems");
        json_builder_begin_array(b);
    }
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
        JsonNode *n = json_array_get_element(arr, i);
        const char *s = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
                            ? json_node_get_string(n) : "?";
        if (b)
            json_builder_add_string_value(b, s);
        if (text)
            g_string_append_printf(text, "%s%s", text->len ? "; " : "", s);
    }
    if (b)
        json_builder_end_array(b);
}

static void add_row_json(JsonBuilder *b, sqlite3_stmt *st)
{
    json_builder_begin_object(b);
    jsonutil_add_int(b, "id", sqlite3_column_int64(st, 0));
    jsonutil_add_string(b, "message_id", col(st, 1));
    jsonutil_add_time(b, "aware_at", sqlite3_column_int64(st, 2), FALSE);
    jsonutil_add_string(b, "source", col(st, 3));
    jsonutil_add_string(b, "kind", col(st, 4));
    jsonutil_add_string(b, "subject", col(st, 5));
    jsonutil_add_string(b, "from", col(st, 6));
    jsonutil_add_int(b, "size", sqlite3_column_int64(st, 7));
    add_problems(b, col(st, 8), NULL);
    jsonutil_add_string(b, "sha256", col(st, 9));
    jsonutil_add_string(b, "case_reference", col(st, 10));
    json_builder_end_object(b);
}

static gboolean parse_id(const char *cmd, const char *s, gint64 *id_r)
{
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL)) {
        cli_error("%s: expected a message id (a number from `quarantine list`), got \"%s\"", cmd, s);
        return FALSE;
    }
    *id_r = (gint64)v;
    return TRUE;
}

static int q_list(Store *store, gboolean json)
{
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare(store, "SELECT " Q_COLUMNS " ORDER BY m.id", &error);
    if (!st)
        return cli_fail("quarantine list", error);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    if (!json)
        printf("%-6s %-20s %-24s %s\n", "ID", "AWARE (UTC)", "SOURCE", "PROBLEMS");
    int rc;
    while ((rc = store_step(store, st, &error)) == STORE_ROW) {
        if (json) {
            add_row_json(b, st);
            continue;
        }
        g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 2));
        g_autoptr(GString) problems = g_string_new(NULL);
        add_problems(NULL, col(st, 8), problems);
        printf("%-6lld %-20s %-24s %s\n", (long long)sqlite3_column_int64(st, 0), at,
               col(st, 3) ? col(st, 3) : "-", problems->str);
    }
    if (rc == STORE_ERROR)
        return cli_fail("quarantine list", error);
    json_builder_end_array(b);
    if (json)
        cli_print_json(b);
    return CLI_OK;
}

static int q_show(Store *store, gint64 id, gboolean json)
{
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare_id(store, "SELECT " Q_COLUMNS " AND m.id = ?1", id, &error);
    if (!st)
        return cli_fail("quarantine show", error);
    int rc = store_step(store, st, &error);
    if (rc == STORE_ERROR)
        return cli_fail("quarantine show", error);
    if (rc != STORE_ROW) {
        cli_error("quarantine show: no quarantined message %lld", (long long)id);
        return CLI_FAILED;
    }
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        add_row_json(b, st);
        cli_print_json(b);
    } else {
        g_autofree char *at = timefmt_rfc3339(sqlite3_column_int64(st, 2));
        g_autoptr(GString) problems = g_string_new(NULL);
        add_problems(NULL, col(st, 8), problems);
        printf("message %lld (quarantined)\nmessage-id: %s\naware: %s\nsource: %s\nkind: %s\n"
               "subject: %s\nfrom: %s\nsize: %lld bytes\nsha256: %s\ncase: %s\nproblems: %s\n",
               (long long)id, col(st, 1) ? col(st, 1) : "-", at, col(st, 3) ? col(st, 3) : "-",
               col(st, 4) ? col(st, 4) : "-", col(st, 5) ? col(st, 5) : "-",
               col(st, 6) ? col(st, 6) : "-", (long long)sqlite3_column_int64(st, 7),
               col(st, 9) ? col(st, 9) : "-", col(st, 10) ? col(st, 10) : "-", problems->str);
    }
    sqlite3_reset(st);
    return CLI_OK;
}

static gboolean write_all(int fd, const guint8 *p, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* The raw bytes exactly as received, to stdout or a new 0600 file. */
static int q_export(Store *store, gint64 id, const char *output)
{
    GError *error = NULL;
    sqlite3_stmt *st = store_prepare_id(
        store, "SELECT " STORE_RAW_OF("messages.id")
        " FROM messages WHERE quarantined = 1 AND id = ?1", id, &error);
    if (!st)
        return cli_fail("quarantine export", error);
    int rc = store_step(store, st, &error);
    if (rc == STORE_ERROR)
        return cli_fail("quarantine export", error);
    if (rc != STORE_ROW) {
        cli_error("quarantine export: no quarantined message %lld", (long long)id);
        return CLI_FAILED;
    }
    const guint8 *raw = sqlite3_column_blob(st, 0);
    gsize len = (gsize)sqlite3_column_bytes(st, 0);
    int fd = 1;
    if (output) {
        fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            sqlite3_reset(st);
            cli_error("quarantine export: %s: %s", output, g_strerror(errno));
            return CLI_FAILED;
        }
    }
    gboolean ok = write_all(fd, raw, len);
    sqlite3_reset(st);
    if (output && close(fd) != 0)
        ok = FALSE;
    if (!ok) {
        cli_error("quarantine export: %s: %s", output ? output : "stdout", g_strerror(errno));
        return CLI_FAILED;
    }
    return CLI_OK;
}

int cli_quarantine(CliContext *ctx, int argc, char **argv)
{
    gboolean json = FALSE;
    g_autofree char *output = NULL;
    GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output (list, show)", NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
         "export: write a new file (mode 0600) instead of stdout", "FILE"},
        {NULL},
    };
    if (!cli_parse_options("quarantine", "list | show ID | export ID", entries, &argc, &argv))
        return CLI_USAGE;
    const char *sub = argc >= 2 ? argv[1] : NULL;
    gboolean list = g_strcmp0(sub, "list") == 0;
    gboolean show = g_strcmp0(sub, "show") == 0, export = g_strcmp0(sub, "export") == 0;
    if (!(list && argc == 2) && !((show || export) && argc == 3)) {
        cli_error("usage: %s", QUARANTINE_USAGE);
        return CLI_USAGE;
    }
    if ((output && !export) || (json && export)) {
        cli_error("quarantine: --output goes with export, --json with list and show");
        return CLI_USAGE;
    }
    gint64 id = 0;
    if (!list && !parse_id(show ? "quarantine show" : "quarantine export", argv[2], &id))
        return CLI_USAGE;
    Store *store = cli_store(ctx);
    if (!store)
        return CLI_STORE;
    if (list)
        return q_list(store, json);
    return show ? q_show(store, id, json) : q_export(store, id, output);
}
