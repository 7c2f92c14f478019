import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import {
  DEFAULT_SCRYPT_PARAMS,
  checkScryptParams,
  dummyPasswordHash,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from './password-hash.ts';

// Small parameters keep the tests quick; one test uses the defaults.
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('writes scrypt$N$r$p$salt$hash with the default parameters and verifies it', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    assert.match(encoded, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(parsePasswordHash(encoded).params, DEFAULT_SCRYPT_PARAMS);
    assert.equal(await verifyPassword('correct horse battery staple', encoded), true);
    assert.equal(await verifyPassword('correct horse battery stapl', encoded), false);
  });

  it('is plain RFC 7914 scrypt of the NFC password with the encoded salt', async () => {
    const encoded = await hashPassword('pässword', FAST);
    const { salt, hash } = parsePasswordHash(encoded);
    assert.deepEqual(scryptSync('pässword'.normalize('NFC'), salt, 32, FAST), hash);
  });

  it('salts every hash', async () => {
    assert.notEqual(await hashPassword('same', FAST), await hashPassword('same', FAST));
  });

  it('matches the same password in NFC and NFD (RFC 8265 OpaqueString)', async () => {
    const encoded = await hashPassword('caf\u00e9', FAST);
    assert.equal(await verifyPassword('cafe\u0301', encoded), true);
  });

  it('verifies with the parameters written in the hash', async () => {
    const strong = await hashPassword('pw', { N: 2048, r: 4, p: 2 });
    assert.match(strong, /^scrypt\$2048\$4\$2\$/);
    assert.equal(await verifyPassword('pw', strong), true);
  });

  it('refuses an empty password when hashing; verifying one is just false', async () => {
    await assert.rejects(hashPassword(''), TypeError);
    assert.equal(await verifyPassword('', await hashPassword('x', FAST)), false);
  });

  it('a dummy hash matches nothing and has the requested cost', async () => {
    const dummy = dummyPasswordHash(FAST);
    assert.deepEqual(dummy.params, FAST);
    assert.equal(await verifyPassword('', dummy), false);
    assert.equal(await verifyPassword('anything', dummy), false);
  });
});

describe('parsePasswordHash', () => {
  it('refuses malformed hashes without quoting them', async () => {
    const good = await hashPassword('pw', FAST);
    const [, , , , salt, hash] = good.split('$');
    const bad: Array<[string, RegExp]> = [
      ['', /must look like scrypt\$N\$r\$p\$salt\$hash/],
      ['$2b$10$abcdefghijklmnopqrstuv', /must look like/],
      [`bcrypt$1024$8$1$${salt}$${hash}`, /must look like/],
      [`scrypt$1024$8$1$${salt}`, /must look like/],
      [`scrypt$1000$8$1$${salt}$${hash}`, /power of 2/],
      [`scrypt$512$8$1$${salt}$${hash}`, /at least 1024/],
      [`scrypt$01024$8$1$${salt}$${hash}`, /decimal integers/],
      [`scrypt$1024$0$1$${salt}$${hash}`, /decimal integers/],
      [`scrypt$1024$64$1$${salt}$${hash}`, /r must be between/],
      [`scrypt$1024$8$99$${salt}$${hash}`, /p must be between/],
      [`scrypt$1048576$32$1$${salt}$${hash}`, /more than 256 MiB/],
      [`scrypt$1024$8$1$${salt}=$${hash}`, /salt is not base64url/],
      [`scrypt$1024$8$1$${salt}AA$${hash}`, /salt must be 16 bytes/],
      [`scrypt$1024$8$1$${salt}$${hash!.slice(0, -2)}`, /hash must be 32 bytes/],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => parsePasswordHash(text), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'PASSWORD_HASH_FORMAT');
        assert.match(error.message, message, text);
        if (hash) assert.ok(!error.message.includes(hash));
        return true;
      });
    }
  });

  it('checkScryptParams accepts the defaults', () => {
    checkScryptParams(DEFAULT_SCRYPT_PARAMS);
  });
});
