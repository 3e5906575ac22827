// Safe edits on the curating pages. Everything here is a nicety on top of forms that work
// without it: the server asks for confirmation on its own page, and saving a form keeps it.
//  - A button or form with data-confirm asks in a dialog; on yes the form carries
//    confirmed=yes, so the server's confirmation page is skipped.
//  - A form with data-warn-unsaved makes the browser ask before leaving it with changes that
//    have not reached the server.
//  - A form with data-autosave posts itself there (CSRF token included) a moment after the
//    last keystroke, and says in its [data-autosave-status] whether the draft was saved.
(function () {
  "use strict";

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
