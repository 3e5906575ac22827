// Search by photograph: pick or drop a photo and it is searched at once. Without this script the
// form still works: choose a file, then press "Search by photograph".
(function () {
  "use strict";
  var form = document.querySelector("[data-photo-search]");
  if (!form) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector("[data-dropzone]");
  var hint = form.querySelector("[data-dropzone-hint]");
  document.documentElement.classList.add("js");

  function submitWith(file) {
    if (!file) {
      return;
    }
    // The preview is made here, not left empty in the page: an <img> needs a src.
    if (window.URL && URL.createObjectURL) {
      var preview = document.createElement("img");
      preview.className = "dropzone__preview";
      preview.alt = "";
      preview.src = URL.createObjectURL(file);
      zone.appendChild(preview);
    }
    if (hint) {
      hint.textContent = form.getAttribute("data-searching");
    }
    zone.setAttribute("aria-busy", "true");
    form.submit();
  }

  input.addEventListener("change", function () {
    submitWith(input.files && input.files[0]);
  });

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("is-dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("is-dragging");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("is-dragging");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) {
      return;
    }
    // The dropped file becomes the form's file, so the ordinary multipart form post carries it.
    input.files = files;
    submitWith(files[0]);
  });
})();
