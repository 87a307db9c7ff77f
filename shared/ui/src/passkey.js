/* Passkeys (issue 24). Loaded only by the pages that create, use or offer one. Without
   JavaScript nothing here runs: the pages say a passkey needs it, the login's passkey button
   and the offers stay hidden, and the password + SMS login stays. Binary values travel as
   base64url (the server's webauthn-rs shapes). */
(function () {
  "use strict";

  function toBuffer(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toBase64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function say(el, text) {
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
  }

  /* Creation (/area-clienti/passkey/nuova): #passkey-creation holds
     {"cerimonia": ..., "publicKey": {...}}; the credential goes in #passkey-create-form's
     "credenziale" field as JSON. */
  function create() {
    var data = document.getElementById("passkey-creation");
    var form = document.getElementById("passkey-create-form");
    if (!data || !form) return;
    var status = document.getElementById("passkey-status");
    var options;
    try {
      options = JSON.parse(data.textContent).publicKey;
    } catch (e) {
      return;
    }
    var busy = false;
    form.addEventListener("submit", function (ev) {
      if (form.elements.credenziale.value) return;
      ev.preventDefault();
      if (busy) return;
      if (!window.PublicKeyCredential || !navigator.credentials) {
        say(status, "Questo browser non permette di creare passkey: accedi con username, password e codice SMS.");
        return;
      }
      var publicKey = Object.assign({}, options, {
        challenge: toBuffer(options.challenge),
        user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
        excludeCredentials: (options.excludeCredentials || []).map(function (c) {
          return Object.assign({}, c, { id: toBuffer(c.id) });
        })
      });
      busy = true;
      navigator.credentials.create({ publicKey: publicKey }).then(function (cred) {
        form.elements.credenziale.value = JSON.stringify({
          id: cred.id,
          rawId: toBase64url(cred.rawId),
          type: cred.type,
          response: {
            attestationObject: toBase64url(cred.response.attestationObject),
            clientDataJSON: toBase64url(cred.response.clientDataJSON)
          },
          extensions: {}
        });
        form.submit();
      }).catch(function (e) {
        busy = false;
        say(status, e && e.name === "InvalidStateError"
          ? "Su questo dispositivo c'è già una passkey per il tuo account: la trovi nell'elenco delle passkey."
          : "La passkey non è stata creata (richiesta annullata o scaduta). Puoi riprovare con CREA LA PASSKEY.");
      });
    });
  }

  create();

  // The login and the offer need WebAuthn; without it they show nothing (hidden by default).
  var PK = window.PublicKeyCredential;
  if (!PK || !navigator.credentials || !window.fetch) return;

  function b64url(buf) {
    return buf ? toBase64url(buf) : null;
  }
  function ids(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }
  function show(el, text) {
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }
  var CANCELLED = "Operazione annullata o non riuscita: riprova oppure accedi con username e password.";

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
        rawId: b64url(c.rawId),
        type: c.type,
        response: {
          authenticatorData: b64url(c.response.authenticatorData),
          clientDataJSON: b64url(c.response.clientDataJSON),
          signature: b64url(c.response.signature),
          userHandle: b64url(c.response.userHandle),
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
        publicKey.challenge = toBuffer(pk.challenge);
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
        show(status, "");
        get(null).catch(function (e) {
          if (e && e.name === "AbortError") return;
          show(status, CANCELLED);
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
