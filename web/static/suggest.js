// Suggestions while typing in the curating forms: an input with data-suggest="FIELD" gets a
// <datalist> (the browser's own accessible combobox) filled from /curate/suggest as the user
// types. The ware form's "Add another maker" button copies a blank maker row. Without this
// script every input is a plain text box and one blank maker row is offered per save.
(function () {
  "use strict";
  var endpoint = document.documentElement.getAttribute("data-suggest-url") || "/curate/suggest";
  var counter = 0;
  function attach(input) {
    if (input.getAttribute("data-suggest-ready")) { return; }
    input.setAttribute("data-suggest-ready", "1");
    var list = document.createElement("datalist");
    counter += 1;
    list.id = "suggest-" + counter;
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var words = input.value.trim();
        if (!words || words === asked) { return; }
        asked = words;
        var url = endpoint + "?field=" + encodeURIComponent(input.getAttribute("data-suggest")) +
          "&q=" + encodeURIComponent(words);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (answer) {
            list.textContent = "";
            answer.suggestions.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.value;
              if (item.label && item.label !== item.value) { option.label = item.label; }
              list.appendChild(option);
            });
          })
          .catch(function () { list.textContent = ""; });
      }, 150);
    });
  }
  document.querySelectorAll("[data-suggest]").forEach(attach);
  var add = document.querySelector("[data-add-maker]");
  if (add) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = document.querySelectorAll("[data-maker-row]");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.removeAttribute("data-suggest-ready");
        input.removeAttribute("list");
      });
      copy.querySelectorAll("datalist").forEach(function (list) { list.remove(); });
      copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
      last.parentNode.insertBefore(copy, add);
      copy.querySelectorAll("[data-suggest]").forEach(attach);
      copy.querySelector("input").focus();
    });
  }
})();
