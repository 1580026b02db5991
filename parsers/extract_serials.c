/* extract_serials.c - serial numbers and SHA-256 fingerprints written in text:
 * separated pairs, runs of hex, decimal, and the labels before them. */
#include "extract_internal.h"

#include <string.h>

/* Lowercase hex digits `hex` (no separators) as a serial: even length, leading
 * zero octets dropped, 1..20 octets, not zero. NULL otherwise. */
static char *xt_serial_from_hex_digits(const char *hex, gsize n)
{
    if (n == 0 || !xt_is_hex_string(hex, n))
        return NULL;
    GString *s = g_string_sized_new(n + 1);
    if (n % 2)
        g_string_append_c(s, '0');
    for (gsize i = 0; i < n; i++)
        g_string_append_c(s, g_ascii_tolower(hex[i]));
    gsize skip = 0;
    while (s->len - skip > 2 && s->str[skip] == '0' && s->str[skip + 1] == '0')
        skip += 2;
    g_string_erase(s, 0, (gssize)skip);
    if (s->len > 2 * MAX_SERIAL_BYTES || strspn(s->str, "0") == s->len) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* A big decimal number as a serial. NULL when it does not fit 20 octets. */
char *xt_serial_from_decimal(const char *digits, gsize n)
{
    guint8 bytes[MAX_SERIAL_BYTES + 1] = { 0 };
    const gsize nb = sizeof bytes;
    if (n == 0 || n > 60)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isdigit(digits[i]))
            return NULL;
        guint carry = (guint)(digits[i] - '0');
        for (gsize j = nb; j-- > 0;) {
            guint v = bytes[j] * 10u + carry;
            bytes[j] = (guint8)(v & 0xff);
            carry = v >> 8;
        }
        if (carry)
            return NULL;
    }
    GString *hex = g_string_new(NULL);
    for (gsize j = 0; j < nb; j++)
        g_string_append_printf(hex, "%02x", bytes[j]);
    char *serial = xt_serial_from_hex_digits(hex->str, hex->len);
    g_string_free(hex, TRUE);
    return serial;
}

char *extract_normalize_serial(const char *text)
{
    if (text == NULL)
        return NULL;
    g_autofree char *t = g_strstrip(g_strdup(text));
    const char *s = t;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (*s == '\0')
        return NULL;
    GString *digits = g_string_new(NULL);
    gboolean separated = strpbrk(s, ": \t-") != NULL;
    gboolean ok = TRUE;
    if (separated) {
        /* Every group an even number of digits ("68:51", "6851 92f1"); only
         * the first may be odd ("8:51:.."). One kind of separator. */
        char sep = s[strcspn(s, ": \t-")];
        char seps[2] = { sep, '\0' };
        char **groups = g_strsplit(s, seps, -1);
        for (guint i = 0; groups[i] && ok; i++) {
            gsize n = strlen(groups[i]);
            if (n == 0 || !xt_is_hex_string(groups[i], n) || (i > 0 && n % 2))
                ok = FALSE;
            else
                g_string_append(digits, groups[i]);
        }
        g_strfreev(groups);
    } else {
        g_string_append(digits, s);
    }
    char *serial = ok ? xt_serial_from_hex_digits(digits->str, digits->len) : NULL;
    g_string_free(digits, TRUE);
    return serial;
}

/* The label, if any, that ends right before `start`: on the same line, or on
 * the line before when the value stands alone on its line ("Serial Number:\n
 *     68:51:.."). */
