/* report_html.c - the response-time report as one HTML page (see report_html.h). */
#include "report_html.h"
#include "clocks.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "cpr_error.h"
#include "timefmt.h"

#define SVG_WIDTH 760
#define SVG_LABEL 190 /* the clock names left of the time axis */
#define SVG_ROW 24
#define SVG_TOP 34

typedef struct {
    char *clock;
    gint64 starts_at, due_at, met_at; /* met_at 0: not met */
    gboolean withdrawn, backfilled;
} HtmlClock;

typedef struct {
    gint64 id;
    char *reference, *kind, *problem;
    gint64 aware_at;
    GArray *clocks; /* HtmlClock */
} HtmlCase;

static void html_clock_clear(gpointer p)
{
    g_free(((HtmlClock *)p)->clock);
}

static void html_case_free(gpointer p)
{
    HtmlCase *c = p;
    g_free(c->reference);
    g_free(c->kind);
    g_free(c->problem);
    g_array_unref(c->clocks);
    g_free(c);
}

/* The statuses of clocks.h: met, met_late, missed, withdrawn, open. */
static const char *clock_status(const HtmlClock *k, gint64 now)
{
    return clocks_status_name(clocks_status(k->due_at, k->met_at, k->withdrawn, now));
}

static GPtrArray *load_cases(Store *store, gint64 since, gint64 until, GError **error)
{
    sqlite3_stmt *st = store_prepare(
        store,
        "SELECT c.id, c.reference, c.kind, coalesce(c.problem, ''), c.aware_at, k.clock, "
        "k.starts_at, k.due_at, coalesce(k.met_at, 0), k.withdrawn, k.backfilled "
        "FROM cases c JOIN clocks k ON k.case_id = c.id "
        "WHERE k.starts_at IS NOT NULL AND k.due_at IS NOT NULL AND c.aware_at >= ?1 "
        "AND (?2 = 0 OR c.aware_at < ?2) ORDER BY c.aware_at, c.id, k.starts_at, k.clock",
        error);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    GPtrArray *cases = g_ptr_array_new_with_free_func(html_case_free);
    HtmlCase *cur = NULL;
    int rc;
    while ((rc = store_step(store, st, error)) == STORE_ROW) {
        gint64 id = sqlite3_column_int64(st, 0);
        if (!cur || cur->id != id) {
            cur = g_new0(HtmlCase, 1);
            cur->id = id;
            cur->reference = store_column_dup(st, 1);
            cur->kind = store_column_dup(st, 2);
            cur->problem = store_column_dup(st, 3);
            cur->aware_at = sqlite3_column_int64(st, 4);
            cur->clocks = g_array_new(FALSE, TRUE, sizeof(HtmlClock));
            g_array_set_clear_func(cur->clocks, html_clock_clear);
            g_ptr_array_add(cases, cur);
        }
        HtmlClock k = {
            .clock = store_column_dup(st, 5),
            .starts_at = sqlite3_column_int64(st, 6),
            .due_at = sqlite3_column_int64(st, 7),
            .met_at = sqlite3_column_int64(st, 8),
            .withdrawn = sqlite3_column_int(st, 9) != 0,
            .backfilled = sqlite3_column_int(st, 10) != 0,
        };
        g_array_append_val(cur->clocks, k);
    }
    sqlite3_reset(st);
    if (rc != STORE_DONE) {
        g_ptr_array_unref(cases);
        g_prefix_error(error, "report: cannot read the clocks of the cases: ");
        return NULL;
    }
    return cases;
}

static void esc(GString *out, const char *text)
{
    g_autofree char *e = g_markup_escape_text(text ? text : "", -1);
    g_string_append(out, e);
}

static double xpos(gint64 t, gint64 t0, gint64 t1)
{
    double span = t1 > t0 ? (double)(t1 - t0) : 1.0;
    return SVG_LABEL + (SVG_WIDTH - SVG_LABEL - 20) * ((double)(t - t0) / span);
}

