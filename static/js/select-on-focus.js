// Selects the whole value of an input marked data-select-on-focus when it gets focus
// (the new API token, to copy it). External file, no inline handler: a strict CSP holds.
(function () {
  "use strict";
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-select-on-focus")) { target.select(); }
  });
})();
