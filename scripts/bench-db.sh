#!/bin/bash
# Benchmarks bam's database backup and restore (issue 8) against the raw
# tools on the same data, in the same run: `mysqldump > file` then
# `mysql < file`, and `pg_dump -Ft > file` then `pg_restore --create`.
# bam runs `backup --dump` and `restore` of the extract with --skip-files
# --skip-packages, so what is timed is its database work (myfs/pgfs and
# back). Both servers are started here, on their own data directories and
# sockets, and stopped at the end. Target: bam no more than 25% slower.
#   BENCH_DB_MB   approximate database size in MB (default 1024)
#   BENCH_DIR     work directory (default /tmp/bam-bench)
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
mb="${BENCH_DB_MB:-1024}"
dir="${BENCH_DIR:-/tmp/bam-bench}/db"
rows=$(( mb * 1024 * 1024 / 330 ))     # ~330 bytes of dump per row
pgbin=/usr/lib/postgresql/15/bin
rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"
run="$dir/run"; mkdir -p "$run"

# --- servers ---------------------------------------------------------------
my="$dir/mysql"; mkdir -p "$my"
mariadb-install-db --no-defaults --datadir="$my/data" --user=root --auth-root-authentication-method=normal --skip-test-db >"$run/mysql-install.log" 2>&1
mariadbd --no-defaults --user=root --datadir="$my/data" --socket="$my/sock" --skip-networking --pid-file="$my/pid" \
    --log-error="$my/error.log" --innodb-buffer-pool-size=256M --innodb-log-file-size=256M --max-allowed-packet=64M >"$run/mysqld.out" 2>&1 &