/* One case: receipt line, one row per clock (window bar from start to due,
 * a marker where it was met, coloured by status). */
static void case_svg(GString *out, const HtmlCase *c, gint64 now)
{
    gint64 t0 = c->aware_at, t1 = c->aware_at + 3600;
    for (guint i = 0; i < c->clocks->len; i++) {
        const HtmlClock *k = &g_array_index(c->clocks, HtmlClock, i);
        t0 = MIN(t0, k->starts_at);
        t1 = MAX(t1, MAX(k->due_at, k->met_at));
    }
    t1 += (t1 - t0) / 20; /* room for the last marker */
    guint h = SVG_TOP + SVG_ROW * c->clocks->len + 12;
    g_autofree char *aware = timefmt_rfc3339(c->aware_at);
    g_string_append_printf(out,
                           "<svg class=\"timeline\" "
                           "width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" role=\"img\" "
                           "aria-label=\"timeline of ",
                           SVG_WIDTH, h, SVG_WIDTH, h);
    esc(out, c->reference);
    g_string_append(out, "\">\n");
    double xr = xpos(c->aware_at, t0, t1);
    g_string_append_printf(out,
                           "<line class=\"receipt\" x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"%u\"/>"
                           "<text x=\"%.1f\" y=\"11\" class=\"axis\">received %s</text>\n",
                           xr, xr, h - 4, MIN(xr, SVG_WIDTH - 200.0), aware);
    if (now > t0 && now < t1) {
        double xn = xpos(now, t0, t1);
        g_string_append_printf(out,
                               "<line class=\"now\" x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%u\"/>\n",
                               xn, xn, h - 4);
    }
    for (guint i = 0; i < c->clocks->len; i++) {
        const HtmlClock *k = &g_array_index(c->clocks, HtmlClock, i);
        const char *status = clock_status(k, now);
        double y = SVG_TOP + SVG_ROW * i;
        double xs = xpos(k->starts_at, t0, t1), xd = xpos(k->due_at, t0, t1);
        g_autofree char *due = timefmt_rfc3339(k->due_at);
        g_string_append_printf(out, "<g class=\"clock %s\"><title>", status);
        esc(out, k->clock);
        g_string_append_printf(out, ": %s, due %s", status, due);
        if (k->met_at) {
            g_autofree char *met = timefmt_rfc3339(k->met_at);
            g_string_append_printf(out, ", met %s%s", met,
                                   k->backfilled ? " (recorded after the fact)" : "");
        }
        g_string_append_printf(out, "</title><text x=\"4\" y=\"%.1f\" class=\"label\">", y + 12);
        esc(out, k->clock);
        g_string_append_printf(out,
                               "</text><rect class=\"window\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                               "height=\"12\" rx=\"3\"/>",
                               xs, y + 2, MAX(xd - xs, 1.0));
        g_string_append_printf(out,
                               "<line class=\"due\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                               xd, y, xd, y + 16);
        if (k->met_at) {
            double xm = xpos(k->met_at, t0, t1);
            g_string_append_printf(out,
                                   "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\"/>", xm,
                                   y + 8);
        } else if (!strcmp(status, "missed")) {
            g_string_append_printf(out,
                                   "<path class=\"mark\" d=\"M%.1f %.1fl10 10m0 -10l-10 10\"/>",
                                   xd - 5, y + 3);
        }
        g_string_append(out, "</g>\n");
    }
    g_string_append(out, "</svg>\n");
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:2em;color:#1d1d1f;background:#fff}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin:1.6em 0 .3em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #c8c8cc;padding:.3em .6em;text-align:right}"
    "th:first-child,td:first-child{text-align:left}th{background:#eef0f4}"
    ".badge{display:inline-block;padding:.1em .5em;margin:0 .3em .3em 0;border-radius:.8em;"
    "font-size:.85em;color:#fff}"
    ".b-met{background:#2e7d32}.b-met_late{background:#ef6c00}.b-missed{background:#c62828}"
    ".b-withdrawn{background:#757575}"
    ".b-open{background:#1565c0}"
    "svg.timeline{display:block;border:1px solid #e0e0e4;background:#fafafc}"
    "svg .label,svg .axis{font-size:11px;fill:#333}"
    "svg .receipt{stroke:#555;stroke-dasharray:3 2}svg .now{stroke:#999;stroke-dasharray:1 3}"
    "svg .due{stroke:#333;stroke-width:2}"
    "svg .met .window{fill:#a5d6a7}svg .met .mark{fill:#2e7d32}"
    "svg .met_late .window{fill:#ffcc80}svg .met_late .mark{fill:#ef6c00}"
    "svg .missed .window{fill:#ef9a9a}svg .missed .mark{stroke:#c62828;stroke-width:3}"
    "svg .withdrawn .window{fill:#e0e0e0}svg .withdrawn .mark{fill:#757575}"
    "svg .open .window{fill:#90caf9}"
    ".legend span{margin-right:1em}";

/* The table from the report's JSON: one row per clock, one column per field
 * in the JSON's order; *_seconds shown as a duration (the raw seconds in
 * data-value), null as a dash. */
static gboolean figures_table(GString *out, JsonObject *report, GError **error)
{
    JsonArray *clocks = json_object_has_member(report, "clocks")
                            ? json_object_get_array_member(report, "clocks")
                            : NULL;
    if (!clocks) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "report: the JSON report has no clocks");
        return FALSE;
    }
    guint n = json_array_get_length(clocks);
    if (n == 0) {
        g_string_append(out, "<p>No clock started in this period.</p>\n");
        return TRUE;
    }
    JsonObject *first = json_array_get_object_element(clocks, 0);
    g_autoptr(GList) keys = json_object_get_members(first);
    g_string_append(out, "<table id=\"figures\">\n<tr>");
    for (GList *l = keys; l; l = l->next) {
        g_string_append(out, "<th>");
        esc(out, l->data);
        g_string_append(out, "</th>");
    }
    g_string_append(out, "</tr>\n");
    for (guint i = 0; i < n; i++) {
        JsonObject *row = json_array_get_object_element(clocks, i);
        g_string_append(out, "<tr>");
        for (GList *l = keys; l; l = l->next) {
            const char *key = l->data;
            JsonNode *v = row ? json_object_get_member(row, key) : NULL;
            g_string_append_printf(out, "<td data-key=\"%s\"", key);
            if (!v || JSON_NODE_HOLDS_NULL(v)) {
                g_string_append(out, " data-value=\"null\">&#8211;</td>");
            } else if (json_node_get_value_type(v) == G_TYPE_INT64) {
                gint64 x = json_node_get_int(v);
                if (g_str_has_suffix(key, "_seconds")) {
                    g_autofree char *d = timefmt_left(x); /* x >= 0 */
                    g_string_append_printf(out, " data-value=\"%" G_GINT64_FORMAT "\">%s</td>",
                                           x, d);
                } else {
                    g_string_append_printf(out, " data-value=\"%" G_GINT64_FORMAT "\">%" G_GINT64_FORMAT
                                                "</td>",
                                           x, x);
                }
            } else if (json_node_get_value_type(v) == G_TYPE_STRING) {
                g_string_append(out, " data-value=\"");
                esc(out, json_node_get_string(v));
                g_string_append(out, "\">");
                esc(out, json_node_get_string(v));
                g_string_append(out, "</td>");
            } else {
                g_autofree char *s = json_to_string(v, FALSE);
                g_string_append(out, " data-value=\"");
                esc(out, s);
                g_string_append(out, "\">");
                esc(out, s);
                g_string_append(out, "</td>");
            }
        }
        g_string_append(out, "</tr>\n");
    }
    g_string_append(out, "</table>\n");
    return TRUE;
}

