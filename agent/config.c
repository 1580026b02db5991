/* config.c - load and validate the configuration file (SPEC 3.3).
 *
 * Validation is table-driven: every section has a list of known keys with a
 * kind, so an unknown key, a bad value or a missing required key is reported
 * with the file, the section, the key and what was expected. GKeyFile gives no
 * line numbers, so the [section] key= pair is the address we name. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "secret.h"
#include "rules.h"
#include "cpr_error.h"

typedef enum { K_STRING, K_LIST, K_BOOL, K_INT, K_URL, K_SECRET, K_FILE, K_PROCESSED, K_COUNT } KeyKind;

typedef struct {
    const char *group;   /* "notify.*" matches every notify.NAME */
    const char *key;
    KeyKind kind;
    gboolean required;
} KeySpec;

static const KeySpec KEY_SPECS[] = {
    {"ca", "owner", K_STRING, TRUE},
    {"ca", "aliases", K_LIST, FALSE},
    {"ca", "ca_names", K_LIST, FALSE},
    {"ca", "domains", K_LIST, FALSE},
    {"ca", "report_addresses", K_LIST, TRUE},
    {"ca", "public_staff", K_LIST, FALSE},
    {"store", "path", K_STRING, FALSE},
    {"imap", "url", K_URL, TRUE},
    {"imap", "folders", K_LIST, FALSE},
    {"imap", "user", K_STRING, TRUE},
    {"imap", "password_file", K_SECRET, FALSE},
    {"imap", "oauth2_token_file", K_SECRET, FALSE},
    {"imap", "oauth2_refresh_token_file", K_SECRET, FALSE},
    {"imap", "oauth2_token_url", K_URL, FALSE},
    {"imap", "oauth2_client_id", K_STRING, FALSE},
    {"imap", "oauth2_client_secret_file", K_SECRET, FALSE},
    {"imap", "oauth2_ca_file", K_FILE, FALSE},
    {"imap", "oauth2_scope", K_STRING, FALSE},
    {"imap", "ca_file", K_FILE, FALSE},
    {"imap", "processed", K_PROCESSED, FALSE},
    {"imap", "keyword", K_STRING, FALSE},
    {"imap", "poll_seconds", K_INT, FALSE},
    {"imap", "timeout_seconds", K_INT, FALSE},
    {"imap", "idle_seconds", K_INT, FALSE},
    {"imap", "batch", K_INT, FALSE},
    {"bugzilla", "url", K_URL, TRUE},
    {"bugzilla", "api_key_file", K_SECRET, FALSE},
    {"bugzilla", "ca_file", K_FILE, FALSE},
    {"bugzilla", "product", K_STRING, FALSE},
    {"bugzilla", "component", K_STRING, FALSE},
    {"bugzilla", "version", K_STRING, FALSE},
    {"bugzilla", "auto_file", K_BOOL, FALSE},
    {"bugzilla", "ca_accounts", K_LIST, FALSE},
    {"bugzilla", "op_sys", K_STRING, FALSE},
    {"bugzilla", "platform", K_STRING, FALSE},
    {"bugzilla", "timeout_seconds", K_INT, FALSE},
    {"drafts", "template_dir", K_STRING, FALSE},
    {"drafts", "template_version", K_STRING, FALSE},
    {"drafts", "br_version", K_STRING, FALSE},
    {"classify", "rules", K_FILE, FALSE},
    {"notify.*", "type", K_STRING, TRUE},
    {"notify.*", "url", K_URL, FALSE},
    {"notify.*", "routing_key_file", K_SECRET, FALSE},
    {"notify.*", "secret_file", K_SECRET, FALSE},
    {"notify.*", "ca_file", K_FILE, FALSE},
    {"notify.*", "to", K_STRING, FALSE},
    {"notify.*", "from", K_STRING, FALSE},
    {"clocks", "escalate_at", K_LIST, FALSE},
    /* acknowledgement mail to reporters and intake health pages (issue 5) */
    /* SMTP shared by acknowledgements and `send` (issue 12) */
    {"mail", "smtp_url", K_URL, FALSE},
    {"mail", "from", K_STRING, FALSE},
    {"mail", "user", K_STRING, FALSE},
    {"mail", "password_file", K_SECRET, FALSE},
    {"mail", "ca_file", K_FILE, FALSE},
    {"ack", "enabled", K_BOOL, FALSE},
    {"ack", "from", K_STRING, FALSE},
    {"ack", "smtp_url", K_URL, FALSE},
    {"ack", "text_file", K_FILE, FALSE},
    {"ack", "ca_file", K_FILE, FALSE},
    {"ack", "user", K_STRING, FALSE},
    {"ack", "password_file", K_SECRET, FALSE},
    {"health", "connection_down_seconds", K_INT, FALSE},
    {"health", "heartbeat_seconds", K_INT, FALSE},
    /* signed checkpoints of the audit chain (issue 13). The key is a secret
     * file, but only the commands that sign read it (checkpoint.h): K_STRING
     * here, so that `audit verify` on an auditor's machine needs no key. */
    {"audit", "signing_key_file", K_STRING, FALSE},
    {"audit", "checkpoint_file", K_STRING, FALSE},
    {"audit", "checkpoint_seconds", K_INT, FALSE},
    {"audit", "backfill_slack_seconds", K_INT, FALSE},
    /* floods and full disks (issue 17); K_COUNT: 0 to 1000000000 */
    {"store", "min_free_mb", K_COUNT, FALSE},
    {"notify", "max_new_case_pages_per_sender_hour", K_COUNT, FALSE},
    {"notify", "max_new_case_pages_hour", K_COUNT, FALSE},
    {"notify", "max_acks_per_recipient_day", K_COUNT, FALSE},
    /* the digest page of unreviewed triage mail (issue 11) */
    {"triage", "digest_hours", K_COUNT, FALSE},
};

