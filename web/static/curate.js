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
        // Until the rows are counted the total is null: the page says it is reading the file.
        var phase = panel.querySelector("[data-job-field='phase-text']");
        var text = phase && phase.getAttribute("data-phase-" + (state.total === null ? "reading" : state.phase));
        if (text) {
          phase.textContent = text;
        }
        var counts = panel.querySelector("[data-job-counts]");
        if (counts && state.total !== null) {
          counts.hidden = false;
          show("processed", state.processed);
          show("total", state.total);
          show("photos_done", state.photos_done);
          show("photos_total", state.photos_total);
          var bar = panel.querySelector("[data-job-progress]");
          if (bar) {
            bar.max = Math.max(state.total, 1);
            bar.value = state.processed;
          }
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

// The bulk upload's mapping screen: the dry run follows each change of the mapping (the
// "Update the preview" button does the same without this script). Changing a column's field
// means a mapping of one's own, so the profile choice switches to the columns.
(function () {
  "use strict";
  var form = document.querySelector("[data-mapping-form]");
  if (!form) {
    return;
  }
  var profile = form.querySelector("[data-mapping-profile]");
  function update() {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }
  if (profile) {
    profile.addEventListener("change", update);
  }
  Array.prototype.forEach.call(form.querySelectorAll("[data-mapping-target]"), function (select) {
    select.addEventListener("change", function () {
      if (profile) {
        profile.value = "";
      }
      update();
    });
  });
})();