char *report_html_render(Store *store, const char *report_json, gint64 since, gint64 until,
                         gint64 now, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, report_json, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_INPUT, "report: not the report's JSON object");
        return NULL;
    }
    JsonObject *report = json_node_get_object(json_parser_get_root(parser));
    g_autoptr(GPtrArray) cases = load_cases(store, since, until, error);
    if (!cases)
        return NULL;
    g_autofree char *since_s = since ? timefmt_rfc3339(since) : g_strdup("the first case");
    g_autofree char *until_s = timefmt_rfc3339(until ? until : now);
    g_autofree char *now_s = timefmt_rfc3339(now);
    g_autoptr(GString) out = g_string_new(NULL);
    g_string_append_printf(out,
                           "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                           "'none'; style-src 'unsafe-inline'; img-src data:\">\n"
                           "<title>cpr-intake: response times %s to %s</title>\n<style>%s</style>\n"
                           "</head>\n<body>\n<h1>Response times of cases the CA became aware of "
                           "from %s to %s</h1>\n<p>As of %s (UTC). ",
                           since_s, until_s, STYLE, since_s, until_s, now_s);
    guint counts[5] = {0};
    static const char *const STATUSES[] = {"met", "met_late", "missed", "withdrawn", "open"};
    for (guint i = 0; i < cases->len; i++) {
        const HtmlCase *c = g_ptr_array_index(cases, i);
        for (guint j = 0; j < c->clocks->len; j++) {
            const char *s = clock_status(&g_array_index(c->clocks, HtmlClock, j), now);
            for (guint k = 0; k < G_N_ELEMENTS(STATUSES); k++)
                if (!strcmp(s, STATUSES[k]))
                    counts[k]++;
        }
    }
    g_string_append_printf(out, "%u case(s); clocks:</p>\n<p class=\"legend\">", cases->len);
    for (guint k = 0; k < G_N_ELEMENTS(STATUSES); k++)
        g_string_append_printf(out, "<span class=\"badge b-%s\">%s: %u</span>", STATUSES[k],
                               STATUSES[k], counts[k]);
    g_string_append(out, "</p>\n<h2>Response-time figures</h2>\n");
    if (!figures_table(out, report, error))
        return NULL;
    g_string_append(out, "<p>The figures of <code>cpr-intake audit report --json</code> for the "
                         "same period; times to meet are medians and 90th percentiles.</p>\n"
                         "<h2>Cases</h2>\n<p>Each row is a clock: its window from start to due "
                         "(the dark tick), a dot where it was met, a cross where it was missed; "
                         "the dashed line is the receipt. Hover for the times.</p>\n");
    for (guint i = 0; i < cases->len; i++) {
        const HtmlCase *c = g_ptr_array_index(cases, i);
        g_autofree char *aware = timefmt_rfc3339(c->aware_at);
        g_string_append(out, "<section class=\"case\">\n<h2>");
        esc(out, c->reference);
        g_string_append(out, " <small>");
        esc(out, c->kind);
        if (c->problem && *c->problem) {
            g_string_append(out, "/");
            esc(out, c->problem);
        }
        g_string_append_printf(out, ", received %s</small></h2>\n<p>", aware);
        for (guint j = 0; j < c->clocks->len; j++) {
            const HtmlClock *k = &g_array_index(c->clocks, HtmlClock, j);
            const char *s = clock_status(k, now);
            g_string_append_printf(out, "<span class=\"badge b-%s\">", s);
            esc(out, k->clock);
            g_string_append_printf(out, ": %s%s</span>", s, k->backfilled ? " (back-filled)" : "");
        }
        g_string_append(out, "</p>\n");
        case_svg(out, c, now);
        g_string_append(out, "</section>\n");
    }
    g_string_append(out, "</body>\n</html>\n");
    return g_string_free(g_steal_pointer(&out), FALSE);
}
