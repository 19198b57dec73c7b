#!/bin/sh
# aes-proof.sh KEY PLAINTEXT PROOF — FreeRADIUS's check of an M2M-server-path registration
# proof (docs/aaa.md §7): exits 0 when PROOF = AES-ECB(KEY, PLAINTEXT), else 1.
# KEY is the user's PSK in hex (32 or 64 digits: AES-128 or AES-256), PLAINTEXT the 16-byte
# known plaintext (terminal id, gateway nonce, counter) and PROOF the terminal's ciphertext,
# each 32 hex digits. Needs only perl (Debian's perl-base) and openssl.
key=$1
pt=$2
proof=$3
case ${#key} in
32) cipher=aes-128-ecb ;;
64) cipher=aes-256-ecb ;;
*) exit 1 ;;
esac
[ "${#pt}" -eq 32 ] && [ "${#proof}" -eq 32 ] || exit 1
case "$key$pt$proof" in
*[!0-9a-fA-F]*) exit 1 ;;
esac
got=$(perl -e 'print pack("H*", $ARGV[0])' "$pt" |
  openssl enc -"$cipher" -K "$key" -nopad 2>/dev/null |
  perl -e 'local $/; print unpack("H*", <STDIN>)')
want=$(printf '%s' "$proof" | tr 'A-F' 'a-f')
[ -n "$got" ] && [ "$got" = "$want" ] || exit 1
exit 0
