#!/bin/sh
# t_notify_ack.sh - the acknowledgement to a reporter ([ack] enabled=true):
# sent once per reporter per case, with the case reference in the subject,
# In-Reply-To/References and Auto-Submitted: auto-replied; the reporter's
# reply threads back into the case; never sent to an auto-reply, a list post
# or the CA's own address (one test each); another reporter of the same
# certificate gets their own.
. "$CPR_TOP/tests/tap.sh"
. "$CPR_TOP/tests/notify_sinks.sh"
bin=${CPR_INTAKE:?}
samples="$CPR_FIXTURES/samples"
tmp=$(mktemp -d)
trap 'sink_stop "$tmp" m; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT
db="$tmp/cases.db"
conf="$tmp/cpr-intake.conf"
sp=$(smtp_sink_start "$tmp" m)
cat "$CPR_FIXTURES/conf/samples.conf" >"$conf"
cat >>"$conf" <<EOT
[ack]
enabled=true
from=problems@acmetrust.test
smtp_url=smtp://127.0.0.1:$sp
text_file=$tmp/ack.txt
EOT
printf 'Dear reporter,\n\nWe opened {reference} for your report.\n\n-- \n{ca_owner} PKI team\n' >"$tmp/ack.txt"
cpr() { "$bin" --config "$conf" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }
mails() { ls "$tmp/m.mail"/*.eml 2>/dev/null | wc -l; }
export CPR_INTAKE_NOW=1790000000

cpr ingest "$samples/001-kc-csr-proof.eml" >/dev/null
cpr notify-run --once >/dev/null 2>"$tmp/err"
check "a new CPR is acknowledged" [ "$(mails)" -eq 1 ]
check "acknowledgement: envelope to the reporter, from the CA's address" \
    sh -c "grep -qx '<problems@acmetrust.test>' '$tmp/m.mail/1.env' && grep -qx '<rafferty@tidepool-sec.example>' '$tmp/m.mail/1.env'"
check "acknowledgement headers: subject with the reference, threading, RFC 3834" python3 -c "
import email
m=email.message_from_binary_file(open('$tmp/m.mail/1.eml','rb'))
subj=' '.join(m['Subject'].split())
assert subj=='Re: Certificate problem report - leaked key for checkout.larkspur-candles.test [CPR-2025-0001]', subj
assert m['In-Reply-To']=='<CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com>', m['In-Reply-To']
assert '<CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com>' in m['References']
assert m['Auto-Submitted']=='auto-replied'
body=m.get_payload(decode=True).decode()
assert 'We opened CPR-2025-0001 for your report.' in body and 'Acme Trust Services PKI team' in body, body
open('$tmp/ack-id','w').write(m['Message-Id'])
" 
check "acks_sent records it" [ "$(q "SELECT count(*) FROM acks_sent WHERE case_id=1")" -eq 1 ]

# the reporter's follow-up (a reply in the thread) gets no second acknowledgement
cpr ingest "$samples/002-kc-followup.eml" >/dev/null
cpr ingest "$samples/001-kc-csr-proof.eml" >/dev/null # a duplicate, too
cpr notify-run --once >/dev/null 2>>"$tmp/err"
check "at most once per reporter per case" [ "$(mails)" -eq 1 ]

# the reporter answers the acknowledgement: it threads back into the case
ack_id=$(cat "$tmp/ack-id")
cat >"$tmp/reply.eml" <<EOT
Received: from mx2.acmetrust.test by imap1.acmetrust.test; Mon, 21 Sep 2026 14:00:00 +0000
From: Rafferty Nakagawa-Bell <rafferty@tidepool-sec.example>
To: problems@acmetrust.test
Subject: Re: Re: Certificate problem report - leaked key [CPR-2025-0001]
Message-ID: <reply-to-ack-1@tidepool-sec.example>
In-Reply-To: $ack_id
References: <CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com> $ack_id
Date: Mon, 21 Sep 2026 14:00:00 +0000

Thanks. One more detail: the key is also in a public gist.
EOT
check "a reply to the acknowledgement joins the case" sh -c "
    '$bin' --config '$conf' --db '$db' ingest --json '$tmp/reply.eml' | grep -q '\"case_id\":1,'"
# only the ack's Message-ID and the tag, no References: still threads back
sed -e 's/^References:.*$//' -e 's/reply-to-ack-1/reply-to-ack-2/' "$tmp/reply.eml" >"$tmp/reply2.eml"
check "a reply quoting only the acknowledgement joins the case too" sh -c "
    '$bin' --config '$conf' --db '$db' ingest --json '$tmp/reply2.eml' | grep -q '\"case_id\":1,'"
cpr notify-run --once >/dev/null 2>>"$tmp/err"
check "replies are not acknowledged again" [ "$(mails)" -eq 1 ]

# another reporter of the same certificate: their own acknowledgement
sed -e 's/rafferty@tidepool-sec.example/oksana@kestrel-labs.example/g' \
    -e 's/Rafferty Nakagawa-Bell/Oksana Petrenko/' \
    -e 's/CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com/second-reporter-1@kestrel-labs.example/' \
    "$samples/001-kc-csr-proof.eml" >"$tmp/second.eml"
cpr ingest --json "$tmp/second.eml" >"$tmp/second.json"
cpr notify-run --once >/dev/null 2>>"$tmp/err"
check "a second reporter of the same certificate joins the case" grep -q '"case_id":1,' "$tmp/second.json"
check "and gets one acknowledgement of their own" sh -c "
    [ \$(ls '$tmp/m.mail'/*.eml | wc -l) -eq 2 ] && grep -qx '<oksana@kestrel-labs.example>' '$tmp/m.mail/2.env'"

# never to an auto-reply
cpr ingest "$samples/010-autoreply-ooo.eml" >/dev/null
cpr notify-run --once >/dev/null 2>>"$tmp/err"
check "never to an auto-reply" [ "$(mails)" -eq 2 ]

# never to a list post (it opens a case and pages, but nobody is answered)
cpr ingest --json "$samples/007-mdsp-acme-weak-rsa.eml" >"$tmp/list.json"
cpr notify-run --once >/dev/null 2>>"$tmp/err"
check "a list post about the CA opens a case" grep -q '"new_case":true' "$tmp/list.json"
check "never to a list post" [ "$(mails)" -eq 2 ]

# never to the CA's own address: a report relayed by the CA's web form, whose
# Reply-To is the CA's own address, and a colleague forwarding from inside
sed -e 's/^\(From: .*\)$/\1\nReply-To: Acme Web Form <webform@acmetrust.test>/' \
    -e 's/CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com/own-address-1@acmetrust.test/' \
    -e 's/68:51:92:F1:31:28:05:55:40:4E:8D:8F:ED:60:66:DC:F3:A8/0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19/' \
    -e 's/crt.sh\/?id=3D12146349238/crt.sh\/?id=3D999/' \
    "$samples/001-kc-csr-proof.eml" >"$tmp/own.eml"
cpr ingest --json "$tmp/own.eml" >"$tmp/own.json"
sed -e 's/^From: .*$/From: Support Desk <support@acmetrust.test>/' \
    -e 's/CAocNTS0vv92rBlNYbVoXHowiRH7qbS=mY_gIwyY1k@mail.gmail.com/own-address-2@acmetrust.test/' \
    "$samples/003-misissuance-pem-attachment.eml" >"$tmp/own2.eml"
cpr ingest "$tmp/own2.eml" >/dev/null
cpr notify-run --once >/dev/null 2>>"$tmp/err"
check "a report whose Reply-To is the CA's own address opens a case" grep -q '"new_case":true' "$tmp/own.json"
check "never to the CA's own address" [ "$(mails)" -eq 2 ]
check "the reason is in the audit trail" \
    [ "$(q "SELECT count(*) FROM events WHERE type='acknowledgement_not_sent'")" -ge 1 ]
check "no sanitizer reports" sh -c "! grep -q 'Sanitizer' '$tmp/err'"
tap_done
