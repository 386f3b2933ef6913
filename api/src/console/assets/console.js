// The moderation console's keyboard: j/k move through the queue, x marks a row, D/H/R decide
// on the marked rows, Enter (or o) opens the item; on an item, d dismisses, h hides,
// r restores, b bans (u unbans; a ban asks first) with the reason and the length chosen in
// the form; ? shows the keys. Served from /mod/assets (no inline script: the page's
// Content-Security-Policy allows this file alone).
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.item"));
  var at = rows.length ? 0 : -1;
  function select(i) {
    if (!rows.length) return;
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("selected", k === at); });
    rows[at].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) select(0);
  function decide(key) {
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) { button.click(); return true; }
    return false;
  }
  // A decision that cannot be taken back at a keystroke (a ban) asks first; whether it came
  // from its key or a click, the form's submission passes here.
  document.addEventListener("submit", function (e) {
    var b = e.submitter;
    var question = b && b.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });
  // A reason or a ban's length picked, the keys decide again (a focused list would take them).
  document.addEventListener("change", function (e) {
    if (e.target && e.target.tagName === "SELECT") e.target.blur();
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    var k = e.key;
    if (k === "?") {
      var help = document.getElementById("help");
      if (help) help.hidden = !help.hidden;
    } else if (k === "j") {
      select(at + 1);
    } else if (k === "k") {
      select(at - 1);
    } else if (k === "x" && at >= 0) {
      var box = rows[at].querySelector('input[type="checkbox"]');
      if (box && !box.disabled) box.checked = !box.checked;
    } else if ((k === "Enter" || k === "o") && at >= 0) {
      window.location.href = rows[at].getAttribute("data-href");
    } else if (!decide(k)) {
      return;
    }
    e.preventDefault();
  });
})();
