#!/usr/bin/env bash
# Makes what docker-compose.yml mounts as secrets, in ./secrets (or $1): a private CA, Temporal's server certificate,
# the client certificate workers, CLI, Temporal Web and admin tools present (mTLS), the PostgreSQL password and
# qbsync's encryption key. Existing files are kept (delete one to renew it). Keys and secrets are 0600, the folder 0700.
#   scripts/certs.sh [dir]      env: QBSYNC_TLS_SERVER_NAMES (default "temporal,localhost,127.0.0.1"), QBSYNC_TLS_DAYS (825)
set -euo pipefail
dir="${1:-secrets}"
names="${QBSYNC_TLS_SERVER_NAMES:-temporal,localhost,127.0.0.1}"
days="${QBSYNC_TLS_DAYS:-825}"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

san=""
IFS=',' read -ra parts <<<"$names"
for n in "${parts[@]}"; do
  if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
done
san="${san%,}"

if [[ ! -f ca.pem ]]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days "$days" -subj "/CN=qbsync Temporal CA" \
    -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "[certs] CA: $dir/ca.pem"
fi

issue() { # name, CN, extendedKeyUsage, subjectAltName
  local name="$1" cn="$2" eku="$3" alt="$4" ext
  [[ -f "$name.pem" ]] && return 0
  ext="$(mktemp)"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$eku" >"$ext"
  [[ -n "$alt" ]] && printf 'subjectAltName=%s\n' "$alt" >>"$ext"
  openssl req -new -newkey rsa:3072 -sha256 -nodes -subj "/CN=$cn" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" -sha256 \
    -extfile "$ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$ext"
  echo "[certs] $name: $dir/$name.pem ($cn${alt:+, $alt})"
}
issue server "${parts[0]}" serverAuth,clientAuth "$san" # the frontend also dials itself (internode) with it
issue client qbsync-client clientAuth ""

[[ -f postgres_password ]] || { openssl rand -hex 24 >postgres_password && echo "[certs] PostgreSQL password: $dir/postgres_password"; }
[[ -f encryption_key ]] || { openssl rand -base64 32 >encryption_key && echo "[certs] QBSYNC_ENCRYPTION_KEY: $dir/encryption_key (back it up: it decrypts the stored tokens)"; }
chmod 600 ./*.key postgres_password encryption_key
chmod 644 ./*.pem
