/* Passkeys (WebAuthn), loaded only on the pages that offer one (ui::layout::PageOptions.passkey).
   Every form here works as plain HTML; this only runs the browser's ceremony and fills the hidden
   `credenziale` input with its JSON (the shapes webauthn-rs reads: base64url without padding).
   Without WebAuthn nothing is shown and nothing changes: password + SMS stays the way in. */
(function () {
  "use strict";
  var PK = window.PublicKeyCredential;
  if (!PK || !navigator.credentials || !window.fetch) return;

  function fromB64(s) {
    s = String(s).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buf) {
    if (!buf) return null;
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    return (list || []).map(function (c) {
      var d = {}; for (var k in c) d[k] = c[k];
      d.id = fromB64(c.id);
      return d;
    });
  }
  // A failed ceremony (cancelled, no passkey, user verification refused) says so next to the
  // button; the person can still use the password.
  function say(el, text) {
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }
  var CANCELLED = "Operazione annullata o non riuscita: riprova oppure accedi con username e password.";

  // --- Creation (/area-clienti/passkey/nuova): #passkey-creation holds the options. ---------------------------
  (function () {
    var data = document.getElementById("passkey-creation");
    var form = document.getElementById("passkey-create-form");
    if (!data || !form) return;
    var opts = JSON.parse(data.textContent);
    var status = document.getElementById("passkey-stato");
    form.addEventListener("submit", function (e) {
      if (form.elements.credenziale.value) return;
      e.preventDefault();
      var pk = opts.publicKey, user = {};
      for (var k in pk.user) user[k] = pk.user[k];
      user.id = fromB64(pk.user.id);
      var publicKey = {};
      for (var p in pk) publicKey[p] = pk[p];
      publicKey.challenge = fromB64(pk.challenge);
      publicKey.user = user;
      publicKey.excludeCredentials = ids(pk.excludeCredentials);
      navigator.credentials.create({ publicKey: publicKey }).then(function (c) {
        form.elements.credenziale.value = JSON.stringify({
          id: c.id,
          rawId: toB64(c.rawId),
          type: c.type,
          response: {
            attestationObject: toB64(c.response.attestationObject),
            clientDataJSON: toB64(c.response.clientDataJSON),
          },
          extensions: {},
        });
        form.submit();
      }, function () {
        say(status, "La passkey non è stata creata: l'operazione è stata annullata o il dispositivo non l'ha consentita. Puoi riprovare.");
      });
    });
  })();

  // --- Login (/accesso): conditional UI on the username field, and the button. --------------------------------
  (function () {
    var form = document.getElementById("passkey-login-form");
    if (!form) return;
    var button = document.getElementById("passkey-login-button");
    var status = document.getElementById("passkey-login-stato");
    var options = form.getAttribute("data-opzioni");
    var pending = null;

    function fetchOptions() {
      return fetch(options, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: "",
      }).then(function (r) {
        if (!r.ok) throw new Error("opzioni " + r.status);
        return r.json();
      });
    }
    function submit(cerimonia, c) {
      form.elements.cerimonia.value = cerimonia;
      form.elements.credenziale.value = JSON.stringify({
        id: c.id,
        rawId: toB64(c.rawId),
        type: c.type,
        response: {
          authenticatorData: toB64(c.response.authenticatorData),
          clientDataJSON: toB64(c.response.clientDataJSON),
          signature: toB64(c.response.signature),
          userHandle: toB64(c.response.userHandle),
        },
        extensions: {},
      });
      form.submit();
    }
    // One ceremony per request: the server deletes it on first use.
    function get(mediation) {
      if (pending) pending.abort();
      var ctl = window.AbortController ? new AbortController() : null;
      pending = ctl;
      return fetchOptions().then(function (o) {
        var pk = o.publicKey, publicKey = {};
        for (var k in pk) publicKey[k] = pk[k];
        publicKey.challenge = fromB64(pk.challenge);
        publicKey.allowCredentials = ids(pk.allowCredentials);
        var req = { publicKey: publicKey };
        if (mediation) req.mediation = mediation;
        if (ctl) req.signal = ctl.signal;
        return navigator.credentials.get(req).then(function (c) {
          if (c) submit(o.cerimonia, c);
        });
      });
    }

    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        say(status, "");
        get(null).catch(function (e) {
          if (e && e.name === "AbortError") return;
          say(status, CANCELLED);
        });
      });
    }
    if (PK.isConditionalMediationAvailable) {
      PK.isConditionalMediationAvailable().then(function (ok) {
        if (ok) get("conditional").catch(function () { /* the button and the password remain */ });
      }, function () {});
    }
  })();

  // --- The offer (home after an SMS login, registration's step 6): shown where a platform passkey can be made. -
  (function () {
    var cards = document.querySelectorAll("[data-passkey-offer]");
    if (!cards.length || !PK.isUserVerifyingPlatformAuthenticatorAvailable) return;
    PK.isUserVerifyingPlatformAuthenticatorAvailable().then(function (ok) {
      if (!ok) return;
      Array.prototype.forEach.call(cards, function (card) {
        card.hidden = false;
        // A card without a server-side NON ORA (registration's end) just closes.
        var close = card.querySelector("[data-passkey-offer-close]");
        if (close) close.addEventListener("click", function () { card.hidden = true; });
      });
    }, function () {});
  })();
})();