static Label xt_label_before(Scan *sc, const Patterns *p, gsize start)
{
    /* Never look further back than the window: on a megabyte without a
     * newline, walking to the line start for every value is quadratic. */
    gsize floor_pos = start > 2 * LABEL_WINDOW_BYTES ? start - 2 * LABEL_WINDOW_BYTES : 0;
    gsize ls = start;
    while (ls > floor_pos && sc->work[ls - 1] != '\n')
        ls--;
    gsize from = ls;
    gboolean only_space = TRUE;
    for (gsize i = ls; i < start; i++)
        if (sc->work[i] != ' ' && sc->work[i] != '\t' && sc->work[i] != '>')
            only_space = FALSE;
    if (only_space && ls > 0 && sc->work[ls - 1] == '\n') {
        from = ls - 1;
        while (from > floor_pos && sc->work[from - 1] != '\n')
            from--;
    }
    if (start - from > LABEL_WINDOW_BYTES)
        from = start - LABEL_WINDOW_BYTES;
    while (from < start && ((guchar)sc->work[from] & 0xc0) == 0x80)
        from++; /* not in the middle of a UTF-8 character */
    if (from == start)
        return LABEL_NONE;

    /* one line of single spaces: the pattern is written for that */
    GString *w = g_string_sized_new(start - from);
    for (gsize i = from; i < start; i++) {
        char c = sc->work[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ' || c == '>') {
            if (w->len > 0 && w->str[w->len - 1] != ' ')
                g_string_append_c(w, ' ');
            continue;
        }
        g_string_append_c(w, c);
    }
    Label label = LABEL_NONE;
    GMatchInfo *mi = NULL;
    if (g_regex_match(p->label, w->str, 0, &mi)) {
        char *groups[8] = { NULL };
        for (int g = 1; g <= 7; g++) {
            groups[g] = g_match_info_fetch(mi, g);
            if (groups[g] && *groups[g] == '\0')
                g_clear_pointer(&groups[g], g_free);
        }
        if (groups[1] || groups[7])
            label = LABEL_IGNORE;
        else if (groups[2] || groups[6])
            label = LABEL_SHA256;
        else if (groups[3])
            label = LABEL_SERIAL_DEC;
        else if (groups[4])
            label = LABEL_SERIAL;
        else if (groups[5])
            label = LABEL_FINGERPRINT;
        for (int g = 1; g <= 7; g++)
            g_free(groups[g]);
    }
    g_match_info_free(mi);
    /* A label line ending in ':' that names a hash or a key anywhere ("SPKI
     * SHA-256:", "SHA-1 thumbprint of the first, as Windows shows it:")
     * labels a hash, whatever word it ends with; a serial label stays one. */
    if (label == LABEL_NONE || label == LABEL_SHA256 || label == LABEL_FINGERPRINT) {
        gsize n = w->len;
        while (n > 0 && w->str[n - 1] == ' ')
            n--;
        if (n > 0 && w->str[n - 1] == ':' &&
            g_regex_match_full(p->label_ignore, w->str, (gssize)n, 0, 0, NULL, NULL))
            label = LABEL_IGNORE;
    }
    g_string_free(w, TRUE);
    return label;
}

/* A separated run of `npairs` octets, digits in `hex`. */
static void classify_separated(Scan *sc, const Patterns *p, gsize pos, const char *hex, guint npairs,
                               gboolean colon)
{
    if (npairs < 2)
        return;
    gboolean has_letter = FALSE;
    for (const char *c = hex; *c; c++)
        if (g_ascii_isalpha(*c))
            has_letter = TRUE;
    if (npairs == 32) {
        Label l = xt_label_before(sc, p, pos);
        if (l != LABEL_IGNORE && l != LABEL_SERIAL_DEC)
            xt_hits_add(sc->hits, pos, HIT_SHA256, g_ascii_strdown(hex, -1));
        return;
    }
    if (npairs > MAX_SERIAL_BYTES + 1 || strlen(hex) < MIN_TEXT_SERIAL_DIGITS)
        return;
    Label l = xt_label_before(sc, p, pos);
    if (l == LABEL_SERIAL) {
        xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_hex_digits(hex, strlen(hex)));
        return;
    }
    if (l != LABEL_NONE)
        return; /* a SHA-1, a key identifier, a decimal label on hex: not a serial */
    /* Unlabelled: a 6-octet colon run is a MAC address; space-separated pairs of
     * digits only are phone numbers and tables, unless long. */
    if (colon && npairs == 6)
        return;
    if (!colon && !has_letter && npairs < 8)
        return;
    xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_hex_digits(hex, strlen(hex)));
}

