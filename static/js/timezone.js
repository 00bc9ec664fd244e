// Tells the server the reader's time zone (approvals/middleware.py reads the
// cookie), so dates print in local time from the next page on. No reload: a
// page is never refreshed behind the reader's back.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) { return; }
  var current = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  if (current && decodeURIComponent(current[1]) === zone) { return; }
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
})();
