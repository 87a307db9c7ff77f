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
