// The lightbox: named selections of wares kept in this browser (localStorage), without an
// account. A selection's address (/lightbox?name=…&ids=…) shows it to anyone; the server renders
// it, so this script only adds, keeps and lists selections.
(function () {
  "use strict";
  var KEY = "potbank.lightbox";

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(KEY) || "{}");
      if (saved && typeof saved.selections === "object") {
        return saved;
      }
    } catch (ignored) {
      // A damaged entry is replaced by an empty lightbox.
    }
    return { current: "", selections: {} };
  }

  function save(state) {
    window.localStorage.setItem(KEY, JSON.stringify(state));
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return values[name] !== undefined ? values[name] : whole;
    });
  }

  // "Add to lightbox" on a ware page: into the selection used last ("My selection" at first).
  document.querySelectorAll("[data-lightbox-add]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var state = load();
      var name = state.current || button.getAttribute("data-default-name") || "My selection";
      var id = Number(button.getAttribute("data-lightbox-add"));
      var ids = state.selections[name] || [];
      if (ids.indexOf(id) < 0) {
        ids.push(id);
      }
      state.selections[name] = ids;
      state.current = name;
      save(state);
      button.textContent = button.getAttribute("data-added");
      button.disabled = true;
    });
  });

  var page = document.querySelector("[data-lightbox-page]");
  if (!page) {
    return;
  }
  var base = page.getAttribute("data-page");

  function link(name, ids) {
    return base + "?name=" + encodeURIComponent(name) + "&ids=" + ids.join(",");
  }

  function list() {
    var state = load();
    var holder = page.querySelector("[data-lightbox-list]");
    var hint = page.querySelector("[data-lightbox-hint]");
    var names = Object.keys(state.selections).sort();
    holder.textContent = "";
    names.forEach(function (name) {
      var ids = state.selections[name];
      var item = document.createElement("li");
      var anchor = document.createElement("a");
      anchor.href = link(name, ids);
      anchor.textContent = name;
      var count = document.createElement("span");
      count.className = "muted";
      var template = page.getAttribute(ids.length === 1 ? "data-count-one" : "data-count-many");
      count.textContent = " " + fill(template, { n: ids.length });
      item.appendChild(anchor);
      item.appendChild(count);
      holder.appendChild(item);
    });
    hint.textContent = names.length ? "" : page.getAttribute("data-empty");
  }

  var keep = page.querySelector("[data-lightbox-keep]");
  if (keep) {
    keep.hidden = false;
    keep.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = keep.querySelector("input[name=name]").value.trim();
      var ids = page.getAttribute("data-ids").split(",").filter(Boolean).map(Number);
      if (!name) {
        return;
      }
      var state = load();
      state.selections[name] = ids;
      state.current = name;
      save(state);
      keep.querySelector("[data-lightbox-status]").textContent = fill(
        page.getAttribute("data-saved"),
        { name: name }
      );
      list();
    });
  }
  list();
})();
