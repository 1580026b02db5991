/* extract_tables.c - tables with a header row (CSV, markdown, tab, semicolon,
 * HTML cells) give serial / sha256 / crt.sh columns. */
#include "extract_internal.h"

#include <string.h>

/* ------------------------------------------------------------------ tables */

typedef enum { COL_NONE, COL_SERIAL, COL_SERIAL_DEC, COL_SHA256, COL_FINGERPRINT, COL_CRTSH, COL_DOMAIN } Column;

static Column column_kind(const char *cell)
{
    GString *n = g_string_new(NULL);
    for (const char *c = cell; *c; c++)
        if (g_ascii_isalnum(*c))
            g_string_append_c(n, g_ascii_tolower(*c));
    const char *s = n->str;
    Column k = COL_NONE;
    if (strstr(s, "sha1") || strstr(s, "md5"))
        k = COL_NONE;
    else if (strstr(s, "crtsh"))
        k = COL_CRTSH;
    else if (strstr(s, "sha256"))
        k = COL_SHA256;
    else if (strstr(s, "fingerprint") || strstr(s, "thumbprint"))
        k = COL_FINGERPRINT;
    else if (strstr(s, "serial") || strstr(s, "seriennummer") || strstr(s, "numerodeserie"))
        k = strstr(s, "dec") ? COL_SERIAL_DEC : COL_SERIAL;
    else if (strstr(s, "domain") || strstr(s, "dns") || strcmp(s, "name") == 0 || strcmp(s, "san") == 0 ||
             strcmp(s, "sans") == 0 || strcmp(s, "subjectaltname") == 0 || strcmp(s, "hostname") == 0 ||
             strcmp(s, "host") == 0 || strcmp(s, "fqdn") == 0 || strcmp(s, "cn") == 0 ||
             strcmp(s, "commonname") == 0)
        k = COL_DOMAIN;
    g_string_free(n, TRUE);
    return k;
}

/* Split one line on `delim`, honouring double quotes, trimming cells. */
static GPtrArray *split_cells(const char *line, gsize n, char delim)
{
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    gboolean quoted = FALSE;
    for (gsize i = 0; i < n; i++) {
        char c = line[i];
        if (c == '"') {
            if (quoted && i + 1 < n && line[i + 1] == '"') {
                g_string_append_c(cur, '"');
                i++;
            } else {
                quoted = !quoted;
            }
        } else if (c == delim && !quoted) {
            g_ptr_array_add(cells, g_strstrip(g_strdup(cur->str)));
            g_string_truncate(cur, 0);
        } else {
            g_string_append_c(cur, c);
        }
        if (cells->len > 256)
            break;
    }
    g_ptr_array_add(cells, g_strstrip(g_strdup(cur->str)));
    g_string_free(cur, TRUE);
    return cells;
}

/* Whitespace-aligned columns ("Serial      NotBefore     Subject"): cells
 * are separated by two or more blanks. */
static GPtrArray *split_aligned(const char *line, gsize n)
{
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    gsize i = 0;
    while (i < n && cells->len <= 256) {
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= n)
            break;
        gsize start = i;
        while (i < n && !(line[i] == '\t' || (line[i] == ' ' && i + 1 < n && line[i + 1] == ' ') ||
                          (line[i] == ' ' && i + 1 == n)))
            i++;
        g_ptr_array_add(cells, g_strndup(line + start, i - start));
    }
    return cells;
}

/* ' ' stands for aligned columns. */
static char pick_delimiter(const char *line, gsize n)
{
    static const char order[] = { '|', '\t', ';', ',' };
    for (gsize i = 0; i < G_N_ELEMENTS(order); i++)
        if (memchr(line, order[i], n))
            return order[i];
    if (g_strstr_len(line, (gssize)n, "  "))
        return ' ';
    return '\0';
}

static GPtrArray *cells_of(const char *line, gsize n, char delim)
{
    return delim == ' ' ? split_aligned(line, n) : split_cells(line, n, delim);
}

static void table_cell(Scan *sc, gsize pos, Column k, const char *v)
{
    gsize n = strlen(v);
    if (n == 0)
        return;
    switch (k) {
    case COL_SERIAL: {
        char *serial = extract_normalize_serial(v);
        gsize digits = 0;
        for (const char *c = v; *c; c++)
            digits += g_ascii_isxdigit(*c) ? 1 : 0;
        if (serial && digits >= MIN_TEXT_SERIAL_DIGITS)
            xt_hits_add(sc->hits, pos, HIT_SERIAL, serial);
        else
            g_free(serial);
        break;
    }
    case COL_SERIAL_DEC:
        if (strspn(v, "0123456789") == n && n >= MIN_TEXT_SERIAL_DIGITS)
            xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_decimal(v, n));
        break;
    case COL_SHA256:
    case COL_FINGERPRINT: {
        GString *hex = g_string_new(NULL);
        gboolean ok = TRUE;
        for (const char *c = v; *c; c++) {
            if (g_ascii_isxdigit(*c))
                g_string_append_c(hex, g_ascii_tolower(*c));
            else if (*c != ':' && *c != ' ')
                ok = FALSE;
        }
        if (ok && hex->len == 64)
            xt_hits_add(sc->hits, pos, HIT_SHA256, g_string_free(hex, FALSE));
        else
            g_string_free(hex, TRUE);
        break;
    }
    case COL_CRTSH:
        if (strspn(v, "0123456789") == n && n <= 20)
            xt_hits_add(sc->hits, pos, HIT_CRTSH, g_strdup(v));
        break;
    default:
        break; /* domains: the domain pattern reads the whole text */
    }
}

/* Step 4: a header row naming serial / sha256 / crt.sh columns, then rows
 * using the same delimiter. */
void xt_scan_tables(Scan *sc)
{
    gsize pos = 0;
    while (pos < sc->len) {
        gsize a, b;
        gsize next = xt_quoted_line(sc, pos, &a, &b);
        char delim = pick_delimiter(sc->work + a, b - a);
        if (delim == '\0' || b - a > 1024) {
            pos = next;
            continue;
        }
        GPtrArray *head = cells_of(sc->work + a, b - a, delim);
        Column cols[257];
        gboolean useful = FALSE, plausible = head->len >= 2;
        for (guint i = 0; i < head->len && i < G_N_ELEMENTS(cols); i++) {
            const char *h = g_ptr_array_index(head, i);
            if (strlen(h) > 40 || strpbrk(h, ":=") != NULL)
                plausible = FALSE; /* prose or "Serial: 6851..", not a header */
            cols[i] = column_kind(h);
            if (cols[i] != COL_NONE && cols[i] != COL_DOMAIN)
                useful = TRUE;
        }
        guint ncols = MIN(head->len, G_N_ELEMENTS(cols));
        g_ptr_array_unref(head);
        if (!useful || !plausible) {
            pos = next;
            continue;
        }
        pos = next;
        while (pos < sc->len) {
            gsize ra, rb;
            gsize row_next = xt_quoted_line(sc, pos, &ra, &rb);
            if (ra == rb || (delim != ' ' && !memchr(sc->work + ra, delim, rb - ra)))
                break;
            GPtrArray *cells = cells_of(sc->work + ra, rb - ra, delim);
            if (delim == ' ' && cells->len < 2) {
                g_ptr_array_unref(cells);
                break;
            }
            for (guint i = 0; i < cells->len && i < ncols; i++)
                table_cell(sc, ra, cols[i], g_ptr_array_index(cells, i));
            g_ptr_array_unref(cells);
            pos = row_next;
        }
    }
}