/* Collect the octets of a separated match: returns the digits, sets npairs.
 * Pairs after a change of letter case are cut off: "... DC 89 de la" ends the
 * upper-case serial before the Spanish "de". */
static char *separated_digits(const char *m, gsize n, guint *npairs, gsize *used)
{
    GString *hex = g_string_new(NULL);
    int case_seen = 0; /* 0 none, 1 upper, 2 lower */
    gsize i = 0;
    *npairs = 0;
    *used = 0;
    while (i + 1 < n) {
        if (!g_ascii_isxdigit(m[i])) {
            i++;
            continue;
        }
        char a = m[i], b = m[i + 1];
        int c = 0;
        if (g_ascii_isupper(a) || g_ascii_isupper(b))
            c = 1;
        if (g_ascii_islower(a) || g_ascii_islower(b))
            c = c ? 3 : 2;
        if (c == 3 || (c && case_seen && c != case_seen))
            break;
        if (c)
            case_seen = c;
        g_string_append_c(hex, a);
        g_string_append_c(hex, b);
        (*npairs)++;
        i += 2;
        *used = i;
    }
    return g_string_free(hex, FALSE);
}

/* Step 3a: separated pairs. The matches are collected first and then read:
 * one pass of the pattern over the text (restarting a match at an offset makes
 * PCRE re-check the UTF-8 of the whole subject, quadratic on big texts). */
void xt_scan_separated(Scan *sc, const Patterns *p, GRegex *re, gboolean colon)
{
    GArray *spans = g_array_new(FALSE, FALSE, sizeof(gint) * 2);
    GMatchInfo *mi = NULL;
    g_regex_match_full(re, sc->work, (gssize)sc->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        gint se[2] = { 0, 0 };
        g_match_info_fetch_pos(mi, 0, &se[0], &se[1]);
        g_array_append_val(spans, se);
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);

    gsize skip_until = 0;
    for (guint i = 0; i < spans->len; i++) {
        const gint *se = &g_array_index(spans, gint, 2 * i);
        gsize s = (gsize)se[0], e = (gsize)se[1];
        if (s < skip_until)
            continue;
        guint npairs = 0;
        gsize used = 0;
        char *hex = separated_digits(sc->work + s, e - s, &npairs, &used);
        if (npairs >= MAX_SEPARATED_PAIRS) {
            /* The pattern stopped at its limit inside a longer run (a modulus, a
             * megabyte of "00 "): the whole run is nothing. */
            gsize q = e;
            while (q < sc->len && (g_ascii_isxdigit(sc->work[q]) || (sc->work[q] != '\0' && strchr(" :\t\r\n>", sc->work[q]) != NULL)))
                q++;
            skip_until = q;
            xt_blank(sc->work, s, q);
            g_free(hex);
            continue;
        }
        classify_separated(sc, p, s, hex, npairs, colon);
        g_free(hex);
        xt_blank(sc->work, s, s + (used ? used : e - s));
    }
    g_array_unref(spans);
}

/* ------------------------------------------------------- serial lists */

/* Words that make a heading (or a label before a batch) a serial heading. */
static gboolean has_serial_word(const char *s, gsize n)
{
    static const char *const words[] = {"serial", "seriennummer", "serienummer", "de serie", "de série",
                                        "di serie", "seryjny", "シリアル", NULL};
    g_autofree char *lo = g_utf8_strdown(s, (gssize)n);
    for (gsize i = 0; words[i]; i++)
        if (strstr(lo, words[i]))
            return TRUE;
    return FALSE;
}

