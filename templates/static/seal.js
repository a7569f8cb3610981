// The bidder's browser seals the package price (envelope format v3, README "Sealed envelope
// format"): the price never leaves the page in clear. Needs /static/vendor/noble.js first
// (globalThis.jicaiNoble). Plain script, no build step.
//
//   jicaiSeal.seal(tenderKeyHex, tenderId, lotId, supplierId, plaintext, opts)
//     -> { nonce, ciphertext, digest } (hex); opts.ephemeralScalar (32 bytes little-endian,
//        hex) and opts.nonceBytes (12 bytes, hex) fix what is otherwise random (the vectors).
//   jicaiSeal.openWithSecret(secretScalarHex, tenderId, binding, envelope) -> plaintext
//     (tests: the whole tender secret opens what was sealed to its key).
//
// On a bid page whose form has `data-seal="quorum"`, the submit seals the price into three
// hidden inputs (commercial_nonce, commercial_ciphertext, commercial_digest) and takes the
// name off the price input, so the form sends the envelope and never the price.
(function (root) {
  "use strict";

  var PRICE_LEN = 256;
  var TAG_LEN = 16;

  function noble() {
    var n = root.jicaiNoble;
    if (!n) throw new Error("noble.js is not loaded");
    return n;
  }

  // ---- bytes ------------------------------------------------------------------------------

  function hexToBytes(hex, len, what) {
    if (typeof hex !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
      throw new Error(what + ": not hex");
    }
    if (len !== undefined && hex.length !== 2 * len) {
      throw new Error(what + ": " + len + " bytes expected");
    }
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  function bytesToHex(b) {
    var s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  function concat() {
    var total = 0, i;
    for (i = 0; i < arguments.length; i++) total += arguments[i].length;
    var out = new Uint8Array(total), at = 0;
    for (i = 0; i < arguments.length; i++) {
      out.set(arguments[i], at);
      at += arguments[i].length;
    }
    return out;
  }

  function ascii(s) {
    return new TextEncoder().encode(s);
  }

  // Little-endian bytes as a number (scalars are 32 bytes little-endian; r comes from 64).
  function leToBigInt(b) {
    var n = 0n;
    for (var i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
    return n;
  }

  function randomBytes(n) {
    var b = new Uint8Array(n);
    root.crypto.getRandomValues(b);
    return b;
  }

  // ---- the format -------------------------------------------------------------------------

  // An id as Rust's `{i64}` prints it (a number or a string of digits).
  function id(v, what) {
    var s = String(v);
    if (!/^-?[0-9]+$/.test(s)) throw new Error(what + ": not a whole number");
    return BigInt(s).toString();
  }

  function binding(tenderId, lotId, supplierId) {
    return "jicai v3 tender " + id(tenderId, "tender") + " lot " + id(lotId, "lot") +
      " supplier " + id(supplierId, "supplier");
  }

  function order() {
    return noble().ristretto255.Point.Fn.ORDER;
  }

  // The tender key: a ristretto255 point, not the identity.
  function tenderPoint(hex) {
    var P = noble().ristretto255.Point;
    var y = P.fromBytes(hexToBytes(hex, 32, "tender key"));
    if (y.is0()) throw new Error("tender key: the identity");
    return y;
  }

  // HKDF-SHA256(ikm S, salt R‖Y, info "jicai envelope v3 tender {id}") keys ChaCha20-Poly1305;
  // `use` encrypts or decrypts with it, then the key is wiped (not before: the cipher object
  // keeps a reference to the key's bytes, it does not copy them).
  function withCipher(sBytes, rBytes, yBytes, tenderId, nonce, aad, use) {
    var n = noble();
    var key = n.hkdf(n.sha256, sBytes, concat(rBytes, yBytes),
      ascii("jicai envelope v3 tender " + id(tenderId, "tender")), 32);
    try {
      return use(n.chacha20poly1305(key, nonce, aad));
    } finally {
      key.fill(0);
    }
  }

  function digestOf(rBytes, nonce, ct) {
    return bytesToHex(noble().sha256(concat(rBytes, nonce, ct)));
  }

  // Seals `plaintext` (a string, at most 256 bytes of UTF-8) to the tender key.
  function seal(tenderKeyHex, tenderId, lotId, supplierId, plaintext, opts) {
    opts = opts || {};
    var P = noble().ristretto255.Point;
    var msg = new TextEncoder().encode(String(plaintext));
    if (msg.length > PRICE_LEN) {
      var e = new Error("the plaintext is longer than " + PRICE_LEN + " bytes");
      e.code = "too_long";
      throw e;
    }
    var y = tenderPoint(tenderKeyHex);
    var r = opts.ephemeralScalar !== undefined
      ? leToBigInt(hexToBytes(opts.ephemeralScalar, 32, "ephemeral scalar")) % order()
      : leToBigInt(randomBytes(64)) % order();
    if (r === 0n) throw new Error("ephemeral scalar: zero");
    var nonce = opts.nonceBytes !== undefined
      ? hexToBytes(opts.nonceBytes, 12, "nonce")
      : randomBytes(12);
    var padded = new Uint8Array(PRICE_LEN).fill(0x20);
    padded.set(msg);
    var rBytes = P.BASE.multiply(r).toBytes();
    var sBytes = y.multiply(r).toBytes();
    var ct = withCipher(sBytes, rBytes, y.toBytes(), tenderId, nonce,
      ascii(binding(tenderId, lotId, supplierId)), function (c) { return c.encrypt(padded); });
    padded.fill(0);
    sBytes.fill(0);
    return {
      nonce: bytesToHex(rBytes) + bytesToHex(nonce),
      ciphertext: bytesToHex(ct),
      digest: digestOf(rBytes, nonce, ct),
    };
  }

  // Opens an envelope with the whole secret x of the tender key Y = x·G (S = x·R): tests only,
  // no tender has such a secret. Refuses a malformed envelope or one whose digest differs.
  function openWithSecret(secretScalarHex, tenderId, bindingText, envelope) {
    var n = noble(), P = n.ristretto255.Point;
    var x = leToBigInt(hexToBytes(secretScalarHex, 32, "secret"));
    if (x === 0n || x >= order()) throw new Error("secret: not a canonical scalar");
    var rn = hexToBytes(envelope.nonce, 44, "nonce");
    var ct = hexToBytes(envelope.ciphertext, PRICE_LEN + TAG_LEN, "ciphertext");
    var rBytes = rn.subarray(0, 32), nonce = rn.subarray(32);
    if (digestOf(rBytes, nonce, ct) !== String(envelope.digest).toLowerCase()) {
      throw new Error("the envelope's digest does not match its content");
    }
    var rPoint = P.fromBytes(rBytes);
    var pt = withCipher(rPoint.multiply(x).toBytes(), rBytes, P.BASE.multiply(x).toBytes(),
      tenderId, nonce, ascii(bindingText), function (c) { return c.decrypt(ct); });
    var end = pt.length;
    while (end > 0 && pt[end - 1] === 0x20) end--;
    return new TextDecoder("utf-8", { fatal: true }).decode(pt.subarray(0, end));
  }

  // ---- prices -----------------------------------------------------------------------------

  var TEN_THOUSAND = 10000n;
  var MAX_AMOUNT = 10000000n * TEN_THOUSAND;

  // A package price as typed ("¥1,234.5", "１２.５") in ten-thousandths of a yuan, or null when
  // it is not a positive amount of at most 10,000,000 yuan with at most 4 decimals.
  function priceTenThousandths(typed) {
    var s = String(typed)
      .replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/\uFF0E/g, ".")
      .trim()
      .replace(/^[¥￥]/, "")
      .replace(/,/g, "")
      .trim();
    var m = /^([0-9]*)(?:\.([0-9]{0,4}))?$/.exec(s);
    if (!m || (m[1] === "" && !m[2])) return null;
    var v = BigInt(m[1] || "0") * TEN_THOUSAND + BigInt(((m[2] || "") + "0000").slice(0, 4));
    if (v <= 0n || v > MAX_AMOUNT) return null;
    return v;
  }

  // Ten-thousandths as the server prints money: at least two decimals (12.50, 0.0125).
  function formatMoney(v) {
    var whole = (v / TEN_THOUSAND).toString();
    var frac = (v % TEN_THOUSAND).toString().padStart(4, "0").replace(/0+$/, "");
    return whole + "." + frac.padEnd(2, "0");
  }

  // The price as typed, normalised ("¥1,234.5" -> "1234.50"), or null.
  function normalisePrice(typed) {
    var v = priceTenThousandths(typed);
    return v === null ? null : formatMoney(v);
  }

  // The unit price (package / units, half up to 1/10,000 yuan), in ten-thousandths.
  function unitPrice(packageTt, units) {
    var u = BigInt(units);
    return (2n * packageTt + u) / (2n * u);
  }

  // The plaintext of a price envelope.
  function pricePlaintext(normalised) {
    return JSON.stringify({ package_price: normalised });
  }

  root.jicaiSeal = Object.freeze({
    PRICE_LEN: PRICE_LEN,
    seal: seal,
    openWithSecret: openWithSecret,
    binding: binding,
    normalisePrice: normalisePrice,
    pricePlaintext: pricePlaintext,
    unitPrice: unitPrice,
    priceTenThousandths: priceTenThousandths,
    formatMoney: formatMoney,
  });

  // ---- the bid page -----------------------------------------------------------------------

  if (typeof document === "undefined") return;

  function hidden(form, name, value) {
    var el = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (!el) {
      el = document.createElement("input");
      el.type = "hidden";
      el.name = name;
      form.appendChild(el);
    }
    el.value = value;
    return el;
  }

  function wire(form) {
    var d = form.dataset;
    var price = form.querySelector('[name="package_price"]');
    var button = form.querySelector('button[type="submit"]');
    if (!price || !button || !root.crypto || !root.crypto.getRandomValues) return;
    var label = price.closest("label");
    // What the page says when the price is refused or above the ceiling, by the script.
    var note = document.createElement("em");
    note.className = "error seal-note";
    note.hidden = true;
    note.setAttribute("role", "alert");
    (label || price.parentNode).appendChild(note);
    var confirmBox = document.createElement("label");
    confirmBox.className = "field check seal-confirm";
    confirmBox.hidden = true;
    var confirmText = document.createElement("span");
    confirmText.textContent = d.msgConfirm || "";
    var confirmInput = document.createElement("input");
    confirmInput.type = "checkbox";
    confirmInput.id = "seal-confirm-above-max";
    confirmBox.appendChild(confirmText);
    confirmBox.appendChild(confirmInput);
    form.insertBefore(confirmBox, button);
    // units per package by product id ("12:10 13:20").
    var units = {};
    (d.units || "").split(/\s+/).forEach(function (pair) {
      var kv = pair.split(":");
      if (kv.length === 2) units[kv[0]] = kv[1];
    });
    var maxUnit = /^[0-9]+$/.test(d.maxUnit || "") ? BigInt(d.maxUnit) : null;

    function say(text) {
      note.textContent = text;
      note.hidden = !text;
      if (label) label.classList.toggle("has-error", !!text);
      price.setAttribute("aria-invalid", text ? "true" : "false");
    }

    function aboveCeiling(tt) {
      var product = form.querySelector('[name="product_id"]');
      var u = product && units[product.value];
      if (maxUnit === null || !u || !/^[1-9][0-9]*$/.test(u)) return null;
      var unit = unitPrice(tt, u);
      return unit > maxUnit ? unit : null;
    }

    price.addEventListener("input", function () {
      say("");
      confirmBox.hidden = true;
      confirmInput.checked = false;
    });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var typed = price.value;
      var tt = priceTenThousandths(typed);
      if (tt === null) {
        say(d.msgPrice || "");
        price.focus();
        return;
      }
      var above = aboveCeiling(tt);
      if (above !== null && !confirmInput.checked) {
        say((d.msgAbove || "").replace("{unit_price}", formatMoney(above))
          .replace("{max}", formatMoney(maxUnit)));
        confirmBox.hidden = false;
        confirmInput.focus();
        return;
      }
      var env;
      try {
        env = seal(d.tenderKey, d.tenderId, d.lotId, d.supplierId,
          pricePlaintext(formatMoney(tt)));
      } catch (e) {
        say(d.msgFailed || String(e));
        return;
      }
      hidden(form, "commercial_nonce", env.nonce);
      hidden(form, "commercial_ciphertext", env.ciphertext);
      hidden(form, "commercial_digest", env.digest);
      if (above !== null) hidden(form, "confirm_above_max", "yes");
      else {
        var c = form.querySelector('input[name="confirm_above_max"]');
        if (c) c.remove();
      }
      // The price itself is not sent: no name, no value in the form's data.
      price.removeAttribute("name");
      button.disabled = true;
      form.submit();
    });

    // Back to the page from the browser's history: the form is as it was before sealing.
    root.addEventListener("pageshow", function () {
      price.setAttribute("name", "package_price");
      button.disabled = false;
    });

    var needs = document.getElementById("needs-script");
    if (needs) needs.hidden = true;
    button.disabled = false;
  }

  function start() {
    if (!root.jicaiNoble) return;
    document.querySelectorAll('form[data-seal="quorum"]').forEach(wire);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(globalThis);
