// The moderation console's keyboard: j/k move through the queue, Enter (or o) opens the
// item; on an item, d dismisses, h hides, r restores, b bans (u unbans) with the reason
// chosen in the form; ? shows the keys. Served from /mod/assets (no inline script: the page's
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
    } else if ((k === "Enter" || k === "o") && at >= 0) {
      window.location.href = rows[at].getAttribute("data-href");
    } else if (!decide(k)) {
      return;
    }
    e.preventDefault();
  });
})();
