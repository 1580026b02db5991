/* imap_session.c - one authenticated IMAP connection.
 *
 * Order matters: TCP connect, TLS (implicit, or STARTTLS which must be offered
 * and must succeed; imap_connect.c), our own certificate verification, the
 * greeting and CAPABILITY from the verified server (what was said in clear is
 * neither trusted nor parsed), and only then LOGIN or XOAUTH2. Every step runs
 * under the configured network timeout. */
#define G_LOG_DOMAIN "imap"
#include "secret.h"
#include "imap_internal.h"

#include <string.h>
#include <unistd.h>

#include "oauth2.h"

static const char *imap_strerror(int r)
{
    switch (r) {
    case MAILIMAP_NO_ERROR:
    case MAILIMAP_NO_ERROR_AUTHENTICATED:
    case MAILIMAP_NO_ERROR_NON_AUTHENTICATED: return "no error";
    case MAILIMAP_ERROR_BAD_STATE: return "command not allowed in this state";
    case MAILIMAP_ERROR_STREAM: return "connection lost or timed out";
    case MAILIMAP_ERROR_PARSE: return "unparsable server response";
    case MAILIMAP_ERROR_CONNECTION_REFUSED: return "cannot connect";
    case MAILIMAP_ERROR_MEMORY: return "out of memory";
    case MAILIMAP_ERROR_FATAL: return "server closed the connection (BYE)";
    case MAILIMAP_ERROR_PROTOCOL: return "protocol error";
    case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "server refused the connection";
    case MAILIMAP_ERROR_NOOP: return "NOOP failed";
    case MAILIMAP_ERROR_LOGOUT: return "LOGOUT failed";
    case MAILIMAP_ERROR_CAPABILITY: return "CAPABILITY failed";
    case MAILIMAP_ERROR_EXPUNGE: return "EXPUNGE failed";
    case MAILIMAP_ERROR_COPY:
    case MAILIMAP_ERROR_UID_COPY: return "COPY failed";
    case MAILIMAP_ERROR_MOVE:
    case MAILIMAP_ERROR_UID_MOVE: return "MOVE failed";
    case MAILIMAP_ERROR_FETCH:
    case MAILIMAP_ERROR_UID_FETCH: return "FETCH failed";
    case MAILIMAP_ERROR_LOGIN: return "LOGIN refused";
    case MAILIMAP_ERROR_SELECT: return "SELECT refused";
    case MAILIMAP_ERROR_STORE:
    case MAILIMAP_ERROR_UID_STORE: return "STORE failed";
    case MAILIMAP_ERROR_STARTTLS: return "STARTTLS failed";
    case MAILIMAP_ERROR_EXTENSION: return "extension command failed";
    case MAILIMAP_ERROR_SASL: return "authentication refused";
    case MAILIMAP_ERROR_SSL: return "TLS handshake failed";
    default: return "IMAP error";
    }
}

gboolean imap_result_is_fatal(int r)
{
    switch (r) {
    case MAILIMAP_ERROR_STREAM:
    case MAILIMAP_ERROR_PARSE: /* libetpan may be out of step with the server */
    case MAILIMAP_ERROR_CONNECTION_REFUSED:
    case MAILIMAP_ERROR_MEMORY:
    case MAILIMAP_ERROR_FATAL:
    case MAILIMAP_ERROR_PROTOCOL:
    case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
    case MAILIMAP_ERROR_BAD_STATE:
    case MAILIMAP_ERROR_SSL:
        return TRUE;
    default:
        return FALSE;
    }
}

void imap_session_set_error(ImapSession *s, int r, CprErrorCode code, GError **error,
                            const char *what)
{
    const char *server = (s && s->imap && s->imap->imap_response) ? s->imap->imap_response : NULL;
    const GError *refused =
        (s && s->imap && r == MAILIMAP_ERROR_STREAM) ? imap_guard_stream_error(s->imap->imap_stream)
                                                     : NULL;
    if (imap_result_is_fatal(r)) {
        if (s)
            s->broken = TRUE;
        if (code != CPR_ERROR_TLS)
            code = CPR_ERROR_CONNECTION;
    }
    /* No reply was read for this command when the stream failed: what
     * libetpan holds is the text of an earlier one ("Mailbox doesn't exist"
     * from another folder), which would blame the wrong thing. */
    gboolean answered = r != MAILIMAP_ERROR_STREAM && r != MAILIMAP_ERROR_CONNECTION_REFUSED &&
                        r != MAILIMAP_ERROR_SSL && r != MAILIMAP_ERROR_MEMORY &&
                        r != MAILIMAP_ERROR_PARSE;
    if (refused) /* the response guard cut the connection: say why */
        g_set_error(error, CPR_ERROR, code, "%s: bad response from the server: %s", what,
                    refused->message);
    else if (answered && server && *server)
        g_set_error(error, CPR_ERROR, code, "%s: %s (server: %s)", what, imap_strerror(r), server);
    else
        g_set_error(error, CPR_ERROR, code, "%s: %s", what, imap_strerror(r));
}

