// Keeps server-rendered fragments fresh without a reload: every element with
// data-refresh-url is fetched again and swapped in when its HTML changed.
// It polls every data-refresh-ms, or every data-refresh-fast-ms while the
// fragment marks itself busy (data-live-busy, e.g. a sync running), and rests
// while the tab is hidden. External file, no inline script: a strict CSP holds.
(function () {
  "use strict";

  function delayOf(element) {
    var busy = element.querySelector("[data-live-busy]") !== null;
    var fast = parseInt(element.getAttribute("data-refresh-fast-ms") || "", 10);
    var slow = parseInt(element.getAttribute("data-refresh-ms") || "15000", 10);
    return busy && fast > 0 ? fast : slow;
  }

  function schedule(element) {
    window.setTimeout(function () { refresh(element); }, delayOf(element));
  }

  function refresh(element) {
    if (document.hidden) { schedule(element); return; }
    fetch(element.getAttribute("data-refresh-url"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("live: HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        // Swap only on a change, so screen readers in the live region hear news, not repeats.
        if (element.getAttribute("data-live-html") !== html) {
          element.innerHTML = html;
          element.setAttribute("data-live-html", html);
        }
        schedule(element);
      })
      .catch(function () {
        // Signed out or the server is gone: stop; a reload starts again.
      });
  }

  function start() {
    var elements = document.querySelectorAll("[data-refresh-url]");
    for (var i = 0; i < elements.length; i++) { schedule(elements[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
