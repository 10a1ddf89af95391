// A form htmx sends (hx-post) and that the server refuses answers 422 with the form again,
// its errors marked: htmx swaps no 4xx answer by itself, so a target that asks for it
// (data-swap-refusals) gets the refused form swapped in like an accepted answer.
// Bootstrap Italia leaves an empty style attribute on the inputs it enhances; htmx copies an old
// element's style onto its new one as it settles, which the Content-Security-Policy
// (style-src 'self') refuses: the empty attributes are dropped first.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-swap-refusals")) {
      return;
    }
    target.querySelectorAll('[style=""]').forEach(function (element) {
      element.removeAttribute("style");
    });
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
