#!/usr/bin/env bash
# Restore drill: back up a CaseTrail PostgreSQL database and its data directory (blobs, keys),
# restore both into a fresh database and directory, and let `casetrail verify` judge the copy.
#
#   scripts/restore_drill.sh SOURCE_DB_URL SOURCE_DATA_DIR TARGET_DB_URL WORK_DIR
#
# SOURCE_DB_URL    postgresql://user@host/db of the running deployment (a replica will do)
# SOURCE_DATA_DIR  its CASETRAIL_DATA_DIR (keys/, and blobs/ unless the blobs are in S3)
# TARGET_DB_URL    a database that does not exist yet; it is created (and left for inspection)
# WORK_DIR         where the backup and the restored data directory go (must not exist)
#
# The order is the point: the database is dumped first, the blobs copied after. A blob is stored
# before the entry naming it is committed, so every blob the dump names is already on disk when
# the copy starts; copying blobs first could miss one that an entry in the dump names.
# With blobs in S3-compatible storage, keep bucket versioning on and set CASETRAIL_BLOB_STORE for
# the verify step to the restored bucket instead (docs/deployment.md).
#
# Exit status: 0 the restored copy verifies (every entry, chain, checkpoint and blob), 1 it does
# not (verify names the first bad entry), 2 the drill itself could not run.
set -euo pipefail

if [ $# -ne 4 ]; then
  sed -n 2,20p "$0" >&2
  exit 2
fi
source_db=$1
source_dir=$2
target_db=$3
work=$4
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-"$root/.venv/bin/python"}
[ -x "$py" ] || py=python3

say() { printf '[restore drill] %s\n' "$*"; }

[ -d "$source_dir/keys" ] || { say "no keys/ in $source_dir"; exit 2; }
[ ! -e "$work" ] || { say "$work exists: give a new directory"; exit 2; }
mkdir -p "$work/backup" "$work/restored"
work=$(cd "$work" && pwd)

say "1/4 dumping the database (one consistent snapshot)"
pg_dump --format=custom --no-owner --file="$work/backup/casetrail.dump" "$source_db"

say "2/4 copying keys and blobs (after the dump: every blob it names exists already)"
tar -C "$source_dir" -cf "$work/backup/data.tar" --exclude=./uploads --exclude=./tmp \
  --exclude=./locks .

say "3/4 restoring into a fresh database and directory"
target_name=${target_db##*/}
target_name=${target_name%%\?*}
admin_url=${target_db%/*}/postgres
psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 -d "$admin_url" -c "CREATE DATABASE \"$target_name\""
pg_restore --no-owner --exit-on-error --dbname="$target_db" "$work/backup/casetrail.dump"
tar -C "$work/restored" -xf "$work/backup/data.tar"

count() { psql --no-psqlrc -At -d "$1" -c "SELECT count(*) || ' entries, last checkpoint ' ||
  coalesce((SELECT max(tree_size)::text FROM ledger_checkpoint), 'none') FROM ledger_entry"; }
say "source:   $(count "$source_db") (it may have grown since the dump)"
say "restored: $(count "$target_db")"

say "4/4 casetrail verify on the restored copy"
set +e
(cd "$root" && CASETRAIL_DATABASE_URL=$target_db CASETRAIL_DATA_DIR=$work/restored \
  CASETRAIL_BLOB_STORE=${RESTORED_BLOB_STORE:-} "$py" -m backend.cli verify)
status=$?
set -e
if [ $status -eq 0 ]; then
  say "PASSED: the restored database and blobs verify"
  exit 0
fi
if [ $status -eq 1 ]; then
  say "FAILED: the restored copy does not verify (above: the first bad entry)"
  exit 1
fi
say "could not verify: casetrail verify exited $status"
exit 2
