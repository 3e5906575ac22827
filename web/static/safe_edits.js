// Safe edits on the curating pages. Everything here is a nicety on top of forms that work
// without it: the server asks for confirmation on its own page, and saving a form keeps it.
//  - A button or form with data-confirm asks in a dialog; on yes the form carries
//    confirmed=yes, so the server's confirmation page is skipped.
//  - A form with data-warn-unsaved makes the browser ask before leaving it with changes that
//    have not reached the server.
//  - A form with data-autosave posts itself there (CSRF token included) a moment after the
//    last keystroke, and says in its [data-autosave-status] whether the draft was saved.
//  - A form with data-local-draft (the new-ware form: there is no record to autosave into yet)
//    is kept as typed in this browser's localStorage under that key (one per account); opened
//    again with such a draft, it offers to restore it. [data-local-draft-clear] on the page
//    after a successful save forgets it, and so does signing out: the sign-out form's
//    data-forget-local-drafts names the keys' prefix (the server's Clear-Site-Data header
//    clears them too, where the browser honours it).
(function () {
  "use strict";

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }  // disabled: no drafts
  }

  document.querySelectorAll("[data-local-draft-clear]").forEach(function (done) {
    var kept = storage();
    if (kept) { kept.removeItem(done.getAttribute("data-local-draft-clear")); }
  });

  document.querySelectorAll("form[data-forget-local-drafts]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var kept = storage();
      var prefix = form.getAttribute("data-forget-local-drafts");
      if (!kept || !prefix) { return; }
      for (var index = kept.length - 1; index >= 0; index -= 1) {
        var key = kept.key(index);
        if (key && key.indexOf(prefix) === 0) { kept.removeItem(key); }
      }
    });
  });

  document.querySelectorAll("form[data-local-draft]").forEach(function (form) {
    var kept = storage();
    var key = form.getAttribute("data-local-draft");
    if (!kept || !key) { return; }
    var timer = null;

    function typed() {
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
      });
      return fields;
    }
    function keep() {
      timer = null;
      try {
        kept.setItem(key, JSON.stringify({ at: new Date().toISOString(), fields: typed() }));
      } catch (error) { /* full or refused: the unsaved-changes warning still guards */ }
    }
    function fill(fields) {
      var seen = {};
      var addMaker = form.querySelector("[data-add-maker]");
      fields.forEach(function (pair) {
        var name = pair[0];
        var index = seen[name] || 0;
        seen[name] = index + 1;
        var inputs = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
        if (index >= inputs.length && addMaker && name.indexOf("maker_") === 0) {
          addMaker.click();  // a row more than the form shows
          inputs = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
        }
        var input = inputs[index];
        if (!input) { return; }
        if (input.type === "checkbox" || input.type === "radio") {
          input.checked = input.value === pair[1];
        } else {
          input.value = pair[1];
        }
      });
      form.dispatchEvent(new Event("input", { bubbles: true }));  // unsaved: warn on leaving
    }

    var draft = null;
    try { draft = JSON.parse(kept.getItem(key) || "null"); } catch (error) { draft = null; }
    var offer = form.querySelector("[data-local-draft-offer]");
    // The page already shows it (the server sent the form back to correct): nothing to offer.
    if (draft && draft.fields && offer && JSON.stringify(draft.fields) !== JSON.stringify(typed())) {
      var when = offer.querySelector("[data-local-draft-time]");
      if (when && draft.at) { when.textContent = "(" + new Date(draft.at).toLocaleString() + ")"; }
      offer.hidden = false;
      offer.querySelector("[data-local-draft-restore]").addEventListener("click", function () {
        fill(draft.fields);
        offer.hidden = true;
      });
      offer.querySelector("[data-local-draft-forget]").addEventListener("click", function () {
        kept.removeItem(key);
        offer.hidden = true;
      });
    }
    form.addEventListener("input", function () {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(keep, 300);
    });
    // Kept through the submission: a failed one (a lost connection, an expired sign-in) loses
    // nothing; the created ware's page forgets it.
    form.addEventListener("submit", function () {
      if (timer) { window.clearTimeout(timer); }
      keep();
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-batch-form")) { return; }  // workbench.js asks for those
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!question) { return; }
    if (!window.confirm(question)) { event.preventDefault(); return; }
    var flag = form.querySelector('input[name="confirmed"]');
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.appendChild(flag);
    }
    flag.value = "yes";
  });

  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (edited) {
    var dirty = false;      // typed since the last save reached the server
    var submitting = false;
    var url = edited.getAttribute("data-autosave");
    var status = edited.querySelector("[data-autosave-status]");
    var timer = null;
    var inFlight = false;
    var again = false;

    function say(text, failed) {
      if (!status) { return; }
      status.textContent = text;
      status.classList.toggle("autosave--failed", Boolean(failed));
    }

    function send(keepalive) {
      var token = edited.querySelector('input[name="csrf_token"]');
      return fetch(url, {
        method: "POST",
        body: new FormData(edited),
        credentials: "same-origin",
        keepalive: keepalive,
        redirect: "error",  // an expired sign-in answers with a redirect: that is a failure
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" }
      });
    }

    function save() {
      timer = null;
      if (inFlight) { again = true; return; }
      inFlight = true;
      dirty = false;
      say(status ? status.getAttribute("data-saving") : "", false);
      send(false)
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
          return (json ? response.json() : Promise.resolve({ message: response.statusText }))
            .then(function (answer) { return { ok: response.ok, answer: answer }; });
        })
        .then(function (result) {
          if (!result.ok) { throw new Error(result.answer && result.answer.message); }
          say(result.answer.message, false);
        })
        .catch(function (error) {
          dirty = true;
          say((status ? status.getAttribute("data-failed") : "") + (error && error.message ? " " + error.message : ""), true);
        })
        .then(function () {
          inFlight = false;
          if (again) { again = false; save(); }
        });
    }

    edited.addEventListener("input", function () {
      dirty = true;
      if (!url) { return; }
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, 1200);
    });
    edited.addEventListener("submit", function () {
      submitting = true;
      if (timer) { window.clearTimeout(timer); timer = null; }
    });
    // A tab closed within the moment before an autosave still sends what was typed.
    window.addEventListener("pagehide", function () {
      if (url && timer && !submitting) { window.clearTimeout(timer); timer = null; send(true); }
    });
    window.addEventListener("beforeunload", function (event) {
      if (submitting) { return; }
      if (dirty || timer || inFlight) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();
