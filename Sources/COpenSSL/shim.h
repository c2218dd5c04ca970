/* The low-level SHA256_ and SHA1_ functions are deprecated in OpenSSL 3 but kept; DSVNative's
   Hasher uses them for small hashes (see Digest.swift). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/md5.h>
#include <openssl/err.h>
#include <openssl/rand.h>
