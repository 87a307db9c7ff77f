/* Header menu enhancement. The menu already works without JavaScript: it is a
   <details class="menu-toggle"> whose [open] state shows the sibling nav via CSS.
   This adds aria-expanded/aria-controls, Escape to close (focus back on the toggle),
   closing on a click outside and when focus leaves the menu. No inline script needed. */
(function () {
  "use strict";
  var toggle = document.querySelector("details.menu-toggle");
  if (!toggle) return;
  var summary = toggle.querySelector("summary");
  var nav = document.getElementById(toggle.getAttribute("data-menu") || "menu-principale");
  if (!summary || !nav) return;

  if (nav.id) summary.setAttribute("aria-controls", nav.id);
  function sync() {
    summary.setAttribute("aria-expanded", toggle.open ? "true" : "false");
  }
  function close(returnFocus) {
    if (!toggle.open) return;
    toggle.open = false;
    sync();
    if (returnFocus) summary.focus();
  }
  sync();
  toggle.addEventListener("toggle", sync);

  document.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && toggle.open) {
      e.preventDefault();
      close(true);
    }
  });
  document.addEventListener("click", function (e) {
    if (toggle.open && !toggle.contains(e.target) && !nav.contains(e.target)) close(false);
  });
  nav.addEventListener("focusout", function (e) {
    var next = e.relatedTarget;
    if (toggle.open && next && !nav.contains(next) && !toggle.contains(next)) close(false);
  });
})();

// Registration step 1, "barra di controllo": while the user drags the native range input,
// solve the server's proof-of-work (sha256("<nonce>:<n>") with 16 leading zero bits) and
// put the answer in the hidden "pow" field. Without JavaScript the form still works; the
// server then applies a tighter per-IP cap.
(function () {
  var slider = document.querySelector('input[type=range][data-pow-nonce]');
  if (!slider || !window.crypto || !crypto.subtle || !window.TextEncoder) return;
  var form = slider.form, out = form && form.querySelector('input[name=pow]');
  var nonce = slider.getAttribute('data-pow-nonce'), started = false, enc = new TextEncoder();
  function ok(buf) { var b = new Uint8Array(buf); return b[0] === 0 && b[1] === 0; }
  function solve(n) {
    var batch = [];
    for (var i = 0; i < 256; i++) batch.push(crypto.subtle.digest('SHA-256', enc.encode(nonce + ':' + (n + i))));
    Promise.all(batch).then(function (hs) {
      for (var i = 0; i < hs.length; i++) if (ok(hs[i])) { out.value = String(n + i); return; }
      solve(n + 256);
    });
  }
  function update() {
    var end = slider.value === slider.max;
    slider.setAttribute('aria-valuetext', end ? 'Cursore a fine corsa: verifica completata' : 'Cursore al ' + slider.value + ' per cento');
    if (!started && out) { started = true; solve(0); }
  }
  slider.addEventListener('input', update);
  slider.addEventListener('change', update);
})();