static const char *const NOTIFY_TYPES[] = {"webhook", "slack", "pagerduty", "email", NULL};

static gboolean group_matches(const char *spec_group, const char *group)
{
    if (g_str_has_suffix(spec_group, ".*"))
        return g_str_has_prefix(group, "notify.") && group[strlen("notify.")] != '\0';
    return g_strcmp0(spec_group, group) == 0;
}

static const KeySpec *key_spec_find(const char *group, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(KEY_SPECS); i++)
        if (group_matches(KEY_SPECS[i].group, group) && g_strcmp0(KEY_SPECS[i].key, key) == 0)
            return &KEY_SPECS[i];
    return NULL;
}

static gboolean group_known(const char *group)
{
    for (gsize i = 0; i < G_N_ELEMENTS(KEY_SPECS); i++)
        if (group_matches(KEY_SPECS[i].group, group))
            return TRUE;
    return FALSE;
}

static gboolean fail(GError **error, const char *file, const char *group, const char *key,
                     const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean fail(GError **error, const char *file, const char *group, const char *key,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (key)
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: [%s] %s: %s", file, group, key, what);
    else
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: [%s]: %s", file, group, what);
    return FALSE;
}

static void notify_target_free(gpointer p)
{
    NotifyTarget *t = p;
    g_free(t->name);
    g_free(t->type);
    g_free(t->url);
    g_free(t->key_file);
    g_free(t->ca_file);
    g_free(t->to);
    g_free(t->from);
    g_free(t);
}

void config_free(Config **cfg)
{
    if (!cfg || !*cfg)
        return;
    Config *c = *cfg;
    g_free(c->path);
    g_free(c->ca_owner);
    g_strfreev(c->ca_aliases);
    g_strfreev(c->ca_names);
    g_strfreev(c->ca_domains);
    g_strfreev(c->ca_report_addresses);
    g_strfreev(c->ca_public_staff);
    g_free(c->store_path);
    g_free(c->imap_url);
    g_free(c->imap_host);
    g_strfreev(c->imap_folders);
    g_free(c->imap_user);
    g_free(c->imap_password_file);
    g_free(c->imap_oauth2_token_file);
    g_free(c->imap_oauth2_refresh_token_file);
    g_free(c->imap_oauth2_token_url);
    g_free(c->imap_oauth2_client_id);
    g_free(c->imap_oauth2_client_secret_file);
    g_free(c->imap_oauth2_ca_file);
    g_free(c->imap_oauth2_scope);
    g_free(c->imap_ca_file);
    g_free(c->imap_keyword);
    g_free(c->imap_move_folder);
    g_free(c->bugzilla_url);
    g_free(c->bugzilla_api_key_file);
    g_free(c->bugzilla_ca_file);
    g_free(c->bugzilla_product);
    g_free(c->bugzilla_component);
    g_free(c->bugzilla_version);
    g_free(c->bugzilla_op_sys);
    g_free(c->bugzilla_platform);
    g_strfreev(c->bugzilla_ca_accounts);
    g_free(c->drafts_template_dir);
    g_free(c->drafts_template_version);
    g_free(c->drafts_br_version);
    g_free(c->ack_from);
    g_free(c->mail_smtp_url);
    g_free(c->mail_from);
    g_free(c->mail_user);
    g_free(c->mail_password_file);
    g_free(c->mail_ca_file);
    g_strfreev(c->warnings);
    g_free(c->ack_smtp_url);
    g_free(c->ack_text_file);
    g_free(c->ack_ca_file);
    g_free(c->ack_user);
    g_free(c->ack_password_file);
    g_free(c->audit_signing_key_file);
    g_free(c->audit_checkpoint_file);
    if (c->notify)
        g_ptr_array_unref(c->notify);
    g_free(c);
    *cfg = NULL;
}

CaIdentity config_ca_identity(const Config *cfg)
{
    CaIdentity ca = {
        .owner = cfg->ca_owner,
        .aliases = (const char *const *)cfg->ca_aliases,
        .ca_names = (const char *const *)cfg->ca_names,
        .domains = (const char *const *)cfg->ca_domains,
        .report_addresses = (const char *const *)cfg->ca_report_addresses,
    };
    return ca;
}

/* A list value: items trimmed, empty items dropped, never NULL. */
static char **get_list(GKeyFile *kf, const char *group, const char *key)
{
    g_auto(GStrv) raw = g_key_file_get_string_list(kf, group, key, NULL, NULL);
    GPtrArray *out = g_ptr_array_new();
    for (gsize i = 0; raw && raw[i]; i++) {
        char *item = g_strstrip(g_strdup(raw[i]));
        if (*item)
            g_ptr_array_add(out, item);
        else
            g_free(item);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static char **get_list_lower(GKeyFile *kf, const char *group, const char *key)
{
    char **list = get_list(kf, group, key);
    for (gsize i = 0; list[i]; i++) {
        char *lower = g_ascii_strdown(list[i], -1);
        g_free(list[i]);
        list[i] = lower;
    }
    return list;
}

static char *get_string(GKeyFile *kf, const char *group, const char *key, const char *dflt)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    if (v) {
        g_strstrip(v);
        if (*v)
            return v;
        g_free(v);
    }
    return g_strdup(dflt);
}

/* A validated K_COUNT key, or `fallback` when absent. */
static guint count_or(GKeyFile *kf, const char *group, const char *key, guint fallback)
{
    g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);
    guint64 n = 0;
    if (!v || !g_ascii_string_to_unsigned(g_strstrip(v), 10, 0, 1000000000, &n, NULL))
        return fallback;
    return (guint)n;
}

/* A K_INT key as g_key_file_get_integer() reads it, or `fallback` when
 * absent. */
static int int_or(GKeyFile *kf, const char *group, const char *key, int fallback)
{
    return g_key_file_has_key(kf, group, key, NULL) ? g_key_file_get_integer(kf, group, key, NULL)
                                                    : fallback;
}

/* Check one key's value against its kind; paths relative to the config file's
 * directory are resolved so that the daemon's working directory never matters. */
static gboolean check_value(GKeyFile *kf, const char *file, const char *group, const char *key,
                            const KeySpec *spec, GError **error)
{
    g_autofree char *v = get_string(kf, group, key, NULL);
    if (!v && spec->kind != K_LIST)
        return fail(error, file, group, key, "empty value");
    switch (spec->kind) {
    case K_BOOL:
        if (g_ascii_strcasecmp(v, "true") && g_ascii_strcasecmp(v, "false"))
            return fail(error, file, group, key, "expected true or false, got \"%s\"", v);
        break;
    case K_INT: {
        guint64 n = 0;
        if (!g_ascii_string_to_unsigned(v, 10, 1, 86400, &n, NULL))
            return fail(error, file, group, key, "expected a whole number from 1 to 86400, got \"%s\"",
                        v);
        break;
    }
    case K_COUNT: {
        guint64 n = 0;
        if (!g_ascii_string_to_unsigned(v, 10, 0, 1000000000, &n, NULL))
            return fail(error, file, group, key,
                        "expected a whole number from 0 to 1000000000, got \"%s\"", v);
        break;
    }
    case K_URL: {
        static const char *const schemes[] = {"imaps://", "imap://", "https://", "http://",
                                              "smtps://", "smtp://", NULL};
        gboolean ok = FALSE;
        for (gsize i = 0; schemes[i]; i++)
            ok = ok || g_str_has_prefix(v, schemes[i]);
        if (!ok || !g_uri_is_valid(v, G_URI_FLAGS_NONE, NULL))
            return fail(error, file, group, key, "expected a URL, got \"%s\"", v);
        break;
    }
    case K_SECRET:
        /* Read lazily: only the commands that use a secret check its file
         * (config_check_secrets), so read-only commands need none. */
        break;
    case K_FILE:
        if (!g_file_test(v, G_FILE_TEST_IS_REGULAR) || access(v, R_OK) != 0)
            return fail(error, file, group, key, "expected a readable file, cannot read \"%s\"", v);
        break;
    case K_PROCESSED:
        if (g_strcmp0(v, "keyword") && g_strcmp0(v, "none") &&
            !(g_str_has_prefix(v, "move:") && v[5]))
            return fail(error, file, group, key,
                        "expected keyword, none or move:FOLDER, got \"%s\"", v);
        break;
    case K_STRING:
    case K_LIST:
        break;
    }
    return TRUE;
}

static gboolean validate_structure(GKeyFile *kf, const char *file, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (gsize g = 0; groups[g]; g++) {
        if (!group_known(groups[g]))
            return fail(error, file, groups[g], NULL,
                        "unknown section; expected ca, store, imap, bugzilla, drafts, clocks, "
                        "audit, mail, ack, health, triage, classify, notify or notify.NAME");
        g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
        for (gsize k = 0; keys && keys[k]; k++) {
            const KeySpec *spec = key_spec_find(groups[g], keys[k]);
            if (!spec)
                return fail(error, file, groups[g], keys[k], "unknown key");
            if (!check_value(kf, file, groups[g], keys[k], spec, error))
                return FALSE;
        }
        for (gsize i = 0; i < G_N_ELEMENTS(KEY_SPECS); i++)
            if (KEY_SPECS[i].required && group_matches(KEY_SPECS[i].group, groups[g]) &&
                !g_key_file_has_key(kf, groups[g], KEY_SPECS[i].key, NULL))
                return fail(error, file, groups[g], KEY_SPECS[i].key, "required key is missing");
    }
    if (!g_key_file_has_group(kf, "ca"))
        return fail(error, file, "ca", NULL, "required section is missing");
    return TRUE;
}

/* XOAUTH2 with a refresh token (oauth2.h): the endpoint and the client must be
 * named, and the refresh token file must be one the daemon can replace. */
static gboolean load_imap_oauth2(Config *c, GKeyFile *kf, const char *file, GError **error)
{
    static const char *const only_with_refresh[] = {"oauth2_token_url", "oauth2_client_id",
                                                    "oauth2_client_secret_file",
                                                    "oauth2_ca_file", "oauth2_scope", NULL};
    c->imap_oauth2_token_url = get_string(kf, "imap", "oauth2_token_url", NULL);
    c->imap_oauth2_client_id = get_string(kf, "imap", "oauth2_client_id", NULL);
    c->imap_oauth2_client_secret_file = get_string(kf, "imap", "oauth2_client_secret_file", NULL);
    c->imap_oauth2_ca_file = get_string(kf, "imap", "oauth2_ca_file", NULL);
    c->imap_oauth2_scope = get_string(kf, "imap", "oauth2_scope", NULL);
    if (!c->imap_oauth2_refresh_token_file) {
        for (gsize i = 0; only_with_refresh[i]; i++)
            if (g_key_file_has_key(kf, "imap", only_with_refresh[i], NULL))
                return fail(error, file, "imap", only_with_refresh[i],
                            "only used with oauth2_refresh_token_file, which is not set");
        return TRUE;
    }
    if (!c->imap_oauth2_token_url)
        return fail(error, file, "imap", "oauth2_token_url",
                    "required with oauth2_refresh_token_file: the https:// URL of the OAuth2 "
                    "token endpoint");
    if (!g_str_has_prefix(c->imap_oauth2_token_url, "https://"))
        return fail(error, file, "imap", "oauth2_token_url",
                    "expected an https:// URL (the refresh token must not travel in clear), "
                    "got \"%s\"", c->imap_oauth2_token_url);
    if (!c->imap_oauth2_client_id)
        return fail(error, file, "imap", "oauth2_client_id",
                    "required with oauth2_refresh_token_file: the OAuth2 client id");
    /* Rotated refresh tokens replace the file by rename: its directory must
     * be writable by the daemon (under systemd: in ReadWritePaths). */
    g_autofree char *dir = g_path_get_dirname(c->imap_oauth2_refresh_token_file);
    if (access(dir, W_OK) != 0)
        return fail(error, file, "imap", "oauth2_refresh_token_file",
                    "the directory %s must be writable (rotated refresh tokens replace the "
                    "file): %s", dir, g_strerror(errno));
    return TRUE;
}

static gboolean load_imap(Config *c, GKeyFile *kf, const char *file, GError **error)
{
    c->imap_url = get_string(kf, "imap", "url", NULL);
    g_autoptr(GUri) uri = g_uri_parse(c->imap_url, G_URI_FLAGS_NONE, NULL);
    const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;
    if (!uri || !g_uri_get_host(uri) || (g_strcmp0(scheme, "imaps") && g_strcmp0(scheme, "imap")))
        return fail(error, file, "imap", "url", "expected imaps://HOST[:PORT] or imap://HOST[:PORT]");
    c->imap_implicit_tls = g_strcmp0(scheme, "imaps") == 0;
    c->imap_host = g_strdup(g_uri_get_host(uri));
    c->imap_port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : (c->imap_implicit_tls ? 993 : 143);
    c->imap_folders = get_list(kf, "imap", "folders");
    if (!c->imap_folders[0]) {
        g_strfreev(c->imap_folders);
        c->imap_folders = g_strsplit("INBOX", ";", -1);
    }
    c->imap_user = get_string(kf, "imap", "user", NULL);
    c->imap_password_file = get_string(kf, "imap", "password_file", NULL);
    c->imap_oauth2_token_file = get_string(kf, "imap", "oauth2_token_file", NULL);
    c->imap_oauth2_refresh_token_file = get_string(kf, "imap", "oauth2_refresh_token_file", NULL);
    if ((c->imap_password_file != NULL) + (c->imap_oauth2_token_file != NULL) +
            (c->imap_oauth2_refresh_token_file != NULL) != 1)
        return fail(error, file, "imap", "password_file",
                    "expected exactly one of password_file, oauth2_token_file and "
                    "oauth2_refresh_token_file");
    if (!load_imap_oauth2(c, kf, file, error))
        return FALSE;
    c->imap_ca_file = get_string(kf, "imap", "ca_file", NULL);
    g_autofree char *processed = get_string(kf, "imap", "processed", "keyword");
    if (g_str_has_prefix(processed, "move:")) {
        c->imap_processed = PROCESSED_MOVE;
        c->imap_move_folder = g_strdup(processed + 5);
    } else {
        c->imap_processed = g_strcmp0(processed, "none") == 0 ? PROCESSED_NONE : PROCESSED_KEYWORD;
    }
    c->imap_keyword = get_string(kf, "imap", "keyword", "$CprIntake");
    c->imap_poll_seconds = int_or(kf, "imap", "poll_seconds", 60);
    c->imap_timeout_seconds = int_or(kf, "imap", "timeout_seconds", 30);
    c->imap_idle_seconds = int_or(kf, "imap", "idle_seconds", 1500);
    if (c->imap_idle_seconds > 1740)
        return fail(error, file, "imap", "idle_seconds",
                    "expected at most 1740 (servers end IDLE after 30 minutes)");
    c->imap_batch = int_or(kf, "imap", "batch", 50);
    return TRUE;
}

static gboolean load_notify(Config *c, GKeyFile *kf, const char *file, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (gsize g = 0; groups[g]; g++) {
        if (!g_str_has_prefix(groups[g], "notify."))
            continue;
        NotifyTarget *t = g_new0(NotifyTarget, 1);
        g_ptr_array_add(c->notify, t);
        t->name = g_strdup(groups[g] + strlen("notify."));
        t->type = get_string(kf, groups[g], "type", NULL);
        if (!g_strv_contains(NOTIFY_TYPES, t->type))
            return fail(error, file, groups[g], "type",
                        "expected webhook, slack, pagerduty or email, got \"%s\"", t->type);
        t->url = get_string(kf, groups[g], "url", NULL);
        t->key_file = get_string(kf, groups[g], "routing_key_file", NULL);
        if (!t->key_file)
            t->key_file = get_string(kf, groups[g], "secret_file", NULL);
        t->ca_file = get_string(kf, groups[g], "ca_file", NULL);
        t->to = get_string(kf, groups[g], "to", NULL);
        t->from = get_string(kf, groups[g], "from", NULL);
        if (g_strcmp0(t->type, "pagerduty") == 0 && !t->key_file)
            return fail(error, file, groups[g], "routing_key_file", "required for type pagerduty");
        if (g_strcmp0(t->type, "pagerduty") != 0 && !t->url)
            return fail(error, file, groups[g], "url", "required for type %s", t->type);
        if (g_strcmp0(t->type, "email") == 0 && !t->to)
            return fail(error, file, groups[g], "to", "required for type email");
        /* Pages carry case details: never over plain HTTP except to loopback. */
        if (t->url && g_str_has_prefix(t->url, "http://")) {
            g_autoptr(GUri) u = g_uri_parse(t->url, G_URI_FLAGS_NONE, NULL);
            const char *h = u ? g_uri_get_host(u) : "";
            if (g_strcmp0(h, "127.0.0.1") && g_strcmp0(h, "localhost") && g_strcmp0(h, "::1"))
                return fail(error, file, groups[g], "url",
                            "plain http:// is refused except to loopback; use https://");
        }
    }
    return TRUE;
}

/* [mail] is the SMTP of acknowledgements and `send`; the SMTP keys [ack] had
 * before it are still read, each with a warning naming its new key. */
static void load_mail(Config *c, GKeyFile *kf)
{
    static const char *const keys[] = {"smtp_url", "from", "user", "password_file", "ca_file"};
    char **fields[] = {&c->mail_smtp_url, &c->mail_from, &c->mail_user, &c->mail_password_file,
                       &c->mail_ca_file};
    g_autoptr(GPtrArray) warnings = g_ptr_array_new();
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        *fields[i] = get_string(kf, "mail", keys[i], NULL);
        if (!*fields[i] && g_key_file_has_key(kf, "ack", keys[i], NULL)) {
            *fields[i] = get_string(kf, "ack", keys[i], NULL);
            g_ptr_array_add(warnings,
                            g_strdup_printf("[ack] %s is read as [mail] %s: move it to [mail]",
                                            keys[i], keys[i]));
        }
    }
    if (!c->mail_from && c->ca_report_addresses && c->ca_report_addresses[0])
        c->mail_from = g_strdup(c->ca_report_addresses[0]);
    g_ptr_array_add(warnings, NULL);
    c->warnings = (char **)g_ptr_array_steal(warnings, NULL);
}