/* Line [a, b) of the working copy as a list line: after quote markers and a
 * bullet ("-", "*", "•", "1.", "2)"), an optional label ending in ':' and then
 * only hex tokens (8 to 64 digits, colons allowed) separated by blanks, commas
 * or semicolons. Sets *label_end to where the tokens start (a == no label). */
static gboolean list_line(const char *w, gsize a, gsize b, gsize *label_end, guint *serial_like)
{
    *serial_like = 0;
    xt_strip_quoted(w, &a, &b);
    /* tab or pipe separated: a table, read by its columns (extract_tables.c) */
    if (memchr(w + a, '\t', b - a) || memchr(w + a, '|', b - a))
        return FALSE;
    if (a < b && (w[a] == '-' || w[a] == '*'))
        a++;
    else if (b - a >= 3 && g_str_has_prefix(w + a, "\xe2\x80\xa2"))
        a += 3;
    else {
        gsize d = a;
        while (d < b && g_ascii_isdigit(w[d]) && d - a < 4)
            d++;
        if (d > a && d < b && (w[d] == '.' || w[d] == ')'))
            a = d + 1;
    }
    while (a < b && (w[a] == ' ' || w[a] == '\t'))
        a++;
    gsize colon = a;
    const char *c = memchr(w + a, ':', b - a);
    gsize start = a;
    /* a label "... serials:" before the tokens, when the first token after it
     * is not itself colon-separated hex */
    if (c && (gsize)(c - w) - a <= 80) {
        gsize q = (gsize)(c - w) + 1;
        while (q < b && (w[q] == ' ' || w[q] == '\t'))
            q++;
        gboolean label_like = FALSE;
        for (gsize k = a; k < (gsize)(c - w); k++)
            if (g_ascii_isalpha(w[k]) && !g_ascii_isxdigit(w[k]))
                label_like = TRUE;
        if (label_like) {
            colon = (gsize)(c - w);
            start = q;
        }
    }
    guint tokens = 0;
    gsize i = start;
    while (i < b) {
        while (i < b && (w[i] == ' ' || w[i] == '\t' || w[i] == ',' || w[i] == ';'))
            i++;
        if (i >= b)
            break;
        gsize t = i, digits = 0;
        while (i < b && (g_ascii_isxdigit(w[i]) || w[i] == ':')) {
            digits += w[i] != ':';
            i++;
        }
        if (i < b && !(w[i] == ' ' || w[i] == '\t' || w[i] == ',' || w[i] == ';'))
            return FALSE;
        if (digits < MIN_TEXT_SERIAL_DIGITS || digits > 64 || i == t)
            return FALSE;
        tokens++;
        gboolean letter = FALSE;
        for (gsize k = t; k < i; k++)
            letter = letter || (g_ascii_isalpha(w[k]) && w[k] != ':');
        if (letter && digits >= 16 && digits <= 2 * (MAX_SERIAL_BYTES + 1))
            (*serial_like)++;
    }
    *label_end = start > a ? colon : a;
    if (*serial_like != tokens)
        *serial_like = 0;
    return TRUE;
}

/* The hex run at `pos` stands in a list of serials: its line is a list line
 * under a heading (or with a label) that names serials, possibly across blank
 * lines and other list lines ("Serials:\n\n  0a1b..\n  0c2d.."; "First batch
 * of serials: 0a1b.. 0c2d..\n\nSecond batch: 0e3f.."). */
