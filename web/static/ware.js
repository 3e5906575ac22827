// Switch the large photograph in place. Without this script each thumbnail is a link that loads
// the page with that photograph selected, so nothing depends on it.
(function () {
  "use strict";
  var gallery = document.querySelector("[data-gallery]");
  if (!gallery) {
    return;
  }
  var image = gallery.querySelector("[data-gallery-image]");
  var full = gallery.querySelector("[data-gallery-full]");
  var credit = gallery.querySelector("[data-gallery-credit]");
  var links = gallery.querySelectorAll("a[data-display]");

  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) {
        return;
      }
      event.preventDefault();
      image.src = link.getAttribute("data-display");
      image.width = Number(link.getAttribute("data-width"));
      image.height = Number(link.getAttribute("data-height"));
      image.alt = link.getAttribute("data-alt");
      full.href = link.getAttribute("data-original");
      credit.textContent = link.getAttribute("data-credit");
      // The matched region belongs to the photograph a search found, not to the next one.
      var outline = gallery.querySelector("[data-match-outline]");
      if (outline) {
        outline.parentNode.removeChild(outline);
      }
      Array.prototype.forEach.call(links, function (other) {
        other.removeAttribute("aria-current");
      });
      link.setAttribute("aria-current", "true");
      if (window.history && history.replaceState) {
        history.replaceState(null, "", link.getAttribute("href"));
      }
    });
  });
})();
