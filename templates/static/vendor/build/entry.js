// What templates/static/seal.js uses from the noble libraries, as one global (the pages allow
// no inline script and no modules from elsewhere: this file is bundled by build.sh into
// ../noble.js, served from /static/vendor/noble.js with an integrity hash).
import { ristretto255 } from '@noble/curves/ed25519.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

globalThis.jicaiNoble = Object.freeze({
  ristretto255,
  chacha20poly1305,
  hkdf,
  sha256,
});
