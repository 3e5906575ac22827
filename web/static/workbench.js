// The curators' wares list: select rows or the whole page, show the inputs the chosen batch
// action needs, and ask before an action that changes many wares at once or cannot be taken
// back lightly. Without this script the form still works (every input is sent; the server
// reads only those the action needs) and nothing is asked.
(function () {
  "use strict";
  var form = document.querySelector("[data-batch-form]");
  if (form) {
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-select-row]"));
    var page = form.querySelector("[data-select-page]");
    var counter = form.querySelector("[data-selected-count]");
    var count = function () {
      var n = rows.filter(function (box) { return box.checked; }).length;
      if (counter) { counter.textContent = String(n); }
      if (page) {
        page.checked = n > 0 && n === rows.length;
        page.indeterminate = n > 0 && n < rows.length;
      }
    };
    rows.forEach(function (box) { box.addEventListener("change", count); });
    if (page) {
      page.addEventListener("change", function () {
        rows.forEach(function (box) { box.checked = page.checked; });
        count();
      });
    }
    count();
    var action = form.querySelector("[data-batch-action]");
    var show = function () {
      var chosen = action ? action.value : "";
      form.querySelectorAll("[data-batch-for]").forEach(function (node) {
        var wanted = node.getAttribute("data-batch-for").split(" ").indexOf(chosen) >= 0;
        node.hidden = !wanted;
        node.querySelectorAll("input, select").forEach(function (input) { input.disabled = !wanted; });
      });
    };
    if (action) { action.addEventListener("change", show); show(); }
    form.addEventListener("submit", function (event) {
      var option = action && action.options[action.selectedIndex];
      var question = option && option.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { event.preventDefault(); return; }
      // Publishing a field edit at once is asked here; the server asks with a page otherwise.
      var now = form.querySelector("[data-batch-publish-now]");
      if (now && now.checked && !now.disabled) {
        if (!window.confirm(now.getAttribute("data-confirm"))) { event.preventDefault(); return; }
        var confirmed = form.querySelector('input[name="confirmed"]');
        if (!confirmed) {
          confirmed = document.createElement("input");
          confirmed.type = "hidden";
          confirmed.name = "confirmed";
          form.appendChild(confirmed);
        }
        confirmed.value = "yes";
      }
    });
  }
  // Leaving a form with unsaved changes, autosave and the confirmations of other forms:
  // safe_edits.js.
})();