static gboolean load_ack_health(Config *c, GKeyFile *kf, const char *file, GError **error)
{
    load_mail(c, kf);
    c->ack_enabled = g_key_file_get_boolean(kf, "ack", "enabled", NULL);
    c->ack_from = get_string(kf, "ack", "from", NULL);
    c->ack_smtp_url = get_string(kf, "ack", "smtp_url", NULL);
    c->ack_text_file = get_string(kf, "ack", "text_file", NULL);
    c->ack_ca_file = get_string(kf, "ack", "ca_file", NULL);
    c->ack_user = get_string(kf, "ack", "user", NULL);
    c->ack_password_file = get_string(kf, "ack", "password_file", NULL);
    /* acknowledgements use [mail] for what [ack] does not say */
    if (!c->ack_smtp_url && c->mail_smtp_url) {
        c->ack_smtp_url = g_strdup(c->mail_smtp_url);
        if (!c->ack_from)
            c->ack_from = g_strdup(c->mail_from);
    }
    if (!c->ack_user && c->mail_user)
        c->ack_user = g_strdup(c->mail_user);
    if (!c->ack_password_file && c->mail_password_file)
        c->ack_password_file = g_strdup(c->mail_password_file);
    if (!c->ack_ca_file && c->mail_ca_file)
        c->ack_ca_file = g_strdup(c->mail_ca_file);
    if (c->ack_enabled && (!c->ack_from || !strchr(c->ack_from, '@')))
        return fail(error, file, "ack", "from", "an e-mail address is required when enabled=true");
    if (c->ack_enabled && (!c->ack_smtp_url || !(g_str_has_prefix(c->ack_smtp_url, "smtp://") ||
                                                 g_str_has_prefix(c->ack_smtp_url, "smtps://"))))
        return fail(error, file, "ack", "smtp_url",
                    "an smtps:// or smtp:// URL is required when enabled=true");
    if (!c->ack_user != !c->ack_password_file)
        return fail(error, file, "ack", "user", "user and password_file go together");
    c->store_min_free_mb = count_or(kf, "store", "min_free_mb", 200);
    c->notify_max_new_case_pages_per_sender_hour =
        count_or(kf, "notify", "max_new_case_pages_per_sender_hour", 5);
    c->notify_max_new_case_pages_hour = count_or(kf, "notify", "max_new_case_pages_hour", 20);
    c->notify_max_acks_per_recipient_day = count_or(kf, "notify", "max_acks_per_recipient_day", 3);
    c->triage_digest_hours = count_or(kf, "triage", "digest_hours", 0);
    if (c->triage_digest_hours > TRIAGE_DIGEST_HOURS_MAX)
        return fail(error, file, "triage", "digest_hours",
                    "expected a whole number of hours from 0 to %u (0: the default, 4), got %u",
                    TRIAGE_DIGEST_HOURS_MAX, c->triage_digest_hours);
    if (!c->triage_digest_hours)
        c->triage_digest_hours = 4;
    c->health_down_seconds = int_or(kf, "health", "connection_down_seconds", 900);
    c->health_heartbeat_seconds = int_or(kf, "health", "heartbeat_seconds", 3600);
    return TRUE;
}

