// A ware's photographs on the curating screen: drag across a photograph's thumbnail to fill in
// its crop (left, top, width, height in pixels of the photograph as turned); the thumbnail shows
// the photograph as it is shown now, so a new crop is taken inside the current one. The fields
// work without this script too.
(function () {
  "use strict";
  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }
  document.querySelectorAll("[data-crop-for]").forEach(function (image) {
    var id = image.getAttribute("data-crop-for");
    var form = image.closest("form");
    var frame = image.parentNode;
    var width = Number(image.getAttribute("data-shown-width"));
    var height = Number(image.getAttribute("data-shown-height"));
    var left = Number(image.getAttribute("data-crop-left"));
    var top = Number(image.getAttribute("data-crop-top"));
    var fields = {};
    ["x", "y", "w", "h"].forEach(function (part) {
      fields[part] = form.querySelector('[name="crop-' + part + "-" + id + '"]');
    });
    if (!form || !fields.x || !width || !height) {
      return;
    }
    var selection = document.createElement("span");
    selection.className = "photos__selection";
    selection.hidden = true;
    frame.appendChild(selection);
    image.classList.add("photos__croppable");
    var start = null;
    function point(event) {
      var box = image.getBoundingClientRect();
      return [
        clamp(event.clientX - box.left, 0, box.width),
        clamp(event.clientY - box.top, 0, box.height),
        box,
      ];
    }
    function fill(from, to) {
      var box = to[2];
      var x0 = Math.min(from[0], to[0]);
      var y0 = Math.min(from[1], to[1]);
      var w = Math.max(Math.abs(to[0] - from[0]), 1);
      var h = Math.max(Math.abs(to[1] - from[1]), 1);
      selection.hidden = false;
      selection.style.left = x0 + "px";
      selection.style.top = y0 + "px";
      selection.style.width = w + "px";
      selection.style.height = h + "px";
      var sx = width / box.width;
      var sy = height / box.height;
      fields.x.value = left + Math.round(x0 * sx);
      fields.y.value = top + Math.round(y0 * sy);
      fields.w.value = Math.max(1, Math.min(Math.round(w * sx), width - Math.round(x0 * sx)));
      fields.h.value = Math.max(1, Math.min(Math.round(h * sy), height - Math.round(y0 * sy)));
    }
    image.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      start = point(event);
      image.setPointerCapture(event.pointerId);
    });
    image.addEventListener("pointermove", function (event) {
      if (start) {
        fill(start, point(event));
      }
    });
    image.addEventListener("pointerup", function (event) {
      if (!start) {
        return;
      }
      fill(start, point(event));
      start = null;
      var details = fields.x.closest("details");
      if (details) {
        details.open = true;
      }
    });
  });
})();
