// Compare: "Synchronised deep zoom" turns each
// photograph into an OpenSeadragon viewer of its IIIF image service; panning or zooming one
// moves the others to the same place (viewport coordinates are relative to each image's width,
// so "the middle of the foot ring" is the same point on each).
(function () {
  "use strict";
  var button = document.querySelector("[data-compare-zoom]");
  if (!button) {
    return;
  }
  button.hidden = false;
  var MOBILE_CSS = "style[data-openseadragon-mobile-css]";

  // As on the ware page: OpenSeadragon's inline <style> is refused by the CSP; its rule is in
  // deepzoom.css, so its lookup for that element is answered as found.
  function build(options) {
    var query = document.querySelector;
    document.querySelector = function (selector) {
      return selector === MOBILE_CSS ? document.head : query.call(document, selector);
    };
    try {
      return window.OpenSeadragon(options);
    } finally {
      delete document.querySelector;
    }
  }

  function start() {
    var viewers = [];
    var following = false;
    document.querySelectorAll("[data-compare-viewer]").forEach(function (box) {
      box.textContent = "";
      box.classList.add("compare__photo--zoom");
      var viewer = build({
        element: box,
        prefixUrl: button.getAttribute("data-images"),
        tileSources: [box.getAttribute("data-compare-viewer")],
        showNavigator: false,
      });
      viewer.addHandler("viewport-change", function () {
        if (following) {
          return;
        }
        following = true;
        var centre = viewer.viewport.getCenter();
        var zoom = viewer.viewport.getZoom();
        viewers.forEach(function (other) {
          if (other !== viewer && other.viewport) {
            other.viewport.zoomTo(zoom, null, true);
            other.viewport.panTo(centre, true);
          }
        });
        following = false;
      });
      viewers.push(viewer);
    });
    document.documentElement.setAttribute("data-compare-zoom-ready", String(viewers.length));
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    if (window.OpenSeadragon) {
      start();
      return;
    }
    var script = document.createElement("script");
    script.src = button.getAttribute("data-viewer");
    script.onload = start;
    document.head.appendChild(script);
  });
})();
