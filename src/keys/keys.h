/* keys/keys.h - the master key against the store: the start-up check, rotation, and the
 * check that a store's secrets open with a key (before a backup is restored).
 *
 * The store keeps a check value sealed under the key it was first served with (store/keys.h);
 * a server started with another key is refused before it answers a single request, instead
 * of failing on the first webhook whose secret it cannot open. A store that has no check
 * value yet (made before it existed) gets one once every sealed value in it has opened. */
#ifndef CONNECTORD_KEYS_H
#define CONNECTORD_KEYS_H

#include <stdint.h>

#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* ERR_CONFIG when `key` does not open the store's check value (or, on a store without one,
 * one of its sealed values); otherwise the check value exists afterwards. */
int keys_check(struct store *s, const unsigned char key[CRYPTO_KEY_LEN], struct error *err);

/* Opens every sealed value (and the check value) with `key`; *opened counts them.
 * ERR_CONFIG naming the first one that does not open. Writes nothing. */
int keys_verify(struct store *s, const unsigned char key[CRYPTO_KEY_LEN], int64_t *opened,
                struct error *err);

/* Re-seals every secret from old_key to new_key, and the check value, in ONE transaction:
 * either all of them move or none does. *moved counts the secrets. ERR_CONFIG when old_key
 * is not the store's key. */
int keys_rotate(struct store *s, const unsigned char old_key[CRYPTO_KEY_LEN],
                const unsigned char new_key[CRYPTO_KEY_LEN], int64_t *moved,
                struct error *err);

#endif