static gboolean load_clocks(Config *c, GKeyFile *kf, const char *file, GError **error)
{
    static const guint dflt[] = {50, 75, 90, 100};
    if (!g_key_file_has_key(kf, "clocks", "escalate_at", NULL)) {
        memcpy(c->escalate_at, dflt, sizeof dflt);
        c->n_escalate_at = G_N_ELEMENTS(dflt);
        return TRUE;
    }
    g_auto(GStrv) items = get_list(kf, "clocks", "escalate_at");
    guint prev = 0;
    for (gsize i = 0; items[i]; i++) {
        guint64 pct = 0;
        if (i >= G_N_ELEMENTS(c->escalate_at) ||
            !g_ascii_string_to_unsigned(items[i], 10, 1, 100, &pct, NULL) || pct <= prev)
            return fail(error, file, "clocks", "escalate_at",
                        "expected up to 8 ascending percentages from 1 to 100, e.g. 50;75;90;100");
        c->escalate_at[c->n_escalate_at++] = (guint)pct;
        prev = (guint)pct;
    }
    return TRUE;
}

Config *config_load(const char *path, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *local = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: %s", path, local->message);
        g_error_free(local);
        return NULL;
    }
    g_key_file_set_list_separator(kf, ';');
    if (!validate_structure(kf, path, error))
        return NULL;

    Config *c = g_new0(Config, 1);
    c->path = g_strdup(path);
    c->notify = g_ptr_array_new_with_free_func(notify_target_free);
    c->ca_owner = get_string(kf, "ca", "owner", NULL);
    c->ca_aliases = get_list(kf, "ca", "aliases");
    c->ca_names = get_list(kf, "ca", "ca_names");
    c->ca_domains = get_list_lower(kf, "ca", "domains");
    c->ca_report_addresses = get_list_lower(kf, "ca", "report_addresses");
    c->ca_public_staff = get_list_lower(kf, "ca", "public_staff");
    if (!c->ca_report_addresses[0]) {
        fail(error, path, "ca", "report_addresses", "expected at least one address");
        goto fail;
    }
    for (gsize i = 0; c->ca_report_addresses[i]; i++)
        if (!strchr(c->ca_report_addresses[i], '@')) {
            fail(error, path, "ca", "report_addresses", "expected e-mail addresses, got \"%s\"",
                 c->ca_report_addresses[i]);
            goto fail;
        }
    c->store_path = get_string(kf, "store", "path", "/var/lib/cpr-intake/cpr-intake.db");
    if (g_key_file_has_group(kf, "imap") && !load_imap(c, kf, path, error))
        goto fail;
    if (g_key_file_has_group(kf, "bugzilla")) {
        c->bugzilla_url = get_string(kf, "bugzilla", "url", NULL);
        c->bugzilla_api_key_file = get_string(kf, "bugzilla", "api_key_file", NULL);
        c->bugzilla_ca_file = get_string(kf, "bugzilla", "ca_file", NULL);
        c->bugzilla_auto_file = g_key_file_get_boolean(kf, "bugzilla", "auto_file", NULL);
        c->bugzilla_ca_accounts = get_list_lower(kf, "bugzilla", "ca_accounts");
        c->bugzilla_op_sys = get_string(kf, "bugzilla", "op_sys", NULL);
        c->bugzilla_platform = get_string(kf, "bugzilla", "platform", NULL);
        c->bugzilla_timeout_seconds = int_or(kf, "bugzilla", "timeout_seconds", 0);
    }
    c->bugzilla_product = get_string(kf, "bugzilla", "product", "CA Program");
    c->bugzilla_component = get_string(kf, "bugzilla", "component", "CA Certificate Compliance");
    c->bugzilla_version = get_string(kf, "bugzilla", "version", "other");
    c->drafts_template_dir = get_string(kf, "drafts", "template_dir", NULL);
    c->drafts_template_version = get_string(kf, "drafts", "template_version", NULL);
    c->drafts_br_version = get_string(kf, "drafts", "br_version", NULL);
    if (!load_notify(c, kf, path, error) || !load_clocks(c, kf, path, error) ||
        !load_ack_health(c, kf, path, error))
        goto fail;
    c->audit_signing_key_file = get_string(kf, "audit", "signing_key_file", NULL);
    c->audit_checkpoint_file = get_string(kf, "audit", "checkpoint_file", NULL);
    c->audit_checkpoint_seconds = int_or(kf, "audit", "checkpoint_seconds", 3600);
    c->audit_backfill_slack_seconds = int_or(kf, "audit", "backfill_slack_seconds", 3600);
    /* issue 11: the classification rules; a bad rules file is a startup error */
    char *rules = get_string(kf, "classify", "rules", NULL);
    gboolean rules_ok = rules_install(rules, error);
    g_free(rules);
    if (!rules_ok)
        goto fail;
    return c;
