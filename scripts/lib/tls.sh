# Throw-away TLS material for the secured listeners of scripts/kafka.sh (sourced; the caller
# defines `log`). make_tls DIR writes, with openssl:
#   ca.pem, ca.key                 the test CA (trusted by the broker and the clients)
#   broker.pem                     the broker's key and certificate (127.0.0.1, localhost)
#   client.pem, client.key         a client certificate of the CA (CN=psimon), for mTLS
#   other-ca.pem                   a CA nobody trusts
#   stranger.pem, stranger.key     a client certificate of that other CA (refused by mTLS)
# Keys are unencrypted PKCS#8; everything is valid for 30 days. Never use it elsewhere.
make_tls() {
  local dir=$1
  # Kept across broker restarts while it has a day left.
  if [ -f "$dir/.complete" ] && openssl x509 -checkend 86400 -noout -in "$dir/ca.pem" >/dev/null; then
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  log "making a throw-away CA and certificates in $dir"
  (
    cd "$dir"
    local quiet=(-days 30 -sha256)
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "${quiet[@]}" \
      -subj "/CN=psimon test CA" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem "${quiet[@]}" \
      -subj "/CN=an untrusted CA" 2>/dev/null
    # sign NAME CA SUBJECT EXT: NAME.key and NAME.crt signed by CA.
    sign() {
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
      printf '%s\n' "$4" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -out "$1.crt" "${quiet[@]}" -extfile "$1.ext" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign broker ca "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
    sign client ca "/CN=psimon" "extendedKeyUsage=clientAuth"
    sign stranger other-ca "/CN=psimon" "extendedKeyUsage=clientAuth"
    # The broker's PEM keystore: its key, then its certificate and the CA's.
    cat broker.key broker.crt ca.pem > broker.pem
    cat client.crt > client.pem
    cat stranger.crt > stranger.pem
    rm -f broker.key broker.crt client.crt stranger.crt other-ca.key ./*.srl
    chmod 600 ./*.key broker.pem
  )
  touch "$dir/.complete"
}