my_pid=$!
pg="$dir/pgsql"; mkdir -p "$pg"; chown postgres:postgres "$pg"; chmod 700 "$pg"
pgport=$(( 56000 + $$ % 1000 ))
aspg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
(cd / && "${aspg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres --auth=peer -E UTF8 --locale=C.UTF-8 --no-sync >"$run/pg-init.log" 2>&1)
# No autovacuum: it would analyse each freshly loaded table in the middle
# of whichever run came next.
(cd / && "${aspg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -o "-k $pg -p $pgport -c listen_addresses='' -c fsync=off -c autovacuum=off" start >/dev/null)
cleanup() {
    kill "$my_pid" 2>/dev/null || true
    (cd / && "${aspg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1) || true
    wait "$my_pid" 2>/dev/null || true
}
trap cleanup EXIT
printf '[client]\nuser=root\nsocket=%s\n' "$my/sock" > "$my/client.cnf"; chmod 600 "$my/client.cnf"
mysql=(mariadb --defaults-file="$my/client.cnf" --default-character-set=utf8mb4)
for _ in $(seq 300); do "${mysql[@]}" -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
psql=("${aspg[@]}" "$pgbin/psql" -X -q -h "$pg" -p "$pgport" -U postgres)

echo "generating ~${mb} MB in MariaDB and in PostgreSQL ($rows rows each) ..."
"${mysql[@]}" -e "CREATE DATABASE bench CHARACTER SET utf8mb4; USE bench; CREATE TABLE bench.items (id INT PRIMARY KEY, name VARCHAR(100), body TEXT, data VARBINARY(64), price DECIMAL(10,2), note VARCHAR(20) NULL) ENGINE=InnoDB;
  INSERT INTO bench.items SELECT seq, CONCAT('item ', seq, ' ñ😀'), REPEAT(MD5(seq), 4), UNHEX(SHA2(seq, 256)), seq / 100, IF(seq % 7 = 0, NULL, 'n') FROM seq_1_to_$rows;"
(cd / && "${psql[@]}" -c "CREATE DATABASE bench")
(cd / && "${psql[@]}" -d bench -c "CREATE TABLE items (id int PRIMARY KEY, name text, body text, data bytea, price numeric(10,2), note text);
  INSERT INTO items SELECT g, 'item ' || g || ' ñ😀', repeat(md5(g::text), 4), sha256(g::text::bytea), g / 100.0, CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' END FROM generate_series(1, $rows) g;")
# Hint bits and statistics now, or the first dump (the raw one) sets them.
(cd / && "${psql[@]}" -d bench -c "VACUUM ANALYZE items")

# --- bam's setting ---------------------------------------------------------
# One conf directory per engine, so each run touches only its own server.
export BAM_REGISTRY="$run/registry" BAM_CACHE="$run/cache"
mkdir -p "$run/conf-my" "$run/conf-pg" "$run/root/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$run/root/etc/passwd"; printf 'root:x:0:\n' > "$run/root/etc/group"
printf 'mysql-defaults-file %s\n' "$my/client.cnf" > "$run/conf-my/conf"
printf 'pgsql-host %s\npgsql-port %s\n' "$pg" "$pgport" > "$run/conf-pg/conf"
"$bam" init --solo >/dev/null

# settle: each run starts on quiet servers. A load leaves InnoDB flushing
# dirty pages and purging undo for a minute; measured unsettled, the run
# after a load (always bam's) paid for it.
settle() {
    "${mysql[@]}" -e "SET GLOBAL innodb_max_dirty_pages_pct = 0" 2>/dev/null || true
    for _ in $(seq 600); do
        dirty=$("${mysql[@]}" -N -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" 2>/dev/null | awk '{print $2}')
        history=$("${mysql[@]}" -e "SHOW ENGINE INNODB STATUS\G" 2>/dev/null | sed -n 's/.*History list length \([0-9]*\).*/\1/p')
        [ "${dirty:-0}" -le 0 ] && [ "${history:-0}" -lt 1000 ] && break
        sleep 0.5
    done
    (cd / && "${psql[@]}" -c "CHECKPOINT" >/dev/null 2>&1) || true
}
measure() {
    local name="$1"; shift
    settle
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f "%e %M" -o "$run/$name.time" "$@" >"$run/$name.log" 2>&1 || { echo "bench-db: $name failed:"; tail -20 "$run/$name.log"; exit 1; }
}
checksum_my() { mariadb-dump --defaults-file="$my/client.cnf" --default-character-set=utf8mb4 --skip-dump-date --order-by-primary --hex-blob --skip-extended-insert --compact bench | sha256sum | cut -c1-16; }
checksum_pg() { (cd / && "${aspg[@]}" "$pgbin/psql" -X -A -t -h "$pg" -p "$pgport" -U postgres -d bench -c "SELECT md5(string_agg(i::text, '|' ORDER BY id)) FROM items i"); }
my_sum=$(checksum_my); pg_sum=$(checksum_pg)
bamargs=(--root "$run/root" --force-profile empty --skip-files --skip-packages)

echo "MySQL: raw tools, then bam ..."
measure raw-my-backup sh -c "mariadb-dump --defaults-file='$my/client.cnf' --default-character-set=utf8mb4 --single-transaction --quick --routines --events --triggers --hex-blob --databases bench > '$run/raw.sql'"
measure bam-my-backup "$bam" backup "${bamargs[@]}" --conf-dir "$run/conf-my" --dump "$run/extract-my" -- -mysql:mysql
"${mysql[@]}" -e "DROP DATABASE bench"
measure raw-my-restore sh -c "mariadb --defaults-file='$my/client.cnf' --default-character-set=utf8mb4 < '$run/raw.sql'"
[ "$(checksum_my)" = "$my_sum" ] || { echo "bench-db: the raw MySQL restore differs"; exit 1; }
"${mysql[@]}" -e "DROP DATABASE bench"
measure bam-my-restore "$bam" restore "$run/extract-my" --root "$run/root" --conf-dir "$run/conf-my" --skip-files --skip-packages
[ "$(checksum_my)" = "$my_sum" ] || { echo "bench-db: bam's MySQL restore differs"; exit 1; }

echo "PostgreSQL: raw tools, then bam ..."
measure raw-pg-backup sh -c "cd / && ${aspg[*]} $pgbin/pg_dump -h '$pg' -p $pgport -U postgres --format=tar bench > '$run/raw.tar'"
measure bam-pg-backup "$bam" backup "${bamargs[@]}" --conf-dir "$run/conf-pg" --dump "$run/extract-pg"
(cd / && "${psql[@]}" -c "DROP DATABASE bench")
measure raw-pg-restore sh -c "cd / && ${aspg[*]} $pgbin/pg_restore -h '$pg' -p $pgport -U postgres --create --exit-on-error --dbname=postgres < '$run/raw.tar'"
[ "$(checksum_pg)" = "$pg_sum" ] || { echo "bench-db: the raw PostgreSQL restore differs"; exit 1; }
(cd / && "${psql[@]}" -c "DROP DATABASE bench")
measure bam-pg-restore "$bam" restore "$run/extract-pg" --root "$run/root" --conf-dir "$run/conf-pg" --skip-files --skip-packages
[ "$(checksum_pg)" = "$pg_sum" ] || { echo "bench-db: bam's PostgreSQL restore differs"; exit 1; }

t() { cut -d' ' -f1 "$run/$1.time"; }
m() { cut -d' ' -f2 "$run/$1.time"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }
printf '\n%-28s %12s %12s %10s %s   (database ~%s MB)\n' "measure" "raw tools" "bam" "bam/raw" "target" "$mb"
for e in my pg; do
    name=$([ $e = my ] && echo MariaDB || echo PostgreSQL)
    for op in backup restore; do
        printf '%-28s %11ss %11ss %10s %s\n' "$name $op" "$(t raw-$e-$op)" "$(t bam-$e-$op)" "$(ratio "$(t bam-$e-$op)" "$(t raw-$e-$op)")" "<= 1.25x"
    done
    printf '%-28s %10sMB %10sMB\n' "$name peak RSS (backup)" "$(( $(m raw-$e-backup) / 1024 ))" "$(( $(m bam-$e-backup) / 1024 ))"
done