/* The same from the delimiter and prefix alone (pure; for tests). */
static char *imap_mailbox_name(const char *folder, char delimiter, const char *personal_prefix)
{
    if (!g_ascii_strcasecmp(folder, "INBOX"))
        return g_strdup(folder);
    if (delimiter && delimiter != '/' && strchr(folder, delimiter))
        return g_strdup(folder); /* already the server's own spelling */
    g_autofree char *name = g_strdup(folder);
    if (delimiter)
        g_strdelimit(name, "/", delimiter);
    gsize plen = personal_prefix ? strlen(personal_prefix) : 0;
    if (plen && g_ascii_strncasecmp(name, personal_prefix, plen) != 0)
        return g_strconcat(personal_prefix, name, NULL);
    return g_steal_pointer(&name);
}

char *imap_session_mailbox(const ImapSession *s, const char *folder)
{
    return imap_mailbox_name(folder, s->delimiter, s->personal_prefix);
}

/* The hierarchy delimiter and personal prefix, from NAMESPACE (RFC 2342)
 * when offered, else the delimiter of LIST "" "" (RFC 3501 6.3.8). A server
 * that refuses both keeps "/" and no prefix; only a lost connection fails. */
static gboolean discover_hierarchy(ImapSession *s, GError **error)
{
    s->delimiter = '/';
    if (mailimap_has_namespace(s->imap)) {
        struct mailimap_namespace_data *ns = NULL;
        int r = mailimap_namespace(s->imap, &ns);
        if (r == MAILIMAP_NO_ERROR && ns) {
            struct mailimap_namespace_item *personal = ns->ns_personal;
            clistiter *it = personal && personal->ns_data_list
                                ? clist_begin(personal->ns_data_list)
                                : NULL;
            struct mailimap_namespace_info *info = it ? clist_content(it) : NULL;
            if (info) {
                s->delimiter = info->ns_delimiter;
                s->personal_prefix = info->ns_prefix && *info->ns_prefix
                                         ? g_strdup(info->ns_prefix)
                                         : NULL;
            }
            mailimap_namespace_data_free(ns);
            if (info)
                return TRUE;
        } else if (imap_result_is_fatal(r)) {
            imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, "NAMESPACE");
            return FALSE;
        }
    }
    clist *list = NULL;
    int r = mailimap_list(s->imap, "", "", &list);
    if (r == MAILIMAP_NO_ERROR && list) {
        clistiter *it = clist_begin(list);
        struct mailimap_mailbox_list *mb = it ? clist_content(it) : NULL;
        if (mb)
            s->delimiter = mb->mb_delimiter;
        mailimap_list_result_free(list);
    } else if (imap_result_is_fatal(r)) {
        imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, "LIST \"\" \"\"");
        return FALSE;
    }
    return TRUE;
}

static gboolean refresh_capabilities(ImapSession *s, GError **error)
{
    struct mailimap_capability_data *caps = NULL;
    int r = mailimap_capability(s->imap, &caps);
    if (r != MAILIMAP_NO_ERROR) {
        imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, "CAPABILITY");
        return FALSE;
    }
    mailimap_capability_data_free(caps);
    s->has_idle = mailimap_has_idle(s->imap) != 0;
    s->has_move = mailimap_has_extension(s->imap, "MOVE") != 0;
    s->has_uidplus = mailimap_has_extension(s->imap, "UIDPLUS") != 0;
    return TRUE;
}

/* TCP, TLS (implicit, or STARTTLS done by imap_connect.c), our certificate
 * verification, and only then mailimap_connect(): libetpan's parser crashes on
 * some malformed responses (tests/fuzz/README.md), so it must never see a byte
 * that a stranger on the path could have written. With imaps:// the greeting
 * it parses comes from the verified server; after STARTTLS the real greeting
 * was read (not parsed) in clear, and libetpan gets a synthetic one. */
