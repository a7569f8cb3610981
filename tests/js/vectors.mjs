// The page's sealing script against the published vectors (tests/vectors/envelope-v3.json):
//   node tests/js/vectors.mjs          checks every vector (seal with its ephemeral scalar and
//                                      nonce gives exactly its envelope; its secret opens it),
//                                      round-trips random seals and the refusals; exits non-zero
//                                      on any failure.
//   node tests/js/vectors.mjs --cross  prints, as JSON, one envelope sealed with random
//                                      ephemeral scalar and nonce to each vector's tender key,
//                                      for the Rust side to open (tests/seal_vectors.rs).
// Loads templates/static/vendor/noble.js and templates/static/seal.js as the browser does:
// plain scripts evaluated in the global scope.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import vm from "node:vm";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
for (const f of ["templates/static/vendor/noble.js", "templates/static/seal.js"]) {
  vm.runInThisContext(readFileSync(join(root, f), "utf8"), { filename: f });
}
const S = globalThis.jicaiSeal;
const vectors = JSON.parse(readFileSync(join(root, "tests/vectors/envelope-v3.json"), "utf8"));

if (process.argv.includes("--cross")) {
  const out = vectors.map((v) => ({
    tender_id: v.tender_id,
    binding: v.binding,
    plaintext: v.plaintext,
    envelope: S.seal(v.tender_key, v.tender_id, v.lot_id, v.supplier_id, v.plaintext),
  }));
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
}

let passed = 0;
let failed = 0;
function check(name, f) {
  try {
    f();
    passed++;
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
function eq(a, b, what) {
  if (a !== b) throw new Error(`${what}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
}
function throws(f, what) {
  let threw = false;
  try {
    f();
  } catch {
    threw = true;
  }
  if (!threw) throw new Error(`${what}: no error`);
}

if (!Array.isArray(vectors) || vectors.length === 0) {
  console.log("FAIL no vectors");
  process.exit(1);
}
vectors.forEach((v, i) => {
  check(`vector ${i} binding`, () =>
    eq(S.binding(v.tender_id, v.lot_id, v.supplier_id), v.binding, "binding"));
  check(`vector ${i} seals exactly`, () => {
    const e = S.seal(v.tender_key, v.tender_id, v.lot_id, v.supplier_id, v.plaintext, {
      ephemeralScalar: v.ephemeral_scalar,
      nonceBytes: v.nonce_bytes,
    });
    eq(e.nonce, v.nonce, "nonce");
    eq(e.ciphertext, v.ciphertext, "ciphertext");
    eq(e.digest, v.digest, "digest");
  });
  check(`vector ${i} opens`, () =>
    eq(S.openWithSecret(v.tender_secret, v.tender_id, v.binding, v), v.plaintext, "plaintext"));
  check(`vector ${i} bound to its bid`, () => {
    throws(() => S.openWithSecret(v.tender_secret, v.tender_id, v.binding + "0", v), "other binding");
    throws(() => S.openWithSecret(v.tender_secret, v.tender_id + 1, v.binding, v), "other tender");
    const other = vectors[(i + 1) % vectors.length].tender_secret;
    throws(() => S.openWithSecret(other, v.tender_id, v.binding, v), "another tender's secret");
    const mine = S.seal(v.tender_key, v.tender_id, v.lot_id, v.supplier_id, v.plaintext);
    throws(() => S.openWithSecret(other, v.tender_id, v.binding, mine), "a random seal, another secret");
    const flipped = v.ciphertext.slice(0, 10) + (v.ciphertext[10] === "0" ? "1" : "0") + v.ciphertext.slice(11);
    throws(() => S.openWithSecret(v.tender_secret, v.tender_id, v.binding, { ...v, ciphertext: flipped }), "tampered");
  });
  check(`vector ${i} random seal round-trips`, () => {
    const a = S.seal(v.tender_key, v.tender_id, v.lot_id, v.supplier_id, v.plaintext);
    const b = S.seal(v.tender_key, v.tender_id, v.lot_id, v.supplier_id, v.plaintext);
    eq(a.nonce.length, 88, "nonce length");
    eq(a.ciphertext.length, 544, "ciphertext length");
    eq(a.digest.length, 64, "digest length");
    if (a.nonce === b.nonce || a.ciphertext === b.ciphertext) throw new Error("two seals alike");
    eq(S.openWithSecret(v.tender_secret, v.tender_id, v.binding, a), v.plaintext, "plaintext");
  });
});

const v = vectors[0];
check("256 bytes of UTF-8 seal, 257 do not", () => {
  const ok = "价".repeat(85) + "a"; // 85 × 3 + 1 = 256 bytes
  const e = S.seal(v.tender_key, 1, 2, 3, ok);
  eq(S.openWithSecret(v.tender_secret, 1, S.binding(1, 2, 3), e), ok, "plaintext");
  throws(() => S.seal(v.tender_key, 1, 2, 3, "价".repeat(86)), "258 bytes");
  throws(() => S.seal(v.tender_key, 1, 2, 3, "a".repeat(257)), "257 bytes");
});
check("bad tender keys are refused", () => {
  throws(() => S.seal("00".repeat(32), 1, 2, 3, "{}"), "identity");
  throws(() => S.seal("ff".repeat(32), 1, 2, 3, "{}"), "not a point");
  throws(() => S.seal(v.tender_key.slice(2), 1, 2, 3, "{}"), "short");
  throws(() => S.seal("zz" + v.tender_key.slice(2), 1, 2, 3, "{}"), "not hex");
});
check("prices are normalised as the server prints them", () => {
  const cases = [
    ["12.5", "12.50"], ["¥1,234.5", "1234.50"], ["￥ 7", "7.00"], ["0.0001", "0.0001"],
    ["007.1200", "7.12"], ["１２.５", "12.50"], [" 10000000 ", "10000000.00"], [".5", "0.50"],
    ["0", null], ["-1", null], ["1e3", null], ["1.00001", null], ["10000000.0001", null],
    ["abc", null], ["", null], [".", null], ["1.2.3", null],
  ];
  for (const [typed, want] of cases) eq(S.normalisePrice(typed), want, typed);
  eq(S.pricePlaintext("12.50"), '{"package_price":"12.50"}', "plaintext");
});
check("unit prices round half up", () => {
  eq(S.unitPrice(S.priceTenThousandths("20.001"), 20), 10001n, "1.00005");
  eq(S.unitPrice(S.priceTenThousandths("20.0009"), 20), 10000n, "1.000045");
  eq(S.unitPrice(S.priceTenThousandths("10"), 3), 33333n, "3.3333");
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
