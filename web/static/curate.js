// Curating pages: the bulk upload progress page follows its job without reloads, and reloads
// once the job ends so the report appears. Everything works without this script too.
(function () {
  "use strict";
  var panel = document.querySelector("[data-job-status]");
  if (!panel || panel.getAttribute("data-job-active") !== "true") {
    return;
  }
  var url = panel.getAttribute("data-job-status");
  function show(name, value) {
    var node = panel.querySelector('[data-job-field="' + name + '"]');
    if (node && value !== null && value !== undefined) {
      node.textContent = String(value);
    }
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) {
          return;
        }
        show("processed", state.processed);
        show("total", state.total);
        var bar = panel.querySelector("[data-job-progress]");
        if (bar) {
          bar.max = Math.max(state.total, 1);
          bar.value = state.processed;
        }
        if (!state.active) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