static gboolean connect_tls(ImapSession *s, const Config *cfg, int timeout, GError **error)
{
    const char *host = cfg->imap_host;
    gboolean implicit = cfg->imap_implicit_tls;
    guint16 port = cfg->imap_port > 0 ? (guint16)cfg->imap_port : (implicit ? 993 : 143);
    g_autofree char *what =
        g_strdup_printf("connect to %s://%s:%u", implicit ? "imaps" : "imap", host, port);

    int fd = imap_connect_tcp(host, port, timeout, what, error);
    if (fd < 0)
        return FALSE;
    if (!implicit && (!imap_connect_starttls_exchange(fd, timeout, what, error) ||
                      !imap_connect_check_quiet(fd, what, error))) {
        close(fd);
        return FALSE;
    }
    mailstream *stream = imap_connect_tls(fd, host, timeout, what, error); /* takes fd */
    if (!stream)
        return FALSE;
    if (!imap_tls_verify(stream, host, cfg->imap_ca_file, error) ||
        (!implicit && !imap_connect_prime_greeting(stream, error))) {
        mailstream_close(stream); /* not a word over an unverified channel */
        return FALSE;
    }
    /* From here on every byte comes from the verified server. */
    int r = mailimap_connect(s->imap, stream); /* s->imap owns the stream, even on error */
    if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
        g_autofree char *greeting = g_strdup_printf("%s: greeting", what);
        imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, greeting);
        return FALSE;
    }
    return refresh_capabilities(s, error);
}

/* The OAuth2 client outlives connections, so its access token is reused until
 * it nears expiry, and survives a reload that keeps the oauth2 settings. The
 * daemon is single-threaded; the client is freed with the process. */
static OAuth2Client *oauth2_shared;

static OAuth2Client *oauth2_for(const Config *cfg, GError **error)
{
    if (oauth2_shared && oauth2_client_matches(oauth2_shared, cfg))
        return oauth2_shared;
    oauth2_client_free(&oauth2_shared);
    oauth2_shared = oauth2_client_new(cfg, error);
    return oauth2_shared;
}

/* XOAUTH2 with a token the daemon refreshes itself (oauth2.h). A cached token
 * the server refuses (revoked, or expired early: a suspended host's clock)
 * earns one fresh token, once; a fresh token refused is an authentication
 * failure, retried at the next reconnect with backoff. */
static gboolean authenticate_oauth2_refresh(ImapSession *s, const Config *cfg, GError **error)
{
    OAuth2Client *oc = oauth2_for(cfg, error);
    if (!oc)
        return FALSE;
    gboolean fresh = FALSE;
    const char *token = oauth2_client_access_token(oc, FALSE, &fresh, error);
    if (!token)
        return FALSE;
    int r = mailimap_oauth2_authenticate(s->imap, cfg->imap_user, token);
    if (r != MAILIMAP_NO_ERROR && !fresh && !imap_result_is_fatal(r)) {
        g_message("event=xoauth2_refused token=cached action=refresh");
        if (!(token = oauth2_client_access_token(oc, TRUE, &fresh, error)))
            return FALSE;
        r = mailimap_oauth2_authenticate(s->imap, cfg->imap_user, token);
    }
    if (r != MAILIMAP_NO_ERROR) {
        if (!imap_result_is_fatal(r))
            oauth2_client_invalidate(oc); /* the next connection starts from a refresh */
        imap_session_set_error(s, r, CPR_ERROR_AUTH, error,
                               fresh ? "XOAUTH2 authentication with a freshly refreshed token"
                                     : "XOAUTH2 authentication");
        return FALSE;
    }
    return TRUE;
}

static gboolean authenticate(ImapSession *s, const Config *cfg, GError **error)
{
    int r;
    if (cfg->imap_oauth2_refresh_token_file)
        return authenticate_oauth2_refresh(s, cfg, error);
    if (cfg->imap_oauth2_token_file) {
        /* An access token renewed by something else; with
         * oauth2_refresh_token_file the daemon refreshes its own (above). */
        char *token = secret_read(cfg->imap_oauth2_token_file, error);
        if (!token)
            return FALSE;
        r = mailimap_oauth2_authenticate(s->imap, cfg->imap_user, token);
        secret_free(&token);
        if (r != MAILIMAP_NO_ERROR) {
            imap_session_set_error(s, r, CPR_ERROR_AUTH, error, "XOAUTH2 authentication");
            return FALSE;
        }
        return TRUE;
    }
    if (!cfg->imap_password_file) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG,
                    "%s: [imap] needs password_file, oauth2_token_file or "
                    "oauth2_refresh_token_file", cfg->path);
        return FALSE;
    }
    if (mailimap_has_extension(s->imap, "LOGINDISABLED")) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_AUTH,
                    "LOGIN: the server says LOGINDISABLED even over TLS");
        return FALSE;
    }
    char *password = secret_read(cfg->imap_password_file, error);
    if (!password)
        return FALSE;
    r = mailimap_login(s->imap, cfg->imap_user, password);
    secret_free(&password);
    if (r != MAILIMAP_NO_ERROR) {
        g_autofree char *what = g_strdup_printf("LOGIN as %s", cfg->imap_user);
        imap_session_set_error(s, r, CPR_ERROR_AUTH, error, what);
        return FALSE;
    }
    return TRUE;
}

