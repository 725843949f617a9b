#!/usr/bin/env bash
# bench/pki.sh DIR: a throwaway PKI for the TLS rows of `make bench`, made by
# Debian's openssl in DIR (run.sh's temp dir): a CA (ca.pem, what the clients
# trust) and a server certificate for 127.0.0.1 and localhost signed by it
# (server.pem, server.key). The same commands as tests/common/tls.rs; ECDSA
# P-256, as most TLS services use today. The CA's key is deleted as soon as
# the server certificate is signed, and no key is ever committed.
set -euo pipefail

dir=$1
mkdir -p "$dir"
cd "$dir"

ossl() { openssl "$@" >/dev/null 2>&1 || { echo "pki.sh: openssl $* failed" >&2; exit 1; }; }

ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=stampede bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost"
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" >server.ext
ossl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 2 -sha256 -extfile server.ext
rm -f ca.key ca.srl server.csr server.ext
