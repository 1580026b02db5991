/* config.h - the configuration file (SPEC 3.3), read with GKeyFile and validated
 * completely at start-up: unknown sections or keys, bad values and unsafe secret
 * files are errors that name the file, the key and what is expected. */
#ifndef CPR_CONFIG_H
#define CPR_CONFIG_H

#include <glib.h>
#include "classify.h"

typedef enum {
    PROCESSED_KEYWORD, /* set the keyword imap_keyword ($CprIntake) */
    PROCESSED_MOVE,    /* UID MOVE to imap_move_folder */
    PROCESSED_NONE,    /* leave the message as it is */
} ProcessedMode;

typedef struct {
    char *name;      /* the part after "notify." */
    char *type;      /* webhook | slack | pagerduty | email */
    char *url;       /* webhook/slack URL, smtp(s):// URL for email, Events API URL */
    char *key_file;  /* routing_key_file / secret file, may be NULL */
    char *ca_file;   /* extra trust anchor, may be NULL */
    char *to;        /* email: recipient */
    char *from;      /* email: sender */
} NotifyTarget;

typedef struct {
    char *path; /* the file this came from */

    /* [ca] */
    char *ca_owner;
    char **ca_aliases, **ca_names, **ca_domains, **ca_report_addresses; /* NULL-terminated */
    /* staff addresses that may be named in public drafts (NULL-terminated) */
    char **ca_public_staff;

    /* [store] */
    char *store_path;

    /* [imap]: imap_url NULL when the section is absent */
    char *imap_url;
    char *imap_host;
    int imap_port;
    gboolean imap_implicit_tls; /* imaps:// ; imap:// means mandatory STARTTLS */
    char **imap_folders;        /* default: INBOX */
    char *imap_user;
    char *imap_password_file;
    char *imap_oauth2_token_file;  /* an access token renewed by something else */
    /* XOAUTH2 with tokens refreshed by the daemon (oauth2.h): set together */
    char *imap_oauth2_refresh_token_file; /* rewritten when the server rotates it */
    char *imap_oauth2_token_url;          /* https:// token endpoint */
    char *imap_oauth2_client_id;
    char *imap_oauth2_client_secret_file; /* NULL for public clients */
    char *imap_oauth2_ca_file;            /* trust anchor for the token endpoint */
    char *imap_oauth2_scope;              /* NULL: the server's default */
    char *imap_ca_file;
    ProcessedMode imap_processed;
    char *imap_keyword;     /* default $CprIntake */
    char *imap_move_folder; /* for PROCESSED_MOVE */
    int imap_poll_seconds;  /* fallback polling interval, default 60 */
    int imap_timeout_seconds; /* network timeout per step, default 30 */
    int imap_idle_seconds;  /* re-IDLE interval, default 1500 (< 29 min) */
    int imap_batch;         /* UIDs fetched per UID FETCH, default 50 */

    /* [bugzilla]: bugzilla_url NULL when absent */
    char *bugzilla_url;
    char *bugzilla_api_key_file;
    char *bugzilla_ca_file;
    char *bugzilla_product;   /* default "CA Program" */
    char *bugzilla_component; /* default "CA Certificate Compliance" */
    char *bugzilla_version;   /* default "other" */
    gboolean bugzilla_auto_file;
    char **bugzilla_ca_accounts; /* the CA's Bugzilla accounts; NULL-terminated or NULL */
    /* [mail]: SMTP for acknowledgements and `send`; from defaults to the first
     * report address; the old [ack] SMTP keys are read when [mail] lacks them */
    char *mail_smtp_url, *mail_from, *mail_user, *mail_password_file, *mail_ca_file;
    /* NULL-terminated warnings about the file (deprecated keys), or NULL */
    char **warnings;
    char *bugzilla_op_sys;       /* sent when set (products without a default OS) */
    char *bugzilla_platform;     /* sent when set */
    int bugzilla_timeout_seconds; /* whole request; 0: the client's default */

    /* [drafts] */
    char *drafts_template_dir;     /* default: conf/ next to the config, or share dir */
    char *drafts_template_version; /* NULL = newest */
    char *drafts_br_version;       /* the BR version drafts cite; NULL: not configured */

    /* [notify.NAME] */
    GPtrArray *notify; /* NotifyTarget* */

    /* [clocks] */
    guint escalate_at[8]; /* percentages, ascending; 100 = overdue */
    guint n_escalate_at;

    /* [ack]: acknowledgement mail to reporters (opt-in; issue 5) */
    gboolean ack_enabled;
    char *ack_from;          /* sender; also the reply-to of the acknowledgement */
    char *ack_smtp_url;      /* smtps:// or smtp:// (STARTTLS required, except loopback) */
    char *ack_text_file;     /* body text; NULL = built-in text */
    char *ack_ca_file;       /* extra trust anchor for the SMTP server */
    char *ack_user;          /* SMTP AUTH user, with ack_password_file */
    char *ack_password_file;

    /* [health]: intake health pages (SPEC 2.6) */
    int health_down_seconds;      /* page when IMAP is down this long; default 900 */
    int health_heartbeat_seconds; /* page when no catch-up/NOOP this long; default 3600 */

    /* [audit]: signed checkpoints of the event chain (checkpoint.h; issue 13) */
    char *audit_signing_key_file;  /* Ed25519 PEM key; NULL: no checkpoints */
    char *audit_checkpoint_file;   /* NULL: the database's path + ".checkpoints" */
    int audit_checkpoint_seconds;  /* daemon: a checkpoint this often; default 3600 */
    int audit_backfill_slack_seconds; /* events recorded later than this are back-filled */
    /* floods and full disks (SPEC 3.3; issue 17); 0 turns a limit off */
    guint store_min_free_mb;                         /* [store] min_free_mb, default 200 */
    guint notify_max_new_case_pages_per_sender_hour; /* default 5 */
    guint notify_max_new_case_pages_hour;            /* default 20 */
    guint notify_max_acks_per_recipient_day;         /* default 3 */
    /* [triage] digest_hours (issue 11): a digest page of unreviewed triage
     * mail at most this long after the oldest one; 0 or absent: 4 */
    guint triage_digest_hours;
#define TRIAGE_DIGEST_HOURS_MAX 720
} Config;

/* Load and validate `path`. NULL with CPR_ERROR_CONFIG naming file and key. */
Config *config_load(const char *path, GError **error);
void config_free(Config **cfg);

/* Check every configured secret file (exists, regular, not group- or
 * world-readable). config_load() reads none: the commands that use secrets
 * (run, file, notify-run, check-config) call this first (SPEC 3.3).
 * CPR_ERROR_CONFIG naming the file and [section] key. */
gboolean config_check_secrets(const Config *cfg, GError **error);

/* The [ca] section as classify.h wants it; lent from cfg. */
CaIdentity config_ca_identity(const Config *cfg);

#endif
