#!/usr/bin/env bash
# Writes the manual page connectord(8) from the help the binary itself prints, so the two
# never disagree: `connectord --help` gives the commands, each command's --help its options,
# `serve --help` every setting with its environment variable and default.
#   tools/man.sh BIN > connectord.8
set -euo pipefail
bin=${1:?usage: tools/man.sh BIN}
version=$("$bin" --version | awk '{print $2}')
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

# roff-safe text: backslashes, and a line may not start with . or '
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/-/\\-/g'; }

# The options of a help text's section ("options:" or "settings ...:") as .TP entries: a
# line "  --name VALUE   text" starts one, an indented line "[env ..., default ...]" follows.
options() {
    awk -v want="$1" '
        /^[a-z].*:$/ || /^settings / { insection = index($0, want) == 1; next }
        /^$/ { insection = 0; next }
        insection && /^  --/ {
            line = substr($0, 3)
            match(line, /^--[a-z0-9-]+( VALUE| \[true\|false\])?/)
            flag = substr(line, 1, RLENGTH)
            text = substr(line, RLENGTH + 1); sub(/^ +/, "", text)
            print ".TP"; print "\\fB" flag "\\fR"; print text; next
        }
        insection && /^ +\[/ { sub(/^ +/, ""); print ".br"; print $0 }
    '
}

cat <<ROFF
.TH CONNECTORD 8 "$date" "connectord $version" "System Administration"
.SH NAME
connectord \- self-hosted connector platform: payment webhooks booked once, events delivered at least once
.SH SYNOPSIS
.B connectord
.I COMMAND
.RI [ OPTIONS ]
.br
.B connectord
.I COMMAND
.B \-\-help
.br
.B connectord \-\-version
.SH DESCRIPTION
connectord receives the webhooks of payment providers, verifies each one, books it exactly once
as an invoice and a balanced ledger entry, and delivers the resulting events to the tenant's
destinations. It keeps its data in one embedded SQLite file by default, or in PostgreSQL when
several processes share the work. Every setting can be given as a flag, as an environment
variable or as a line of the configuration file; a flag wins over the environment, which wins
over the file.
.SH COMMANDS
ROFF

"$bin" --help | awk '/^commands:$/ {on = 1; next} /^$/ {on = 0} on && /^  [a-z]/ {
    name = substr($0, 3, 22); sub(/ +$/, "", name); print name }' |
while IFS= read -r command; do
    # shellcheck disable=SC2086
    help=$("$bin" $command --help)
    echo ".SS \"connectord $command\""
    printf '%s\n' "$help" | sed -n '3p' | esc
    printf '%s\n' "$help" | options "options:" | sed -e 's/\\/\\e/g; s/^\\eB/\\fB/; s/\\efB/\\fB/g; s/\\efR/\\fR/g' -e 's/-/\\-/g'
done

cat <<ROFF
.SH SETTINGS
Each setting of
.B connectord serve
(the command-line tools take those of the store, the key, the configuration file and the log).
In the configuration file, a setting is a line
.IR "key = value" ,
the key being the flag without its dashes; # starts a comment.
ROFF
"$bin" serve --help | options "settings" | sed -e 's/\\/\\e/g; s/\\efB/\\fB/g; s/\\efR/\\fR/g' -e 's/-/\\-/g'

cat <<'ROFF'
.SH SIGNALS
.TP
.B SIGTERM, SIGINT
Stop: no new requests are taken, those in flight are answered (within
.BR \-\-drain\-timeout ),
then the delivery engine and the store finish what is queued.
.TP
.B SIGHUP
Reload: the configuration file and the environment are read again; the log level, the log
file (opened again, after a rotation), the access log and the retention periods change at
once, without dropping a connection. Other settings take effect at the next start, and the
log says which changed.
.SH FILES
.TP
.I /etc/connectord/connectord.conf
The configuration file of the Debian package's service (CONNECTORD_CONFIG in its unit).
.TP
.I /etc/connectord/master.key
The master key (64 hex characters, mode 0600) that seals every secret at rest.
.TP
.I /var/lib/connectord/connectord.db
The embedded SQLite store of the packaged service.
.SH EXIT STATUS
0 on success, 1 on failure, 2 for a wrong command line, 3 when a store command refused and
changed nothing.
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
.BR pg_dump (1),
and docs/operating.md in the source.
ROFF