fail:
    config_free(&c);
    return NULL;
}

static gboolean secret_check(const Config *c, const char *group, const char *key,
                             const char *path, GError **error)
{
    if (!path || secret_file_check(path, error))
        return TRUE;
    g_prefix_error(error, "%s: [%s] %s: ", c->path, group, key);
    return FALSE;
}

gboolean config_check_secrets(const Config *c, GError **error)
{
    if (!secret_check(c, "imap", "password_file", c->imap_password_file, error) ||
        !secret_check(c, "imap", "oauth2_token_file", c->imap_oauth2_token_file, error) ||
        !secret_check(c, "imap", "oauth2_refresh_token_file", c->imap_oauth2_refresh_token_file,
                      error) ||
        !secret_check(c, "imap", "oauth2_client_secret_file", c->imap_oauth2_client_secret_file,
                      error) ||
        !secret_check(c, "bugzilla", "api_key_file", c->bugzilla_api_key_file, error) ||
        !secret_check(c, "ack", "password_file", c->ack_password_file, error))
        return FALSE;
    for (guint i = 0; i < c->notify->len; i++) {
        const NotifyTarget *t = g_ptr_array_index(c->notify, i);
        g_autofree char *group = g_strdup_printf("notify.%s", t->name);
        const char *key = g_strcmp0(t->type, "pagerduty") == 0 ? "routing_key_file" : "secret_file";
        if (!secret_check(c, group, key, t->key_file, error))
            return FALSE;
    }
    return TRUE;
}
