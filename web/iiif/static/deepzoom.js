// Deep zoom on the ware page: OpenSeadragon reads this archive's own IIIF image services.
// The viewer (350 kB) is fetched only when a visitor opens the block, so the page stays light.
(function () {
  "use strict";

  var MOBILE_CSS = "style[data-openseadragon-mobile-css]";

  // OpenSeadragon injects an inline <style> unless it finds one already marked as its own. The
  // site's CSP forbids inline style (any <style> element, even an empty one, is reported), so
  // its rule lives in deepzoom.css and, while the viewer is built, that lookup is answered
  // as found.
  function withStyleProvided(build) {
    var query = document.querySelector;
    document.querySelector = function (selector) {
      return selector === MOBILE_CSS ? document.head : query.call(document, selector);
    };
    try {
      return build();
    } finally {
      delete document.querySelector;
    }
  }

  function start(block) {
    var sources = JSON.parse(block.getAttribute("data-tile-sources"));
    withStyleProvided(function () {
      return window.OpenSeadragon({
        element: block.querySelector("[data-deep-zoom-viewer]"),
        prefixUrl: block.getAttribute("data-images"),
        tileSources: sources,
        sequenceMode: sources.length > 1,
        showNavigator: true,
        showRotationControl: true,
        gestureSettingsTouch: { pinchRotate: true },
      });
    });
    block.setAttribute("data-deep-zoom-ready", "");
  }

  function load(block) {
    if (window.OpenSeadragon) {
      start(block);
      return;
    }
    var script = document.createElement("script");
    script.src = block.getAttribute("data-viewer");
    script.onload = function () {
      start(block);
    };
    document.head.appendChild(script);
  }

  document.querySelectorAll("[data-deep-zoom]").forEach(function (block) {
    block.addEventListener("toggle", function once() {
      if (block.open) {
        block.removeEventListener("toggle", once);
        load(block);
      }
    });
  });
})();
