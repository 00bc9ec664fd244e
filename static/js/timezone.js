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
  // IANA names are letters, digits, "/", "_", "+" and "-": safe in a cookie as they are,
  // and the server reads the cookie verbatim (no URL decoding).
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) { return; }
  var current = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  if (current && current[1] === zone) { return; }
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
})();