/* Close without a word: mailimap_free() would send LOGOUT, which must not go
 * over an unverified channel nor wait out the timeout on a dead one. */
static void drop_stream(mailimap *imap)
{
    if (imap->imap_stream) {
        mailstream_close(imap->imap_stream);
        imap->imap_stream = NULL;
    }
}

ImapSession *imap_session_open(const Config *cfg, GError **error)
{
    if (!cfg->imap_url || !cfg->imap_host) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONFIG, "%s: no [imap] url configured",
                    cfg->path ? cfg->path : "config");
        return NULL;
    }
    int timeout = cfg->imap_timeout_seconds > 0 ? cfg->imap_timeout_seconds : 30;
    /* Connect, handshake and the STARTTLS exchange get `timeout` explicitly;
     * the global delay covers whatever libetpan does without one. */
    mailstream_network_delay.tv_sec = timeout;
    mailstream_network_delay.tv_usec = 0;

    ImapSession *s = g_new0(ImapSession, 1);
    s->cfg = cfg;
    s->imap = mailimap_new(0, NULL);
    if (!s->imap) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_CONNECTION, "mailimap_new: out of memory");
        g_free(s);
        return NULL;
    }
    mailimap_set_timeout(s->imap, timeout);

    if (!connect_tls(s, cfg, timeout, error) || !authenticate(s, cfg, error) ||
        !refresh_capabilities(s, error) || !discover_hierarchy(s, error)) {
        drop_stream(s->imap);
        mailimap_free(s->imap);
        g_free(s->personal_prefix);
        g_free(s);
        return NULL;
    }
    return s;
}

void imap_session_free(ImapSession **sp)
{
    ImapSession *s = *sp;
    if (!s)
        return;
    if (s->imap) {
        if (s->broken)
            drop_stream(s->imap);
        else if (s->imap->imap_stream)
            (void)mailimap_logout(s->imap);
        drop_stream(s->imap);
        mailimap_free(s->imap);
    }
    g_free(s->selected);
    g_free(s->personal_prefix);
    g_free(s);
    *sp = NULL;
}

/* libetpan 1.9.4 dereferences NULL on some malformed FLAGS or PERMANENTFLAGS
 * in a SELECT response (clist_foreach under mailimap_response_parse;
 * tests/fuzz/README.md). The response guard under the stream
 * (imap_guard_stream.c) checks those lists before libetpan parses them: a
 * malformed one fails SELECT with MAILIMAP_ERROR_STREAM, i.e.
 * CPR_ERROR_CONNECTION and a reconnect with backoff, not a crash. */
gboolean imap_session_select(ImapSession *s, const char *folder, GError **error)
{
    g_clear_pointer(&s->selected, g_free);
    s->idle_woke = FALSE;
    g_autofree char *mailbox = imap_session_mailbox(s, folder);
    int r = mailimap_select(s->imap, mailbox);
    if (r != MAILIMAP_NO_ERROR) {
        g_autofree char *what = strcmp(mailbox, folder)
                                    ? g_strdup_printf("SELECT %s (on the server %s)", folder, mailbox)
                                    : g_strdup_printf("SELECT %s", folder);
        imap_session_set_error(s, r, CPR_ERROR_FOLDER, error, what);
        return FALSE;
    }
    struct mailimap_selection_info *sel = s->imap->imap_selection_info;
    s->sel_uidvalidity = sel ? sel->sel_uidvalidity : 0;
    s->sel_uidnext = sel ? sel->sel_uidnext : 0;
    s->sel_exists = sel ? sel->sel_exists : 0;
    s->sel_keywords = FALSE;
    if (sel && sel->sel_perm_flags) {
        for (clistiter *it = clist_begin(sel->sel_perm_flags); it; it = clist_next(it)) {
            struct mailimap_flag_perm *fp = clist_content(it);
            if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
                s->sel_keywords = TRUE;
        }
    }
    if (s->sel_uidvalidity == 0) {
        g_set_error(error, CPR_ERROR, CPR_ERROR_FOLDER,
                    "SELECT %s: the server sent no UIDVALIDITY", folder);
        return FALSE;
    }
    s->selected = g_strdup(folder);
    return TRUE;
}

gboolean imap_session_noop(ImapSession *s, GError **error)
{
    int r = mailimap_noop(s->imap);
    if (r != MAILIMAP_NO_ERROR) {
        imap_session_set_error(s, r, CPR_ERROR_CONNECTION, error, "NOOP");
        return FALSE;
    }
    return TRUE;
}
