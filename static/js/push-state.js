// Polls the push state of what carries data-poll-url while it is still moving
// (queued, pushing, retrying) and swaps in the server-rendered HTML; it stops
// once the state settles. External file, no inline script: a strict CSP holds.
(function () {
  "use strict";
  var ACTIVE = ["queued", "pushing", "retrying"];
  var INTERVAL_MS = 2000;

  function stateOf(element) {
    var marked = element.querySelector("[data-push-state]");
    return marked ? marked.getAttribute("data-push-state") : "";
  }

  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("push state: HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          element.innerHTML = html;
          if (ACTIVE.indexOf(stateOf(element)) !== -1) { poll(element); }
        })
        .catch(function () {
          // Signed out or the server is gone: stop; a reload starts again.
        });
    }, INTERVAL_MS);
  }

  function start() {
    var elements = document.querySelectorAll("[data-poll-url]");
    for (var i = 0; i < elements.length; i++) {
      if (ACTIVE.indexOf(stateOf(elements[i])) !== -1) { poll(elements[i]); }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
