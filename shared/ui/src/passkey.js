/* Passkeys (issue 24). Loaded only by the pages that create or use one. Without
   JavaScript nothing here runs: the pages say a passkey needs it, and the password + SMS
   login stays. Binary values travel as base64url (the server's webauthn-rs shapes). */
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
})();
