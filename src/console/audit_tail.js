// Live tail of the audit log (progressive enhancement): polls for records after the newest shown.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const list = document.querySelector("[data-audit-tail]");
    if (!list) return;
    let after = Number(list.getAttribute("data-after") || "0");
    const status = document.querySelector("[data-tail-status]");
    function poll() {
      fetch("/console/audit/tail.json?after=" + after, { credentials: "same-origin" })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (body) {
          if (!body) return;
          body.records.forEach(function (r) {
            const li = document.createElement("li");
            li.textContent = r.at + "  " + r.kind + "  " + (r.actor || "") + "  " +
              (r.appId || "") +
              "  " + (r.entityId || "");
            list.insertBefore(li, list.firstChild);
          });
          while (list.children.length > 200) list.removeChild(list.lastChild);
          after = body.after;
          if (status) status.textContent = "Live: checking every 3 s";
        })
        .catch(function () {
          if (status) status.textContent = "Live tail paused (connection lost)";
        });
    }
    poll();
    setInterval(poll, 3000);
  });
})();