static gboolean in_serial_list(Scan *sc, const Patterns *p, gsize pos)
{
    const char *w = sc->work;
    gsize ls = pos;
    while (ls > 0 && w[ls - 1] != '\n' && pos - ls < 4096)
        ls--;
    gsize le = xt_line_end(w, sc->len, pos);
    gsize label_end = 0;
    guint serial_like = 0;
    if (!list_line(w, ls, le, &label_end, &serial_like))
        return FALSE;
    if (sc->list_line == ls + 1)
        return TRUE;
    gboolean found = label_end > ls && has_serial_word(w + ls, label_end - ls);
    /* a batch after a label of its own ("Batch from 2026-10-28: 5d0e.. 62aa..")
     * names serials by its layout: two or more serial-length hex tokens with
     * letters, unless the label names hashes or keys */
    if (!found && label_end > ls && serial_like >= 2)
        found = !g_regex_match_full(p->label_ignore, w + ls, (gssize)(label_end - ls), 0, 0, NULL,
                                    NULL);
    gsize cur = ls;
    for (int steps = 0; !found && cur > 0 && steps < 256; steps++) {
        gsize pe = cur - 1; /* the '\n' ending the previous line */
        gsize ps = pe;
        while (ps > 0 && w[ps - 1] != '\n' && pe - ps < 4096)
            ps--;
        if (sc->list_line == ps + 1) {
            found = TRUE;
            break;
        }
        gsize a = ps, b = pe;
        xt_strip_quoted(w, &a, &b);
        gsize le2 = 0;
        guint serial_like2 = 0;
        if (a == b) {
            cur = ps;
            continue; /* blank lines may separate a heading from its list */
        }
        if (list_line(w, ps, pe, &le2, &serial_like2)) {
            if (le2 > ps && has_serial_word(w + ps, le2 - ps))
                found = TRUE;
            cur = ps;
            continue;
        }
        /* the heading: a short line naming serials */
        found = b - a <= 120 && !memchr(w + a, '\t', b - a) && !memchr(w + a, '|', b - a) &&
                has_serial_word(w + a, b - a);
        break;
    }
    if (found)
        sc->list_line = ls + 1;
    return found;
}

/* Step 3b: runs of hex digits, with or without 0x. */
void xt_scan_runs(Scan *sc, const Patterns *p)
{
    GMatchInfo *mi = NULL;
    g_regex_match_full(p->hex_run, sc->work, (gssize)sc->len, 0, 0, &mi, NULL);
    while (g_match_info_matches(mi)) {
        gint s = 0, e = 0, hs = 0, he = 0, xs = -1, xe = -1;
        g_match_info_fetch_pos(mi, 0, &s, &e);
        g_match_info_fetch_pos(mi, 1, &xs, &xe);
        g_match_info_fetch_pos(mi, 2, &hs, &he);
        gboolean has0x = xs >= 0 && xe > xs;
        const char *hex = sc->work + hs;
        gsize n = (gsize)(he - hs);
        gsize pos = (gsize)s;
        if (n == 64 && !has0x) {
            Label l = xt_label_before(sc, p, pos);
            if (l != LABEL_IGNORE && l != LABEL_SERIAL_DEC)
                xt_hits_add(sc->hits, pos, HIT_SHA256, g_ascii_strdown(hex, 64));
        } else if (n >= MIN_TEXT_SERIAL_DIGITS && n <= 2 * (MAX_SERIAL_BYTES + 1)) {
            Label l = xt_label_before(sc, p, pos);
            gboolean digits_only = strspn(hex, "0123456789") >= n;
            if (l == LABEL_SERIAL_DEC && digits_only && !has0x)
                xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_decimal(hex, n));
            else if (l == LABEL_SERIAL)
                xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_hex_digits(hex, n));
            else if (l == LABEL_NONE && has0x && n >= MIN_BARE_0X_SERIAL_DIGITS)
                xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_hex_digits(hex, n));
            else if (l != LABEL_IGNORE && !has0x && in_serial_list(sc, p, pos))
                xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_hex_digits(hex, n));
        } else if (n > 2 * (MAX_SERIAL_BYTES + 1) && n <= 60 && !has0x) {
            /* too long for hex, but a labelled decimal serial can be this long */
            if (strspn(hex, "0123456789") >= n && xt_label_before(sc, p, pos) == LABEL_SERIAL_DEC)
                xt_hits_add(sc->hits, pos, HIT_SERIAL, xt_serial_from_decimal(hex, n));
        }
        g_match_info_next(mi, NULL);
    }
    g_match_info_free(mi);
}
